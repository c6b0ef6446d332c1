"""First contact: the timezone question and the /settings questions never hold a chat."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.views.coach import NOT_CONFIGURED
from bot.views.start import UTC_NOTE
from core.config import Settings
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u

QUESTION_FOR_THE_COACH = "How should I pace my first half marathon next month?"
REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture(params=["memory", "redis"])
async def settings(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Settings]:
    """Dialog data in memory, and in Redis as on several web instances."""
    if request.param == "memory":
        yield settings
        return
    if not REDIS_URL:
        pytest.skip("Redis tests need TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    client = redis.Redis.from_url(REDIS_URL)
    pattern = f"fsm:*:{u.DEFAULT_USER_ID}:*"
    await client.delete(*[k async for k in client.scan_iter(pattern)] or ["-"])
    yield settings.model_copy(update={"redis_url": REDIS_URL})
    await client.delete(*[k async for k in client.scan_iter(pattern)] or ["-"])
    await client.aclose()


async def _started(harness: BotHarness) -> None:
    texts = await harness.texts_after(u.command("start"), 2)
    assert "Which timezone" in texts[1]


async def _zone(harness: BotHarness) -> tuple[str, bool]:
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    return account.timezone, account.timezone_set


async def test_commands_run_as_themselves_while_the_question_is_open(
    harness: BotHarness,
) -> None:
    await _started(harness)
    usage = await harness.texts_after(u.command("usage"))
    assert "Plan: Free" in usage[0]
    helped = await harness.texts_after(u.command("help"))
    assert "What I do" in helped[0]
    # The question is still open: a zone typed now is taken.
    assert "Europe/Madrid" in (await harness.texts_after(u.text_message("europe/madrid")))[0]
    assert await _zone(harness) == ("Europe/Madrid", True)


async def test_a_question_for_the_coach_closes_the_question_and_reaches_the_coach(
    harness: BotHarness,
) -> None:
    await _started(harness)
    texts = await harness.texts_after(u.text_message(QUESTION_FOR_THE_COACH), 2)
    assert texts == [UTC_NOTE, NOT_CONFIGURED]
    assert await _zone(harness) == ("UTC", False)
    # Nothing is asked any more: the next text goes to the coach as well.
    assert await harness.texts_after(u.text_message("2")) == [NOT_CONFIGURED]


async def test_a_short_miss_is_asked_once_more_then_the_bot_goes_on_in_utc(
    harness: BotHarness,
) -> None:
    await _started(harness)
    again = await harness.texts_after(u.text_message("2"))
    assert "'2' is not a timezone I know" in again[0] and "Madrid" in again[0]
    assert harness.last_markup() is not None  # the buttons once more
    texts = await harness.texts_after(u.text_message("3"), 2)
    assert texts == [UTC_NOTE, NOT_CONFIGURED]
    assert await harness.texts_after(u.text_message("4")) == [NOT_CONFIGURED]
    assert await _zone(harness) == ("UTC", False)


async def test_cities_and_offsets_are_understood(harness: BotHarness) -> None:
    await _started(harness)
    assert "America/New_York" in (await harness.texts_after(u.text_message("new york")))[0]
    await harness.texts_after(u.command("settings"))
    await harness.texts_after(u.callback_query("set:timezone"))
    saved = await harness.texts_after(u.text_message("UTC+3"))
    assert "Timezone: UTC+3" in saved[0]
    assert await _zone(harness) == ("Etc/GMT-3", True)
    await harness.texts_after(u.callback_query("set:timezone"))
    saved = await harness.texts_after(u.text_message("Москва"))
    assert "Timezone: Europe/Moscow" in saved[0]


async def test_cancel_leaves_the_question_and_says_utc_stays(harness: BotHarness) -> None:
    await _started(harness)
    assert await harness.texts_after(u.command("cancel")) == [f"Cancelled. {UTC_NOTE}"]
    assert await harness.texts_after(u.text_message("Madrid")) == [NOT_CONFIGURED]
    assert await _zone(harness) == ("UTC", False)


async def test_settings_question_lets_commands_through_and_gives_up_after_two_misses(
    harness: BotHarness,
) -> None:
    await harness.texts_after(u.command("settings"))
    await harness.texts_after(u.callback_query("set:ftp"))
    usage = await harness.texts_after(u.command("usage"))
    assert "Plan: Free" in usage[0]
    first = await harness.texts_after(u.text_message("lots"))
    assert "whole number" in first[0]
    second = await harness.texts_after(u.text_message("still lots"))
    assert "whole number" in second[0] and "FTP stays as it was" in second[0]
    assert await harness.texts_after(u.text_message("250")) == [NOT_CONFIGURED]
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    assert (await harness.container.services.accounts.profile(account.id)).ftp is None


async def test_long_answers_never_make_a_message_over_telegrams_limit(
    harness: BotHarness,
) -> None:
    long_answer = "Europe/" + "x" * 6000
    await _started(harness)
    await harness.texts_after(u.text_message(long_answer), 2)  # not an answer: note, coach
    await harness.texts_after(u.command("settings"))
    await harness.texts_after(u.callback_query("set:timezone"))
    refused = await harness.texts_after(u.text_message(long_answer))
    assert "is not a timezone I know" in refused[0] and "…" in refused[0]
    unknown = await harness.texts_after(u.text_message("/" + "y" * 6000))
    assert "I don't know /yyy" in unknown[0]
    sends = harness.api.calls("sendMessage")
    assert sends and all(r.ok for r in sends)
    assert max(len(r.params["text"]) for r in sends) <= 4096
