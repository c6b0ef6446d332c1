"""The morning summary: once per local day, at the athlete's chosen time, through the outbox.

A summary is enqueued with the dedup key "summary:<user_id>:<local date>" (stored once) and
users.last_summary_on is set only after Telegram accepted it, so a restart at any point
neither loses a summary nor sends it twice. For an athlete with an active plan the morning also
decides the day's session (core.coach.adaptive_day) and the summary says what changed and why.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock, utcnow
from core.coach.adaptive_day import AdaptedDay, AdaptiveDay
from core.db.models import GarminFitnessData, RaceGoal
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.notify.kinds import SUMMARY
from core.notify.outbox import NewPush, PushService
from core.training import fitness_store
from core.training.reasons import Reason
from core.training.reports import TodayReport, today_report

logger = logging.getLogger(__name__)

CANDIDATE_LIMIT = 50_000
BATCH = 200


@dataclass(frozen=True)
class DueSummary:
    user_id: int
    day: date  # the athlete's local date

    @property
    def key(self) -> str:
        return f"summary:{self.user_id}:{self.day.isoformat()}"


@dataclass(frozen=True)
class SportTime:
    sport: str
    seconds: float


@dataclass(frozen=True)
class DayNote:
    """The adapted day as the summary tells it: the action (keep, soften, recovery, move), the
    planned and adapted session titles, and why."""

    action: str
    planned: str
    adapted: str
    why: tuple[Reason, ...] = ()  # stored as templates: translated when the push is sent
    cut_pct: int = 0
    moved: str | None = None

    @classmethod
    def of(cls, day: AdaptedDay) -> DayNote:
        return cls(day.action, day.planned_title, day.adapted_title, day.why,
                   day.target_cut_pct, day.moved)  # fmt: skip


@dataclass(frozen=True)
class MorningSummary:
    """The data of a morning push (kind "summary"): the /today figures, yesterday's sessions,
    and the day's planned session as adapted (athletes with an active plan)."""

    report: TodayReport
    yesterday: tuple[SportTime, ...]
    plan_day: DayNote | None = None


class DailySummaryService:
    """Finds who is due a morning summary, enqueues it, and confirms it once delivered."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        pushes: PushService,
        *,
        clock: Clock = utcnow,
        adaptive: AdaptiveDay | None = None,
    ) -> None:
        self._uow = uow
        self._pushes = pushes
        self._clock = clock
        self._adaptive = adaptive or AdaptiveDay(uow, clock=clock)

    async def due(self, now: datetime) -> list[DueSummary]:
        """Users whose summary time has passed in their zone and who have none for today."""
        async with self._uow() as uow:
            rows = await uow.due.summary_candidates(now.date(), limit=CANDIDATE_LIMIT)
        due = []
        for user_id, tz, at, last in rows:
            local = now.astimezone(ZoneInfo(tz))
            if local.time() >= at and (last is None or last < local.date()):
                due.append(DueSummary(user_id, local.date()))
        return due

    async def enqueue(self, items: Sequence[DueSummary]) -> int:
        """Put each due summary in the outbox (at most once); how many were new."""
        count = 0
        for i in range(0, len(items), BATCH):
            count += await self._enqueue_batch(items[i : i + BATCH])
        return count

    async def _enqueue_batch(self, items: Sequence[DueSummary]) -> int:
        # One transaction and a handful of queries per batch: a morning of thousands stays fast.
        async with self._uow() as uow:
            queued = await uow.due.push_keys([i.key for i in items])
            todo = [i for i in items if i.key not in queued]  # queued: flush + confirm finish it
            decided: dict[int, AdaptedDay] = {}
            summaries = await self._compose(uow, todo, decided) if todo else []
            await uow.commit()  # the fitness rows brought up to date, the days decided
        await self._pushes.enqueue_many(
            [NewPush(item.user_id, SUMMARY, item.key, summary) for item, summary in summaries]
        )
        for user_id, day in decided.items():  # after the pushes: the calendar may be slow
            if day.new:
                await self._adaptive.publish(user_id, day)
        return len(summaries)

    async def _compose(
        self, uow: UnitOfWork, items: Sequence[DueSummary], decided: dict[int, AdaptedDay]
    ) -> list[tuple[DueSummary, MorningSummary]]:
        """The same figures as /today, for a batch of athletes; the days of those with an
        active plan decided (and put in `decided`)."""
        ids = [i.user_id for i in items]
        first = min(i.day for i in items) - timedelta(days=2)
        last = max(i.day for i in items)
        stale = await uow.summaries.last_fitness_days(ids)
        for item in items:  # extend fitness rows to today, as /today does
            if item.user_id in stale and stale[item.user_id] < item.day:
                await fitness_store.bring_up_to_date(uow.training, item.user_id, today=item.day)
        fitness = {(r.user_id, r.day): r for r in await uow.summaries.fitness(ids, first, last)}
        goals: dict[int, list[RaceGoal]] = defaultdict(list)
        for g in await uow.summaries.goals(ids, first):
            goals[g.user_id].append(g)
        wellness: dict[int, list[GarminFitnessData]] = defaultdict(list)
        for w in await uow.summaries.wellness(ids, first, last):
            wellness[w.user_id].append(w)
        sessions: dict[tuple[int, date], list[SportTime]] = defaultdict(list)
        for uid, day, sport, secs in await uow.summaries.sessions(ids, first, last):
            sessions[(uid, day)].append(SportTime(sport, secs))
        tsb = {i.user_id: f.tsb for i in items if (f := fitness.get((i.user_id, i.day)))}
        decided.update(
            await self._adaptive.decide(uow, [(i.user_id, i.day) for i in items], tsb=tsb)
        )
        out = []
        for item in items:
            uid, today = item.user_id, item.day
            yday = today - timedelta(days=1)
            goal = next((g for g in goals[uid] if g.race_date >= today), None)
            well = [w for w in wellness[uid] if today - timedelta(days=2) <= w.day <= today]
            report = today_report(
                today, fitness=fitness.get((uid, today)), yesterday=fitness.get((uid, yday)),
                wellness=well[-1] if well else None, goal=goal,
            )  # fmt: skip
            plan_day = DayNote.of(decided[uid]) if uid in decided else None
            out.append((item, MorningSummary(report, tuple(sessions[(uid, yday)]), plan_day)))
        return out

    async def confirm(self, items: Sequence[DueSummary]) -> int:
        """Record the day as done for every summary Telegram accepted; how many."""
        if not items:
            return 0
        async with self._uow() as uow:
            sent = await uow.due.push_keys([i.key for i in items], sent_only=True)
            by_day: dict[date, list[int]] = defaultdict(list)
            for item in items:
                if item.key in sent:
                    by_day[item.day].append(item.user_id)
            for day, user_ids in by_day.items():
                await uow.due.mark_summaries_sent(day, user_ids)
            await uow.commit()
        return sum(len(v) for v in by_day.values())
