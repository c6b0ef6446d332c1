"""Domain errors: services raise these, the bot and the web app turn them into answers."""

from __future__ import annotations

from datetime import datetime


class AppError(Exception):
    """An error with a sentence fit to show the user or the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(AppError):
    """A setting is missing or invalid."""


class NotFound(AppError):
    """The thing asked for does not exist (for this user)."""


class UnknownUser(NotFound):
    """No account for this id."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"No account with id {user_id}.")
        self.user_id = user_id


class UnknownFeature(AppError):
    """A feature name the plans do not know."""

    def __init__(self, feature: str) -> None:
        super().__init__(f"Unknown feature {feature!r}.")
        self.feature = feature


class BadInput(AppError):
    """The user gave a value we cannot use."""


class BadTimezone(BadInput):
    """Not a timezone: no IANA name, city or UTC offset we can map to one."""

    QUOTE_MAX = 64  # the answer is quoted back, so the sentence always fits one message

    def __init__(self, name: str, *, reason: str | None = None) -> None:
        shown = " ".join(name.split())
        if len(shown) > self.QUOTE_MAX:
            shown = shown[: self.QUOTE_MAX - 1] + "…"
        super().__init__(
            reason
            or f"'{shown}' is not a timezone I know. Send your city (Madrid), its IANA name "
            "(Europe/Madrid) or your UTC offset (UTC+2)."
        )
        self.name = name


class LimitReached(AppError):
    """The user's plan allows no more of this feature until resets_at."""

    def __init__(self, feature: str, limit: int, resets_at: datetime | None) -> None:
        super().__init__(f"Limit reached for {feature}: {limit}.")
        self.feature = feature
        self.limit = limit
        self.resets_at = resets_at


class ProOnly(AppError):
    """A feature the Free plan does not include."""

    def __init__(self, feature: str) -> None:
        super().__init__(f"{feature} is part of the Pro plan.")
        self.feature = feature


class BadFile(AppError):
    """An upload we cannot read as an activity."""


class DecodeTimeout(BadFile):
    """Reading the file ran past the deadline; its worker process was replaced."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"That file took over {seconds:.0f} s to read, so I stopped and did not "
                         "import it.")  # fmt: skip


class DecodeCrashed(BadFile):
    """The worker process died while reading the file (out of memory, a decoder crash)."""

    def __init__(self) -> None:
        super().__init__("Reading that file crashed, so I did not import it; send it again, and "
                         "if it fails twice the file is probably damaged.")  # fmt: skip


class TooManySessions(BadFile):
    """More sessions in one file than an import takes."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"That file holds {count} sessions, more than the {limit} I import from "
                         "one file: export the activities one by one and send those.")  # fmt: skip


class ImportQueueFull(AppError):
    """The athlete already has as many files waiting as we queue."""

    def __init__(self, queued: int) -> None:
        super().__init__(f"I am still reading {queued} of your files: send this one again once "
                         "I have answered them.")  # fmt: skip


class NotLinked(AppError):
    """The user has not linked Garmin Connect."""

    def __init__(self, message: str = "Garmin Connect is not linked yet.") -> None:
        super().__init__(message)


class GarminAuthError(AppError):
    """Garmin refused the credentials or the stored tokens."""


class GarminMfaRequired(AppError):
    """Garmin asks for a one-time code before the login completes."""


class GarminMfaExpired(AppError):
    """The pending MFA login is gone (too old, or never started)."""


class GarminRateLimited(AppError):
    """Garmin answered 429: back off, never retry in a loop."""


class GarminUnavailable(AppError):
    """Garmin could not be reached or answered with a server error."""


class SyncInProgress(AppError):
    """Another Garmin sync of this athlete holds the sync lease."""


class GarminSignInsThrottled(AppError):
    """Too many Garmin sign-ins: this user's hourly allowance, or everyone's after a 429."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class LLMError(AppError):
    """The language model did not give a usable answer."""

    status = "error"


class LLMNotConfigured(LLMError):
    """No model is configured (no API key and no base URL)."""

    status = "not_configured"


class LLMTimeout(LLMError):
    """The model did not answer in time."""

    status = "timeout"


class LLMRateLimited(LLMError):
    """The model's server said 429."""

    status = "rate_limited"


class LLMUnavailable(LLMError):
    """Connection error or a 5xx from the model's server."""

    status = "error"


class LLMEmptyAnswer(LLMError):
    """The model answered nothing usable (empty, refused or cut)."""

    status = "empty"


class PaymentsNotConfigured(AppError):
    """Stripe is not configured."""


class PaymentsError(AppError):
    """Stripe could not be reached or refused the request."""


class BillingNotStopped(AppError):
    """A subscription could not be cancelled, so the account was not deleted.

    `retry`: the payment service was unreachable and asking again later may work; otherwise
    the subscription cannot be cancelled from this server and a person must step in.
    """

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class TooManyGoals(BadInput):
    """The athlete already has as many race goals as we keep."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"You have {limit} goals: delete one first.")
        self.limit = limit


class NoSuchGoal(NotFound):
    """A goal number that is not in the athlete's list."""

    def __init__(self, number: int) -> None:
        super().__init__(f"There is no goal number {number}.")
        self.number = number


class NoGoalForPlan(BadInput):
    """A training plan was asked for with neither a goal given nor a race goal stored."""

    def __init__(self) -> None:
        super().__init__("Tell me your goal (for example: half marathon in 10 weeks) or set a "
                         "race goal first.")  # fmt: skip


class AlreadyPro(AppError):
    """The user has Pro now: a second subscription would charge them twice.

    The bot words it with the date in the user's zone; the message is the plain fallback.
    """

    def __init__(self, *, provider: str, until: datetime | None, past_due: bool) -> None:
        day = f" until {until:%Y-%m-%d}" if until else ""
        if past_due:
            message = "Your last Pro payment failed: update your card in the billing portal."
        elif provider == "stripe":
            message = f"You already have Pro{day}. Manage or cancel it in the billing portal."
        else:
            message = f"You already have Pro{day}."
        super().__init__(message)
        self.provider = provider
        self.until = until
        self.past_due = past_due


class NoStripeCustomer(NotFound):
    """The user never paid by card, so there is no billing portal to open."""

    def __init__(self) -> None:
        super().__init__(
            "There is no card subscription to manage: you have never paid for Pro by card."
        )


class BadStarsPayment(BadInput):
    """A Telegram Stars checkout that does not match the invoice we made."""


class BadWebhook(AppError):
    """A webhook whose signature or payload we reject."""


class NotAnOperator(AppError):
    """Operator figures asked for by someone who is not one: the bot acts as if the command
    did not exist."""

    def __init__(self) -> None:
        super().__init__("Unknown command.")


class NotSignedIn(AppError):
    """A web sign-in or session we do not accept (bad or stale initData, a used link, an
    expired or revoked session); the web edge answers 401."""


class TooManyAttempts(AppError):
    """Too many sign-in attempts from one address; the web edge answers 429."""

    def __init__(self, message: str, retry_at: datetime, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_at = retry_at
        self.retry_after_s = retry_after_s


class BadWorkout(BadInput):
    """A structured workout that does not follow the workout shape or its limits."""
