"""The weekly report reaches Telegram as one photo (the chart) with its text, once; /settings
turns it off and on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.runtime.jobs import Scheduler
from core.bootstrap import Container
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI, Recorded
from tests.fakes.bot_api_spec import is_file
from tests.fakes.clock import FakeClock

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WEEK = date(2026, 11, 23)
CHAT = u.DEFAULT_USER_ID


async def _athlete(c: Container, *, sessions_this_week: int = 2) -> int:
    uid = (await c.services.accounts.get_or_create(CHAT, first_name="Alex")).id
    await c.services.accounts.set_summary_time(uid, "07:00")
    coming = [
        {"day": (WEEK + timedelta(days=7 + i % 7)).isoformat(), "sport": "cycling",
         "title": f"Session {i} with a rather long and descriptive title", "duration_min": 60}
        for i in range(sessions_this_week)
    ]  # fmt: skip
    plan = {"title": "Base", "weeks": [
        {"week": 1, "start": WEEK.isoformat(), "sessions": [
            {"day": WEEK.isoformat(), "sport": "running", "title": "Easy run", "duration_min": 40},
        ]},
        {"week": 2, "start": (WEEK + timedelta(days=7)).isoformat(), "sessions": coming},
    ]}  # fmt: skip
    async with c.uow() as uow:
        await uow.training.add_activities(uid, [{
            "content_hash": "run1", "sport": "running", "local_date": WEEK,
            "start_time": datetime(2026, 11, 23, 8, 0, tzinfo=UTC), "timer_s": 2400.0,
            "distance_m": 8000.0, "load": 45.0,
            "new_bests": [{"kind": "run", "key": 5000, "value": 1300.0, "window": "90d",
                           "previous": 1340.0}],
        }])  # fmt: skip
        await uow.coach.add_plan(uid, title="Base", goal="", start_date=WEEK,
                                 end_date=WEEK + timedelta(days=13), plan=plan,
                                 created_at=datetime(2026, 11, 22, tzinfo=UTC))  # fmt: skip
        await uow.commit()
    await c.services.training.recompute_fitness(uid)
    return uid


async def _monday_tick(c: Container, api: FakeBotAPI, clock: FakeClock, h: BotHarness) -> None:
    """The worker's tick on Monday 08:00 UTC (07:00 is the athlete's time), then once more."""
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    scheduler = Scheduler(c, h.bot, clock=clock)
    try:
        assert (await scheduler.tick(clock())).weekly_reports == 1
        await api.wait_for("sendPhoto", predicate=lambda r: r.ok and _to(r, CHAT))
        clock.advance(minutes=1)
        assert (await scheduler.tick(clock())).weekly_reports == 0
    finally:
        await scheduler.stop()


def _to(r: Recorded, chat: int) -> bool:
    return r.params.get("chat_id") == chat


def _png(r: Recorded) -> bytes:
    photo: Any = r.params["photo"]
    assert is_file(photo)
    return bytes(photo["content"])


async def test_weekly_report_push_arrives_as_one_photo_with_its_text(
    harness: BotHarness, container: Container, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 29, 20, 0, tzinfo=UTC))
    await _athlete(container)
    await _monday_tick(container, harness.api, clock, harness)
    photos = [r for r in harness.api.calls("sendPhoto") if r.ok]
    assert len(photos) == 1
    (photo,) = photos
    assert _to(photo, CHAT) and _png(photo).startswith(PNG_MAGIC)
    caption = photo.params["caption"]
    assert "Your week: 23 Nov – 29 Nov" in caption
    assert "Sessions: 1 of 1 planned" in caption
    assert "5 km: 21:40, best in 90 days (was 22:20)" in caption
    assert "Tue 1 Dec · Session 1" in caption
    # The text went as the caption: no message repeats it.
    assert not any("Your week" in t for t in harness.api.sent_texts(CHAT))


async def test_weekly_report_longer_than_a_caption_sends_the_photo_then_the_text(
    harness: BotHarness, container: Container, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 29, 20, 0, tzinfo=UTC))
    await _athlete(container, sessions_this_week=14)
    await _monday_tick(container, harness.api, clock, harness)
    (photo,) = [r for r in harness.api.calls("sendPhoto") if r.ok]
    assert _png(photo).startswith(PNG_MAGIC) and not photo.params.get("caption")
    texts = [t for t in harness.api.sent_texts(CHAT) if "Your week" in t]
    assert len(texts) == 1 and len(texts[0]) > 1024 and "Session 13" in texts[0]


async def test_settings_turns_the_weekly_report_off_and_on(harness: BotHarness) -> None:
    shown = await harness.texts_after(u.command("settings"))
    assert "Weekly report: Mondays, same time (on)" in shown[0]
    markup = harness.last_markup()
    assert markup is not None
    buttons = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    assert buttons["Weekly report off"] == "set:weekly_toggle"
    off = await harness.texts_after(u.callback_query("set:weekly_toggle"))
    assert "Weekly report: Mondays, same time (off)" in off[0]
    account = await harness.container.services.accounts.by_chat(CHAT)
    assert account is not None and account.weekly_report_enabled is False
    markup = harness.last_markup()
    assert markup is not None
    assert any(b["text"] == "Weekly report on" for row in markup["inline_keyboard"] for b in row)
    on = await harness.texts_after(u.callback_query("set:weekly_toggle"))
    assert "Weekly report: Mondays, same time (on)" in on[0]
    account = await harness.container.services.accounts.by_chat(CHAT)
    assert account is not None and account.weekly_report_enabled is True
