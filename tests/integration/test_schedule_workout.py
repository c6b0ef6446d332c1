"""Workouts put on the Garmin Connect calendar (GarminCalendar), FakeGarmin behind the gateway,
both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.bootstrap import Container
from core.db.models import GarminScheduledWorkout, TrainingPlan
from core.garmin.calendar import (
    GARMIN_BUSY,
    GARMIN_DOWN,
    LINK_BROKEN,
    NOT_LINKED,
    CalendarOutcome,
    GarminCalendar,
)
from core.training.structured.model import Duration, Repeat, Step, Target, Workout
from tests.fakes.garmin import FakeAccount, FakeGarmin
from tests.fakes.payments import FakeStarSubscriptions

EMAIL = "calendar.runner@example.org"
PASSWORD = "Cal3ndar-Pa55"
TUE = date(2026, 12, 1)
WED = date(2026, 12, 2)
THU = date(2026, 12, 3)


def _run(name: str = "Threshold 2x2 km") -> Workout:
    return Workout(
        name=name,
        sport="running",
        indoor=False,
        steps=(
            Step("warmup", Duration("time", 900), Target("hr_pct_lthr", 70, 80)),
            Repeat(2, (
                Step("work", Duration("distance", 2000), Target("pace_s_per_km", 265, 275)),
                Step("recovery", Duration("time", 120)),
            )),
            Step("cooldown", Duration("open")),
        ),
    )  # fmt: skip


@pytest.fixture
def calendar(garmin_container: Container) -> GarminCalendar:
    return garmin_container.services.garmin_calendar


async def _linked(c: Container, fake: FakeGarmin, chat: int = 1) -> tuple[int, FakeAccount]:
    account = fake.add_account(EMAIL, PASSWORD)
    uid = (await c.services.accounts.get_or_create(chat)).id
    await c.services.accounts.update_profile(uid, lthr=170)
    await c.services.garmin_link.start(uid, EMAIL, PASSWORD)
    return uid, account


async def _rows(c: Container, uid: int) -> list[GarminScheduledWorkout]:
    async with c.uow() as uow:
        return await uow.garmin_workouts.all_of(uid)


def _names(account: FakeAccount, day: date) -> list[str]:
    return [w["workoutName"] for w in account.scheduled_on(day)]


def _uploaded(fake: FakeGarmin) -> list[dict[str, Any]]:
    return [call[2] for call in fake.calls if call[0] == "upload_workout"]


async def test_schedule_workout_uploads_and_puts_it_on_its_day(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    outcome = await calendar.put_on_day(uid, WED, _run())
    assert outcome == CalendarOutcome(WED, True, None, outcome.garmin_workout_id)
    assert outcome.garmin_workout_id in account.workouts
    assert _names(account, WED) == ["Threshold 2x2 km"]
    [sent] = _uploaded(fake)
    steps = sent["workoutSegments"][0]["workoutSteps"]
    assert [s["type"] for s in steps] == [
        "ExecutableStepDTO",
        "RepeatGroupDTO",
        "ExecutableStepDTO",
    ]
    assert steps[0]["targetValueOne"] == 119 and steps[0]["targetValueTwo"] == 136  # LTHR 170
    assert steps[1]["workoutSteps"][0]["targetValueOne"] == pytest.approx(3.636)
    [row] = await _rows(garmin_container, uid)
    assert (row.day, row.name, row.garmin_workout_id) == (WED, "Threshold 2x2 km",
                                                          outcome.garmin_workout_id)  # fmt: skip
    assert row.garmin_schedule_id in account.schedules


async def test_schedule_workout_replaces_only_ours_on_that_day(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    own_same_day = fake.add_own_workout(EMAIL, WED, "My hill reps")
    own_other_day = fake.add_own_workout(EMAIL, THU, "Club run")
    first = await calendar.put_on_day(uid, WED, _run("First"))
    other = await calendar.put_on_day(uid, THU, _run("Thursday"))
    second = await calendar.put_on_day(uid, WED, _run("Second"), workout_id=None)
    assert first.scheduled and second.scheduled and other.scheduled
    assert account.deleted_workouts == [first.garmin_workout_id]
    assert sorted(_names(account, WED)) == ["My hill reps", "Second"]
    assert sorted(_names(account, THU)) == ["Club run", "Thursday"]
    assert own_same_day in account.workouts and own_other_day in account.workouts
    rows = await _rows(garmin_container, uid)
    assert [(r.day, r.name) for r in rows] == [(WED, "Second"), (THU, "Thursday")]


async def test_schedule_workout_deleted_by_the_athlete_on_garmin_is_simply_replaced(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    first = await calendar.put_on_day(uid, WED, _run("First"))
    assert first.garmin_workout_id is not None
    fake.athlete_deletes_workout(EMAIL, first.garmin_workout_id)
    second = await calendar.put_on_day(uid, WED, _run("Second"))
    assert second.scheduled and _names(account, WED) == ["Second"]
    assert account.deleted_workouts == []  # Garmin had nothing left of ours to delete
    assert [r.name for r in await _rows(garmin_container, uid)] == ["Second"]


async def test_schedule_workout_failure_after_upload_rolls_back(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    fake.fail_next_call("schedule_workout", "network")
    outcome = await calendar.put_on_day(uid, WED, _run())
    assert outcome == CalendarOutcome(WED, False, GARMIN_DOWN)
    [uploaded] = account.deleted_workouts
    assert uploaded not in account.workouts  # uploaded, not scheduled, deleted again
    assert account.schedules == {}
    assert await _rows(garmin_container, uid) == []
    # Garmin back: the same call goes through.
    assert (await calendar.put_on_day(uid, WED, _run())).scheduled
    assert len(await _rows(garmin_container, uid)) == 1


@pytest.mark.parametrize(("fault", "reason"), [("auth", LINK_BROKEN), ("rate_limit", GARMIN_BUSY)])
async def test_schedule_workout_garmin_refusing_the_upload_writes_nothing(
    garmin_container: Container,
    fake: FakeGarmin,
    calendar: GarminCalendar,
    fault: Any,
    reason: str,
) -> None:
    uid, account = await _linked(garmin_container, fake)
    fake.fail_next_call("upload_workout", fault)
    outcome = await calendar.put_on_day(uid, WED, _run())
    assert (outcome.scheduled, outcome.reason) == (False, reason)
    assert account.workouts == {} and account.schedules == {}
    assert await _rows(garmin_container, uid) == []


async def test_schedule_workout_not_linked_and_broken_link_ask_nothing_of_garmin(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    loner = (await garmin_container.services.accounts.get_or_create(7)).id
    assert await calendar.put_on_day(loner, WED, _run()) == CalendarOutcome(WED, False, NOT_LINKED)
    uid, _ = await _linked(garmin_container, fake, chat=8)
    async with garmin_container.uow() as uow:
        await uow.garmin.update_credentials(uid, is_valid=False)
        await uow.commit()
    before = len(fake.calls)
    assert await calendar.put_on_day(uid, WED, _run()) == CalendarOutcome(WED, False, LINK_BROKEN)
    assert fake.calls[before:] == []


async def _plan(c: Container, uid: int, title: str) -> int:
    async with c.uow() as uow:
        row = TrainingPlan(user_id=uid, title=title, start_date=TUE, end_date=THU, plan={})
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
        return row.id


async def test_schedule_workout_sync_days_and_clear_plan(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    own = fake.add_own_workout(EMAIL, WED, "My hill reps")
    old_plan = await _plan(garmin_container, uid, "Old")
    new_plan = await _plan(garmin_container, uid, "New")
    days = {THU: _run("Thu"), TUE: _run("Tue"), WED: _run("Wed")}
    outcomes = await calendar.sync_days(uid, days, plan_id=old_plan)
    assert [(o.day, o.scheduled) for o in outcomes] == [(TUE, True), (WED, True), (THU, True)]
    assert sorted(_names(account, WED)) == ["My hill reps", "Wed"]
    rows = await _rows(garmin_container, uid)
    assert [(r.name, r.plan_id) for r in rows] == [("Tue", old_plan), ("Wed", old_plan),
                                                   ("Thu", old_plan)]  # fmt: skip
    # The new plan takes Thursday; the old one is then cleared: only its two days go.
    assert (await calendar.put_on_day(uid, THU, _run("New Thu"), plan_id=new_plan)).scheduled
    assert await calendar.clear_plan(uid, old_plan) == 2
    assert _names(account, TUE) == [] and _names(account, WED) == ["My hill reps"]
    assert _names(account, THU) == ["New Thu"]
    assert own in account.workouts
    rows = await _rows(garmin_container, uid)
    assert [(r.name, r.plan_id) for r in rows] == [("New Thu", new_plan)]
    assert await calendar.clear_plan(uid, old_plan) == 0


async def test_schedule_workout_clear_plan_when_garmin_fails_keeps_the_rest(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    plan = await _plan(garmin_container, uid, "Plan")
    await calendar.sync_days(uid, {TUE: _run("Tue"), WED: _run("Wed")}, plan_id=plan)
    fake.fail_next_call("delete_workout", "network")
    assert await calendar.clear_plan(uid, plan) == 0
    assert len(await _rows(garmin_container, uid)) == 2
    assert len(account.schedules) == 2
    assert await calendar.clear_plan(uid, plan) == 2
    assert account.schedules == {} and await _rows(garmin_container, uid) == []


async def test_schedule_workout_sync_days_stops_at_the_first_garmin_failure(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    fake.fail_next_call("upload_workout", "network")
    days = {TUE: _run("Tue"), WED: _run("Wed")}
    outcomes = await calendar.sync_days(uid, days, plan_id=None)
    assert [(o.day, o.reason) for o in outcomes] == [(TUE, GARMIN_DOWN), (WED, GARMIN_DOWN)]
    assert fake.count("upload_workout") == 1
    assert account.workouts == {}


async def test_schedule_workout_keeps_rotated_tokens(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, _ = await _linked(garmin_container, fake)
    fake.rotate_tokens_on_next_call()
    assert (await calendar.put_on_day(uid, WED, _run())).scheduled
    async with garmin_container.uow() as uow:
        cred = await uow.garmin.credentials(uid)
    assert cred is not None and cred.tokens_enc
    assert fake.is_valid(garmin_container.cipher.decrypt(cred.tokens_enc))
    assert (await calendar.put_on_day(uid, THU, _run())).scheduled  # the new tokens work


async def test_schedule_workout_account_deletion_clears_ours_from_garmin(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    own = fake.add_own_workout(EMAIL, WED, "My hill reps")
    await calendar.sync_days(uid, {TUE: _run("Tue"), WED: _run("Wed")}, plan_id=None)
    deletion = garmin_container.services.account_deletion
    await deletion.delete(uid, telegram_user_id=1, stars=FakeStarSubscriptions())
    assert list(account.workouts) == [own]
    assert _names(account, WED) == ["My hill reps"]
    assert await _rows(garmin_container, uid) == []


async def test_schedule_workout_account_deletion_goes_on_when_garmin_is_down(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    await calendar.put_on_day(uid, WED, _run())
    fake.fail_next_call("delete_workout", "network")
    deletion = garmin_container.services.account_deletion
    await deletion.delete(uid, telegram_user_id=1, stars=FakeStarSubscriptions())
    assert await garmin_container.services.accounts.by_chat(1) is None
    assert len(account.workouts) == 1  # left on Garmin: the athlete can delete it there


async def test_schedule_workout_rows_are_forgotten_when_the_link_goes_or_names_another_account(
    garmin_container: Container, fake: FakeGarmin, calendar: GarminCalendar
) -> None:
    uid, account = await _linked(garmin_container, fake)
    link = garmin_container.services.garmin_link
    await calendar.put_on_day(uid, WED, _run("Ours"))
    await link.start(uid, EMAIL, PASSWORD)  # the same account again: still ours
    assert [r.name for r in await _rows(garmin_container, uid)] == ["Ours"]

    other_email = "another.runner@example.org"
    fake.add_account(other_email, PASSWORD)
    await link.start(uid, other_email, PASSWORD)
    assert await _rows(garmin_container, uid) == []  # its ids mean nothing on the new account
    assert _names(account, WED) == ["Ours"]  # and the old account's calendar is not touched

    await calendar.put_on_day(uid, THU, _run("On the new one"))
    assert await link.disconnect(uid)
    assert await _rows(garmin_container, uid) == []
