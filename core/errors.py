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
    """Not an IANA timezone name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"'{name}' is not a timezone I know. Use an IANA name such as Europe/Berlin."
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


class NotLinked(AppError):
    """The user has not linked Garmin Connect."""


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


class BadWebhook(AppError):
    """A webhook whose signature or payload we reject."""
