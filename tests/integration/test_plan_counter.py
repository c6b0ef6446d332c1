"""The active-plan counter moves in the same transaction as the plans it counts, both backends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.bootstrap import Container
from core.coach.service import CoachService
from core.db.models import TrainingPlan
from core.limits.feature_gate import Feature
from tests.fakes.clock import FakeClock
from tests.fakes.llm import FakeLLM

PLAN = {
    "title": "10k build",
    "weeks": [
        {"week": 1, "focus": "Base", "sessions": [
            {"day": "Thu", "sport": "running", "title": "Easy run", "duration_min": 45}]},
        {"week": 2, "focus": "Tempo", "sessions": [
            {"day": "Sat", "sport": "running", "title": "Tempo run", "duration_min": 50}]},
    ],
}  # fmt: skip
REFUSED = "plan release refused"
# The database refuses to lower the active-plan count: the step after the plan update fails.
SQLITE_TRIGGER = [
    f"""CREATE TRIGGER refuse_plan_release BEFORE UPDATE OF used ON user_usage
        WHEN NEW.feature = 'ai_plan' AND NEW.used < OLD.used
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"""
]
POSTGRES_TRIGGER = [
    f"""CREATE FUNCTION refuse_plan_release() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION '{REFUSED}'; END $$""",
    """CREATE TRIGGER refuse_plan_release BEFORE UPDATE ON user_usage FOR EACH ROW
        WHEN (NEW.feature = 'ai_plan' AND NEW.used < OLD.used)
        EXECUTE FUNCTION refuse_plan_release()""",
]
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS refuse_plan_release"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS refuse_plan_release ON user_usage",
        "DROP FUNCTION IF EXISTS refuse_plan_release()",
    ],
}


@pytest.fixture
def llm() -> FakeLLM:
    return FakeLLM(default=json.dumps(PLAN))


@pytest.fixture
def coach(container: Container, llm: FakeLLM, clock: FakeClock) -> CoachService:
    services = container.services
    return CoachService(container.uow, llm, services.gate, services.ai_usage, clock)


class Refusal:
    """Switches the database's refusal of plan releases on and off."""

    def __init__(self, c: Container) -> None:
        self._c = c
        self._dialect = c.engine.dialect.name

    async def on(self) -> None:
        await self._run(SQLITE_TRIGGER if self._dialect == "sqlite" else POSTGRES_TRIGGER)

    async def off(self) -> None:
        await self._run(DROP[self._dialect])

    async def _run(self, statements: list[str]) -> None:
        async with self._c.engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))


@pytest.fixture
async def refusal(container: Container) -> AsyncIterator[Refusal]:
    r = Refusal(container)
    yield r
    await r.off()  # the PostgreSQL database is shared by the whole run


async def _user(c: Container, *, pro: bool = False) -> int:
    uid = (await c.services.accounts.get_or_create(1, first_name="Ann")).id
    if pro:
        async with c.uow() as uow:
            plan = await uow.plans.by_code("pro")
            assert plan is not None
            await uow.subscriptions.upsert(uid, plan_id=plan.id, provider="stripe",
                                           status="active")  # fmt: skip
            await uow.commit()
    return uid


async def _counts(c: Container, uid: int) -> tuple[int, int]:
    """(the counter, the plans actually active)."""
    report = await c.services.gate.remaining(uid)
    used = next(f.used for f in report.features if f.feature == Feature.AI_PLAN)
    async with c.uow() as uow:
        stmt = select(func.count()).where(
            TrainingPlan.user_id == uid, TrainingPlan.status == "active"
        )
        active = int((await uow.session.execute(stmt)).scalar_one())
    return used, active


async def test_a_refused_release_rolls_the_cancel_back(
    container: Container, coach: CoachService, refusal: Refusal
) -> None:
    uid = await _user(container)
    await coach.create_plan(uid, "10k")
    await refusal.on()

    with pytest.raises(DBAPIError, match=REFUSED):
        await coach.cancel_plan(uid)

    assert await _counts(container, uid) == (1, 1)  # the plan is still active, still counted
    await refusal.off()
    await coach.cancel_plan(uid)
    assert await _counts(container, uid) == (0, 0)


async def test_a_refused_release_keeps_a_finished_plan_active_and_counted(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock, refusal: Refusal
) -> None:
    uid = await _user(container)
    await coach.create_plan(uid, "10k")
    clock.advance(days=30)  # the plan's two weeks are over
    await refusal.on()

    with pytest.raises(DBAPIError, match=REFUSED):
        await coach.create_plan(uid, "10k again")

    assert len(llm.calls) == 1
    assert await _counts(container, uid) == (1, 1)
    await refusal.off()
    await coach.create_plan(uid, "10k again")
    assert await _counts(container, uid) == (1, 1)


@pytest.mark.parametrize("pro", [False, True])
async def test_the_counter_follows_the_active_plans(
    container: Container, coach: CoachService, clock: FakeClock, pro: bool
) -> None:
    uid = await _user(container, pro=pro)
    steps: list[Any] = [
        lambda: coach.create_plan(uid, "10k"),
        lambda: coach.cancel_plan(uid),
        lambda: coach.create_plan(uid, "half"),
        lambda: clock.advance(days=30),
        lambda: coach.create_plan(uid, "marathon"),  # the finished one stops counting
    ]
    if pro:  # Pro may replace the active plan: the old one is archived
        steps.append(lambda: coach.create_plan(uid, "ultra"))
    for step in steps:
        result = step()
        if result is not None:
            await result
        used, active = await _counts(container, uid)
        assert used == active <= 1
    assert await _counts(container, uid) == (1, 1)
