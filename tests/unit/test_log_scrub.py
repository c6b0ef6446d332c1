"""No secret reaches a log line: the bot token in aiohttp's URLs, the keys the settings hold,
and anything shaped like a bot token, in messages, arguments and tracebacks alike."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.runtime.logging_setup import REDACTED
from bot.runtime.telegram import make_bot
from core.config import Settings
from core.gateways.cipher import new_key
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.log_capture import configured_logging

TOKEN = u.DEFAULT_TOKEN
TOKEN_SECRET = TOKEN.split(":", 1)[1]
OTHER_TOKEN = "5550001234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
KEYS = (new_key(), new_key())
SECRETS = {
    "openai_api_key": "sk-proj-0penAiKeyForTests0123456789",
    "stripe_api_key": "sk_test_51StripeKeyForTests0123456789",
    "stripe_webhook_secret": "whsec_StripeSigningSecretForTests",
    "webhook_secret": "telegram-hook-secret-for-tests",
}


def make_settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=str(tmp_path),
        log_level="DEBUG",
        **values,  # type: ignore[arg-type]
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path, telegram_bot_token=TOKEN, credentials_keys=",".join(KEYS), **SECRETS
    )


@pytest.fixture
def output(settings: Settings) -> Iterator[io.StringIO]:
    """What the handler `trainbot` configures writes (to a buffer instead of stderr)."""
    yield from configured_logging(settings)


async def test_a_failed_file_download_logs_no_token(
    settings: Settings, output: io.StringIO
) -> None:
    logger = logging.getLogger("bot.handlers.training")
    async with FakeBotAPI() as api:
        bot = make_bot(settings.model_copy(update={"telegram_api_base": api.base_url}))
        try:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                await bot.download_file("documents/file_404.fit", destination=io.BytesIO())
            assert TOKEN in str(caught.value)  # aiohttp quotes the file URL, token and all
            logger.warning("FIT download failed: %s", caught.value)
            try:
                raise RuntimeError("could not read the upload") from caught.value
            except RuntimeError:
                logger.exception("upload of %s failed", "file_404.fit")
        finally:
            await bot.session.close()
    text = output.getvalue()
    assert TOKEN_SECRET not in text
    assert "FIT download failed: 404" in text and f"/file/bot{REDACTED}/documents" in text
    assert "Traceback (most recent call last)" in text and "upload of file_404.fit failed" in text
    assert "The above exception was the direct cause" in text


def test_a_token_the_settings_do_not_hold_is_redacted_by_its_shape(tmp_path: Path) -> None:
    logger = logging.getLogger("aiogram.event")
    url = f"https://api.telegram.org/bot{OTHER_TOKEN}/getMe"
    for output in configured_logging(make_settings(tmp_path)):
        try:
            raise aiohttp.InvalidURL(url)
        except aiohttp.ClientError as exc:
            logger.error("request to %s failed: %r", url, exc, exc_info=True)
        logger.warning("token in prose: %s, short form bot42:abc", OTHER_TOKEN)
        text = output.getvalue()
    secret = OTHER_TOKEN.split(":", 1)[1]
    assert secret not in text and "bot42:abc" not in text
    assert f"https://api.telegram.org/bot{REDACTED}/getMe" in text
    assert "Traceback" in text


def test_every_secret_the_settings_hold_is_redacted(
    settings: Settings, output: io.StringIO
) -> None:
    logger = logging.getLogger("core.gateways")
    everything = [*SECRETS.values(), *KEYS, TOKEN]
    for value in everything:
        logger.info("in the message: " + value)
        logger.info("in the arguments: %s", value)
        logger.info("in a mapping: %(value)s", {"value": value})
        try:
            raise ValueError(f"in the exception: {value}")
        except ValueError:
            logger.warning("in a traceback", exc_info=True, stack_info=True)
    text = output.getvalue()
    for value in everything:
        assert value not in text
    assert text.count(REDACTED) >= 4 * len(everything)
    assert "in the exception: " + REDACTED in text


def test_bad_format_arguments_still_print_no_secret(
    settings: Settings, output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    # Logging prints a record whose %-arguments do not fit, raw, to stderr.
    logging.getLogger("bot").info("two places %s %s, one argument", SECRETS["stripe_api_key"])
    assert SECRETS["stripe_api_key"] not in output.getvalue() + capsys.readouterr().err
    assert "two places" in output.getvalue()
