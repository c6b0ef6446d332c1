"""The Garmin password end to end: it reaches only the sign-in, whatever the dialog state knows."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import ChatMessage
from core.gateways.cipher import Cipher
from core.gateways.llm import build_llm
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fakes.openai_server import FakeOpenAIServer

EMAIL = "athlete@example.org"
PASSWORD = "hunter2-Garmin!"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"garmin_logins_per_hour": 2})


@pytest.fixture
def fake() -> FakeGarmin:
    return FakeGarmin()


@pytest.fixture
async def container(
    settings: Settings, clock: FakeClock, fake: FakeGarmin, openai: FakeOpenAIServer
) -> AsyncIterator[Container]:
    llm = build_llm(api_key="sk-test", base_url=openai.base_url, model="gpt-4o-mini", timeout_s=5)
    cipher = Cipher([settings.credentials_keys or ""])
    c = build(settings, clock=clock, cipher=cipher, garmin=fake, llm=llm)
    yield c
    await c.close()


async def _to_password(harness: BotHarness) -> None:
    """/connect and the email: the bot now waits for the password."""
    await harness.texts_after(u.command("connect"))
    told = await harness.texts_after(u.text_message(EMAIL))
    assert "password" in told[0]


async def _owed_until(container: Container) -> object:
    account = await container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    return account.secret_due_until


async def _stored_chat(container: Container) -> list[str]:
    async with container.uow() as uow:
        return list((await uow.session.execute(select(ChatMessage.content))).scalars())


async def _all_confirmed(api: FakeBotAPI) -> None:
    """Wait for a long poll that confirms every update delivered so far."""
    last = max(upd["update_id"] for r in api.calls("getUpdates") for upd in r.result or [])
    await api.wait_for(
        "getUpdates", timeout=30, predicate=lambda r: int(r.params.get("offset") or 0) > last
    )


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)


async def test_password_after_a_restart_is_deleted_and_reaches_nothing(
    container: Container,
    bot_api: FakeBotAPI,
    fake: FakeGarmin,
    openai: FakeOpenAIServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_account(EMAIL, PASSWORD)
    async with running_bot(container, bot_api) as first:
        await _to_password(first)
        await _all_confirmed(bot_api)  # the next process starts after the email
    # A new process: a new dispatcher whose dialog storage (memory) knows nothing.
    async with running_bot(container, bot_api) as second:
        told = await second.texts_after(u.text_message(PASSWORD, message_id=9001), timeout=30)
        assert "I deleted your password message" in told[0]
        assert "/connect" in told[0]
        assert [d.params["message_id"] for d in bot_api.calls("deleteMessage")] == [9001]
        assert await _owed_until(container) is None
        # The marker is gone: the next text is the coach's again.
        answer = await second.texts_after(u.text_message("How was my week?"), timeout=30)
        assert answer == ["Echo: How was my week?"]
    assert fake.count("login") == 0
    assert all(PASSWORD not in str(r.body) for r in openai.requests)
    assert len(openai.chat_requests) == 1
    assert all(PASSWORD not in content for content in await _stored_chat(container))
    assert PASSWORD not in _logged(caplog)
    assert all(PASSWORD not in text for text in bot_api.sent_texts())


async def test_password_starting_with_a_slash_is_the_password(
    harness: BotHarness, fake: FakeGarmin
) -> None:
    fake.add_account(EMAIL, "/abc123")
    await _to_password(harness)
    texts = await harness.texts_after(u.command("abc123"), 2, timeout=30)
    assert "I deleted your password message" in texts[0]
    assert "linked" in texts[1]
    assert fake.count("login") == 1
    assert len(harness.api.calls("deleteMessage")) == 1
    assert all("/abc123" not in text for text in harness.api.sent_texts())


async def test_help_runs_during_the_wait_and_cancel_ends_it(
    harness: BotHarness, fake: FakeGarmin, openai: FakeOpenAIServer
) -> None:
    await _to_password(harness)
    assert await _owed_until(harness.container) is not None
    help_text = await harness.texts_after(u.command("help"))
    assert "What I do" in help_text[0]
    assert await _owed_until(harness.container) is not None
    cancelled = await harness.texts_after(u.command("cancel"))
    assert cancelled[0].startswith("Cancelled.")
    assert await _owed_until(harness.container) is None
    answer = await harness.texts_after(u.text_message("Plain words for the coach"), timeout=30)
    assert answer == ["Echo: Plain words for the coach"]
    assert harness.api.calls("deleteMessage") == []
    assert fake.count("login") == 0


async def test_undeletable_password_message_is_not_called_deleted(
    harness: BotHarness, fake: FakeGarmin
) -> None:
    fake.add_account(EMAIL, PASSWORD)
    await _to_password(harness)
    harness.api.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted")
    texts = await harness.texts_after(u.text_message(PASSWORD), 2, timeout=30)
    assert "I deleted" not in texts[0]
    assert "please delete it yourself" in texts[0]
    assert "linked" in texts[1]
    assert harness.api.calls("deleteMessage")[0].status == 400


async def test_sign_ins_over_the_hourly_allowance_are_refused(
    harness: BotHarness, fake: FakeGarmin, clock: FakeClock
) -> None:
    fake.add_account(EMAIL, PASSWORD)
    for _ in range(2):
        await _to_password(harness)
        refused = await harness.texts_after(u.text_message("not-it"), 2, timeout=30)
        assert "Check your email and password" in refused[1]
    clock.advance(minutes=20)
    await _to_password(harness)
    texts = await harness.texts_after(u.text_message(PASSWORD), 2, timeout=30)
    assert "I deleted your password message" in texts[0]
    assert texts[1] == "Too many Garmin sign-in attempts; try again in 40 minutes."
    assert fake.count("login") == 2
