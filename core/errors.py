"""Domain errors: services raise these, the bot and the web app turn them into answers.

An error carries its sentence twice: `message`, the English text (logs, the API, tests), and
`template` with `params`, from which the bot says it in the athlete's language. Core never
translates; it only marks its sentences with `N_` so the bot's catalogs hold them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple


def N_(message: str) -> str:  # noqa: N802 - the gettext marker's usual name
    """Marks a text for the bot's catalogs (bot/i18n); the bot translates it when shown."""
    return message


class PluralText(NamedTuple):
    """A sentence with a count in it, in its English singular and plural forms."""

    singular: str
    plural: str
    n: int

    def english(self) -> str:
        return self.singular if self.n == 1 else self.plural


def ngettext(singular: str, plural: str, n: int) -> PluralText:
    """Marks a sentence with a count for the bot's catalogs (plural forms per language)."""
    return PluralText(singular, plural, n)


class AppError(Exception):
    """An error with a sentence fit to show the user or the operator.

    `AppError(N_("Activity {id} not found."), id=7)`: `message` is the English sentence,
    `template` and `params` let the bot translate it (`_(template).format(**params)`). A
    sentence with a count takes `ngettext(singular, plural, n)` as its template.
    """

    def __init__(self, template: str | PluralText, /, **params: Any) -> None:
        text = template.english() if isinstance(template, PluralText) else template
        message = text.format(**params) if params else text
        super().__init__(message)
        self.message = message
        self.template = template
        self.params = params

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (the decoding workers): rebuild from the state, not
        # from the constructor, whose arguments differ between subclasses.
        return (_restore, (type(self), self.__dict__.copy()))


def _restore(cls: type[AppError], state: dict[str, Any]) -> AppError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class ConfigError(AppError):
    """A setting is missing or invalid."""


class NotFound(AppError):
    """The thing asked for does not exist (for this user)."""


class UnknownUser(NotFound):
    """No account for this id."""

    def __init__(self, user_id: int) -> None:
        super().__init__(N_("No account with id {user_id}."), user_id=user_id)
        self.user_id = user_id


class UnknownFeature(AppError):
    """A feature name the plans do not know."""

    def __init__(self, feature: str) -> None:
        super().__init__(N_("Unknown feature '{feature}'."), feature=feature)
        self.feature = feature


class BadInput(AppError):
    """The user gave a value we cannot use."""


class BadTimezone(BadInput):
    """Not a timezone: no IANA name, city or UTC offset we can map to one."""

    QUOTE_MAX = 64  # the answer is quoted back, so the sentence always fits one message

    def __init__(self, name: str, *, reason: str | PluralText | None = None, **params: Any) -> None:
        """`reason`: a template of its own (with `params`) instead of the usual sentence."""
        shown = " ".join(name.split())
        if len(shown) > self.QUOTE_MAX:
            shown = shown[: self.QUOTE_MAX - 1] + "…"
        if reason is None:
            super().__init__(
                N_("'{name}' is not a timezone I know. Send your city (Madrid), its IANA name "
                   "(Europe/Madrid) or your UTC offset (UTC+2)."),
                name=shown,
            )  # fmt: skip
        else:
            super().__init__(reason, **params)
        self.name = name


class LimitReached(AppError):
    """The user's plan allows no more of this feature until resets_at."""

    def __init__(self, feature: str, limit: int, resets_at: datetime | None) -> None:
        super().__init__(N_("Limit reached for {feature}: {limit}."), feature=feature, limit=limit)
        self.feature = feature
        self.limit = limit
        self.resets_at = resets_at


class ProOnly(AppError):
    """A feature the Free plan does not include."""

    def __init__(self, feature: str) -> None:
        super().__init__(N_("{feature} is part of the Pro plan."), feature=feature)
        self.feature = feature


class BadFile(AppError):
    """An upload we cannot read as an activity."""


class DecodeTimeout(BadFile):
    """Reading the file ran past the deadline; its worker process was replaced."""

    def __init__(self, seconds: float) -> None:
        super().__init__(N_("That file took over {seconds} s to read, so I stopped and did not "
                            "import it."), seconds=f"{seconds:.0f}")  # fmt: skip


class DecodeCrashed(BadFile):
    """The worker process died while reading the file (out of memory, a decoder crash)."""

    def __init__(self) -> None:
        super().__init__(N_("Reading that file crashed, so I did not import it; send it again, "
                            "and if it fails twice the file is probably damaged."))  # fmt: skip


class TooManySessions(BadFile):
    """More sessions in one file than an import takes."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(N_("That file holds {count} sessions, more than the {limit} I import "
                            "from one file: export the activities one by one and send those."),
                         count=count, limit=limit)  # fmt: skip


class ImportQueueFull(AppError):
    """The athlete already has as many files waiting as we queue."""

    def __init__(self, queued: int) -> None:
        super().__init__(
            ngettext(
                "I am still reading {queued} of your files: send this one again once I have "
                "answered it.",
                "I am still reading {queued} of your files: send this one again once I have "
                "answered them.",
                queued,
            ),
            queued=queued,
        )


class NotLinked(AppError):
    """The user has not linked Garmin Connect."""

    def __init__(
        self, message: str | PluralText = N_("Garmin Connect is not linked yet."), **params: Any
    ) -> None:
        super().__init__(message, **params)


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

    def __init__(self, message: str | PluralText, retry_at: datetime, **params: Any) -> None:
        super().__init__(message, **params)
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


class VoiceTooLong(BadInput):
    """A voice note longer than the bot transcribes (refused before it is downloaded)."""

    def __init__(self, duration_s: int, max_s: int) -> None:
        super().__init__(N_("Voice notes can be up to {max_s} seconds long."), max_s=max_s)
        self.duration_s = duration_s
        self.max_s = max_s


class VoiceUnavailable(AppError):
    """Telegram would not hand over a voice note's audio."""

    def __init__(self) -> None:
        super().__init__(N_("The voice note could not be downloaded from Telegram."))


class TranscriptionFailed(LLMError):
    """A voice note could not be turned into text; `status` is its cause's."""

    def __init__(self, cause: LLMError) -> None:
        super().__init__(N_("The voice note could not be transcribed."))
        self.status = cause.status


class PaymentsNotConfigured(AppError):
    """Stripe is not configured."""


class PaymentsError(AppError):
    """Stripe could not be reached or refused the request."""


class BillingNotStopped(AppError):
    """A subscription could not be cancelled, so the account was not deleted.

    `retry`: the payment service was unreachable and asking again later may work; otherwise
    the subscription cannot be cancelled from this server and a person must step in.
    """

    def __init__(self, message: str | PluralText, *, retry: bool, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry = retry


class TooManyGoals(BadInput):
    """The athlete already has as many race goals as we keep."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            ngettext(
                "You have {limit} goal: delete it first.",
                "You have {limit} goals: delete one first.",
                limit,
            ),
            limit=limit,
        )
        self.limit = limit


class NoSuchGoal(NotFound):
    """A goal number that is not in the athlete's list."""

    def __init__(self, number: int) -> None:
        super().__init__(N_("There is no goal number {number}."), number=number)
        self.number = number


class NoGoalForPlan(BadInput):
    """A training plan was asked for with neither a goal given nor a race goal stored."""

    def __init__(self) -> None:
        super().__init__(N_("Tell me your goal (for example: half marathon in 10 weeks) or set "
                            "a race goal first."))  # fmt: skip


class AlreadyPro(AppError):
    """The user has Pro now: a second subscription would charge them twice.

    The bot words it with the date in the user's zone; the message is the plain fallback.
    """

    def __init__(self, *, provider: str, until: datetime | None, past_due: bool) -> None:
        day = {"until": f"{until:%Y-%m-%d}"} if until else {}
        if past_due:
            message = N_("Your last Pro payment failed: update your card in the billing portal.")
        elif provider == "stripe":
            message = (
                N_("You already have Pro until {until}. Manage or cancel it in the billing portal.")
                if until
                else N_("You already have Pro. Manage or cancel it in the billing portal.")
            )
        else:
            message = (
                N_("You already have Pro until {until}.") if until else N_("You already have Pro.")
            )
        super().__init__(message, **day)
        self.provider = provider
        self.until = until
        self.past_due = past_due


class NoStripeCustomer(NotFound):
    """The user never paid by card, so there is no billing portal to open."""

    def __init__(self) -> None:
        super().__init__(
            N_("There is no card subscription to manage: you have never paid for Pro by card.")
        )


class BadStarsPayment(BadInput):
    """A Telegram Stars checkout that does not match the invoice we made."""


class BadWebhook(AppError):
    """A webhook whose signature or payload we reject."""


class NotAnOperator(AppError):
    """Operator figures asked for by someone who is not one: the bot acts as if the command
    did not exist."""

    def __init__(self) -> None:
        super().__init__(N_("Unknown command."))


class NotSignedIn(AppError):
    """A web sign-in or session we do not accept (bad or stale initData, a used link, an
    expired or revoked session); the web edge answers 401."""


class TooManyAttempts(AppError):
    """Too many sign-in attempts from one address; the web edge answers 429."""

    def __init__(
        self,
        message: str | PluralText,
        retry_at: datetime,
        *,
        retry_after_s: int,
        **params: Any,
    ) -> None:
        super().__init__(message, **params)
        self.retry_at = retry_at
        self.retry_after_s = retry_after_s


class BadWorkout(BadInput):
    """A structured workout that does not follow the workout shape or its limits."""
