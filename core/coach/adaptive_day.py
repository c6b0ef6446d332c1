"""The adaptive day: each morning, today's planned session set against the athlete's readiness.

Rules decide (core.training.readiness), no model is asked: this runs for every athlete with an
active plan while the morning summaries are composed. The decision is stored once per athlete
and local day (day_adaptations); asking again that day returns what was stored. The day's
session to do, kept or adapted, then goes on the athlete's calendar when one is at hand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

from core.clock import Clock, local_today
from core.coach.day_rules import AdaptedDay, DayInputs, decide_day, stored_day
from core.coach.plans import plan_result
from core.db.models import DayAdaptation, GarminFitnessData
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import UnknownUser
from core.training.structured import Workout

logger = logging.getLogger(__name__)

BASELINE_DAYS = 7  # HRV and resting HR baselines: the 7 days before today


class WorkoutCalendar(Protocol):
    """Where the day's session is put for the athlete's watch (Garmin Connect's calendar)."""

    async def put_on_day(
        self,
        user_id: int,
        day: date,
        workout: Workout,
        *,
        workout_id: int | None = None,
        plan_id: int | None = None,
    ) -> Any: ...


class AdaptiveDay:
    """Today's planned session adapted to readiness, decided once per athlete and local day."""

    def __init__(
        self, uow: UnitOfWorkFactory, *, clock: Clock, calendar: WorkoutCalendar | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._calendar = calendar

    async def today(self, user_id: int) -> AdaptedDay | None:
        """The decision for the athlete's local today; None without a planned session today."""
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise UnknownUser(user_id)
            day = local_today(self._clock(), user.timezone)
            decided = await self.decide(uow, [(user_id, day)])
            await uow.commit()
        result = decided.get(user_id)
        if result is not None and result.new:
            await self.publish(user_id, result)
        return result

    async def decide(
        self,
        uow: UnitOfWork,
        items: Sequence[tuple[int, date]],
        *,
        tsb: Mapping[int, float] | None = None,
    ) -> dict[int, AdaptedDay]:
        """Decisions for (athlete, local day) pairs in the caller's transaction, stored when
        new. One query for the batch, three more when any athlete has an active plan, and one
        insert per new decision; `tsb` (by athlete) saves reading form again."""
        if not items:
            return {}
        first = min(d for _, d in items)
        last = max(d for _, d in items)
        plans = await uow.adaptive.active_plans([u for u, _ in items], first - timedelta(1), last)
        todo = [(uid, day) for uid, day in items if uid in plans]
        if not todo:
            return {}
        ids = [uid for uid, _ in todo]
        stored = await uow.adaptive.decisions(ids, first, last)
        wellness = await _wellness(uow, ids, first - timedelta(BASELINE_DAYS), last)
        loads = await uow.adaptive.day_loads(ids, first - timedelta(1), last - timedelta(1))
        out: dict[int, AdaptedDay] = {}
        for uid, day in todo:
            row = stored.get((uid, day))
            if row is not None:
                out[uid] = _from_row(row)
                continue
            form = tsb.get(uid) if tsb is not None else await uow.adaptive.tsb(uid, day)
            yesterday = loads.get((uid, day - timedelta(1)))
            inputs = DayInputs(plan_result(plans[uid]), day, wellness.get(uid, []), form, yesterday)
            decided = decide_day(inputs)
            if decided is not None:
                result, fields = decided
                await uow.adaptive.add_decision(uid, day, at=self._clock(), **fields)
                out[uid] = result
        return out

    async def publish(self, user_id: int, result: AdaptedDay) -> None:
        """Put the day's session, as kept or adapted, on the athlete's calendar (Garmin: it
        reaches the watch at its next sync; what we put on that day before is replaced). A
        failure there is logged, the morning goes on."""
        if self._calendar is None or result.workout is None:
            return
        try:
            await self._calendar.put_on_day(
                user_id, result.day, result.workout, plan_id=result.plan_id
            )
        except Exception:
            logger.exception("Could not put the adapted session on user %s's calendar", user_id)


async def _wellness(
    uow: UnitOfWork, ids: Sequence[int], first: date, last: date
) -> dict[int, list[GarminFitnessData]]:
    out: dict[int, list[GarminFitnessData]] = {}
    for row in await uow.summaries.wellness(ids, first, last):
        out.setdefault(row.user_id, []).append(row)
    return out


def _fields(row: DayAdaptation) -> dict[str, Any]:
    return {"action": row.action, "reasons": row.reasons, "planned": row.planned,
            "adapted": row.adapted}  # fmt: skip


def _from_row(row: DayAdaptation) -> AdaptedDay:
    return stored_day(row.day, row.plan_id, _fields(row))


async def workout_of_day(uow: UnitOfWork, user_id: int, day: date) -> Workout | None:
    """The session to do on `day`: the adapted one when the day was decided, else the active
    plan's structured session that day (None without one)."""
    decided = (await uow.adaptive.decisions([user_id], day, day)).get((user_id, day))
    if decided is not None:
        return stored_day(day, decided.plan_id, _fields(decided)).workout
    row = await uow.coach.active_plan(user_id)
    session = plan_result(row).session_on(day) if row is not None else None
    return session.workout if session is not None else None
