"""Training plans and workouts from the model: the JSON shape asked for, its checks, the results.

The model answers in the server's structured-output mode where it has one (else JSON mode); its
answer is validated here before anything is stored, so a malformed plan or workout is refused
(and the user's unit refunded) rather than shown half-broken. Every plan session carries its
structured workout; one that does not hold together even after the safe repairs leaves that
session as text only, and a plan none of whose workouts holds together is refused.
"""

from __future__ import annotations

import json
import logging
import re
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.db.models import TrainingPlan
from core.db.models import Workout as WorkoutRow
from core.db.uow import UnitOfWork
from core.errors import N_, BadWorkout, LLMEmptyAnswer
from core.limits.feature_gate import release_active_plans
from core.training.structured import (
    WORKOUT_JSON_SCHEMA,
    AthleteThresholds,
    Repeat,
    Step,
    Workout,
    describe_workout,
    parse_workout,
    repair_workout,
    workout_fit_bytes,
    workout_zwo,
)
from core.training.structured.describe import KIND_NAMES, step_text, target_text
from core.training.structured.resolve import absolute_target

if TYPE_CHECKING:
    from core.coach.context_repository import StoredPlan

logger = logging.getLogger(__name__)

MAX_PLAN_WEEKS = 16
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

WORKOUT_SCHEMA_TEXT = """Answer with one JSON object only, in this shape:
{"name": "short workout title", "sport": "running", "indoor": false,
 "steps": [{"kind": "warmup", "duration": {"type": "time", "value": 900},
            "target": {"type": "hr_zone", "low": 1, "high": 2}, "note": null},
           {"kind": "repeat", "count": 4, "steps": [
             {"kind": "work", "duration": {"type": "distance", "value": 1000},
              "target": {"type": "pace_s_per_km", "low": 265, "high": 275}, "note": "steady"},
             {"kind": "recovery", "duration": {"type": "time", "value": 120},
              "target": {"type": "none", "low": null, "high": null}, "note": null}]},
           {"kind": "cooldown", "duration": {"type": "open", "value": null},
            "target": {"type": "none", "low": null, "high": null}, "note": null}]}
"sport" is cycling, running, swimming or other; "indoor" is true for a trainer or treadmill.
A step's "kind" is warmup, work, recovery, cooldown or rest; a repeat block is
{"kind": "repeat", "count": n, "steps": [...]}. Durations are in seconds ("time"), metres
("distance") or "open" (until the lap button, value null). Targets: "power_pct_ftp" and
"hr_pct_lthr" in percent, "hr_zone" 1-5, "pace_s_per_km" in seconds per km (low is the faster
pace), or "none" with null low and high. Put the session's purpose in the first step's note."""

PLAN_SCHEMA_TEXT = """Answer with one JSON object only, in this shape:
{"title": "short plan title",
 "weeks": [{"week": 1, "focus": "what this week builds",
            "sessions": [{"day": "Mon", "sport": "running", "title": "Easy run",
                          "duration_min": 45, "intensity": "easy",
                          "description": "how to do it, with paces/HR/power targets",
                          "workout": {"name": "Easy run", "sport": "running", "indoor": false,
                                      "steps": [...]}}]}]}
"day" is one of Mon, Tue, Wed, Thu, Fri, Sat, Sun. Leave rest days out. Week 1 starts on the
plan's start date. "intensity" is one of recovery, easy, moderate, hard or key (key: the week's
most important session). Each session's "workout" is that session as a structured workout:
short (warm-up, the main set as a repeat block, cool-down), its total time near "duration_min",
in this shape:
""" + WORKOUT_SCHEMA_TEXT.split("\n", 1)[1]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class SessionSpec(_Spec):
    day: str = Field(min_length=3, max_length=10)
    sport: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=200)
    duration_min: float = Field(ge=0, le=24 * 60)
    intensity: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2000)
    # The model's structured workout as it came; `parse_plan` puts the repaired one here, or
    # None when it does not hold together.
    workout: Any = None


class WeekSpec(_Spec):
    week: int = Field(ge=1, le=MAX_PLAN_WEEKS)
    focus: str = Field(default="", max_length=300)
    sessions: list[SessionSpec] = Field(default_factory=list, max_length=21)


class PlanSpec(_Spec):
    title: str = Field(min_length=1, max_length=200)
    weeks: list[WeekSpec] = Field(min_length=1, max_length=MAX_PLAN_WEEKS)


def _strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_SESSION_SCHEMA = _strict_object({
    "day": {"type": "string", "enum": list(WEEKDAYS)},
    "sport": {"type": "string"},
    "title": {"type": "string"},
    "duration_min": {"type": "number"},
    "intensity": {"type": "string"},
    "description": {"type": "string"},
    "workout": {"anyOf": [{"$ref": "#/$defs/workout"}, {"type": "null"}]},
})  # fmt: skip
_WORKOUT_OBJECT = {k: v for k, v in WORKOUT_JSON_SCHEMA.items() if k != "$defs"}

# The plan's JSON Schema for a server's strict structured-output mode: each session's workout
# in the workout's own schema (its definitions moved to the root, where its references point).
PLAN_JSON_SCHEMA: dict[str, Any] = {
    **_strict_object({
        "title": {"type": "string"},
        "weeks": {"type": "array", "items": _strict_object({
            "week": {"type": "integer"},
            "focus": {"type": "string"},
            "sessions": {"type": "array", "items": _SESSION_SCHEMA},
        })},
    }),
    "$defs": {**WORKOUT_JSON_SCHEMA["$defs"], "workout": _WORKOUT_OBJECT},
}  # fmt: skip
PLAN_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "plan", "strict": True, "schema": PLAN_JSON_SCHEMA},
}


@dataclass(frozen=True)
class PlanSession:
    day: date
    weekday: str
    sport: str
    title: str
    duration_min: int
    intensity: str
    description: str
    workout: Workout | None = None


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

    def session_on(self, day: date) -> PlanSession | None:
        """The day's planned session (the first, if the plan has two that day)."""
        week = self.week_of(day)
        return next((s for s in week.sessions if s.day == day), None) if week else None


@dataclass(frozen=True)
class WorkoutStep:
    name: str
    duration_min: int | None
    intensity: str


@dataclass(frozen=True)
class WorkoutFile:
    """A file of the workout for a device or an app: its name and bytes."""

    name: str
    content: bytes


@dataclass(frozen=True)
class WorkoutResult:
    """One day's workout; cached when it was already made for that day.

    `workout` is the structured session (None for workouts stored before there was one);
    `description` is then its steps as text with targets in the athlete's numbers, and
    `files` its FIT file (and a .zwo for indoor rides and runs) when asked for.
    """

    id: int
    day: date
    title: str
    sport: str | None
    duration_min: int | None
    description: str
    steps: tuple[WorkoutStep, ...]
    cached: bool = False
    workout: Workout | None = None
    files: tuple[WorkoutFile, ...] = ()


def _unreadable(what: str) -> LLMEmptyAnswer:
    return LLMEmptyAnswer(
        f"The AI coach answered with a {what} I could not read. Nothing was counted; "
        "please try again."
    )


WORKOUT_REFUSED = N_(
    "The AI coach answered with a workout that does not hold together, so nothing was counted; "
    "please try again."
)
MAX_FILE_STEM = 60


def _json_object(text: str, what: str) -> Any:
    # JSON mode should give bare JSON; some compatible servers still wrap it in a code fence.
    body = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", text)
    try:
        return json.loads(body)
    except ValueError:
        raise _unreadable(what) from None


def parse_plan(text: str) -> PlanSpec:
    """The model's plan, checked against the schema, each session's workout repaired (None when
    it cannot be), or LLMEmptyAnswer; also when workouts came and none of them holds together."""
    try:
        spec = PlanSpec.model_validate(_json_object(text, "plan"))
    except ValidationError:
        raise _unreadable("plan") from None
    numbers = [w.week for w in spec.weeks]
    if len(set(numbers)) != len(numbers):
        raise _unreadable("plan")
    given = valid = 0
    for week in spec.weeks:
        for session in week.sessions:
            if session.workout is None:
                continue
            given += 1
            session.workout = _session_workout(session.workout, session.title)
            valid += session.workout is not None
    if given and not valid:
        logger.info("plan refused: none of its %d workouts holds together", given)
        raise _unreadable("plan")
    return spec


def _session_workout(data: object, title: str) -> dict[str, Any] | None:
    """A session's workout after the safe repairs, as stored; None when it does not hold."""
    try:
        return repair_workout(data).to_json()
    except BadWorkout as exc:
        logger.info("a plan session's workout was left out (%s): %s", title[:40], exc.message)
        return None


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


def plan_result(row: TrainingPlan | StoredPlan) -> PlanResult:
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
                workout=stored_workout(s),
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


# -- structured workouts ----------------------------------------------------------------------


def read_workout(text: str) -> Workout:
    """The model's workout after the safe repairs, or LLMEmptyAnswer in one sentence."""
    body = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", text)
    try:
        return repair_workout(json.loads(body))
    except ValueError:
        logger.info("workout answer is not JSON")
    except BadWorkout as exc:
        logger.info("workout answer refused: %s", exc.message)
    raise LLMEmptyAnswer(WORKOUT_REFUSED)


def _legacy_steps(workout: Workout) -> list[dict[str, Any]]:
    """Top-level steps as name, minutes and intensity, for readers of the older shape."""
    out: list[dict[str, Any]] = []
    for item in workout.steps:
        seconds: float | None
        if isinstance(item, Repeat):
            inner = Workout(workout.name, workout.sport, workout.indoor, (item,))
            seconds = inner.total_time_s
            name = f"{item.count}× " + "; ".join(
                step_text(s, None) for s in item.steps if isinstance(s, Step)
            )
            intensity = ""
        else:
            seconds = item.duration.value if item.duration.type == "time" else None
            name = KIND_NAMES[item.kind] + (f": {item.note}" if item.note else "")
            intensity = target_text(item, absolute_target(item.target, None))
        minutes = None if not seconds else seconds / 60
        out.append({"name": name[:200], "duration_min": minutes, "intensity": intensity[:200]})
    return out


def workout_structure(workout: Workout) -> dict[str, Any]:
    """What the workouts.structure column holds: the structured workout under "workout", and
    minutes and named steps as the web app reads them."""
    minutes = workout.total_time_s / 60 or None
    return {"duration_min": minutes, "steps": _legacy_steps(workout), "workout": workout.to_json()}


def stored_workout(structure: dict[str, Any] | None) -> Workout | None:
    """The structured workout of a stored row; None for rows of the older shape."""
    data = (structure or {}).get("workout")
    if data is None:
        return None
    try:
        return parse_workout(data)
    except BadWorkout:
        logger.warning("a stored workout no longer validates")
        return None


def workout_result(row: WorkoutRow, *, cached: bool) -> WorkoutResult:
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
        workout=stored_workout(structure),
    )


def file_stem(name: str) -> str:
    """A file name from the workout's name that any watch or app takes: 'Tempo_4x1km'."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    return "_".join(words)[:MAX_FILE_STEM].strip("_") or "workout"


def with_files(
    result: WorkoutResult, profile: AthleteThresholds | None, *, created: datetime
) -> WorkoutResult:
    """The result with its description and files in the athlete's current numbers: a FIT file
    always, a .zwo too for an indoor ride or run Zwift can hold. Older workouts stay as they are."""
    workout = result.workout
    if workout is None:
        return result
    stem = file_stem(workout.name)
    files = [WorkoutFile(f"{stem}.fit", workout_fit_bytes(workout, profile, created=created))]
    if workout.indoor:
        with suppress(BadWorkout):  # a swim, or steps without a time: the FIT file alone
            files.append(WorkoutFile(f"{stem}.zwo", workout_zwo(workout, profile).encode()))
    return replace(result, description=describe_workout(workout, profile), files=tuple(files))


async def store_workout(
    uow: UnitOfWork,
    user_id: int,
    workout: Workout,
    *,
    day: date,
    at: datetime,
    profile: AthleteThresholds | None,
    source: str = "ai",
) -> WorkoutResult:
    """Store the workout for the user's local `day` (source "ai", or "plan" for a plan's)."""
    row = await uow.coach.add_workout(
        user_id,
        day=day,
        sport=workout.sport,
        title=workout.name[:200],
        description=describe_workout(workout, profile),
        structure=workout_structure(workout),
        source=source,
        created_at=at,
    )
    return workout_result(row, cached=False)
