"""The adaptive day: each morning the plan's session of the day against readiness, decided by
rules once per day, told in the morning summary, and put on the calendar when it changed."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from core.bootstrap import Container
from core.clock import local_today
from core.coach.adaptive_day import AdaptiveDay, WorkoutCalendar
from core.coach.plans import PlanSpec, store_plan
from core.db.models import DayAdaptation, Push
from core.notify.daily_summary import DailySummaryService
from core.training.structured import Repeat, Step, Workout, parse_workout
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fakes.openai_server import SAMPLE_WORKOUT
from tests.fit_files import encode_fit
from tests.push_notes import deliver_pushes

TZ = "Europe/Berlin"
MORNING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, the summary time
BASELINE_HRV = (58.0, 60.0, 62.0, 59.0, 61.0, 60.0, 60.0)  # mean 60, SD ~1.3
EASY_RUN = {"name": "Easy run", "sport": "running", "indoor": False, "steps": [
    {"kind": "work", "duration": {"type": "time", "value": 2400},
     "target": {"type": "hr_zone", "low": 1, "high": 2}, "note": None}]}  # fmt: skip
LONG_RIDE = {"name": "Long ride", "sport": "cycling", "indoor": False, "steps": [
    {"kind": "work", "duration": {"type": "time", "value": 7200},
     "target": {"type": "power_pct_ftp", "low": 65, "high": 75}, "note": None}]}  # fmt: skip


class RecordingCalendar:
    """A WorkoutCalendar that keeps what it was asked to put where."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, date, Workout, int | None]] = []

    async def put_on_day(
        self,
        user_id: int,
        day: date,
        workout: Workout,
        *,
        workout_id: int | None = None,
        plan_id: int | None = None,
    ) -> Any:
        self.calls.append((user_id, day, workout, plan_id))
        return None


def _calendar() -> RecordingCalendar:
    calendar = RecordingCalendar()
    _: WorkoutCalendar = calendar  # it satisfies the protocol
    return calendar


def _session(day: date, title: str, intensity: str, workout: dict[str, Any]) -> dict[str, Any]:
    return {"day": day.isoformat(), "sport": workout["sport"], "title": title,
            "duration_min": 60, "intensity": intensity, "description": title,
            "workout": copy.deepcopy(workout)}  # fmt: skip


async def _athlete(c: Container, clock: FakeClock, chat: int = 11) -> tuple[int, date]:
    clock.set(MORNING)
    uid = (await c.services.accounts.get_or_create(chat)).id
    async with c.uow() as uow:
        await uow.users.update_fields(
            uid, timezone=TZ, timezone_set=True, summary_time=time(7, 0), last_summary_on=None
        )
        old = clock() - timedelta(days=3)  # something to sum up, long before yesterday
        await uow.training.add_activities(uid, [{
            "content_hash": f"old{chat}", "sport": "running", "start_time": old,
            "local_date": local_today(old, TZ), "timer_s": 1800.0, "load": 30.0,
        }])  # fmt: skip
        await uow.commit()
    return uid, local_today(clock(), TZ)


async def _plan(c: Container, clock: FakeClock, uid: int, *sessions: dict[str, Any]) -> int:
    today = local_today(clock(), TZ)
    spec = PlanSpec.model_validate(
        {"title": "Base", "weeks": [{"week": 1, "focus": "Base", "sessions": list(sessions)}]}
    )
    async with c.uow() as uow:
        plan = await store_plan(
            uow, uid, spec, start=today - timedelta(days=1), goal="Base", at=clock()
        )
        await uow.commit()
    return plan.id


async def _wellness(c: Container, uid: int, today: date, *, hrv_today: float) -> None:
    """Seven mornings of steady HRV and resting HR before today, then today's HRV."""
    async with c.uow() as uow:
        for back, hrv in enumerate(reversed(BASELINE_HRV), start=1):
            figures = {"hrv_ms": hrv, "resting_hr": 48, "sleep_score": 82}
            await uow.garmin.upsert_wellness(uid, today - timedelta(days=back), figures)
        figures = {"hrv_ms": hrv_today, "resting_hr": 48, "sleep_score": 82}
        await uow.garmin.upsert_wellness(uid, today, figures)
        await uow.commit()


async def _stored(c: Container, uid: int) -> int:
    async with c.uow() as uow:
        stmt = select(func.count()).select_from(DayAdaptation).where(DayAdaptation.user_id == uid)
        return int((await uow.session.execute(stmt)).scalar_one())


def _work_targets(workout: Workout) -> list[tuple[float | None, float | None]]:
    out = []
    for item in workout.steps:
        steps = item.steps if isinstance(item, Repeat) else (item,)
        out += [
            (s.target.low, s.target.high) for s in steps if isinstance(s, Step) and s.kind == "work"
        ]
    return out


async def test_a_bad_morning_softens_todays_hard_session_once_with_the_reason(
    container: Container, clock: FakeClock
) -> None:
    uid, today = await _athlete(container, clock)
    plan_id = await _plan(
        container, clock, uid,
        _session(today - timedelta(days=1), "Easy run", "easy", EASY_RUN),
        _session(today, "Sweet spot 3x8", "hard", SAMPLE_WORKOUT),
    )  # fmt: skip
    await _wellness(container, uid, today, hrv_today=45.0)
    calendar = _calendar()
    adaptive = AdaptiveDay(container.uow, clock=clock, calendar=calendar)

    day = await adaptive.today(uid)

    assert day is not None and day.new
    assert (day.day, day.plan_id, day.action, day.target_cut_pct) == (today, plan_id, "soften", 10)
    assert day.planned_title == "Sweet spot 3x8"
    assert (
        day.why[0].startswith("HRV 45 ms is") and "below your 7-day baseline of 60 ms" in day.why[0]
    )
    assert day.reasons[-1] == "'Sweet spot 3x8' targets lowered by 10%"
    assert day.workout is not None
    assert _work_targets(day.workout) == [(79, 84)]  # 88-93 % FTP, 10 % lower
    assert _work_targets(parse_workout(SAMPLE_WORKOUT)) == [(88, 93)]
    assert [(u, d, w, p) for u, d, w, p in calendar.calls] == [(uid, today, day.workout, plan_id)]

    again = await adaptive.today(uid)

    assert again is not None and not again.new
    assert (again.action, again.reasons, again.workout) == (day.action, day.reasons, day.workout)
    assert await _stored(container, uid) == 1
    assert len(calendar.calls) == 1  # decided once, put on the calendar once
    # /workout that day hands out the softened session, no model involved.
    workout = await container.services.coach.todays_workout(uid)
    assert workout.workout == day.workout and workout.title == "Sweet spot 3x8 -10%"


async def test_a_strained_morning_swaps_a_hard_session_for_recovery(
    container: Container, clock: FakeClock
) -> None:
    uid, today = await _athlete(container, clock)
    await _plan(
        container, clock, uid,
        _session(today, "Threshold", "hard", SAMPLE_WORKOUT),
        _session(today + timedelta(days=2), "Race simulation", "key", LONG_RIDE),
    )  # fmt: skip
    await _wellness(container, uid, today, hrv_today=45.0)
    async with container.uow() as uow:  # and a short, poor night
        await uow.garmin.upsert_wellness(uid, today, {"sleep_score": 41})
        await uow.commit()
    calendar = _calendar()

    day = await AdaptiveDay(container.uow, clock=clock, calendar=calendar).today(uid)

    assert day is not None and day.action == "recovery"
    assert day.adapted_title == "Recovery 30 min"
    assert any(r.startswith("Sleep score 41 is poor") for r in day.why)
    assert day.workout is not None and day.workout.sport == "cycling"
    assert day.workout.total_time_s == 30 * 60
    assert [c[2] for c in calendar.calls] == [day.workout]


async def test_a_good_morning_keeps_the_session(container: Container, clock: FakeClock) -> None:
    uid, today = await _athlete(container, clock)
    await _plan(container, clock, uid, _session(today, "Sweet spot 3x8", "hard", SAMPLE_WORKOUT))
    await _wellness(container, uid, today, hrv_today=61.0)
    calendar = _calendar()

    day = await AdaptiveDay(container.uow, clock=clock, calendar=calendar).today(uid)

    assert day is not None and day.action == "keep" and not day.changed
    assert day.reasons == ("Readiness is ready: 'Sweet spot 3x8' as planned",)
    assert day.workout == parse_workout(SAMPLE_WORKOUT)
    # The kept session goes on the calendar too: the watch has today's session either way.
    assert calendar.calls == [(uid, today, day.workout, day.plan_id)]
    assert await _stored(container, uid) == 1


async def test_a_missed_key_session_yesterday_moves_to_today(
    container: Container, clock: FakeClock
) -> None:
    uid, today = await _athlete(container, clock)
    await _plan(
        container, clock, uid,
        _session(today - timedelta(days=1), "Long ride", "key", LONG_RIDE),
        _session(today, "Easy run", "easy", EASY_RUN),
    )  # fmt: skip
    await _wellness(container, uid, today, hrv_today=60.0)  # ready, and nothing done yesterday
    calendar = _calendar()

    day = await AdaptiveDay(container.uow, clock=clock, calendar=calendar).today(uid)

    assert day is not None and (day.action, day.moved) == ("move", "today")
    assert (day.planned_title, day.adapted_title) == ("Easy run", "Long ride")
    assert day.reasons[0].startswith("Yesterday's key session 'Long ride' was missed")
    assert day.workout == parse_workout(LONG_RIDE)
    assert calendar.calls == [(uid, today, parse_workout(LONG_RIDE), day.plan_id)]


async def test_no_plan_no_decision(container: Container, clock: FakeClock) -> None:
    uid, today = await _athlete(container, clock)
    await _wellness(container, uid, today, hrv_today=45.0)

    assert await AdaptiveDay(container.uow, clock=clock).today(uid) is None
    assert await _stored(container, uid) == 0


async def test_the_morning_summary_tells_the_adapted_day(
    container: Container, clock: FakeClock
) -> None:
    uid, today = await _athlete(container, clock)
    other, _ = await _athlete(container, clock, chat=12)  # no plan: no plan line
    await _plan(container, clock, uid, _session(today, "Sweet spot 3x8", "hard", SAMPLE_WORKOUT))
    await _wellness(container, uid, today, hrv_today=45.0)
    calendar = _calendar()
    adaptive = AdaptiveDay(container.uow, clock=clock, calendar=calendar)
    summaries = DailySummaryService(
        container.uow, container.services.pushes, clock=clock, adaptive=adaptive
    )

    assert await summaries.enqueue(await summaries.due(clock())) == 2

    async with container.uow() as uow:
        rows = {r.user_id: r for r in (await uow.session.execute(select(Push))).scalars()}
    note = rows[uid].payload["data"]["plan_day"]
    assert (note["action"], note["planned"], note["cut_pct"]) == ("soften", "Sweet spot 3x8", 10)
    # Reasons travel as templates with their figures: each reader gets them in their language.
    [hrv, *_rest] = note["why"]
    assert hrv["text"].startswith("HRV {hrv} ms") and hrv["params"]["hrv"] == 45
    assert rows[other].payload["data"]["plan_day"] is None
    assert len(calendar.calls) == 1 and calendar.calls[0][1] == today
    assert await _stored(container, uid) == 1
    assert (await adaptive.today(uid)) is not None and await _stored(container, uid) == 1

    async with FakeBotAPI() as api:
        assert (await deliver_pushes(container, api)).sent == 2
        [text] = api.sent_texts(11)
        [plain] = api.sent_texts(12)
    lines = text.split("\n")
    at = lines.index("Today's plan: <b>Sweet spot 3x8</b>, softened by 10% (lower targets).")
    assert lines[at + 1].startswith("<i>HRV 45 ms is") and lines[at + 1].endswith(".</i>")
    assert "Today's plan" not in plain


async def test_the_wired_morning_puts_the_softened_session_on_the_garmin_calendar(
    garmin_container: Container, clock: FakeClock, fake: FakeGarmin
) -> None:
    c = garmin_container
    uid, today = await _athlete(c, clock)
    fake.add_account("ann@example.org", "Ann-Pa55-word")
    await c.services.garmin_link.start(uid, "ann@example.org", "Ann-Pa55-word")
    await _plan(c, clock, uid, _session(today, "Sweet spot 3x8", "hard", SAMPLE_WORKOUT))
    await _wellness(c, uid, today, hrv_today=45.0)
    summaries = c.services.daily_summary

    assert await summaries.enqueue(await summaries.due(clock())) == 1

    [scheduled] = fake.accounts["ann@example.org"].scheduled_on(today)
    assert scheduled["workoutName"] == "Sweet spot 3x8 -10%"


def _ride(start: datetime, minutes: int) -> bytes:
    records = [{"t": t, "heart_rate": 135 + t % 11, "distance": 7.5 * t}
               for t in range(0, minutes * 60 + 1, 5)]  # fmt: skip
    return encode_fit(start=start, records=records)


async def test_yesterdays_key_session_done_is_not_made_up(
    container: Container, clock: FakeClock
) -> None:
    uid, today = await _athlete(container, clock)
    await _plan(
        container, clock, uid,
        _session(today - timedelta(days=1), "Long ride", "key", LONG_RIDE),
        _session(today, "Easy run", "easy", EASY_RUN),
    )  # fmt: skip
    await _wellness(container, uid, today, hrv_today=60.0)
    await container.services.training.import_fit(uid, _ride(clock() - timedelta(days=1), 45))

    day = await AdaptiveDay(container.uow, clock=clock).today(uid)

    assert day is not None and day.action == "keep"
    assert day.reasons == ("Readiness is ready: 'Easy run' as planned",)


async def test_an_overdone_yesterday_softens_todays_hard_session(
    container: Container, clock: FakeClock
) -> None:
    uid, today = await _athlete(container, clock)
    await _plan(
        container, clock, uid,
        _session(today - timedelta(days=1), "Easy run", "easy", EASY_RUN),
        _session(today, "Sweet spot 3x8", "hard", SAMPLE_WORKOUT),
    )  # fmt: skip
    await _wellness(container, uid, today, hrv_today=60.0)
    # An hour instead of 40 minutes easy: well over 1.5x the planned load, form still fine.
    await container.services.training.import_fit(uid, _ride(clock() - timedelta(days=1), 60))

    day = await AdaptiveDay(container.uow, clock=clock).today(uid)

    assert day is not None and (day.action, day.target_cut_pct) == ("soften", 10)
    [why] = day.why
    assert why.startswith("Yesterday's load ") and "the planned 33 (more than 1.5x)" in why
