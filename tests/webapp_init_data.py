"""Telegram Mini App initData as Telegram signs it, for tests of the API and the page.

Written from Telegram's description, independently of the code under test: secret =
HMAC_SHA256(key=b"WebAppData", msg=bot_token); hash = hex HMAC_SHA256(secret, data-check-string),
the data-check-string being the "key=value" lines of every field but hash, sorted by key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode


def init_data(
    bot_token: str,
    *,
    user_id: int,
    auth_date: datetime,
    first_name: str = "Ana",
    username: str | None = "ana",
    language_code: str | None = "en",
    extra: dict[str, str] | None = None,
) -> str:
    """The initData query string Telegram hands a Mini App opened by this user."""
    user: dict[str, Any] = {"id": user_id, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    fields = {
        "query_id": "AAE-test-query",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(auth_date.timestamp())),
        **(extra or {}),
    }
    fields["hash"] = signature(fields, bot_token)
    return urlencode(fields, quote_via=quote)


def signature(fields: dict[str, str], bot_token: str) -> str:
    """The hex hash of these fields (any `hash` among them is left out) for this bot."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def launch_fragment(init: str, *, theme: dict[str, str] | None = None) -> str:
    """The URL fragment Telegram opens a Mini App with: #tgWebAppData=<urlencoded initData>."""
    fragment = "tgWebAppData=" + quote(init, safe="") + "&tgWebAppVersion=7.0"
    if theme is not None:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return "#" + fragment
