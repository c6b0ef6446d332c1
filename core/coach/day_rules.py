"""The adaptive day's decision from its rows, and the decision as stored: pure functions.

Readiness comes from this morning's wellness against the 7 days before (HRV, resting HR),
sleep, body battery (the day's high, i.e. the morning charge) and today's form (TSB). Yesterday
counts through its planned session and the load actually done (missed or overdone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from core.coach.plans import PlanResult, PlanSession, PlanWeek
from core.db.models import GarminFitnessData
from core.errors import BadWorkout
from core.training.adapted_session import expected_load, kind_of, recovery_workout, softened
from core.training.readiness import (
    Action,
    Adaptation,
    PlannedSession,
    ReadinessInputs,
    Yesterday,
    adapt_session,
    assess_readiness,
)
from core.training.reasons import Reason
from core.training.structured import Workout, parse_workout
from core.training.structured.model import SPORTS, Sport

_SPORT_WORDS = (("cycling", ("cycl", "bike", "ride")), ("running", ("run",)),
                ("swimming", ("swim",)))  # fmt: skip


@dataclass(frozen=True)
class DayInputs:
    """What the day's decision reads: the plan, the day, wellness of the day and the 7 before,
    today's form, and yesterday's (load, activities) if anything was done."""

    plan: PlanResult
    day: date
    wellness: Sequence[GarminFitnessData]
    tsb: float | None
    yesterday: tuple[float, int] | None


@dataclass(frozen=True)
class AdaptedDay:
    """The day's decision: keep, soften, recovery or move, why (short sentences), the planned
    and the adapted session's titles, and the session to do as a structured workout (if any)."""

    day: date
    plan_id: int | None
    action: Action
    reasons: tuple[Reason, ...]  # templates with params: the bot translates them
    planned_title: str
    adapted_title: str
    target_cut_pct: int = 0
    moved: str | None = None
    workout: Workout | None = None
    new: bool = False  # decided by this call; False when it was stored earlier

    @property
    def changed(self) -> bool:
        return self.action != "keep"

    @property
    def why(self) -> tuple[Reason, ...]:
        """The reasons without the closing sentence that names the change itself."""
        names_change = self.action in ("soften", "recovery") or self.moved == "later"
        return self.reasons[:-1] if names_change and len(self.reasons) > 1 else self.reasons


def readiness_inputs(
    wellness: Sequence[GarminFitnessData], day: date, tsb: float | None
) -> ReadinessInputs:
    """This morning's figures and the 7 days before as baselines."""
    today = next((w for w in wellness if w.day == day), None)
    before = [w for w in wellness if day - timedelta(7) <= w.day < day]
    return ReadinessInputs(
        tsb=tsb,
        hrv_ms=today.hrv_ms if today else None,
        hrv_baseline=[w.hrv_ms for w in before if w.hrv_ms is not None],
        sleep_score=today.sleep_score if today else None,
        body_battery=today.body_battery_high if today else None,
        resting_hr=today.resting_hr if today else None,
        resting_hr_baseline=[w.resting_hr for w in before if w.resting_hr is not None],
    )


def planned_session(session: PlanSession, week: PlanWeek) -> PlannedSession:
    """The session as the rules see it; a week that names no key session has its biggest hard
    session as key."""
    kinds = {id(s): kind_of(s.intensity, s.title, s.workout) for s in week.sessions}
    loads = {id(s): expected_load(kinds[id(s)], s.duration_min, s.workout) for s in week.sessions}
    kind = kinds[id(session)]
    if kind == "hard" and "key" not in kinds.values():
        hardest = max(
            (s for s in week.sessions if kinds[id(s)] == "hard"), key=lambda s: loads[id(s)]
        )
        kind = "key" if hardest is session else kind
    return PlannedSession(session.title, kind, loads[id(session)])


def decide_day(inputs: DayInputs) -> tuple[AdaptedDay, dict[str, Any]] | None:
    """The decision and its row fields; None when the plan has no session that day."""
    plan, day = inputs.plan, inputs.day
    session, week = _session(plan, day)
    if session is None or week is None:
        return None
    planned = planned_session(session, week)
    yday_session, yday_week = _session(plan, day - timedelta(1))
    load, count = inputs.yesterday or (0.0, 0)
    yesterday = Yesterday(
        planned_session(yday_session, yday_week) if yday_session and yday_week else None,
        load,
        count,
    )
    readiness = assess_readiness(readiness_inputs(inputs.wellness, day, inputs.tsb))
    adaptation = adapt_session(planned, readiness, yesterday)
    workout = _workout(adaptation, session, yday_session)
    row = {
        "plan_id": plan.id,
        "action": adaptation.action,
        "reasons": [r.to_json() for r in adaptation.reasons],
        "planned": {"title": session.title, "kind": planned.kind, "sport": session.sport,
                    "duration_min": session.duration_min, "load": planned.load,
                    "workout": session.workout.to_json() if session.workout else None},
        "adapted": {"title": adaptation.session.title, "kind": adaptation.session.kind,
                    "target_cut_pct": adaptation.target_cut_pct, "moved": adaptation.moved,
                    "workout": workout.to_json() if workout else None},
    }  # fmt: skip
    return stored_day(day, plan.id, row, new=True), row


def stored_day(
    day: date, plan_id: int | None, row: Mapping[str, Any], *, new: bool = False
) -> AdaptedDay:
    """A decision from its stored fields (action, reasons, planned, adapted)."""
    planned = row.get("planned") or {}
    adapted = row.get("adapted") or {}
    return AdaptedDay(
        day=day,
        plan_id=plan_id,
        action=cast(Action, row["action"]),
        reasons=tuple(Reason.from_json(r) for r in row.get("reasons") or ()),
        planned_title=str(planned.get("title", "")),
        adapted_title=str(adapted.get("title", "")),
        target_cut_pct=int(adapted.get("target_cut_pct") or 0),
        moved=adapted.get("moved"),
        workout=_parsed(adapted.get("workout")),
        new=new,
    )


def _session(plan: PlanResult, day: date) -> tuple[PlanSession | None, PlanWeek | None]:
    week = plan.week_of(day)
    return plan.session_on(day), week


def _workout(
    adaptation: Adaptation, session: PlanSession, yesterday: PlanSession | None
) -> Workout | None:
    if adaptation.action == "soften":
        return softened(session.workout, adaptation.target_cut_pct) if session.workout else None
    if adaptation.action == "move" and adaptation.moved == "today":
        return yesterday.workout if yesterday else None
    if adaptation.action in ("recovery", "move"):
        indoor = session.workout.indoor if session.workout else False
        return recovery_workout(_sport(session), indoor=indoor)
    return session.workout


def _sport(session: PlanSession) -> Sport:
    if session.workout is not None:
        return session.workout.sport
    text = session.sport.lower()
    if text in SPORTS:
        return cast(Sport, text)
    return next(
        (cast(Sport, s) for s, words in _SPORT_WORDS if any(w in text for w in words)), "other"
    )


def _parsed(data: object) -> Workout | None:
    if data is None:
        return None
    try:
        return parse_workout(data)
    except BadWorkout:
        return None
