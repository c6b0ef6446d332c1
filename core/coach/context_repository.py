"""The coach's read of one athlete's training context: seven reads in one trip.

Every statement filters by the user it serves: nothing here can reach another athlete's
data. The statements are built once, with bind parameters, so the batch can compile each
once (core/db/batch.py); the rows come back as the plain dataclasses below.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Integer, bindparam, cast, extract, func, select
from sqlalchemy.sql.elements import BindParameter

from core.coach.repository import ACTIVE
from core.db.batch import fetch_all
from core.db.models import (
    ActivityMetrics,
    ChatMessage,
    FitnessMetrics,
    GarminFitnessData,
    RaceGoal,
    TrainingPlan,
)
from core.db.repository import Repository

MAX_RECENT_ACTIVITIES = 60
MAX_HISTORY_ROWS = 200
MAX_GOALS = 5

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RecentActivity:
    """An activity as the coach's context lists it (no laps, zones or note)."""

    id: int
    start_time: datetime
    local_date: date
    sport: str
    sub_sport: str | None
    timer_s: float | None
    elapsed_s: float | None
    distance_m: float | None
    avg_hr: float | None
    max_hr: float | None
    avg_power: float | None
    normalized_power: float | None
    load: float
    load_method: str
    rpe: int | None
    srpe_load: float | None


@dataclass(frozen=True, slots=True)
class SportMonth:
    """One sport's volume in one calendar month (local days)."""

    year: int
    month: int
    sport: str
    sessions: int
    seconds: float
    meters: float
    load: float


@dataclass(frozen=True, slots=True)
class FitnessFigures:
    day: date
    ctl: float
    atl: float
    tsb: float
    ramp: float | None
    acwr: float | None


@dataclass(frozen=True, slots=True)
class WellnessFigures:
    day: date
    resting_hr: int | None
    hrv_ms: float | None
    sleep_score: int | None
    sleep_seconds: int | None
    body_battery_high: int | None
    body_battery_low: int | None
    stress_avg: int | None
    training_readiness: int | None
    vo2max: float | None


@dataclass(frozen=True, slots=True)
class UpcomingGoal:
    id: int
    name: str
    race_date: date
    distance_m: float | None
    target_time_s: int | None


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """The active plan's columns (core/coach/plans.py makes its PlanResult)."""

    id: int
    title: str
    goal: str | None
    start_date: date
    end_date: date
    status: str
    plan: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ContextWindow:
    """Which rows the context covers: the local days (and chat time) from which each part
    is read; the caller clips them to the history the athlete's plan allows."""

    today: date
    recent_from: date
    volume_from: date
    fitness_from: date
    wellness_from: date
    chat_from: datetime | None  # None: no chat history wanted


@dataclass(frozen=True, slots=True)
class ContextRows:
    activities: list[RecentActivity]
    volume: list[SportMonth]  # newest month first; in a month, most sessions first
    fitness: FitnessFigures | None
    wellness: WellnessFigures | None
    goals: list[UpcomingGoal]
    plan: StoredPlan | None
    messages: list[tuple[str, str]]  # (role, content), oldest first


def _columns(model: type[Any], shape: type[Any]) -> list[Any]:
    """The model's columns named like the dataclass's fields, in their order."""
    return [getattr(model, f.name) for f in fields(shape)]


USER: BindParameter[int] = bindparam("user_id")
TODAY: BindParameter[date] = bindparam("today")

RECENT = (
    select(*_columns(ActivityMetrics, RecentActivity))
    .where(ActivityMetrics.user_id == USER, ActivityMetrics.local_date >= bindparam("recent"))
    .order_by(ActivityMetrics.start_time.desc())
    .limit(MAX_RECENT_ACTIVITIES)
)
YEAR = cast(extract("year", ActivityMetrics.local_date), Integer)
MONTH = cast(extract("month", ActivityMetrics.local_date), Integer)
SESSIONS = func.count()
# Summed by the database: a year of activities comes back as a dozen or two rows.
VOLUME = (
    select(
        YEAR.label("year"),
        MONTH.label("month"),
        ActivityMetrics.sport,
        SESSIONS.label("sessions"),
        func.coalesce(func.sum(ActivityMetrics.timer_s), 0.0).label("seconds"),
        func.coalesce(func.sum(ActivityMetrics.distance_m), 0.0).label("meters"),
        func.coalesce(func.sum(ActivityMetrics.load), 0.0).label("load"),
    )
    .where(ActivityMetrics.user_id == USER, ActivityMetrics.local_date >= bindparam("volume"))
    .group_by(YEAR, MONTH, ActivityMetrics.sport)
    .order_by(YEAR.desc(), MONTH.desc(), SESSIONS.desc(), ActivityMetrics.sport)
)


def _latest_day(model: Any, shape: type[Any], since: str) -> Any:
    """The newest of the user's daily rows from `since` up to today."""
    return (
        select(*_columns(model, shape))
        .where(model.user_id == USER, model.day <= TODAY, model.day >= bindparam(since))
        .order_by(model.day.desc())
        .limit(1)
    )


FITNESS = _latest_day(FitnessMetrics, FitnessFigures, "fitness")
WELLNESS = _latest_day(GarminFitnessData, WellnessFigures, "wellness")
GOALS = (
    select(*_columns(RaceGoal, UpcomingGoal))
    .where(RaceGoal.user_id == USER, RaceGoal.race_date >= TODAY)
    .order_by(RaceGoal.race_date, RaceGoal.id)
    .limit(MAX_GOALS)
)
PLAN = (
    select(*_columns(TrainingPlan, StoredPlan))
    .where(TrainingPlan.user_id == USER, TrainingPlan.status == ACTIVE)
    .order_by(TrainingPlan.id.desc())
    .limit(1)
)
MESSAGES = (
    select(ChatMessage.role, ChatMessage.content)
    .where(ChatMessage.user_id == USER, ChatMessage.created_at >= bindparam("chat"))
    .order_by(ChatMessage.id.desc())
    .limit(MAX_HISTORY_ROWS)
)


def _one(shape: type[T], rows: list[dict[str, Any]]) -> T | None:
    return shape(**rows[0]) if rows else None


class ContextRepository(Repository):
    """The coach's context of one user, read in the caller's transaction."""

    async def read(self, user_id: int, window: ContextWindow) -> ContextRows:
        params = {
            "user_id": user_id,
            "today": window.today,
            "recent": window.recent_from,
            "volume": window.volume_from,
            "fitness": window.fitness_from,
            "wellness": window.wellness_from,
            "chat": window.chat_from,
        }
        reads = [RECENT, VOLUME, FITNESS, WELLNESS, GOALS, PLAN]
        if window.chat_from is not None:
            reads.append(MESSAGES)
        results = await fetch_all(self.session, [(r, params) for r in reads])
        recent, volume, fitness, wellness, goals, plan, *chat = results
        return ContextRows(
            activities=[RecentActivity(**r) for r in recent],
            volume=[SportMonth(**r) for r in volume],
            fitness=_one(FitnessFigures, fitness),
            wellness=_one(WellnessFigures, wellness),
            goals=[UpcomingGoal(**r) for r in goals],
            plan=_one(StoredPlan, plan),
            messages=[(r["role"], r["content"]) for r in reversed(chat[0])] if chat else [],
        )
