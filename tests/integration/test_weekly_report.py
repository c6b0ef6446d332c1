"""The Monday weekly report: composed from last week's rows, due at the athlete's summary time
on their Monday, stored in weekly_summaries and pushed exactly once, across a restart too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.runtime.jobs import Scheduler
from bot.views.notify import render_push
from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import ActivityMetrics, FitnessMetrics, Push, WeeklySummary
from core.gateways.cipher import Cipher
from core.notify.kinds import WEEKLY_REPORT
from core.notify.outbox import PendingPush
from core.notify.weekly_figures import WeeklyReport, readiness_scores
from core.notify.weekly_report import DueReport, weekly_key
from tests.fakes.clock import FakeClock
from tests.fit_files import encode_fit

WEEK = date(2026, 11, 23)  # Monday to Sunday 29 November
MONDAY = date(2026, 11, 30)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Notifier:
    """Stand-in for the bot's Notifier: 'sends' pending pushes, marks each sent after."""

    def __init__(self, container: Container) -> None:
        self._uow = container.uow
        self.delivered: list[tuple[int, str, str]] = []  # (user_id, kind, dedup_key)
        self.refuse = False  # Telegram is unreachable: nothing goes out

    async def flush(self) -> int:
        if self.refuse:
            return 0
        async with self._uow() as uow:
            rows = (await uow.session.execute(
                select(Push).where(Push.status == "pending").order_by(Push.id)
            )).scalars().all()  # fmt: skip
            for push in rows:
                self.delivered.append((push.user_id, push.kind, push.dedup_key))
                push.status = "sent"
            await uow.commit()
        return len(rows)

    def weekly(self) -> list[tuple[int, str]]:
        return [(uid, key) for uid, kind, key in self.delivered if kind == WEEKLY_REPORT]


def _ride(start: datetime, minutes: int, power: int) -> bytes:
    records = [{"t": t, "heart_rate": 130 + t % 11, "distance": 7.5 * t, "power": power + t % 13}
               for t in range(0, minutes * 60 + 1, 5)]  # fmt: skip
    return encode_fit(start=start, records=records)


def _plan(start: date) -> dict[str, Any]:
    def s(day: date, title: str, minutes: int, sport: str = "cycling") -> dict[str, Any]:
        return {"day": day.isoformat(), "sport": sport, "title": title, "duration_min": minutes}

    return {"title": "Base", "weeks": [
        {"week": 1, "start": start.isoformat(), "focus": "base", "sessions": [
            s(start + timedelta(days=1), "Endurance", 60),
            s(start + timedelta(days=3), "Tempo", 90),
            s(start + timedelta(days=5), "Long run", 45, "running"),
        ]},
        {"week": 2, "start": (start + timedelta(days=7)).isoformat(), "focus": "build",
         "sessions": [s(start + timedelta(days=8), "Sweet spot", 75),
                      s(start + timedelta(days=12), "Long ride", 150)]},
    ]}  # fmt: skip


async def _athlete(c: Container, clock: FakeClock, chat_id: int, tz: str) -> int:
    """An athlete with last week's training: two rides from FIT files, a run row with new
    bests, wellness both weeks and a plan."""
    s = c.services
    uid = (await s.accounts.get_or_create(chat_id, first_name="Ann")).id
    await s.accounts.set_timezone(uid, tz)
    await s.accounts.set_summary_time(uid, "07:00")
    clock.set(datetime(2026, 11, 29, 20, 0, tzinfo=UTC))
    for day, minutes, power in ((24, 60, 200), (26, 100, 180)):
        ride = _ride(datetime(2026, 11, day, 9, 0, tzinfo=UTC), minutes, power)
        assert (await s.training.import_fit(uid, ride)).activities
    async with c.uow() as uow:
        # The bests another part of the import works out: known values here.
        await uow.session.execute(
            update(ActivityMetrics)
            .where(ActivityMetrics.user_id == uid)
            .values(new_bests=[
                {"kind": "power", "key": 300, "value": 240.0, "window": "90d", "previous": 230.0},
            ])
        )  # fmt: skip
        await uow.training.add_activities(uid, [{
            "content_hash": f"run{chat_id}", "sport": "running",
            "start_time": datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
            "local_date": date(2026, 11, 28), "timer_s": 1500.0, "distance_m": 5000.0,
            "load": 40.0,
            "new_bests": [
                {"kind": "run", "key": 5000, "value": 1290.0, "window": "all", "previous": 1330.0},
                {"kind": "power", "key": 300, "value": 250.0, "window": "all", "previous": 240.0},
                {"kind": "hr", "key": 1, "value": 1.0},  # not a kind the report knows
            ],
        }, {  # the week before: not in this report
            "content_hash": f"old{chat_id}", "sport": "running",
            "start_time": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
            "local_date": date(2026, 11, 20), "timer_s": 1800.0, "load": 30.0,
            "new_bests": [{"kind": "run", "key": 1000, "value": 200.0, "window": "all"}],
        }])  # fmt: skip
        for i in range(14):  # slept well the week before, badly last week
            morning = WEEK - timedelta(days=7) + timedelta(days=i)
            figures = {"sleep_score": 88 if i < 7 else 45, "hrv_ms": 60.0 if i < 7 else 45.0,
                       "resting_hr": 48, "body_battery_high": 80 if i < 7 else 30}  # fmt: skip
            await uow.garmin.upsert_wellness(uid, morning, figures)
        await uow.coach.add_plan(
            uid, title="Base", goal="fitness", start_date=WEEK,
            end_date=WEEK + timedelta(days=13), plan=_plan(WEEK), created_at=clock(),
        )  # fmt: skip
        await uow.commit()
    await s.training.recompute_fitness(uid)
    return uid


@pytest.fixture
async def schedulers() -> AsyncIterator[list[Scheduler]]:
    made: list[Scheduler] = []
    yield made
    for s in made:
        await s.stop()


def _scheduler(c: Container, made: list[Scheduler], clock: FakeClock, n: Notifier) -> Scheduler:
    s = Scheduler(c, None, clock=clock, notifier=n)
    made.append(s)
    return s


async def test_weekly_report_composes_last_week_against_plan(
    container: Container, clock: FakeClock
) -> None:
    c = container
    uid = await _athlete(c, clock, 1, "Europe/Berlin")
    clock.set(datetime(2026, 11, 30, 6, 30, tzinfo=UTC))  # 07:30 in Berlin, Monday
    service = c.services.weekly_report
    assert await service.due(clock()) == [DueReport(uid, WEEK)]
    assert await service.enqueue([DueReport(uid, WEEK)]) == 1
    report = await service.stored(uid, WEEK)
    assert report is not None
    assert (report.week_start, report.week_end) == (WEEK, date(2026, 11, 29))
    assert report.sessions == 3  # two rides and a run; the run of the week before is out
    assert report.time_s == pytest.approx(60 * 60 + 100 * 60 + 1500, abs=10)
    assert (report.has_plan, report.planned_sessions, report.planned_min) == (True, 3, 195.0)
    by_day = {d.day: d for d in report.days}
    assert by_day[date(2026, 11, 26)].planned_min == 90.0
    assert by_day[date(2026, 11, 26)].minutes == pytest.approx(100, abs=0.2)
    assert by_day[date(2026, 11, 28)].load == 40.0
    assert report.load == pytest.approx(sum(d.load for d in report.days), abs=0.5)
    # CTL from the end of the Sunday before to the end of last Sunday, as stored.
    async with c.uow() as uow:
        rows = {r.day: r for r in (await uow.session.execute(
            select(FitnessMetrics).where(FitnessMetrics.user_id == uid)
        )).scalars()}  # fmt: skip
    assert report.ctl_start == pytest.approx(rows[date(2026, 11, 22)].ctl)
    assert report.ctl_end == pytest.approx(rows[date(2026, 11, 29)].ctl)
    assert report.ctl_change is not None and report.ctl_change > 0
    assert by_day[date(2026, 11, 29)].tsb == pytest.approx(rows[date(2026, 11, 29)].tsb)
    # Poor sleep and a low body battery last week: readiness fell.
    assert report.readiness is not None and report.readiness_before is not None
    assert report.readiness < report.readiness_before
    bests = [(b.kind, b.key, b.value, b.window, b.previous) for b in report.bests]
    assert bests == [("power", 300.0, 250.0, "all", 240.0), ("run", 5000.0, 1290.0, "all", 1330.0)]
    assert [(s.day, s.title) for s in report.coming] == [
        (date(2026, 12, 1), "Sweet spot"), (date(2026, 12, 5), "Long ride"),
    ]  # fmt: skip
    # Stored with reported_at, next to /week's figures, and queued under its key.
    async with c.uow() as uow:
        row = await uow.weekly.stored(uid, WEEK)
        push = await uow.pushes.by_key(weekly_key(uid, WEEK))
    assert row is not None and row.reported_at == clock()
    assert row.data["time_s"] == pytest.approx(report.time_s, abs=0.1)
    assert push is not None and push.kind == WEEKLY_REPORT
    assert push.payload["data"] == row.data["report"]
    # Rendered when sent: the text and a PNG chart of the week.
    message = render_push(PendingPush(push.id, uid, 1, push.kind, push.payload))
    assert message.photo is not None and message.photo.startswith(PNG_MAGIC)
    for line in (
        "Sessions: 3 of 3 planned",
        "Time: 3h 05m of 3h 15m planned",
        f"Fitness (CTL): {report.ctl_start:.1f} → {report.ctl_end:.1f}",
        "5 min power: 250 W, all-time best (was 240 W)",
        "5 km: 21:30, all-time best (was 22:10)",
        "Tue 1 Dec · Sweet spot (cycling)",
        f"down {round(report.readiness_before) - round(report.readiness)} from",
    ):
        assert line in message.text  # fmt: skip
    # Nothing twice: the week is reported.
    assert await service.due(clock()) == []
    assert await service.enqueue([DueReport(uid, WEEK)]) == 0


async def test_weekly_report_readiness_says_when_there_is_no_wellness_data(
    container: Container, clock: FakeClock
) -> None:
    assert readiness_scores([], {}, WEEK, WEEK + timedelta(days=6)) == {}
    uid = (await container.services.accounts.get_or_create(5)).id
    async with container.uow() as uow:
        await uow.training.add_activities(uid, [{
            "content_hash": "r5", "sport": "running", "local_date": date(2026, 11, 25),
            "start_time": datetime(2026, 11, 25, 8, 0, tzinfo=UTC), "timer_s": 1200.0,
            "load": 20.0,
        }])  # fmt: skip
        await uow.commit()
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    service = container.services.weekly_report
    assert await service.enqueue(await service.due(clock())) == 1
    report = await service.stored(uid, WEEK)
    assert report is not None and report.readiness is None and not report.has_plan
    assert (report.sessions, report.bests, report.coming) == (1, (), ())
    text = render_push(_pending(await _push(container, uid), uid)).text
    assert "Readiness: no wellness data" in text and "Sessions: 1 · time: 20 min" in text


async def _push(c: Container, uid: int) -> Push:
    async with c.uow() as uow:
        push = await uow.pushes.by_key(weekly_key(uid, WEEK))
    assert push is not None
    return push


def _pending(push: Push, uid: int) -> PendingPush:
    return PendingPush(push.id, uid, 1, push.kind, push.payload)


async def test_weekly_report_due_on_monday_after_summary_time_in_their_zone_once_across_restart(
    settings: Settings, container: Container, clock: FakeClock, schedulers: list[Scheduler]
) -> None:
    berlin = await _athlete(container, clock, 1, "Europe/Berlin")  # Mon 07:00 = 06:00 UTC
    york = await _athlete(container, clock, 2, "America/New_York")  # Mon 07:00 = 12:00 UTC
    off = await _athlete(container, clock, 3, "UTC")
    await container.services.accounts.set_weekly_report_enabled(off, False)
    notifier = Notifier(container)
    c = container
    first = _scheduler(c, schedulers, clock, notifier)
    clock.set(datetime(2026, 11, 29, 20, 0, tzinfo=UTC))  # Sunday evening: nobody yet
    seen_at: dict[int, datetime] = {}
    restarted: Container | None = None
    while clock() < datetime(2026, 12, 1, 12, 0, tzinfo=UTC):  # to Tuesday noon
        if clock() == datetime(2026, 11, 30, 9, 0, tzinfo=UTC):
            # The worker restarts: new services, scheduler and sender on the same database.
            await first.stop()
            restarted = build(settings, clock=clock,
                              cipher=Cipher([settings.credentials_keys or ""]))  # fmt: skip
            notifier = Notifier(restarted)
            first = _scheduler(restarted, schedulers, clock, notifier)
        assert (await first.tick(clock())).active
        for uid, _ in notifier.weekly():
            seen_at.setdefault(uid, clock())
        clock.advance(minutes=30)
    assert restarted is not None
    for s in schedulers:
        await s.stop()
    schedulers.clear()
    await restarted.close()
    assert seen_at == {
        berlin: datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
        york: datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
    }
    async with c.uow() as uow:
        pushes = (await uow.session.execute(
            select(Push.user_id, Push.dedup_key, Push.status).where(Push.kind == WEEKLY_REPORT)
        )).all()  # fmt: skip
        reported = (await uow.session.execute(
            select(WeeklySummary.user_id).where(WeeklySummary.reported_at.is_not(None))
        )).scalars().all()  # fmt: skip
    assert sorted(pushes) == [
        (berlin, weekly_key(berlin, WEEK), "sent"), (york, weekly_key(york, WEEK), "sent"),
    ]  # fmt: skip
    assert sorted(reported) == [berlin, york]  # turned off: no report, no row reported


async def test_weekly_report_queued_before_a_crash_goes_out_once_after_restart(
    settings: Settings, container: Container, clock: FakeClock, schedulers: list[Scheduler]
) -> None:
    uid = await _athlete(container, clock, 1, "UTC")
    notifier = Notifier(container)
    notifier.refuse = True  # Telegram unreachable: queued, not sent, then the worker dies
    clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    result = await _scheduler(container, schedulers, clock, notifier).tick(clock())
    assert result.weekly_reports == 1
    await schedulers[-1].stop()
    restarted = build(settings, clock=clock, cipher=Cipher([settings.credentials_keys or ""]))
    try:
        again = Notifier(restarted)
        for _ in range(3):
            clock.advance(minutes=1)
            result = await _scheduler(restarted, schedulers, clock, again).tick(clock())
            assert result.weekly_reports == 0  # reported already: only the send was left
        assert again.weekly() == [(uid, weekly_key(uid, WEEK))]
    finally:
        for s in schedulers:
            await s.stop()
        schedulers.clear()
        await restarted.close()


async def test_weekly_report_turned_off_or_not_monday_sends_nothing(
    container: Container, clock: FakeClock
) -> None:
    uid = await _athlete(container, clock, 1, "Asia/Tokyo")  # Mon 07:00 = Sun 22:00 UTC
    service = container.services.weekly_report
    clock.set(datetime(2026, 11, 29, 21, 59, tzinfo=UTC))
    assert await service.due(clock()) == []  # 06:59 in Tokyo
    clock.set(datetime(2026, 11, 29, 22, 0, tzinfo=UTC))
    assert await service.due(clock()) == [DueReport(uid, WEEK)]
    account = await container.services.accounts.set_weekly_report_enabled(uid, False)
    assert account.weekly_report_enabled is False
    assert await service.due(clock()) == []
    await container.services.accounts.set_weekly_report_enabled(uid, True)
    clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # Tuesday in Tokyo: too late
    assert await service.due(clock()) == []
    clock.set(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))  # Wednesday everywhere
    assert await service.due(clock()) == []


async def test_weekly_report_and_week_command_share_the_stored_row(
    container: Container, clock: FakeClock
) -> None:
    uid = await _athlete(container, clock, 1, "UTC")
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    service = container.services.weekly_report
    assert await service.enqueue(await service.due(clock())) == 1
    week = await container.services.reports.week(uid)  # /week on Monday: this week and last
    assert week.last.start == WEEK
    report = await service.stored(uid, WEEK)
    assert isinstance(report, WeeklyReport) and report.sessions == 3  # /week kept the report
    async with container.uow() as uow:
        row = await uow.weekly.stored(uid, WEEK)
    assert row is not None and row.data["time_s"] == pytest.approx(week.last.time_s, abs=0.1)
    assert row.data["load"] == pytest.approx(week.last.load, abs=0.1)
