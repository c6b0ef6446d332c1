"""The morning summary: once per local day, at the athlete's chosen time, through the outbox.

A summary is enqueued with the dedup key "summary:<user_id>:<local date>" (stored once) and
users.last_summary_on is set only after Telegram accepted it, so a restart at any point
neither loses a summary nor sends it twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock, utcnow
from core.db.models import FitnessMetrics, GarminFitnessData, RaceGoal
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.garmin.notices import fmt_duration
from core.notify.outbox import NewPush, PushService
from core.training import fitness_store
from core.training.fitness import form_reading
from core.training.reports import TodayReport, Wellness

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


def summary_text(report: TodayReport, yesterday: Sequence[tuple[str, float]]) -> str:
    """The summary as HTML (only our own words and numbers: nothing to escape)."""
    lines = [f"<b>Good morning! {report.today:%A, %d %B}</b>"]
    if yesterday:
        sports = ", ".join(f"{sport.replace('_', ' ')} {fmt_duration(t)}" for sport, t in yesterday)
        lines.append(f"Yesterday: {sports}; load {report.yesterday_load:.0f}")
    else:
        lines.append("Yesterday: rest day")
    lines.append(f"Form (TSB): {report.tsb:+.0f} ({report.form})")
    lines.append(f"Fitness (CTL) {report.ctl:.0f} · Fatigue (ATL) {report.atl:.0f}")
    w = report.wellness
    if w is not None:
        parts = []
        if w.sleep_score is not None or w.sleep_seconds:
            hours = f" ({(w.sleep_seconds or 0) / 3600:.1f} h)" if w.sleep_seconds else ""
            parts.append(f"sleep {w.sleep_score if w.sleep_score is not None else '-'}{hours}")
        if w.hrv_ms is not None:
            parts.append(f"HRV {w.hrv_ms:.0f} ms")
        if w.body_battery_high is not None:
            parts.append(f"body battery {w.body_battery_high}")
        if w.training_readiness is not None:
            parts.append(f"readiness {w.training_readiness}")
        if parts:
            lines.append("Recovery: " + " · ".join(parts))
    if report.goal_days is not None:
        lines.append(f"{report.goal_days} days to your next race.")
    return "\n".join(lines)


def _report(
    today: date, now_row: FitnessMetrics | None, y_row: FitnessMetrics | None,
    well: GarminFitnessData | None, goal: RaceGoal | None,
) -> TodayReport:  # fmt: skip
    tsb = now_row.tsb if now_row else 0.0
    return TodayReport(
        today=today, yesterday_load=y_row.load if y_row else 0.0,
        ctl=now_row.ctl if now_row else 0.0, atl=now_row.atl if now_row else 0.0, tsb=tsb,
        form=form_reading(tsb), has_data=now_row is not None, wellness=_wellness(well),
        workout_title=None, workout_text=None, goal_name=goal.name if goal else None,
        goal_days=(goal.race_date - today).days if goal else None,
    )  # fmt: skip


def _wellness(row: GarminFitnessData | None) -> Wellness | None:
    if row is None:
        return None
    return Wellness(
        day=row.day, sleep_score=row.sleep_score, sleep_seconds=row.sleep_seconds,
        hrv_ms=row.hrv_ms, body_battery_high=row.body_battery_high,
        body_battery_low=row.body_battery_low, training_readiness=row.training_readiness,
        resting_hr=row.resting_hr,
    )  # fmt: skip


class DailySummaryService:
    """Finds who is due a morning summary, enqueues it, and confirms it once delivered."""

    def __init__(
        self, uow: UnitOfWorkFactory, pushes: PushService, *, clock: Clock = utcnow
    ) -> None:
        self._uow = uow
        self._pushes = pushes
        self._clock = clock

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
            texts = await self._compose(uow, todo) if todo else []
            await uow.commit()  # the fitness rows brought up to date
        await self._pushes.enqueue_many(
            [NewPush(item.user_id, "summary", item.key, text) for item, text in texts]
        )
        return len(texts)

    async def _compose(
        self, uow: UnitOfWork, items: Sequence[DueSummary]
    ) -> list[tuple[DueSummary, str]]:
        """The same figures as /today, for a batch of athletes."""
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
        sessions: dict[tuple[int, date], list[tuple[str, float]]] = defaultdict(list)
        for uid, day, sport, secs in await uow.summaries.sessions(ids, first, last):
            sessions[(uid, day)].append((sport, secs))
        out = []
        for item in items:
            uid, today = item.user_id, item.day
            yday = today - timedelta(days=1)
            goal = next((g for g in goals[uid] if g.race_date >= today), None)
            well = [w for w in wellness[uid] if today - timedelta(days=2) <= w.day <= today]
            report = _report(
                today, fitness.get((uid, today)), fitness.get((uid, yday)),
                well[-1] if well else None, goal,
            )  # fmt: skip
            out.append((item, summary_text(report, sessions[(uid, yday)])))
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
