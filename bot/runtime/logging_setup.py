"""Process logging: one stderr handler, and a filter that keeps secrets out of every record."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TextIO

from core.config import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

# Telegram puts the token in every URL path (.../bot<TOKEN>/getMe, .../file/bot<TOKEN>/<path>)
# and aiohttp's errors quote the URL. A token we were not given (another bot's, a revoked one)
# is caught by its shape: after "bot", or <bot id>:<35 URL-safe characters> on its own.
_TOKEN_SHAPES = re.compile(r"(?<=bot)\d+(?::|%3A)[\w-]+|\b\d{6,}(?::|%3A)[\w-]{30,}", re.IGNORECASE)
_TRACEBACKS = logging.Formatter()


def secrets_of(settings: Settings) -> list[str]:
    """The secret values the settings hold, each CREDENTIALS_KEYS key on its own too."""
    values = [
        settings.telegram_bot_token,
        settings.openai_api_key,
        settings.stripe_api_key,
        settings.stripe_webhook_secret,
        settings.webhook_secret,
        settings.credentials_keys,
        *(settings.credentials_keys or "").split(","),
    ]
    return [v.strip() for v in values if v and v.strip()]


class SecretsFilter(logging.Filter):
    """Rewrites each record so no known secret and nothing shaped like a bot token is emitted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a key is never half-replaced by a shorter secret inside it.
        known = sorted(set(secrets), key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, known))) if known else None

    def redact(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        return _TOKEN_SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(_message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        # Only the redacted text is left: a formatter that renders exc_info itself (a JSON
        # formatter, say) would otherwise print the raw exception, URL and all.
        record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # bad %-arguments: logging would print them raw to stderr, we redact
        return f"{record.msg} {record.args!r}"


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Log to stderr (or `stream`) at LOG_LEVEL with secrets redacted; returns the new handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    root.addHandler(handler)
    scrub = SecretsFilter(secrets_of(settings))
    # On every root handler, not on the root logger: a logger's filters see only the records
    # logged on that very logger, a handler's see every record that propagates to it.
    for each in root.handlers:
        each.addFilter(scrub)
    return handler
