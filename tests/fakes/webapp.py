"""The bot tokens of the API tests, and Mini App initData signed for them by Telegram's rules
(tests.webapp_init_data, written apart from the code under test)."""

from __future__ import annotations

from datetime import datetime

from tests.webapp_init_data import init_data as signed_init_data

TOKEN = "123456789:AAFakeTokenForTheMiniAppTests_abcdefg"
OTHER_BOT_TOKEN = "987654321:AAAnotherBotEntirelyWithItsOwnToken"
# Telegram adds an Ed25519 signature for third parties; the bot's hash covers it like any field.
SIGNATURE = "sDVJeJfxfQUN8dL0iRFr4vRbwPNgpmdJBiLi2SBxxRpcLv0AvmvN8cj2nRydjT3kwVn1hU"


def init_data(
    user_id: int,
    *,
    auth_date: datetime,
    bot_token: str = TOKEN,
    first_name: str = "Ann",
    username: str | None = "ann_runs",
    language: str | None = "en",
) -> str:
    """The initData query string of a user opening the Mini App at `auth_date`."""
    return signed_init_data(
        bot_token,
        user_id=user_id,
        auth_date=auth_date,
        first_name=first_name,
        username=username,
        language_code=language,
        extra={"signature": SIGNATURE},
    )
