"""One Garmin sync per athlete at a time: the per-user lease, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from core.bootstrap import Container
from core.errors import SyncInProgress
from core.garmin.link import GarminLinkService
from core.garmin.sync import GarminSyncService
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin

EMAIL = "lease.runner@example.org"
PASSWORD = "Lease-Pa55-word"
CEILING_S = 30


@pytest.fixture
def env(garmin_container: Container) -> tuple[Container, GarminLinkService, GarminSyncService]:
    c = garmin_container
    return c, c.services.garmin_link, c.services.garmin_sync


async def _linked(c: Container, link: GarminLinkService, fake: FakeGarmin) -> int:
    fake.add_account(EMAIL, PASSWORD)
    uid = (await c.services.accounts.get_or_create(1)).id
    await link.start(uid, EMAIL, PASSWORD)  # no stored password: a dead token breaks the link
    return uid


async def _lease(c: Container, uid: int) -> tuple[Any, Any]:
    async with c.uow() as uow:
        cfg = await uow.garmin.config(uid)
    assert cfg is not None
    return cfg.lease_owner, cfg.lease_until


async def test_overlapping_syncs_of_one_athlete_run_one_at_a_time(
    env: Any, fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake)
    fake.add_activity(EMAIL)
    fake.rotate_tokens_on_next_call()  # the first run's first call retires the stored token
    entered, release = fake.hold_next_listing()

    first = asyncio.create_task(sync.sync_user(uid))
    await asyncio.wait_for(entered.wait(), CEILING_S)

    with pytest.raises(SyncInProgress, match="already running; its results come in a moment"):
        await sync.sync_now(uid)
    assert (await sync.sync_user(uid)).status == "busy"  # the scheduled tick skips them
    assert fake.count("list_activities") == 1  # neither reached Garmin with the dead token

    release.set()
    report = await asyncio.wait_for(first, CEILING_S)

    assert report.status == "ok" and report.new == 1
    status = await link.status(uid)
    assert status.valid and status.auto_sync and status.paused_reason is None
    assert await _lease(c, uid) == (None, None)
    async with c.uow() as uow:
        cred = await uow.garmin.credentials(uid)
        runs = await uow.garmin.runs(uid)
    assert cred is not None and fake.is_valid(c.cipher.decrypt(cred.tokens_enc or ""))
    assert [r.status for r in runs] == ["ok"]  # the refused runs left no history
    # With the first run done, a manual sync works (the refused one did not use up the
    # Free plan's half hour) and so does a scheduled one.
    assert (await sync.sync_now(uid)).status == "ok"
    assert (await sync.sync_user(uid)).status == "ok"


async def test_an_expired_lease_is_taken_over(env: Any, fake: FakeGarmin, clock: FakeClock) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake)
    async with c.uow() as uow:  # a process died mid-sync and never freed its lease
        taken = await uow.garmin.take_sync_lease(
            uid, "crashed", now=clock(), until=clock() + timedelta(minutes=15)
        )
        await uow.commit()
    assert taken

    clock.advance(minutes=14)
    assert (await sync.sync_user(uid)).status == "busy"
    with pytest.raises(SyncInProgress):
        await sync.sync_now(uid)
    assert fake.count("list_activities") == 0

    clock.advance(minutes=2)
    assert (await sync.sync_user(uid)).status == "ok"
    assert await _lease(c, uid) == (None, None)


async def test_a_run_that_lost_its_lease_stops_and_leaves_the_new_holder_alone(
    env: Any, fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake)
    fake.add_activity(EMAIL)
    entered, release = fake.hold_next_listing()
    first = asyncio.create_task(sync.sync_user(uid))
    await asyncio.wait_for(entered.wait(), CEILING_S)

    clock.advance(minutes=16)  # hung past its lease: another process takes over
    async with c.uow() as uow:
        until = clock() + timedelta(minutes=15)
        assert await uow.garmin.take_sync_lease(uid, "next", now=clock(), until=until)
        await uow.commit()
    release.set()
    report = await asyncio.wait_for(first, CEILING_S)

    assert report.status == "error" and report.new == 0 and "took over" in (report.error or "")
    assert fake.count("download_fit") == 0
    assert await _lease(c, uid) == ("next", until)


async def test_many_claimants_at_once_one_wins(
    env: Any, fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link, _ = env
    uid = await _linked(c, link, fake)

    async def claim(owner: str) -> bool:
        async with c.uow() as uow:
            won = await uow.garmin.take_sync_lease(
                uid, owner, now=clock(), until=clock() + timedelta(minutes=15)
            )
            await uow.commit()
        return bool(won)

    wins = await asyncio.gather(*(claim(f"p{i}") for i in range(12)))

    assert sum(wins) == 1
    assert (await _lease(c, uid))[0] == f"p{wins.index(True)}"
