"""RPE end to end: the 1-10 buttons under an import and a Garmin push, rating, the note dialog,
forged buttons and the card's line, over real HTTP against the fake Bot API."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as redis

from bot.views.fallback import STALE_BUTTON
from bot.views.rpe import ASK_ONE, NOTE_SAVED, note_question
from bot.views.start import HELP
from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import ActivityMetrics
from core.gateways.cipher import Cipher
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI, Recorded
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fit_files import encode_fit
from tests.push_notes import deliver_pushes
from tests.web_api import serving_api

EMAIL = "rpe@example.org"
PASSWORD = "Rpe-Pa55-word"
START = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # the morning of the fake clock's day
REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def container(garmin_container: Container) -> Container:
    """The bot wired to the fake Garmin gateway (the push test links an account)."""
    return garmin_container


def _hour_run(start: datetime = START) -> bytes:
    records = [{"t": t, "heart_rate": 140, "distance": 3.0 * t} for t in range(0, 3601, 10)]
    return encode_fit(start=start, records=records)


def _last_send(h: BotHarness) -> Recorded:
    return [r for r in h.api.messages_by_chat[u.DEFAULT_USER_ID] if r.method == "sendMessage"][-1]


async def _import(h: BotHarness, data: bytes) -> tuple[str, Recorded]:
    doc = h.api.add_file(data, file_name="run.fit")
    [text] = await h.texts_after(u.document_message(doc), timeout=30)
    return text, _last_send(h)


async def _row(c: Container, activity_id: int) -> ActivityMetrics:
    async with c.uow(readonly=True) as uow:
        row = await uow.session.get(ActivityMetrics, activity_id)
    assert row is not None
    return row


def _buttons(markup: dict[str, Any]) -> list[list[tuple[str, str]]]:
    return [[(b["text"], b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]


def _press(data: str, sent: Recorded) -> dict[str, Any]:
    """A press on a button under the bot's message `sent`."""
    return u.callback_query(data, message_id=sent.result["message_id"],
                            message_text=sent.params["text"][:100])  # fmt: skip


async def _own_activity_id(h: BotHarness) -> int:
    account = await h.container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    [card] = await h.container.services.reports.activities(account.id)
    return card.id


async def test_rpe_buttons_under_the_import_store_rating_and_load(
    harness: BotHarness, clock: FakeClock
) -> None:
    text, sent = await _import(harness, _hour_run())
    assert text.startswith("Saved.") and text.endswith(ASK_ONE)
    aid = await _own_activity_id(harness)
    assert _buttons(sent.params["reply_markup"]) == [
        [(str(v), f"rpe:{aid}:{v}") for v in range(1, 6)],
        [(str(v), f"rpe:{aid}:{v}") for v in range(6, 11)],
        [("📝 Add a note", f"rpenote:{aid}")],
    ]

    answer = await harness.texts_after(_press(f"rpe:{aid}:7", sent))
    assert answer == ["RPE 7 (very hard) saved: session load 420 (7 x 60 min)."]
    row = await _row(harness.container, aid)
    assert (row.rpe, row.srpe_load) == (7, 420.0)
    [edit] = harness.api.calls("editMessageReplyMarkup")
    assert edit.ok and edit.params["message_id"] == sent.result["message_id"]
    assert "inline_keyboard" not in str(edit.params.get("reply_markup") or "")
    assert _buttons(_last_send(harness).params["reply_markup"]) == [
        [("📝 Add a note", f"rpenote:{aid}")]
    ]
    [answered] = harness.api.calls("answerCallbackQuery")
    assert answered.ok

    # A second rating replaces the first.
    again = await harness.texts_after(_press(f"rpe:{aid}:5", sent))
    assert again == ["RPE 5 (hard) saved: session load 300 (5 x 60 min)."]
    assert ((await _row(harness.container, aid)).srpe_load) == 300.0

    # The /activities card shows the line.
    await harness.texts_after(u.command("activities"))
    markup = harness.last_markup()
    assert markup is not None
    card = await harness.texts_after(
        u.callback_query(markup["inline_keyboard"][0][0]["callback_data"])
    )
    assert "\nRPE 5 · session load 300" in card[0]

    # The Mini App's API shows the rating with the activity.
    async with serving_api(harness.container) as api:
        token = await api.sign_in(u.DEFAULT_USER_ID, at=clock(), bot_token=harness.api.token)
        status, detail = await api.get(f"/api/activities/{aid}", token)
    assert status == 200 and (detail["rpe"], detail["srpe_load"]) == (5, 300.0)

    # The same file again brings nothing new: no buttons.
    again_text, again_sent = await _import(harness, _hour_run())
    assert again_text.startswith("I already have") and ASK_ONE not in again_text
    assert "reply_markup" not in again_sent.params


async def test_rpe_note_dialog_stores_one_note_and_any_command_leaves_it(
    harness: BotHarness,
) -> None:
    _, sent = await _import(harness, _hour_run())
    aid = await _own_activity_id(harness)
    asked = await harness.texts_after(_press(f"rpenote:{aid}", sent))
    assert asked == [note_question()]
    saved = await harness.texts_after(u.text_message("  Legs heavy <after> the hills  "))
    assert saved == [NOTE_SAVED]
    assert (await _row(harness.container, aid)).rpe_note == "Legs heavy <after> the hills"

    # The dialog is over: the next text is not a note.
    after = await harness.texts_after(u.text_message("what about tomorrow?"))
    assert after != [NOTE_SAVED]
    assert (await _row(harness.container, aid)).rpe_note == "Legs heavy <after> the hills"

    # A command while the note is awaited runs as itself and ends the wait.
    await harness.texts_after(_press(f"rpenote:{aid}", sent))
    helped = await harness.texts_after(u.command("help"))
    assert helped == [HELP]
    later = await harness.texts_after(u.text_message("not a note"))
    assert later != [NOTE_SAVED]
    # /cancel leaves it as well.
    await harness.texts_after(_press(f"rpenote:{aid}", sent))
    cancelled = await harness.texts_after(u.command("cancel"))
    assert cancelled != [NOTE_SAVED]
    await harness.texts_after(u.text_message("still not a note"))
    assert (await _row(harness.container, aid)).rpe_note == "Legs heavy <after> the hills"


async def test_rpe_forged_buttons_change_nothing_and_are_answered_clearly(
    harness: BotHarness,
) -> None:
    _, sent = await _import(harness, _hour_run())
    aid = await _own_activity_id(harness)
    other = await harness.container.services.accounts.get_or_create(999_000)
    foreign = await harness.container.services.training.import_fit(
        other.id, _hour_run(datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    )
    fid = foreign.activities[0].id

    for data, sentence in [
        (f"rpe:{fid}:7", "Activity not found."),
        (f"rpenote:{fid}", "Activity not found."),
        ("rpe:99999999:7", "Activity not found."),
        (f"rpe:{aid}:0", "RPE is a number from 1 to 10."),
        (f"rpe:{aid}:11", "RPE is a number from 1 to 10."),
    ]:
        assert await harness.texts_after(_press(data, sent)) == [sentence], data
    # A forged note button opened no dialog: this text is no note.
    assert await harness.texts_after(u.text_message("mine now")) != [NOTE_SAVED]

    before = len(harness.api.calls("answerCallbackQuery"))
    harness.feed(_press(f"rpe:{aid}:seven", sent))
    calls = await harness.api.wait_for("answerCallbackQuery", count=before + 1)
    assert calls[-1].params.get("text") == STALE_BUTTON

    for row in (await _row(harness.container, aid), await _row(harness.container, fid)):
        assert (row.rpe, row.srpe_load, row.rpe_note) == (None, None, None)
    assert harness.api.calls("editMessageReplyMarkup") == []


async def test_rpe_buttons_come_with_the_garmin_push(harness: BotHarness, fake: FakeGarmin) -> None:
    c = harness.container
    uid = (await c.services.accounts.get_or_create(u.DEFAULT_USER_ID)).id
    fake.add_account(EMAIL, PASSWORD)
    await c.services.garmin_link.start(uid, EMAIL, PASSWORD)
    fake.add_activity(EMAIL, fit=_hour_run(datetime(2026, 11, 24, 6, 0, tzinfo=UTC)),
                      start=datetime(2026, 11, 24, 6, 0, tzinfo=UTC), activity_id=71)  # fmt: skip
    fake.add_activity(EMAIL, fit=_hour_run(), start=START, activity_id=72)
    assert (await c.services.garmin_sync.sync_user(uid)).new == 2

    assert (await deliver_pushes(c, harness.api)).sent == 1
    push = _last_send(harness)
    assert push.params["text"].startswith("<b>2 new activities from Garmin</b>")
    cards = await c.services.reports.activities(uid)
    newest = max(cards, key=lambda card: card.start_time)
    buttons = _buttons(push.params["reply_markup"])
    assert (
        buttons[0][0] == ("1", f"rpe:{newest.id}:1") and buttons[1][4][1] == f"rpe:{newest.id}:10"
    )

    answer = await harness.texts_after(_press(f"rpe:{newest.id}:3", push))
    assert answer == ["RPE 3 (moderate) saved: session load 180 (3 x 60 min)."]
    assert (await _row(c, newest.id)).srpe_load == 180.0


@pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
async def test_rpe_note_asked_on_one_instance_is_taken_by_another_through_redis(
    settings: Settings, clock: FakeClock, fake: FakeGarmin, bot_api: FakeBotAPI
) -> None:
    prefix = f"rpe-test-{uuid.uuid4().hex[:8]}:"  # its own keys: other tests share the database
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_prefix": prefix})
    c = build(shared, clock=clock, cipher=Cipher([shared.credentials_keys or ""]), garmin=fake)
    client = redis.Redis.from_url(REDIS_URL or "")
    try:
        async with running_bot(c, bot_api) as first:
            _, sent = await _import(first, _hour_run())
            aid = await _own_activity_id(first)
            assert await first.texts_after(_press(f"rpenote:{aid}", sent)) == [note_question()]
            assert [k async for k in client.scan_iter(f"{prefix}fsm:*")]
        async with running_bot(c, bot_api) as second:  # a fresh process's dispatcher
            assert await second.texts_after(u.text_message("easy spin")) == [NOTE_SAVED]
        assert (await _row(c, aid)).rpe_note == "easy spin"
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await c.close()
