"""Plans whose sessions are structured workouts: asked for, repaired or dropped, stored, shown,
and taken by /workout on a plan day without another model call."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.views.coach import week_blocks
from core.bootstrap import Container
from core.db.models import TrainingPlan
from core.db.models import Workout as WorkoutRow
from core.errors import LLMEmptyAnswer
from core.limits.feature_gate import Feature
from core.training.structured import parse_workout
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import SAMPLE_PLAN, SAMPLE_WORKOUT, FakeOpenAIServer

TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
UNREPAIRABLE = {"name": "Broken", "sport": "running", "indoor": False, "steps": "run fast"}


async def _user(c: Container) -> int:
    acc = await c.services.accounts.get_or_create(7, first_name="Ann")
    await c.services.accounts.set_timezone(acc.id, "UTC")
    return acc.id


async def _used(c: Container, uid: int, feature: Feature) -> int:
    report = await c.services.gate.remaining(uid)
    return next(f.used for f in report.features if f.feature == feature)


def _plan_with(*workouts: Any) -> dict[str, Any]:
    plan = copy.deepcopy(SAMPLE_PLAN)
    for session, workout in zip(plan["weeks"][0]["sessions"], workouts, strict=False):
        session["workout"] = workout
    return plan


async def test_plan_sessions_carry_their_structured_workouts(
    coach_container: Container, clock: FakeClock, openai: FakeOpenAIServer
) -> None:
    clock.set(TUESDAY)
    c = coach_container
    uid = await _user(c)

    plan = await c.services.coach.create_plan(uid, "Build my base")

    fmt = openai.chat_requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "plan"
    assert fmt["json_schema"]["strict"] is True
    sessions = plan.weeks[0].sessions
    assert [(s.day, s.title) for s in sessions] == [
        (date(2026, 11, 24), "Sweet spot 3x8"),
        (date(2026, 11, 26), "Easy run"),
        (date(2026, 11, 28), "Long ride"),
    ]
    assert sessions[0].workout == parse_workout(SAMPLE_WORKOUT)
    assert all(s.workout is not None for s in sessions)
    async with c.uow() as uow:
        row = (await uow.session.execute(select(TrainingPlan))).scalar_one()
    stored = row.plan["weeks"][0]["sessions"][0]["workout"]
    assert parse_workout(stored) == sessions[0].workout
    # The plan view shows each session's steps in one line, under its description.
    blocks = week_blocks(plan, plan.weeks[0])
    assert "<i>Warm-up 10 min @ 50-70% FTP · 3× (Work 8 min @ 88-93% FTP," in blocks[1]
    assert "Three 8-minute blocks just under threshold." in blocks[1]


async def test_workout_on_a_plan_day_is_the_plans_session_without_a_model_call(
    coach_container: Container, clock: FakeClock, openai: FakeOpenAIServer
) -> None:
    clock.set(TUESDAY)
    c = coach_container
    uid = await _user(c)
    await c.services.coach.create_plan(uid, "Build my base")

    workout = await c.services.coach.todays_workout(uid)

    assert len(openai.chat_requests) == 1  # the plan's; the workout came from the plan
    assert workout.workout == parse_workout(SAMPLE_WORKOUT)
    assert workout.title == "Sweet spot 3x8"
    assert [f.name for f in workout.files] == ["Sweet_spot_3x8.fit", "Sweet_spot_3x8.zwo"]
    assert await _used(c, uid, Feature.AI_WORKOUT) == 0
    async with c.uow() as uow:
        row = (await uow.session.execute(select(WorkoutRow))).scalar_one()
    assert (row.day, row.source) == (date(2026, 11, 24), "plan")


async def test_a_session_whose_workout_cannot_be_repaired_keeps_its_text_only(
    coach_container: Container, clock: FakeClock, openai: FakeOpenAIServer
) -> None:
    clock.set(TUESDAY)
    c = coach_container
    uid = await _user(c)
    fractions = copy.deepcopy(SAMPLE_WORKOUT)  # % FTP as fractions and a synonym: repaired
    fractions["sport"] = "bike"
    fractions["steps"][0]["target"].update(low=0.5, high=0.7)
    openai.reply(json.dumps(_plan_with(UNREPAIRABLE, fractions)))

    plan = await c.services.coach.create_plan(uid, "Build my base")

    first, second, third = plan.weeks[0].sessions
    assert first.workout is None and first.description.startswith("Three 8-minute")
    assert second.workout == parse_workout(SAMPLE_WORKOUT)
    assert third.workout is not None and third.workout.name == "Long ride"
    assert await _used(c, uid, Feature.AI_PLAN) == 1
    # No structured session today: /workout asks the model.
    await c.services.coach.todays_workout(uid)
    assert len(openai.chat_requests) == 2


async def test_a_plan_none_of_whose_workouts_holds_is_refused_and_refunded(
    coach_container: Container, clock: FakeClock, openai: FakeOpenAIServer
) -> None:
    clock.set(TUESDAY)
    c = coach_container
    uid = await _user(c)
    openai.reply(json.dumps(_plan_with(UNREPAIRABLE, UNREPAIRABLE, UNREPAIRABLE)))

    with pytest.raises(LLMEmptyAnswer):
        await c.services.coach.create_plan(uid, "Build my base")

    assert await _used(c, uid, Feature.AI_PLAN) == 0
    assert await c.services.coach.active_plan(uid) is None
