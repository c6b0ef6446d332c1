"""Daily fitness rows: recomputed from an affected day forward, seeded by the stored rows."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from core.db.models import FitnessMetrics
from core.training.fitness import RAMP_DAYS, DayFitness, compute_fitness
from core.training.repository import TrainingRepository

logger = logging.getLogger(__name__)
_ONE_DAY = timedelta(days=1)


def day_fitness(row: FitnessMetrics) -> DayFitness:
    """A stored row as the pure model's DayFitness."""
    return DayFitness(
        date=row.day, load=row.load, ctl=row.ctl, atl=row.atl, tsb=row.tsb,
        ramp=row.ramp or 0.0, acwr=row.acwr, ewma7=row.ewma7, ewma28=row.ewma28,
    )  # fmt: skip


async def recompute_from(repo: TrainingRepository, user_id: int, day: date, *, today: date) -> int:
    """Rewrite the rows from `day` (or the first day not stored before it) to today; count."""
    history = [day_fitness(r) for r in await repo.fitness_before(user_id, day, count=RAMP_DAYS)]
    start = day
    if history and history[-1].date < day - _ONE_DAY:
        # Rows stop short of the day (nothing recomputed since): continue from where they end.
        start = history[-1].date + _ONE_DAY
    end = max(today, day)
    loads = await repo.daily_loads(user_id, start, end)
    rows = compute_fitness(loads, start=start, end=end, history=history)
    await repo.upsert_fitness(user_id, rows)
    return len(rows)


async def recompute_all(repo: TrainingRepository, user_id: int, *, today: date) -> int:
    """Rewrite every row from the first activity on (none: no rows)."""
    first = await repo.first_activity_day(user_id)
    if first is None:
        await repo.delete_fitness_after(user_id, date.min)
        return 0
    await repo.delete_fitness_after(user_id, date.min)
    return await recompute_from(repo, user_id, first, today=today)


async def bring_up_to_date(repo: TrainingRepository, user_id: int, *, today: date) -> None:
    """Extend the stored rows to today when days passed since the last recompute."""
    last = await repo.last_fitness_day(user_id)
    if last is not None and last < today:
        await recompute_from(repo, user_id, last + _ONE_DAY, today=today)
