"""Training plans and workouts from the model: the JSON shape asked for, its checks, the results.

The model answers in JSON mode; its answer is validated here before anything is stored, so a
malformed plan is refused (and the user's unit refunded) rather than shown half-broken.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.db.models import TrainingPlan, Workout
from core.db.uow import UnitOfWork
from core.errors import LLMEmptyAnswer
from core.limits.feature_gate import release_active_plans

MAX_PLAN_WEEKS = 16
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

PLAN_SCHEMA_TEXT = """Answer with one JSON object only, in this shape:
{"title": "short plan title",
 "weeks": [{"week": 1, "focus": "what this week builds",
            "sessions": [{"day": "Mon", "sport": "running", "title": "Easy run",
                          "duration_min": 45, "intensity": "easy",
                          "description": "how to do it, with paces/HR/power targets"}]}]}
"day" is one of Mon, Tue, Wed, Thu, Fri, Sat, Sun. Leave rest days out. Week 1 starts on the
plan's start date."""

WORKOUT_SCHEMA_TEXT = """Answer with one JSON object only, in this shape:
{"title": "short workout title", "sport": "running", "duration_min": 60,
 "description": "purpose of the session and how it should feel",
 "steps": [{"name": "Warm-up", "duration_min": 15, "intensity": "easy, HR below 140"}]}"""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class SessionSpec(_Spec):
    day: str = Field(min_length=3, max_length=10)
    sport: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=200)
    duration_min: float = Field(ge=0, le=24 * 60)
    intensity: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2000)


class WeekSpec(_Spec):
    week: int = Field(ge=1, le=MAX_PLAN_WEEKS)
    focus: str = Field(default="", max_length=300)
    sessions: list[SessionSpec] = Field(default_factory=list, max_length=21)


class PlanSpec(_Spec):
    title: str = Field(min_length=1, max_length=200)
    weeks: list[WeekSpec] = Field(min_length=1, max_length=MAX_PLAN_WEEKS)


class StepSpec(_Spec):
    name: str = Field(min_length=1, max_length=200)
    duration_min: float | None = Field(default=None, ge=0, le=24 * 60)
    intensity: str = Field(default="", max_length=200)


class WorkoutSpec(_Spec):
    title: str = Field(min_length=1, max_length=200)
    sport: str = Field(min_length=1, max_length=32)
    duration_min: float = Field(ge=0, le=24 * 60)
    description: str = Field(default="", max_length=4000)
    steps: list[StepSpec] = Field(default_factory=list, max_length=40)

    @field_validator("steps", mode="before")
    @classmethod
    def _steps_may_be_strings(cls, value: Any) -> Any:
        # Models often list steps as plain sentences; that is still a usable workout.
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


@dataclass(frozen=True)
class PlanSession:
    day: date
    weekday: str
    sport: str
    title: str
    duration_min: int
    intensity: str
    description: str


@dataclass(frozen=True)
class PlanWeek:
    week: int
    start: date
    focus: str
    sessions: tuple[PlanSession, ...]


@dataclass(frozen=True)
class PlanResult:
    """A training plan as the bot shows it: weeks with dated sessions."""

    id: int
    title: str
    goal: str | None
    start_date: date
    end_date: date
    status: str
    weeks: tuple[PlanWeek, ...]

    def week_of(self, day: date) -> PlanWeek | None:
        """The plan week that contains `day`."""
        return next((w for w in self.weeks if w.start <= day < w.start + timedelta(7)), None)


@dataclass(frozen=True)
class WorkoutStep:
    name: str
    duration_min: int | None
    intensity: str


@dataclass(frozen=True)
class WorkoutResult:
    """One day's workout; cached when it was already made for that day."""

    id: int
    day: date
    title: str
    sport: str | None
    duration_min: int | None
    description: str
    steps: tuple[WorkoutStep, ...]
    cached: bool = False


def _unreadable(what: str) -> LLMEmptyAnswer:
    return LLMEmptyAnswer(
        f"The AI coach answered with a {what} I could not read. Nothing was counted; "
        "please try again."
    )


def _json_object(text: str, what: str) -> Any:
    # JSON mode should give bare JSON; some compatible servers still wrap it in a code fence.
    body = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", text)
    try:
        return json.loads(body)
    except ValueError:
        raise _unreadable(what) from None


def parse_plan(text: str) -> PlanSpec:
    """The model's plan, checked against the schema, or LLMEmptyAnswer."""
    try:
        spec = PlanSpec.model_validate(_json_object(text, "plan"))
    except ValidationError:
        raise _unreadable("plan") from None
    numbers = [w.week for w in spec.weeks]
    if len(set(numbers)) != len(numbers):
        raise _unreadable("plan")
    return spec


def parse_workout(text: str) -> WorkoutSpec:
    """The model's workout, checked against the schema, or LLMEmptyAnswer."""
    try:
        return WorkoutSpec.model_validate(_json_object(text, "workout"))
    except ValidationError:
        raise _unreadable("workout") from None


def _session_day(day: str, week_start: date) -> date:
    """A weekday name ("Mon", "monday") within the week starting at week_start, or an ISO date."""
    key = day[:3].capitalize()
    if key in WEEKDAYS:
        offset = (WEEKDAYS.index(key) - week_start.weekday()) % 7
        return week_start + timedelta(days=offset)
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise _unreadable("plan") from None


def plan_document(spec: PlanSpec, start: date) -> dict[str, Any]:
    """The plan as stored: weeks in order, every session with its date (ISO strings)."""
    end = start + timedelta(days=7 * max(w.week for w in spec.weeks) - 1)
    weeks = []
    for w in sorted(spec.weeks, key=lambda w: w.week):
        week_start = start + timedelta(days=7 * (w.week - 1))
        sessions = []
        for s in w.sessions:
            day = _session_day(s.day, week_start)
            if not start <= day <= end:
                raise _unreadable("plan")
            sessions.append({**s.model_dump(exclude={"day"}), "day": day.isoformat()})
        sessions.sort(key=lambda s: s["day"])
        weeks.append(
            {
                "week": w.week,
                "start": week_start.isoformat(),
                "focus": w.focus,
                "sessions": sessions,
            }
        )
    return {"title": spec.title, "weeks": weeks}


def plan_result(row: TrainingPlan) -> PlanResult:
    """A stored plan row as plain dataclasses."""
    weeks = []
    for w in row.plan.get("weeks", []):
        sessions = tuple(
            PlanSession(
                day=(d := date.fromisoformat(s["day"])),
                weekday=WEEKDAYS[d.weekday()],
                sport=str(s.get("sport", "")),
                title=str(s.get("title", "")),
                duration_min=int(round(float(s.get("duration_min") or 0))),
                intensity=str(s.get("intensity", "")),
                description=str(s.get("description", "")),
            )
            for s in w.get("sessions", [])
        )
        weeks.append(
            PlanWeek(
                int(w["week"]), date.fromisoformat(w["start"]), str(w.get("focus", "")), sessions
            )
        )
    return PlanResult(
        row.id, row.title, row.goal, row.start_date, row.end_date, row.status, tuple(weeks)
    )


def workout_structure(spec: WorkoutSpec) -> dict[str, Any]:
    """What the workouts.structure column holds."""
    return {"duration_min": spec.duration_min, "steps": [s.model_dump() for s in spec.steps]}


def workout_result(row: Workout, *, cached: bool) -> WorkoutResult:
    """A stored workout row as a plain dataclass."""
    structure = row.structure or {}
    steps = tuple(
        WorkoutStep(
            name=str(s.get("name", "")),
            duration_min=None if s.get("duration_min") is None else round(s["duration_min"]),
            intensity=str(s.get("intensity", "")),
        )
        for s in structure.get("steps", [])
    )
    minutes = structure.get("duration_min")
    return WorkoutResult(
        id=row.id,
        day=row.day,
        title=row.title,
        sport=row.sport,
        duration_min=None if minutes is None else round(minutes),
        description=row.description,
        steps=steps,
        cached=cached,
    )


async def close_plans(
    uow: UnitOfWork, user_id: int, *, status: str, ended_before: date | None = None
) -> int:
    """Close the user's active plans (those ended before a day, if given) and stop counting
    them, in the caller's transaction; how many were closed."""
    closed = await uow.coach.close_active_plans(user_id, status=status, ended_before=ended_before)
    await release_active_plans(uow, user_id, closed)
    return closed


async def store_plan(
    uow: UnitOfWork, user_id: int, spec: PlanSpec, *, start: date, goal: str, at: datetime
) -> PlanResult:
    """Make `spec` the active plan, archiving any other (and releasing its count)."""
    document = plan_document(spec, start)
    end = date.fromisoformat(document["weeks"][-1]["start"]) + timedelta(days=6)
    await close_plans(uow, user_id, status="archived")
    row = await uow.coach.add_plan(
        user_id,
        title=spec.title[:200],
        goal=goal,
        start_date=start,
        end_date=end,
        plan=document,
        created_at=at,
    )
    return plan_result(row)


async def store_workout(
    uow: UnitOfWork, user_id: int, spec: WorkoutSpec, *, day: date, at: datetime
) -> WorkoutResult:
    """Store the workout for the user's local `day`."""
    row = await uow.coach.add_workout(
        user_id,
        day=day,
        sport=spec.sport[:32],
        title=spec.title[:200],
        description=spec.description,
        structure=workout_structure(spec),
        source="ai",
        created_at=at,
    )
    return workout_result(row, cached=False)
