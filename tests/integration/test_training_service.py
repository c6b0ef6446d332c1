"""Training import, fitness, reports, goals and export on both backends, with real FIT files."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Container
from core.db.models import ActivityMetrics, FitnessMetrics, WeeklySummary, Workout
from core.errors import BadFile, BadInput, NotFound, ProOnly
from core.training.export import ExportService
from core.training.goals import GoalInput, GoalService, parse_goal_line
from core.training.imports import TrainingService
from core.training.reports import ReportService
from tests.fakes.clock import FakeClock
from tests.fit_files import fit_bytes, needs_fit_files

pytestmark = needs_fit_files


@dataclass(frozen=True)
class Expected:
    sport: str
    timer_s: float
    distance_m: float
    avg_hr: float | None = None
    max_hr: float | None = None


# The README table of ../shared/data/fit (session values from Garmin's decoder).
EXPECTED: dict[str, list[Expected]] = {
    "2013-02-06-12-11-14.fit": [Expected("running", 2625, 4835, 147, 171)],
    "Edge810-Vector-2013-08-16-15-35-10.fit": [Expected("cycling", 4700, 41339, 154, 176)],
    "sample-activity.fit": [Expected("cycling", 10699, 88797, 166, 191)],
    "activity-small-fenix2-run.fit": [Expected("running", 2832, 9008)],
    "sample-activity-indoor-trainer.fit": [Expected("cycling", 2262, 0, 148, 176)],
    "event_timestamp.fit": [Expected("swimming", 4372, 2606, 142, 161)],
    "garmin-fenix-5-run.fit": [Expected("running", 57, 158, 90, 112)],
    "garmin-fenix-5-bike.fit": [Expected("cycling", 60, 460, 101, 114)],
    "sample_mulitple_header.fit": [
        Expected("swimming", 1988, 1645, 165, 175),
        Expected("transition", 170, 142),
        Expected("cycling", 4422, 40909),
        # The README lists the first three; the file holds the whole triathlon.
        Expected("transition", 61, 32),
        Expected("running", 2851, 9806),
    ],
    # Damaged files whose session the decoder recovered: stored, and the answer says so.
    "activity-filecrc.fit": [Expected("running", 14, 6)],
    "activity-unexpected-eof.fit": [Expected("running", 14, 6)],
    "activity-settings-corruptheader.fit": [Expected("running", 14, 6)],
}
RECOVERED = {
    "activity-filecrc.fit",
    "activity-unexpected-eof.fit",
    "activity-settings-corruptheader.fit",
}
REFUSED = {
    "Settings.fit": "not an activity",
    "WorkoutIndividualSteps.fit": "planned workout",
}


@pytest.fixture
async def training(container: Container, clock: FakeClock) -> AsyncIterator[TrainingService]:
    service = TrainingService(container.uow, clock=clock)
    yield service
    await service.close()


@pytest.fixture
def reports(container: Container, clock: FakeClock) -> ReportService:
    return ReportService(container.uow, container.services.gate, clock=clock)


async def _user(c: Container, chat_id: int = 1, tz: str = "UTC") -> int:
    uid = (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id
    await c.services.accounts.set_timezone(uid, tz)
    return uid


async def _make_pro(c: Container, user_id: int) -> None:
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(user_id, plan_id=pro.id, provider="stripe", status="active")
        await uow.commit()


async def _count(c: Container, model: Any, user_id: int) -> int:
    async with c.uow() as uow:
        stmt = select(func.count()).select_from(model).where(model.user_id == user_id)
        return int((await uow.session.execute(stmt)).scalar_one())


async def _add(c: Container, user_id: int, day: date, load: float, **extra: Any) -> int:
    """A made-up stored activity (for fitness arithmetic without decoding)."""
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    row = {"content_hash": f"{user_id}-{day}-{load}-{random.random()}", "sport": "running",
           "sub_sport": "generic", "start_time": start, "local_date": day, "timer_s": 3600.0,
           "elapsed_s": 3600.0, "distance_m": 10000.0, "load": load, "load_method": "hrtss",
           **extra}  # fmt: skip
    async with c.uow() as uow:
        (aid,) = await uow.training.add_activities(user_id, [row])
        await uow.commit()
    return aid


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_activity_files_import_to_the_table(
    container: Container, training: TrainingService, name: str
) -> None:
    uid = await _user(container)
    result = await training.import_fit(uid, fit_bytes(name))
    expected = EXPECTED[name]
    assert result.duplicates == 0
    assert result.recovered is (name in RECOVERED)
    assert [c.sport for c in result.activities] == [e.sport for e in expected]
    for card, exp in zip(result.activities, expected, strict=True):
        assert round(card.timer_s) == exp.timer_s
        assert round(card.distance_m or 0) == exp.distance_m
        if exp.avg_hr is not None:
            assert (round(card.avg_hr or 0), round(card.max_hr or 0)) == (exp.avg_hr, exp.max_hr)
        assert card.load > 0 and card.load_method in ("tss", "rtss", "hrtss", "estimate")
    assert await _count(container, ActivityMetrics, uid) == len(expected)
    async with container.uow() as uow:
        rows = await uow.training.recent_activities(uid, since=None, limit=10)
    assert all(r.local_date == r.start_time.date() for r in rows)
    assert await _count(container, FitnessMetrics, uid) > 0


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_bad_files_are_refused_and_nothing_is_written(
    container: Container, training: TrainingService, name: str
) -> None:
    uid = await _user(container)
    with pytest.raises(BadFile) as info:
        await training.import_fit(uid, fit_bytes(name))
    assert REFUSED[name] in info.value.message
    assert await _count(container, ActivityMetrics, uid) == 0
    assert await _count(container, FitnessMetrics, uid) == 0


async def test_not_a_fit_truncated_corrupt_and_too_big(
    container: Container, training: TrainingService
) -> None:
    uid = await _user(container)
    real = fit_bytes("2013-02-06-12-11-14.fit")
    with pytest.raises(BadFile, match="cut short"):
        await training.import_fit(uid, real[:300])
    with pytest.raises(BadFile, match="header is damaged"):
        await training.import_fit(uid, bytes([20]) + real[1:])
    with pytest.raises(BadFile, match="not a FIT file"):
        await training.import_fit(uid, b"hello, this is text and not a FIT file at all")
    with pytest.raises(BadFile, match="20 MB"):
        await training.import_fit(uid, b"\x0e" * (20 * 1024 * 1024 + 1))
    assert await _count(container, ActivityMetrics, uid) == 0


async def test_recovered_copies_of_one_session_are_stored_once(
    container: Container, training: TrainingService
) -> None:
    uid = await _user(container)
    first = await training.import_fit(uid, fit_bytes("activity-filecrc.fit"))
    assert first.recovered and len(first.activities) == 1
    # The same recording, damaged differently: same device serial and start time.
    second = await training.import_fit(uid, fit_bytes("activity-unexpected-eof.fit"))
    assert second.activities == [] and second.duplicates == 1


async def test_resent_file_is_recognised(container: Container, training: TrainingService) -> None:
    uid = await _user(container)
    data = fit_bytes("2013-02-06-12-11-14.fit")
    first = await training.import_fit(uid, data)
    again = await training.import_fit(uid, data)
    assert again.activities == [] and again.duplicates == 1
    assert again.existing[0].id == first.activities[0].id
    # Same device and start time, different bytes (e.g. re-exported): still the same session.
    changed = data[:-2] + bytes([data[-2] ^ 0xFF, data[-1]])
    other = await training.import_fit(uid, changed)
    assert other.activities == [] and other.duplicates == 1
    assert await _count(container, ActivityMetrics, uid) == 1
    # Another athlete may upload the same file.
    uid2 = await _user(container, chat_id=2)
    assert len((await training.import_fit(uid2, data)).activities) == 1


async def test_multisport_gives_one_row_per_session(
    container: Container, training: TrainingService
) -> None:
    uid = await _user(container)
    result = await training.import_fit(uid, fit_bytes("sample_mulitple_header.fit"))
    sports = [c.sport for c in result.activities]
    assert sports[:3] == ["swimming", "transition", "cycling"]  # the README's three
    assert sports == ["swimming", "transition", "cycling", "transition", "running"]
    assert await _count(container, ActivityMetrics, uid) == 5
    again = await training.import_fit(uid, fit_bytes("sample_mulitple_header.fit"))
    assert again.duplicates == 5 and len(again.existing) == 5


async def test_estimated_thresholds_are_labelled(
    container: Container, training: TrainingService
) -> None:
    uid = await _user(container)
    card = (await training.import_fit(uid, fit_bytes("sample-activity.fit"))).activities[0]
    assert card.load_method == "hrtss" and card.load_estimated
    assert "HR max 191" in card.estimates
    await container.services.accounts.update_profile(uid, hr_max=195, lthr=172)
    card2 = (await training.import_fit(uid, fit_bytes("2013-02-06-12-11-14.fit"))).activities[0]
    assert card2.load_method == "hrtss" and not card2.load_estimated


async def test_ctl_after_42_days_of_constant_load(
    container: Container, training: TrainingService, clock: FakeClock
) -> None:
    uid = await _user(container)
    first = date(2026, 1, 1)
    clock.set(datetime(2026, 2, 11, 12, tzinfo=UTC))  # day 42 is today
    for i in range(42):
        await _add(container, uid, first + timedelta(days=i), 80.0)
    assert await training.recompute_fitness(uid) == 42
    async with container.uow() as uow:
        rows = await uow.training.fitness_between(uid, None, date(2026, 2, 11))
    assert rows[-1].day == date(2026, 2, 11)
    assert rows[-1].ctl == pytest.approx(80.0 * (1 - (41 / 42) ** 42))


async def test_incremental_recompute_equals_full(
    container: Container, training: TrainingService, clock: FakeClock
) -> None:
    uid = await _user(container)
    clock.set(datetime(2026, 6, 30, 12, tzinfo=UTC))
    rng = random.Random(7)
    days = [date(2026, 3, 1) + timedelta(days=rng.randrange(120)) for _ in range(40)]
    ids = []
    for day in days:  # in random order, each recomputing from its own day forward
        ids.append(await _add(container, uid, day, rng.uniform(20, 150)))
        async with container.uow() as uow:
            from core.training.fitness_store import recompute_from

            await recompute_from(uow.training, uid, day, today=date(2026, 6, 30))
            await uow.commit()
    clock.set(datetime(2026, 7, 10, 12, tzinfo=UTC))  # days pass with no new activity
    await training.delete_activity(uid, ids[5])
    with pytest.raises(NotFound):
        await training.delete_activity(uid, ids[5])
    incremental = await _fitness(container, uid)
    await training.recompute_fitness(uid)
    full = await _fitness(container, uid)
    assert len(incremental) == len(full) and full[-1][0] == date(2026, 7, 10)
    for a, b in zip(incremental, full, strict=True):
        assert a[0] == b[0] and a[1:] == pytest.approx(b[1:], abs=1e-9)


async def _fitness(c: Container, uid: int) -> list[tuple[Any, ...]]:
    async with c.uow() as uow:
        rows = await uow.training.fitness_between(uid, None, date(2100, 1, 1))
    return [(r.day, r.load, r.ctl, r.atl, r.tsb, r.ramp or 0.0, r.ewma7, r.ewma28) for r in rows]


async def test_history_cut_for_free_and_not_for_pro(
    container: Container, reports: ReportService, clock: FakeClock
) -> None:
    uid = await _user(container)
    today = date(2026, 11, 25)
    old = await _add(container, uid, today - timedelta(days=200), 100.0)
    recent = await _add(container, uid, today - timedelta(days=10), 50.0)
    await TrainingService(container.uow, clock=clock).recompute_fitness(uid)
    assert [c.id for c in await reports.activities(uid)] == [recent]
    with pytest.raises(NotFound):
        await reports.activity(uid, old)
    days = await reports.fitness_days(uid, days=400)
    assert days[0].date == today - timedelta(days=180) and days[-1].date == today
    await _make_pro(container, uid)
    assert [c.id for c in await reports.activities(uid)] == [recent, old]
    assert (await reports.activity(uid, old)).id == old
    assert (await reports.fitness_days(uid, days=400))[0].date == today - timedelta(days=200)
    png = await reports.fitness_chart(uid)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


async def test_other_users_activity_is_not_found(
    container: Container, reports: ReportService
) -> None:
    a, b = await _user(container, 1), await _user(container, 2)
    aid = await _add(container, a, date(2026, 11, 20), 40.0)
    with pytest.raises(NotFound):
        await reports.activity(b, aid)
    with pytest.raises(NotFound):
        await TrainingService(container.uow).delete_activity(b, aid)


async def test_week_and_today(
    container: Container, reports: ReportService, clock: FakeClock
) -> None:
    uid = await _user(container, tz="Europe/Berlin")
    clock.set(datetime(2026, 11, 26, 12, tzinfo=UTC))  # Thursday
    await _add(container, uid, date(2026, 11, 23), 60.0, hr_zone_seconds=[0, 600, 1800, 1200, 0])
    await _add(container, uid, date(2026, 11, 25), 90.0, sport="cycling", timer_s=7200.0)
    await _add(container, uid, date(2026, 11, 18), 30.0)  # last week
    await _add(container, uid, date(2026, 11, 16), 30.0)  # last week's Monday
    await TrainingService(container.uow, clock=clock).recompute_fitness(uid)
    week = await reports.week(uid)
    assert week.this.start == date(2026, 11, 23) and week.last.start == date(2026, 11, 16)
    assert week.this.load == pytest.approx(150.0) and week.last.load == pytest.approx(60.0)
    assert [s.sport for s in week.this.sports] == ["cycling", "running"]
    assert week.this.zone_seconds == (0, 600, 1800, 1200, 0)
    assert week.this.longest is not None and week.this.longest.sport == "cycling"
    assert await _count(container, WeeklySummary, uid) == 2
    async with container.uow() as uow:
        uow.session.add(Workout(user_id=uid, day=date(2026, 11, 26), title="Easy run 40 min",
                                description="Z2", source="ai"))  # fmt: skip
        await uow.commit()
    await GoalService(container.uow, clock=clock).add_line(uid, "Berlin Marathon 2027-09-26 42.2")
    today = await reports.today(uid)
    assert today.yesterday_load == pytest.approx(90.0)
    assert today.workout_title == "Easy run 40 min"
    assert (today.goal_name, today.goal_days) == ("Berlin Marathon", 304)
    assert today.form and today.has_data


async def test_goals(container: Container, clock: FakeClock) -> None:
    uid = await _user(container)
    goals = GoalService(container.uow, clock=clock)
    parsed = parse_goal_line("Berlin Marathon 2027-09-26 42.2 3:15:00")
    assert parsed == GoalInput("Berlin Marathon", date(2027, 9, 26), 42.2, 11700)
    await goals.add(uid, parsed)
    await goals.add_line(uid, "Parkrun 2026-12-05")
    listed = await goals.list(uid)
    assert [g.name for g in listed] == ["Parkrun", "Berlin Marathon"]
    assert listed[1].distance_m == pytest.approx(42200) and listed[1].target_time_s == 11700
    with pytest.raises(BadInput):
        await goals.add_line(uid, "Old race 2020-01-01")
    with pytest.raises(BadInput):
        await goals.add_line(uid, "no date here")
    with pytest.raises(NotFound):
        await goals.delete(uid, 3)
    assert (await goals.delete(uid, 1)).name == "Parkrun"
    assert [g.name for g in await goals.list(uid)] == ["Berlin Marathon"]
    other = await _user(container, chat_id=2)
    assert await goals.list(other) == []


async def test_export_is_pro_only_and_complete(
    container: Container, training: TrainingService, clock: FakeClock
) -> None:
    uid = await _user(container)
    export = ExportService(container.uow, container.services.gate, clock=clock)
    with pytest.raises(ProOnly):
        await export.export(uid)
    await training.import_fit(uid, fit_bytes("sample_mulitple_header.fit"))
    await _add(container, uid, date(2025, 1, 1), 10.0)  # beyond 180 days: Pro exports it too
    await _make_pro(container, uid)
    files = await export.export(uid)
    acts = list(csv.DictReader(io.StringIO(files.activities_csv.decode())))
    assert len(acts) == files.activity_count == 6
    assert [a["sport"] for a in acts] == [
        "swimming",
        "transition",
        "cycling",
        "transition",
        "running",
        "running",
    ]
    assert acts[0]["start_time_utc"].startswith("2018-05-27T07:33:01")
    assert acts[0]["load_method"] and float(acts[0]["load"]) >= 0
    fitness = list(csv.DictReader(io.StringIO(files.fitness_csv.decode())))
    assert len(fitness) == files.day_count > 300
    assert fitness[-1]["day"] == "2026-11-25"
