"""A planned session as the adaptive day sees it: its kind, its expected load, and the session
with lowered targets or swapped for recovery. Pure functions of the structured workout.

Expected load is TSS-like: hours x IF^2 x 100 (Coggan), with the intensity factor of each step
read from its target (% FTP or % LTHR as IF, HR zones 1-5 at 0.55-1.05) or, without one, from
the step's kind; a session without a workout uses its minutes and its intensity word. It is an
estimate on the scale of the stored activity loads (TSS or TRIMP-based), good enough to tell a
missed or much overdone day from a normal one.
"""

from __future__ import annotations

from dataclasses import replace

from core.training.readiness import RECOVERY_MAX_PCT_FTP, RECOVERY_MINUTES, SessionKind
from core.training.structured import Duration, Repeat, Step, Target, Workout
from core.training.structured.model import Item, Sport
from core.training.structured.parse import MAX_NAME

_ZONE_IF = {1: 0.55, 2: 0.7, 3: 0.8, 4: 0.9, 5: 1.05}
_KIND_IF = {"warmup": 0.6, "cooldown": 0.55, "recovery": 0.5, "rest": 0.4, "work": 0.85}
_SESSION_IF: dict[SessionKind, float] = {"recovery": 0.55, "easy": 0.65, "hard": 0.85, "key": 0.9}
HARD_IF = 0.85  # a session whose hardest work step reaches this is hard (threshold and above)
# Words of a session's intensity (or title), first match wins, in this order.
_WORDS: tuple[tuple[SessionKind, tuple[str, ...]], ...] = (
    ("key", ("key", "race")),
    ("recovery", ("recovery", "rest", "very easy")),
    ("hard", ("hard", "threshold", "interval", "vo2", "tempo", "sweet spot", "anaerobic")),
    ("easy", ("easy", "endurance", "aerobic", "base", "zone 2", "z2", "z1", "light")),
)


def kind_of(intensity: str, title: str, workout: Workout | None) -> SessionKind:
    """The session's kind from its intensity word, its title, or its hardest work step."""
    for text in (intensity.lower(), title.lower()):
        for kind, words in _WORDS:
            if any(w in text for w in words):
                return kind
    if workout is not None:
        work = [_step_if(s) for s in workout.expanded() if s.kind == "work"]
        return "hard" if work and max(work) >= HARD_IF else "easy"
    return "easy"


def expected_load(kind: SessionKind, minutes: float, workout: Workout | None) -> float:
    """The session's planned load (TSS-like), from its steps where they tell their time."""
    timed = [(s, _seconds(s)) for s in workout.expanded()] if workout else []
    seconds = sum(t for _, t in timed if t)
    if seconds <= 0:
        return round(minutes / 60 * _SESSION_IF[kind] ** 2 * 100, 1)
    load = sum(t / 3600 * _step_if(s) ** 2 * 100 for s, t in timed if t)
    return round(load, 1)


def softened(workout: Workout, cut_pct: int) -> Workout:
    """The workout with its work steps' targets `cut_pct` % easier: % FTP and % LTHR lower,
    pace that much slower, HR zones one lower (zones have no finer step)."""
    factor = 1 - cut_pct / 100
    steps = tuple(_soften_item(item, factor) for item in workout.steps)
    return replace(workout, name=f"{workout.name[: MAX_NAME - 6]} -{cut_pct}%", steps=steps)


def recovery_workout(sport: Sport, *, indoor: bool) -> Workout:
    """The swap for recovery: RECOVERY_MINUTES easy, below 55% FTP on the bike, HR zone 1
    otherwise."""
    target = (
        Target("power_pct_ftp", 40, RECOVERY_MAX_PCT_FTP)
        if sport == "cycling"
        else Target("hr_zone", 1, 1)
    )
    step = Step("work", Duration("time", RECOVERY_MINUTES * 60.0), target, "Recovery: keep it easy")
    return Workout(f"Recovery {RECOVERY_MINUTES} min", sport, indoor, (step,))


def _seconds(step: Step) -> float:
    if step.duration.type == "time":
        return step.duration.value or 0.0
    target = step.target
    if step.duration.type == "distance" and target.type == "pace_s_per_km":
        pace = ((target.low or 0.0) + (target.high or 0.0)) / 2
        return (step.duration.value or 0.0) / 1000 * pace
    return 0.0


def _step_if(step: Step) -> float:
    t = step.target
    if t.low is None or t.high is None:
        return _KIND_IF[step.kind]
    mid = (t.low + t.high) / 2
    if t.type in ("power_pct_ftp", "hr_pct_lthr"):
        return mid / 100
    if t.type == "hr_zone":
        return _ZONE_IF[max(1, min(5, round(mid)))]
    return _KIND_IF[step.kind]


def _soften_item(item: Item, factor: float) -> Item:
    if isinstance(item, Repeat):
        return Repeat(item.count, tuple(_soften_item(s, factor) for s in item.steps))
    if item.kind != "work":
        return item
    return replace(item, target=_soften_target(item.target, factor))


def _soften_target(t: Target, factor: float) -> Target:
    if t.low is None or t.high is None:
        return t
    if t.type in ("power_pct_ftp", "hr_pct_lthr"):
        return Target(t.type, round(t.low * factor), round(t.high * factor))
    if t.type == "pace_s_per_km":  # slower pace: more seconds per km
        return Target(t.type, round(t.low / factor), round(t.high / factor))
    if t.type == "hr_zone":
        return Target(t.type, max(1, t.low - 1), max(1, t.high - 1))
    return t
