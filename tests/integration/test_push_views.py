"""Pushes store what happened, never how to say it; the bot words them when it sends them."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from bot.views.training import today_text
from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import Push
from core.gateways.cipher import Cipher
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fit_files import encode_fit
from tests.push_notes import deliver_pushes

CHAT = 4711
EMAIL = "ann@example.org"
PASSWORD = "Ann-Pa55-word"
MARKUP_RE = re.compile(r"</?[a-z]+[ >]")  # an HTML tag


@pytest.fixture
def fake() -> FakeGarmin:
    return FakeGarmin()


@pytest.fixture
async def c(settings: Settings, clock: FakeClock, fake: FakeGarmin) -> AsyncIterator[Container]:
    container = build(
        settings, clock=clock, cipher=Cipher([settings.credentials_keys or ""]), garmin=fake
    )
    yield container
    await container.close()


async def _athlete(c: Container, clock: FakeClock) -> int:
    """A Berlin runner with yesterday's hour-long run, last night's wellness and a race ahead."""
    clock.set(datetime(2026, 11, 25, 5, 0, tzinfo=UTC))
    uid = (await c.services.accounts.get_or_create(CHAT)).id
    async with c.uow() as uow:
        await uow.users.update_fields(
            uid, timezone="Europe/Berlin", summary_time=time(7, 0), last_summary_on=None
        )
        await uow.training.add_activities(uid, [{
            "content_hash": "run", "sport": "running",
            "start_time": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
            "local_date": date(2026, 11, 24), "timer_s": 3600.0, "load": 60.0,
        }])  # fmt: skip
        figures = {"sleep_score": 81, "sleep_seconds": 27000, "hrv_ms": 58.0,
                   "training_readiness": 70, "resting_hr": 47}  # fmt: skip
        await uow.garmin.upsert_wellness(uid, date(2026, 11, 25), figures)
        await uow.goals.add(uid, name="Valencia Marathon", race_date=date(2026, 12, 6))
        await uow.commit()
    await c.services.training.recompute_fitness(uid)
    return uid


async def _enqueue_summary(c: Container, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # 07:00 in Berlin
    summaries = c.services.daily_summary
    assert await summaries.enqueue(await summaries.due(clock())) == 1


async def _rows(c: Container) -> list[Push]:
    async with c.uow() as uow:
        return list((await uow.session.execute(select(Push).order_by(Push.id))).scalars())


async def test_the_morning_summary_is_worded_when_sent_as_today_words_it(
    c: Container, clock: FakeClock
) -> None:
    uid = await _athlete(c, clock)
    await _enqueue_summary(c, clock)
    [row] = await _rows(c)
    assert row.kind == "summary" and row.payload["data"]["report"]["goal_days"] == 11

    async with FakeBotAPI() as api:
        assert (await deliver_pushes(c, api)).sent == 1
        [text] = api.sent_texts(CHAT)

    lines = text.split("\n")
    assert lines[0] == "<b>Good morning! Wednesday, 25 November</b>"
    assert lines[1] == "Yesterday: running 1:00:00; load 60"
    assert lines[2].startswith("Form (TSB): ")
    wellness = "Wellness: sleep 81 (7.5 h), HRV 58 ms, readiness 70, resting HR 47"
    assert lines[4:] == [wellness, "11 days to your next race."]
    # /today reads the same rows through the same builder and shows the same line.
    assert wellness in today_text(await c.services.reports.today(uid)).split("\n")


async def test_no_push_stores_markup_and_each_is_worded_on_delivery(
    c: Container, clock: FakeClock, fake: FakeGarmin
) -> None:
    uid = await _athlete(c, clock)
    await _enqueue_summary(c, clock)
    fake.add_account(EMAIL, PASSWORD)
    await c.services.garmin_link.start(uid, EMAIL, PASSWORD)
    start = datetime(2026, 11, 25, 6, 10, tzinfo=UTC)
    records = [{"t": t, "heart_rate": 140, "distance": 3.0 * t} for t in range(0, 1201, 5)]
    fake.add_activity(EMAIL, fit=encode_fit(start=start, records=records), start=start)
    assert (await c.services.garmin_sync.sync_user(uid)).new == 1
    fake.revoke_tokens(EMAIL)
    assert (await c.services.garmin_sync.sync_user(uid)).status == "auth_failed"

    rows = await _rows(c)
    assert [r.kind for r in rows] == ["summary", "activity", "garmin_auth"]
    for row in rows:
        stored = json.dumps(row.payload)
        assert set(row.payload) == {"data"}, row.kind
        assert not MARKUP_RE.search(stored), stored
        assert "inline_keyboard" not in stored and "/activities" not in stored

    async with FakeBotAPI() as api:
        assert (await deliver_pushes(c, api)).sent == 3
        summary, activity, link = api.sent_texts(CHAT)
    assert summary.startswith("<b>Good morning!")
    assert activity.startswith("<b>New from Garmin</b> (2026-11-25)\n")
    assert " · 20:00 · 3.60 km · avg HR 140 · " in activity
    assert link.startswith("Garmin Connect no longer accepts my sign-in")
