"""Telegram Mini App initData, checked as Telegram specifies (pure: no I/O, no clock of its own).

The data-check-string is every key=value pair but `hash`, sorted by key and joined by line
feeds; the secret is HMAC-SHA256 of the bot token keyed with "WebAppData"; the hash is the hex
HMAC-SHA256 of the data-check-string under that secret. initData signed for another bot
therefore fails exactly like a forged one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from core.errors import NotSignedIn

MAX_INIT_DATA_CHARS = 8192
FUTURE_SKEW = timedelta(seconds=60)  # a phone's clock running a little ahead
_BAD = "This sign-in from Telegram could not be verified; open the dashboard from the bot again."
_STALE = "This sign-in from Telegram is too old; open the dashboard from the bot again."


@dataclass(frozen=True)
class TelegramUser:
    """Who opened the Mini App: their id is their private chat with the bot."""

    id: int
    first_name: str | None
    username: str | None
    language: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(pairs: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(pairs.items()) if k != "hash")


def sign(pairs: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts next to these pairs for this bot."""
    message = data_check_string(pairs).encode()
    return hmac.new(secret_key(bot_token), message, hashlib.sha256).hexdigest()


def validate_init_data(
    init_data: str, *, bot_token: str, now: datetime, max_age: timedelta
) -> TelegramUser:
    """The user initData vouches for, or NotSignedIn with one sentence."""
    pairs = _pairs(init_data)
    given = pairs.get("hash", "")
    if not given or not hmac.compare_digest(sign(pairs, bot_token), given.lower()):
        raise NotSignedIn(_BAD)
    try:
        auth_date = datetime.fromtimestamp(int(pairs["auth_date"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        raise NotSignedIn(_BAD) from None
    if auth_date > now + FUTURE_SKEW:
        raise NotSignedIn(_BAD)
    if now - auth_date > max_age:
        raise NotSignedIn(_STALE)
    return _user(pairs.get("user"), auth_date)


def _pairs(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data) > MAX_INIT_DATA_CHARS:
        raise NotSignedIn(_BAD)
    try:
        items = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise NotSignedIn(_BAD) from None
    pairs = dict(items)
    if len(pairs) != len(items):  # a key given twice: which one was signed?
        raise NotSignedIn(_BAD)
    return pairs


def _user(raw: str | None, auth_date: datetime) -> TelegramUser:
    try:
        user = json.loads(raw or "")
        user_id = user["id"]
    except (ValueError, TypeError, KeyError):
        raise NotSignedIn(_BAD) from None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise NotSignedIn(_BAD)
    return TelegramUser(
        id=user_id,
        first_name=_text(user.get("first_name")),
        username=_text(user.get("username")),
        language=_text(user.get("language_code")),
        auth_date=auth_date,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
