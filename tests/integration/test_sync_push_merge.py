"""A Garmin sync tells the athlete about its new activities in one push, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Container
from core.db.models import Push
from core.garmin.sync import GarminSyncService
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.garmin import FakeGarmin
from tests.fit_files import encode_fit
from tests.push_notes import deliver_pushes

EMAIL = "twelve.runs@example.org"
PASSWORD = "Twelve-Pa55-word"


@pytest.fixture
def env(garmin_container: Container) -> tuple[Container, GarminSyncService]:
    c = garmin_container
    return c, c.services.garmin_sync


def _run_fit(start: datetime, minutes: int) -> bytes:
    """A made-up run: distinct start and length, so every file is a new activity."""
    records = [{"t": t, "heart_rate": 135 + t % 7, "distance": 2.8 * t}
               for t in range(0, minutes * 60 + 1, 5)]  # fmt: skip
    return encode_fit(start=start, records=records)


async def _pushes(c: Container, uid: int) -> list[Push]:
    async with c.uow() as uow:
        stmt = select(Push).where(Push.user_id == uid).order_by(Push.id)
        return list((await uow.session.execute(stmt)).scalars())


async def test_a_sync_with_twelve_new_activities_enqueues_one_push(
    env: Any, fake: FakeGarmin
) -> None:
    c, sync = env
    fake.add_account(EMAIL, PASSWORD)
    uid = (await c.services.accounts.get_or_create(1)).id
    await c.services.garmin_link.start(uid, EMAIL, PASSWORD)
    for i in range(12):
        start = datetime(2026, 11, 10 + i, 6, 0, tzinfo=UTC)
        fake.add_activity(EMAIL, fit=_run_fit(start, 20 + i), start=start)

    report = await sync.sync_user(uid)

    assert report.status == "ok" and report.new == 12
    [push] = await _pushes(c, uid)
    async with c.uow() as uow:
        [run] = await uow.garmin.runs(uid)
    assert (push.kind, push.dedup_key) == ("activity", f"activities:{uid}:{run.id}")
    data = push.payload["data"]  # what happened, not how to say it
    assert set(push.payload) == {"data"} and "<" not in json.dumps(push.payload)
    assert data["total"] == 12 and len(data["newest"]) == 5
    newest_first = [f"2026-11-{d}" for d in (21, 20, 19, 18, 17)]
    assert [a["local_date"] for a in data["newest"]] == newest_first
    async with FakeBotAPI() as api:
        assert (await deliver_pushes(c, api)).sent == 1
        [text] = api.sent_texts(1)
    lines = text.split("\n")
    assert lines[0] == "<b>12 new activities from Garmin</b>"
    assert lines[1].startswith("2026-11-21: Generic · 31:00 · 5.21 km · ")  # newest first
    assert len(lines) == 9 and lines[6] == "...and 7 more: /activities"
    assert lines[-1] == "How hard did the newest session feel? Tap 1 (very easy) to 10 (maximal)."
    assert len(text) <= 4096
    # A run that finds nothing new says nothing.
    assert (await sync.sync_user(uid)).new == 0
    assert len(await _pushes(c, uid)) == 1


async def test_one_new_activity_still_gets_its_card(env: Any, fake: FakeGarmin) -> None:
    c, sync = env
    fake.add_account(EMAIL, PASSWORD)
    uid = (await c.services.accounts.get_or_create(1)).id
    await c.services.garmin_link.start(uid, EMAIL, PASSWORD)
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    fake.add_activity(EMAIL, fit=_run_fit(start, 30), start=start)

    assert (await sync.sync_user(uid)).new == 1

    [push] = await _pushes(c, uid)
    [line] = push.payload["data"]["newest"]
    assert (line["local_date"], line["timer_s"]) == ("2026-11-20", 1800)
    async with c.uow() as uow:  # the athlete switches to miles before the push goes out
        await uow.users.update_fields(uid, units="imperial")
        await uow.commit()
    async with FakeBotAPI() as api:
        await deliver_pushes(c, api)
        [text] = api.sent_texts(1)
    assert text.startswith("<b>New from Garmin</b> (2026-11-20)\nGeneric · 30:00 · 3.13 mi · ")
    assert text.endswith(
        "\n/activities to see more.\n\nHow hard did it feel? Tap 1 (very easy) to 10 (maximal)."
    )
