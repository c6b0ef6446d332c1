"""The scheduler's tick with a controllable clock: summaries, sync order, the single-worker lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.runtime.jobs import Scheduler
from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import Push, User
from core.gateways.cipher import Cipher
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin


class Notifier:
    """Stand-in for the bot's Notifier: 'sends' pending pushes, marks each sent after."""

    def __init__(self, container: Container) -> None:
        self._uow = container.uow
        self.delivered: list[tuple[int, str, str]] = []  # (user_id, kind, dedup_key)
        self.refuse: set[int] = set()  # users whose sends Telegram does not accept
        self.crash_after_send = False  # die after Telegram accepted, before anything else

    async def flush(self) -> int:
        delivered = 0
        async with self._uow() as uow:
            rows = (await uow.session.execute(
                select(Push).where(Push.status == "pending").order_by(Push.id)
            )).scalars().all()  # fmt: skip
            for push in rows:
                if push.user_id in self.refuse:
                    continue
                self.delivered.append((push.user_id, push.kind, push.dedup_key))
                delivered += 1
                await uow.session.execute(
                    update(Push).where(Push.id == push.id).values(status="sent")
                )
                await uow.commit()
        if self.crash_after_send and delivered:
            raise RuntimeError("worker died")
        return delivered


@pytest.fixture
def fake() -> FakeGarmin:
    return FakeGarmin()


@pytest.fixture
async def c(settings: Settings, clock: FakeClock, fake: FakeGarmin) -> AsyncIterator[Container]:
    settings = settings.model_copy(update={"max_concurrent_syncs": 1})
    container = build(
        settings, clock=clock, cipher=Cipher([settings.credentials_keys or ""]), garmin=fake
    )
    yield container
    await container.close()


@pytest.fixture
async def schedulers(c: Container, clock: FakeClock) -> AsyncIterator[list[Scheduler]]:
    made: list[Scheduler] = []
    yield made
    for s in made:
        await s.stop()


def _new(c: Container, made: list[Scheduler], clock: FakeClock, notifier: Notifier) -> Scheduler:
    s = Scheduler(c, None, clock=clock, notifier=notifier)
    made.append(s)
    return s


async def _athlete(c: Container, chat_id: int, tz: str, *, activity: bool = True) -> int:
    account = await c.services.accounts.get_or_create(chat_id)
    async with c.uow() as uow:
        # An athlete of long standing: not the new account whose first summary waits a day.
        await uow.users.update_fields(
            account.id, timezone=tz, summary_time=time(7, 0), last_summary_on=None
        )
        if activity:
            await uow.training.add_activities(account.id, [{
                "content_hash": f"h{chat_id}", "sport": "running",
                "start_time": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
                "local_date": date(2026, 11, 24), "timer_s": 3600.0, "load": 60.0,
            }])  # fmt: skip
        await uow.commit()
    return account.id


def _summaries(n: Notifier) -> list[tuple[int, str]]:
    return [(uid, key) for uid, kind, key in n.delivered if kind == "summary"]


async def test_two_zones_get_their_7am_summary_once_across_restart(
    c: Container, clock: FakeClock, schedulers: list[Scheduler]
) -> None:
    berlin = await _athlete(c, 1, "Europe/Berlin")  # 07:00 = 06:00 UTC
    york = await _athlete(c, 2, "America/New_York")  # 07:00 = 12:00 UTC
    idle = await _athlete(c, 3, "UTC", activity=False)  # nothing to sum up
    async with c.uow() as uow:
        await uow.goals.add(berlin, name="Valencia Marathon", race_date=date(2026, 12, 6))
        figures = {"sleep_score": 81, "hrv_ms": 58.0, "training_readiness": 70}
        await uow.garmin.upsert_wellness(berlin, date(2026, 11, 25), figures)
        await uow.commit()
    notifier = Notifier(c)
    first = _new(c, schedulers, clock, notifier)
    clock.set(datetime(2026, 11, 25, 5, 0, tzinfo=UTC))
    seen_at: dict[int, datetime] = {}
    while clock() < datetime(2026, 11, 25, 15, 0, tzinfo=UTC):
        if clock() == datetime(2026, 11, 25, 9, 0, tzinfo=UTC):  # restart the worker
            await first.stop()
            first = _new(c, schedulers, clock, notifier)
        assert (await first.tick(clock())).active
        for uid, _ in _summaries(notifier):
            seen_at.setdefault(uid, clock())
        clock.advance(minutes=15)
    assert seen_at == {
        berlin: datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
        york: datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    }
    assert sorted(_summaries(notifier)) == [
        (berlin, f"summary:{berlin}:2026-11-25"), (york, f"summary:{york}:2026-11-25"),
    ]  # fmt: skip
    async with c.uow() as uow:
        users = {u.id: u for u in (await uow.session.execute(select(User))).scalars()}
        push = (await uow.session.execute(select(Push).where(Push.user_id == berlin))).scalar_one()
    assert users[berlin].last_summary_on == date(2026, 11, 25)
    assert users[idle].last_summary_on is None  # no activity, no link: nothing to send
    assert push.kind == "summary"  # its data; the bot words it when sending
    summary = push.payload["data"]
    assert summary["yesterday"] == [{"sport": "running", "seconds": 3600.0}]
    report = summary["report"]
    assert (report["today"], report["goal_days"]) == ("2026-11-25", 11)
    wellness = report["wellness"]
    assert (wellness["sleep_score"], wellness["hrv_ms"], wellness["training_readiness"]) == (
        81, 58, 70,
    )  # fmt: skip
    # The next local day brings the next one.
    clock.set(datetime(2026, 11, 26, 6, 0, tzinfo=UTC))
    await first.tick(clock())
    assert (berlin, f"summary:{berlin}:2026-11-26") in _summaries(notifier)


async def test_summary_marked_only_when_telegram_accepted(
    c: Container, clock: FakeClock, schedulers: list[Scheduler]
) -> None:
    uid = await _athlete(c, 1, "UTC")
    notifier = Notifier(c)
    notifier.refuse.add(uid)
    s = _new(c, schedulers, clock, notifier)
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    result = await s.tick(clock())
    assert result.summaries_enqueued == 1 and result.summaries_confirmed == 0
    async with c.uow() as uow:
        assert (await uow.users.get(uid)).last_summary_on is None  # type: ignore[union-attr]
    notifier.refuse.clear()
    clock.advance(minutes=1)
    result = await s.tick(clock())
    assert result.summaries_enqueued == 0 and result.summaries_confirmed == 1
    assert len(_summaries(notifier)) == 1


async def test_crash_after_send_is_neither_lost_nor_repeated(
    c: Container, clock: FakeClock, schedulers: list[Scheduler]
) -> None:
    uid = await _athlete(c, 1, "Asia/Tokyo")
    notifier = Notifier(c)
    notifier.crash_after_send = True
    clock.set(datetime(2026, 11, 24, 22, 5, tzinfo=UTC))  # 07:05 in Tokyo
    s = _new(c, schedulers, clock, notifier)
    with pytest.raises(RuntimeError):
        await s.tick(clock())
    await s.stop()
    notifier.crash_after_send = False
    clock.advance(minutes=1)
    restarted = _new(c, schedulers, clock, notifier)
    result = await restarted.tick(clock())
    assert result.summaries_confirmed == 1 and result.summaries_enqueued == 0
    assert _summaries(notifier) == [(uid, f"summary:{uid}:2026-11-25")]
    assert (await restarted.tick(clock() + timedelta(minutes=1))).summaries_confirmed == 0


async def test_pro_users_are_synced_first(
    c: Container, clock: FakeClock, fake: FakeGarmin, schedulers: list[Scheduler]
) -> None:
    ids = {}
    for chat, email in [(1, "free1@x.org"), (2, "free2@x.org"), (3, "pro@x.org")]:
        fake.add_account(email, "pw")
        ids[email] = (await c.services.accounts.get_or_create(chat)).id
        await c.services.garmin_link.start(ids[email], email, "pw")
    async with c.uow() as uow:
        pro_plan = await uow.plans.by_code("pro")
        assert pro_plan is not None
        await uow.subscriptions.upsert(ids["pro@x.org"], plan_id=pro_plan.id, status="active")
        # The Pro user has waited least, yet goes first.
        for n, email in enumerate(["free1@x.org", "free2@x.org", "pro@x.org"]):
            await uow.garmin.update_config(
                ids[email], next_sync_at=clock() - timedelta(minutes=30 - n)
            )
        await uow.commit()
    s = _new(c, schedulers, clock, Notifier(c))
    result = await s.tick(clock())
    assert result.syncs == 3
    order = [call[1] for call in fake.calls if call[0] == "list_activities"]
    assert order == ["pro@x.org", "free1@x.org", "free2@x.org"]
    async with c.uow() as uow:
        pro_cfg = await uow.garmin.config(ids["pro@x.org"])
        free_cfg = await uow.garmin.config(ids["free1@x.org"])
    assert pro_cfg is not None and pro_cfg.next_sync_at == clock() + timedelta(hours=1)
    assert free_cfg is not None and free_cfg.next_sync_at == clock() + timedelta(hours=6)
    assert (await s.tick(clock())).syncs == 0


async def test_second_worker_waits_for_the_lock(
    c: Container, clock: FakeClock, fake: FakeGarmin, schedulers: list[Scheduler]
) -> None:
    uid = await _athlete(c, 1, "UTC")
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    first_notifier, second_notifier = Notifier(c), Notifier(c)
    first = _new(c, schedulers, clock, first_notifier)
    second = _new(c, schedulers, clock, second_notifier)
    assert (await first.tick(clock())).active
    idle = await second.tick(clock())
    assert not idle.active and second_notifier.delivered == []
    assert (await first.tick(clock())).active  # the holder keeps it
    await first.stop()
    took_over = await second.tick(clock() + timedelta(minutes=1))
    assert took_over.active
    assert _summaries(first_notifier) == [(uid, f"summary:{uid}:2026-11-25")]
    assert second_notifier.delivered == []


async def test_sync_failure_of_one_user_does_not_stop_others(
    c: Container, clock: FakeClock, fake: FakeGarmin, schedulers: list[Scheduler]
) -> None:
    ids = []
    for chat, email in [(1, "a@x.org"), (2, "b@x.org")]:
        fake.add_account(email, "pw")
        uid = (await c.services.accounts.get_or_create(chat)).id
        await c.services.garmin_link.start(uid, email, "pw")
        ids.append(uid)
    fake.add_activity("b@x.org")
    fake.rate_limit_next_data_call()  # hits whoever goes first
    s = _new(c, schedulers, clock, Notifier(c))
    assert (await s.tick(clock())).syncs == 2
    async with c.uow() as uow:
        runs: list[Any] = [(await uow.garmin.runs(u))[0].status for u in ids]
    assert runs == ["rate_limited", "ok"]
