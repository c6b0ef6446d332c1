"""Reads batched in one trip (core/db/batch.py) give what the session gives, column by column,
inside the caller's transaction; on SQLite they take the one-crossing path, and a failing
statement surfaces as SQLAlchemy's error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, exc, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.bootstrap import Container
from core.coach.context_repository import (
    FITNESS,
    GOALS,
    MESSAGES,
    PLAN,
    RECENT,
    VOLUME,
    WELLNESS,
    ContextWindow,
)
from core.coach.plans import parse_plan, store_plan
from core.db.batch import Read, fetch_all
from core.db.models import (
    ActivityMetrics,
    ChatMessage,
    FitnessMetrics,
    GarminFitnessData,
    RaceGoal,
)

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
PLAN_JSON = (
    '{"title": "Base", "weeks": [{"week": 1, "focus": "Aerobic", "sessions": ['
    '{"day": "Tue", "sport": "running", "title": "Easy", "duration_min": 45, '
    '"intensity": "easy", "description": "Zone 2"}]}]}'
)


async def _seed(c: Container) -> int:
    """Two sports over four months, with gaps and NULLs, and one of everything else."""
    uid = (await c.services.accounts.get_or_create(5151, first_name="Ines")).id
    async with c.uow() as uow:
        for i in range(40):
            start = NOW - timedelta(days=i * 3, hours=i % 5)
            uow.session.add(
                ActivityMetrics(
                    user_id=uid,
                    content_hash=f"h{i}",
                    sport=("running", "cycling", "running")[i % 3],
                    sub_sport="trail" if i % 7 == 0 else None,
                    start_time=start,
                    local_date=start.date(),
                    timer_s=1800.0 + i * 17.5,
                    distance_m=None if i % 4 == 0 else 5000.0 + i,
                    avg_hr=140.0 + i % 9,
                    avg_power=None if i % 2 else 210.5,
                    load=40.0 + i,
                    load_method="trimp",
                    rpe=i % 10 or None,
                    srpe_load=None if i % 3 else 300.0,
                )
            )
        for d in range(20):
            day = TODAY - timedelta(days=d)
            uow.session.add(
                FitnessMetrics(user_id=uid, day=day, ctl=50.5 - d, atl=60.25, tsb=-9.75, ramp=1.5)
            )
            uow.session.add(GarminFitnessData(user_id=uid, day=day, resting_hr=48, hrv_ms=61.5))
        uow.session.add(RaceGoal(user_id=uid, name="Autumn 10k", race_date=date(2027, 2, 1)))
        for i in range(6):
            role = "user" if i % 2 == 0 else "assistant"
            at = NOW - timedelta(hours=6 - i)
            uow.session.add(ChatMessage(user_id=uid, role=role, content=f"m{i}", created_at=at))
        await store_plan(uow, uid, parse_plan(PLAN_JSON), start=TODAY, goal="10k", at=NOW)
        await uow.commit()
    return uid


def _reads(uid: int) -> list[Read]:
    params = {
        "user_id": uid,
        "today": TODAY,
        "recent": TODAY - timedelta(days=13),
        "volume": date(2026, 8, 1),
        "fitness": date(2026, 11, 1),
        "wellness": TODAY - timedelta(days=13),
        "chat": NOW - timedelta(days=1),
    }
    return [(s, params) for s in (RECENT, VOLUME, FITNESS, WELLNESS, GOALS, PLAN, MESSAGES)]


async def _one_by_one(session: AsyncSession, reads: Sequence[Read]) -> list[list[dict[str, Any]]]:
    return [[dict(r) for r in (await session.execute(s, dict(p))).mappings()] for s, p in reads]


async def test_a_batch_reads_what_the_session_reads(container: Container) -> None:
    uid = await _seed(container)
    reads = _reads(uid)
    async with container.uow() as uow:
        expected = await _one_by_one(uow.session, reads)
    async with container.uow() as uow:
        if container.engine.dialect.driver == "aiosqlite":

            async def refuse(*_a: Any, **_k: Any) -> None:
                raise AssertionError(
                    "SQLite batches run in one crossing, not statement by statement"
                )

            uow.session.execute = refuse  # type: ignore[method-assign,assignment]
        got = await fetch_all(uow.session, reads)
    assert got == expected
    recent, volume, fitness, wellness, goals, plan, messages = got
    assert 3 <= len(recent) <= 5 and isinstance(recent[0]["start_time"], datetime)
    assert recent[0]["start_time"].tzinfo is not None and isinstance(recent[0]["local_date"], date)
    assert {(v["year"], v["month"]) for v in volume} == {(2026, m) for m in (8, 9, 10, 11)}
    assert sum(v["sessions"] for v in volume) == len([i for i in range(40) if i * 3 <= 121])
    assert fitness == [{"day": TODAY, "ctl": 50.5, "atl": 60.25, "tsb": -9.75, "ramp": 1.5,
                        "acwr": None}]  # fmt: skip
    assert wellness[0]["day"] == TODAY and wellness[0]["hrv_ms"] == 61.5
    assert [g["name"] for g in goals] == ["Autumn 10k"]
    assert plan[0]["plan"]["weeks"][0]["focus"] == "Aerobic"  # JSON decoded
    assert [m["content"] for m in messages] == [f"m{i}" for i in reversed(range(6))]


async def test_a_batch_reads_inside_the_callers_transaction(container: Container) -> None:
    uid = await _seed(container)
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(container.engine.sync_engine, "before_cursor_execute", statement)
    try:
        async with container.uow() as uow:
            await uow.coach.add_exchange(uid, "new question", "new answer", at=NOW)
            window = ContextWindow(TODAY, TODAY, TODAY, TODAY, TODAY, NOW - timedelta(minutes=1))
            rows = await uow.coach_context.read(uid, window)
            await uow.rollback()
    finally:
        event.remove(container.engine.sync_engine, "before_cursor_execute", statement)
    assert rows.messages == [("user", "new question"), ("assistant", "new answer")]
    assert sum("chat_messages" in s for s in seen) == 2  # the insert and the batch's read
    async with container.uow() as uow:
        rows = await uow.coach_context.read(uid, window)
    assert rows.messages == []  # rolled back with the caller's transaction


async def test_a_failing_statement_raises_sqlalchemys_error(container: Container) -> None:
    uid = await _seed(container)
    broken = select(text("nope")).select_from(text("no_such_table"))
    async with container.uow() as uow:
        with pytest.raises(exc.DBAPIError):
            await fetch_all(uow.session, [_reads(uid)[0], (broken, {})])
    async with container.uow() as uow:  # the connection went back to the pool usable
        assert len((await fetch_all(uow.session, _reads(uid)))[0]) >= 3
