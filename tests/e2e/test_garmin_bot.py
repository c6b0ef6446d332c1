"""/connect, /sync and /disconnect end to end, FakeGarmin behind the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import Cipher
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin

EMAIL = "athlete@example.org"
PASSWORD = "hunter2-Garmin!"


@pytest.fixture
def fake() -> FakeGarmin:
    return FakeGarmin()


@pytest.fixture
async def container(
    settings: Settings, clock: FakeClock, fake: FakeGarmin
) -> AsyncIterator[Container]:
    c = build(settings, clock=clock, cipher=Cipher([settings.credentials_keys or ""]), garmin=fake)
    yield c
    await c.close()


async def _to_password(harness: BotHarness) -> None:
    asked = await harness.texts_after(u.command("connect"))
    assert "email" in asked[0]
    told = await harness.texts_after(u.text_message(EMAIL))
    assert "password" in told[0]
    markup = harness.last_markup()
    assert markup is not None and markup["inline_keyboard"][0][0]["callback_data"] == "garmin:keep"


def _no_secret_sent(harness: BotHarness) -> None:
    for text in harness.api.sent_texts():
        assert PASSWORD not in text


async def test_connect_deletes_password_and_links(harness: BotHarness, fake: FakeGarmin) -> None:
    fake.add_account(EMAIL, PASSWORD)
    await _to_password(harness)
    texts = await harness.texts_after(u.text_message(PASSWORD, message_id=9001), 2)
    assert "deleted your password message" in texts[0]
    assert "linked" in texts[1]
    deletes = harness.api.calls("deleteMessage")
    assert [d.params.get("message_id") for d in deletes] == [9001]
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    status = await harness.container.services.garmin_link.status(account.id)
    assert status.linked and not status.keeps_password
    _no_secret_sent(harness)


async def test_connect_with_mfa_and_keep_password(harness: BotHarness, fake: FakeGarmin) -> None:
    fake.add_account(EMAIL, PASSWORD, mfa=True, code="246810")
    await _to_password(harness)
    before = len(harness.api.calls("answerCallbackQuery"))
    harness.feed(u.callback_query("garmin:keep"))
    await harness.api.wait_for("answerCallbackQuery", count=before + 1, timeout=10)
    texts = await harness.texts_after(u.text_message(PASSWORD), 2)
    assert "one-time code" in texts[1]
    wrong = await harness.texts_after(u.text_message("111111"))
    assert "did not accept that code" in wrong[0]
    done = await harness.texts_after(u.text_message("246810"))
    assert "linked" in done[0]
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    assert (await harness.container.services.garmin_link.status(account.id)).keeps_password
    assert len(harness.api.calls("deleteMessage")) == 1
    _no_secret_sent(harness)


async def test_wrong_password_then_sync_and_disconnect(
    harness: BotHarness, fake: FakeGarmin
) -> None:
    fake.add_account(EMAIL, PASSWORD)
    fake.add_activity(EMAIL)
    await _to_password(harness)
    refused = await harness.texts_after(u.text_message("not-it"), 2)
    assert "Check your email and password" in refused[1]
    not_linked = await harness.texts_after(u.command("sync"), 2)
    assert "not linked" in not_linked[1]
    await _to_password(harness)
    await harness.texts_after(u.text_message(PASSWORD), 2)
    synced = await harness.texts_after(u.command("sync"), 2, timeout=60)
    assert "Sync done: 1 new activity" in synced[1]
    again = await harness.texts_after(u.command("sync"), 2)
    assert "every 30 minutes" in again[1]
    gone = await harness.texts_after(u.command("disconnect"))
    assert "unlinked" in gone[0]
