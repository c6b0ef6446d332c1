"""The weekly report: every Monday at the athlete's summary time, the week just ended.

Each report is one transaction: the week's figures are stored in weekly_summaries (with
reported_at) and the push goes into the outbox under "weekly:<user_id>:<week_start>". A tick
that dies before the commit leaves nothing behind, so the next tick composes it again; after
the commit the week counts as reported and the outbox delivers it, so a restart never sends
it twice and never skips it. Reports are due on the Monday only: an account made later in the
week does not get last week's report on a Thursday.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock, utcnow
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.notify.kinds import WEEKLY_REPORT
from core.notify.outbox import DATA_KEY, from_data, to_data
from core.notify.weekly_figures import WeeklyReport, compose
from core.notify.weekly_repository import WeeklyReportRepository
from core.training import fitness_store
from core.training.reports import WeekFigures, week_data, week_figures

logger = logging.getLogger(__name__)

__all__ = ["DueReport", "WeeklyReport", "WeeklyReportService"]

CANDIDATE_LIMIT = 50_000
# UTC weekdays on which it is Monday somewhere (local dates are within a day of UTC's).
_MONDAY_SOMEWHERE = (6, 0, 1)
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DueReport:
    user_id: int
    week_start: date  # the Monday of the week just ended, local

    @property
    def key(self) -> str:
        return weekly_key(self.user_id, self.week_start)


def weekly_key(user_id: int, week_start: date) -> str:
    """The outbox dedup key of one athlete's report of one week."""
    return f"weekly:{user_id}:{week_start.isoformat()}"


class WeeklyReportService:
    """Finds who is due the report of last week and enqueues it, once per week."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    async def due(self, now: datetime) -> list[DueReport]:
        """Athletes for whom it is Monday past their summary time, with last week unreported."""
        utc = now.astimezone(UTC)
        if utc.weekday() not in _MONDAY_SOMEWHERE:
            return []
        async with self._uow(readonly=True) as uow:
            rows = await uow.weekly.candidates(utc.date(), limit=CANDIDATE_LIMIT)
        due = []
        for user_id, tz, at in rows:
            local = now.astimezone(ZoneInfo(tz))
            if local.weekday() == 0 and local.time() >= at:
                due.append(DueReport(user_id, local.date() - _WEEK))
        return due

    async def enqueue(self, items: Sequence[DueReport]) -> int:
        """Compose, store and enqueue each due report (one transaction each); how many."""
        count = 0
        for item in items:
            try:
                count += await self._report(item)
            except Exception:  # one athlete's odd rows must not hold back everyone else's
                logger.exception("weekly report of user %s failed", item.user_id)
        return count

    async def _report(self, item: DueReport) -> bool:
        async with self._uow() as uow:
            repo = uow.weekly
            report, figures = await self._compose(uow, repo, item)
            data = to_data(report)
            # /week's figures and the report side by side: one row reads the same to both.
            stored = {**week_data(figures), "report": data}
            if not await repo.record(item.user_id, item.week_start, stored, at=self._clock()):
                return False  # reported already (another tick got there first)
            await uow.pushes.add(
                item.user_id, kind=WEEKLY_REPORT, dedup_key=item.key, payload={DATA_KEY: data}
            )
            await uow.commit()
        return True

    async def _compose(
        self, uow: UnitOfWork, repo: WeeklyReportRepository, item: DueReport
    ) -> tuple[WeeklyReport, WeekFigures]:
        uid, start = item.user_id, item.week_start
        end, today = start + timedelta(days=6), start + _WEEK
        await fitness_store.bring_up_to_date(uow.training, uid, today=today)
        fitness = await uow.training.fitness_between(uid, start - _WEEK - timedelta(days=1), end)
        activities = await uow.training.activities_between(uid, start, end)
        report = compose(
            start,
            activities=activities,
            fitness={r.day: r for r in fitness},
            wellness=await repo.wellness(uid, start - 2 * _WEEK, end),
            plans=await repo.plans(uid, start, today + timedelta(days=6)),
        )
        user = await uow.users.get(uid)
        tz = user.timezone if user is not None else "UTC"
        return report, week_figures(start, activities, tz, await uow.profiles.get(uid))

    async def stored(self, user_id: int, week_start: date) -> WeeklyReport | None:
        """The report stored for one week of this athlete (None: not reported)."""
        async with self._uow(readonly=True) as uow:
            row = await uow.weekly.stored(user_id, week_start)
        if row is None or row.reported_at is None or not isinstance(row.data.get("report"), dict):
            return None
        return from_data(WeeklyReport, row.data["report"])
