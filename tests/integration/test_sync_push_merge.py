"""A Garmin sync tells the athlete about its new activities in one push, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import Push
from core.garmin.sync import GarminSyncService
from core.gateways.cipher import Cipher
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fit_files import encode_fit

EMAIL = "twelve.runs@example.org"
PASSWORD = "Twelve-Pa55-word"


@pytest.fixture
def fake() -> FakeGarmin:
    return FakeGarmin()


@pytest.fixture
async def env(
    settings: Settings, clock: FakeClock, fake: FakeGarmin
) -> AsyncIterator[tuple[Container, GarminSyncService]]:
    c = build(settings, clock=clock, cipher=Cipher([settings.credentials_keys or ""]), garmin=fake)
    sync = GarminSyncService(
        c.uow, fake, c.cipher, c.extras["training"], c.gate, c.extras["pushes"], clock=clock
    )
    yield c, sync
    await c.extras["training"].close()
    await c.close()


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
    uid = (await c.accounts.get_or_create(1)).id
    await c.extras["garmin_link"].start(uid, EMAIL, PASSWORD)
    for i in range(12):
        start = datetime(2026, 11, 10 + i, 6, 0, tzinfo=UTC)
        fake.add_activity(EMAIL, fit=_run_fit(start, 20 + i), start=start)

    report = await sync.sync_user(uid)

    assert report.status == "ok" and report.new == 12
    [push] = await _pushes(c, uid)
    async with c.uow() as uow:
        [run] = await uow.garmin.runs(uid)
    assert (push.kind, push.dedup_key) == ("activity", f"activities:{uid}:{run.id}")
    text = push.payload["text"]
    lines = text.split("\n")
    assert lines[0] == "<b>12 new activities from Garmin</b>"
    assert lines[1].startswith("2026-11-21: ")  # newest first
    assert len(lines) == 7 and lines[-1] == "...and 7 more: /activities"
    assert len(text) <= 4096
    # A run that finds nothing new says nothing.
    assert (await sync.sync_user(uid)).new == 0
    assert len(await _pushes(c, uid)) == 1


async def test_one_new_activity_still_gets_its_card(env: Any, fake: FakeGarmin) -> None:
    c, sync = env
    fake.add_account(EMAIL, PASSWORD)
    uid = (await c.accounts.get_or_create(1)).id
    await c.extras["garmin_link"].start(uid, EMAIL, PASSWORD)
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    fake.add_activity(EMAIL, fit=_run_fit(start, 30), start=start)

    assert (await sync.sync_user(uid)).new == 1

    [push] = await _pushes(c, uid)
    assert push.payload["text"].startswith("<b>New from Garmin</b> (2026-11-20)\n")
    assert "30:00" in push.payload["text"]  # the card names that one run
    assert "/activities to see more." in push.payload["text"]
