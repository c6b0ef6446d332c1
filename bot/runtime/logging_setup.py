"""Process logging: one stderr handler, and a filter that keeps secrets out of every record."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

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
        settings.metrics_token,
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


# The update being handled, for every log line written while it is: its id and our user's id.
_UPDATE_ID: ContextVar[int | None] = ContextVar("log_update_id", default=None)
_USER_ID: ContextVar[int | None] = ContextVar("log_user_id", default=None)


@contextlib.contextmanager
def update_context(*, update_id: int | None = None, user_id: int | None = None) -> Iterator[None]:
    """Log lines inside carry these ids (those not given keep the outer value)."""
    tokens = [
        (var, var.set(value))
        for var, value in ((_UPDATE_ID, update_id), (_USER_ID, user_id))
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the update's ids when inside
    one, and the (already redacted) traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("update_id", _UPDATE_ID), ("user_id", _USER_ID)):
            value = var.get()
            if value is not None:
                line[key] = value
        if record.exc_info and not record.exc_text:  # a record no SecretsFilter saw
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter_for(settings: Settings) -> logging.Formatter:
    """LOG_FORMAT: "json" for one JSON object per line, else plain text."""
    if settings.log_format == "json":
        return JsonFormatter()
    return logging.Formatter(LOG_FORMAT)


def configure_logging(
    settings: Settings, *, stream: TextIO | None = None, handler: logging.Handler | None = None
) -> logging.Handler:
    """Log to stderr (or `stream`, or `handler`) at LOG_LEVEL in LOG_FORMAT with secrets
    redacted; returns the new handler."""
    handler = handler or logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(settings))
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    root.addHandler(handler)
    # Alembic names each of its plugins at INFO on every start: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    scrub = SecretsFilter(secrets_of(settings))
    # On every root handler, not on the root logger: a logger's filters see only the records
    # logged on that very logger, a handler's see every record that propagates to it.
    for each in root.handlers:
        each.addFilter(scrub)
    return handler
