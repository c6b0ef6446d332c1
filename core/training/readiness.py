"""Readiness of the day from form, HRV, sleep, body battery and resting HR; pure rules.

Every input is optional: a factor without data is listed in `missing` and counts for nothing.
Each factor present gives one `Contribution` with a 0-100 sub-score, a warning flag and a
one-line explanation. The level is the rule: no warning is "ready", one is "caution", two or
more are "strained" (no factor at all is "unknown"). The score is the weighted mean of the
sub-scores, a summary for trends and charts; it never overrides the level.

Thresholds and their sources:
- HRV (Garmin's last-night average RMSSD, ms) against the previous 7 days: a night more than
  1 SD below their mean is a warning. Kiviniemi et al. 2007 (Eur J Appl Physiol 101:743-751)
  trained easy or rested when HRV fell below the reference value minus 1 SD; Plews et al. 2013
  (Sports Med 43:773-781) use a 7-day rolling baseline. At least 3 baseline days are needed
  (Plews et al. 2014, IJSPP 9:783-790: 3 measurements a week suffice). The SD has a floor of
  1 ms so a flat week does not turn a 1 ms dip into a warning (a guard, not a published value).
- Sleep score (Garmin, 0-100): below 60 is Garmin's "poor" band (excellent 90-100, good 80-89,
  fair 60-79, poor below 60): a warning.
- Body battery (Garmin/Firstbeat, 0-100; the morning charge, i.e. the day's high): Garmin shows
  it in four equal bands (76-100, 51-75, 26-50, 0-25), 0-25 being the lowest, "low reserve";
  a morning in it is a warning.
- Resting HR: 5 bpm or more above the mean of the previous 7 days is a warning (a common
  coaching rule for a raised morning pulse, e.g. Friel's Training Bible; raised resting HR in
  overreaching: Dressendorfer et al. 1985, Phys Sportsmed 13:77-86). Needs 3 baseline days.
- Form (TSB = CTL - ATL): below -30 is the Performance Manager's high-risk band (Coggan;
  see core.training.fitness.form_reading): a warning.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.errors import N_
from core.training.reasons import Reason

Level = Literal["ready", "caution", "strained", "unknown"]

HRV_SD_LIMIT = 1.0
HRV_SD_FLOOR_MS = 1.0
MIN_BASELINE_DAYS = 3
SLEEP_POOR_BELOW = 60
BODY_BATTERY_VERY_LOW = 25
RHR_RISE_BPM = 5.0
TSB_HIGH_RISK_BELOW = -30.0
# Weights of the sub-scores in the summary score (our choice; only the score uses them).
WEIGHTS = {"hrv": 0.30, "sleep": 0.20, "tsb": 0.20, "resting_hr": 0.15, "body_battery": 0.15}
FACTORS = ("hrv", "sleep", "body_battery", "resting_hr", "tsb")


@dataclass(frozen=True, slots=True)
class ReadinessInputs:
    """This morning's values and the previous 7 days' values (missing days simply left out)."""

    tsb: float | None = None
    hrv_ms: float | None = None
    hrv_baseline: Sequence[float] = ()
    sleep_score: float | None = None
    body_battery: float | None = None
    resting_hr: float | None = None
    resting_hr_baseline: Sequence[float] = ()


@dataclass(frozen=True, slots=True)
class Contribution:
    """One factor's part: its 0-100 sub-score, whether it warns, and why in one line."""

    factor: str
    value: float
    score: float
    warning: bool
    text: Reason


@dataclass(frozen=True, slots=True)
class Readiness:
    """The day's level, its summary score (None without data) and each factor's part."""

    level: Level
    score: int | None
    contributions: tuple[Contribution, ...]
    missing: tuple[str, ...] = field(default=())

    @property
    def warnings(self) -> tuple[Contribution, ...]:
        return tuple(c for c in self.contributions if c.warning)


def assess_readiness(inputs: ReadinessInputs) -> Readiness:
    """The readiness of the day: level by counting warnings, score by weighted sub-scores."""
    parts = {
        "hrv": _hrv(inputs.hrv_ms, inputs.hrv_baseline),
        "sleep": _sleep(inputs.sleep_score),
        "body_battery": _body_battery(inputs.body_battery),
        "resting_hr": _resting_hr(inputs.resting_hr, inputs.resting_hr_baseline),
        "tsb": _tsb(inputs.tsb),
    }
    present = tuple(c for c in parts.values() if c is not None)
    missing = tuple(name for name in FACTORS if parts[name] is None)
    if not present:
        return Readiness(level="unknown", score=None, contributions=(), missing=missing)
    weight = sum(WEIGHTS[c.factor] for c in present)
    score = round(sum(WEIGHTS[c.factor] * c.score for c in present) / weight)
    warnings = sum(c.warning for c in present)
    level: Level = "ready" if warnings == 0 else "caution" if warnings == 1 else "strained"
    return Readiness(level=level, score=score, contributions=present, missing=missing)


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _baseline(values: Sequence[float]) -> tuple[float, float] | None:
    """Mean and sample SD of the baseline days, None with too few of them."""
    days = [float(v) for v in values if v is not None]
    if len(days) < MIN_BASELINE_DAYS:
        return None
    return statistics.fmean(days), statistics.stdev(days)


def _hrv(hrv: float | None, history: Sequence[float]) -> Contribution | None:
    base = _baseline(history) if hrv is not None else None
    if hrv is None or base is None:
        return None
    mean, sd = base[0], max(base[1], HRV_SD_FLOOR_MS)
    z = (hrv - mean) / sd
    warning = z < -HRV_SD_LIMIT
    where = "at" if abs(z) < 0.05 else "warn" if warning else "below" if z < 0 else "above"
    text = Reason(_HRV[where], hrv=round(hrv), sd=round(abs(z), 1), mean=round(mean))
    return Contribution("hrv", hrv, _clamp(75 + 25 * z), warning, text)


_HRV = {
    "at": N_("HRV {hrv} ms is at your 7-day baseline of {mean} ms"),
    "below": N_("HRV {hrv} ms is {sd} SD below your 7-day baseline of {mean} ms"),
    "above": N_("HRV {hrv} ms is {sd} SD above your 7-day baseline of {mean} ms"),
    "warn": N_(
        "HRV {hrv} ms is {sd} SD below your 7-day baseline of {mean} ms: below by more than"
        " 1 SD, a sign to train easy"
    ),
}
_SLEEP = {
    "excellent": N_("Sleep score {score} is excellent"),
    "good": N_("Sleep score {score} is good"),
    "fair": N_("Sleep score {score} is fair"),
    "poor": N_("Sleep score {score} is poor (below {limit})"),
}
_BODY_BATTERY = {
    "high": N_("Body battery {level} this morning is high"),
    "medium": N_("Body battery {level} this morning is medium"),
    "low": N_("Body battery {level} this morning is low"),
    "very_low": N_("Body battery {level} this morning is very low ({limit} or less)"),
}
_RESTING_HR = {
    "at": N_("Resting HR {rhr} bpm is at your 7-day mean of {mean} bpm"),
    "above": N_("Resting HR {rhr} bpm is {delta} bpm above your 7-day mean of {mean} bpm"),
    "below": N_("Resting HR {rhr} bpm is {delta} bpm below your 7-day mean of {mean} bpm"),
    "warn": N_(
        "Resting HR {rhr} bpm is {delta} bpm above your 7-day mean of {mean} bpm:"
        " {limit} bpm or more above is a warning sign"
    ),
}
_TSB = {
    "high_risk": N_("Form (TSB) {tsb} is below {limit}: high risk of overreaching"),
    "building": N_("Form (TSB) {tsb} is in the building range"),
    "neutral": N_("Form (TSB) {tsb} is neutral"),
    "fresh": N_("Form (TSB) {tsb} is fresh"),
}


def _sleep(score: float | None) -> Contribution | None:
    if score is None:
        return None
    band = "excellent" if score >= 90 else "good" if score >= 80 else "fair"
    warning = score < SLEEP_POOR_BELOW
    if warning:
        band = "poor"
    text = Reason(_SLEEP[band], score=round(score), limit=SLEEP_POOR_BELOW)
    return Contribution("sleep", score, _clamp(score), warning, text)


def _body_battery(level: float | None) -> Contribution | None:
    if level is None:
        return None
    warning = level <= BODY_BATTERY_VERY_LOW
    band = "very_low" if warning else "high" if level > 75 else "medium" if level > 50 else "low"
    text = Reason(_BODY_BATTERY[band], level=round(level), limit=BODY_BATTERY_VERY_LOW)
    return Contribution("body_battery", level, _clamp(level), warning, text)


def _resting_hr(rhr: float | None, history: Sequence[float]) -> Contribution | None:
    base = _baseline(history) if rhr is not None else None
    if rhr is None or base is None:
        return None
    mean = base[0]
    delta = rhr - mean
    warning = delta >= RHR_RISE_BPM
    where = "at" if abs(delta) < 0.5 else "warn" if warning else "above" if delta > 0 else "below"
    text = Reason(
        _RESTING_HR[where], rhr=round(rhr), delta=round(abs(delta)), mean=round(mean),
        limit=round(RHR_RISE_BPM),
    )  # fmt: skip
    return Contribution("resting_hr", rhr, _clamp(100 - 10 * max(0.0, delta)), warning, text)


def _tsb(tsb: float | None) -> Contribution | None:
    if tsb is None:
        return None
    warning = tsb < TSB_HIGH_RISK_BELOW
    if warning:
        reading = "high_risk"
    elif tsb < -10:
        reading = "building"
    elif tsb <= 5:
        reading = "neutral"
    else:
        reading = "fresh"
    # Signed as the athlete reads form (+12, -30): passed as text.
    text = Reason(_TSB[reading], tsb=f"{tsb:+.0f}", limit=f"{TSB_HIGH_RISK_BELOW:.0f}")
    return Contribution("tsb", tsb, _clamp(100 + (tsb - 5) * 100 / 45), warning, text)


# The adaptive day -------------------------------------------------------------------------

SessionKind = Literal["key", "hard", "easy", "recovery"]
Action = Literal["keep", "soften", "recovery", "move"]

SOFTEN_PCT = 10  # softened targets (power, pace, HR) are this % lower
OVERDONE_RATIO = 1.5  # yesterday's load above this multiple of the planned load is overdone
# What "swap for recovery" means, for whoever builds the replacement session.
RECOVERY_MINUTES = 30
RECOVERY_MAX_PCT_FTP = 55  # Coggan's active-recovery zone: below 55% of FTP
# The sentences of the day's decision (templates: the bot translates them).
MOVED_LATER = N_("'{title}' moves to a later day; today is recovery")
SWAPPED = N_("'{title}' is swapped for {minutes} min of recovery")
SOFTENED = N_("'{title}' targets lowered by {pct}%")
MADE_UP = N_(
    "Yesterday's key session '{missed}' was missed and you are ready: it takes the place of"
    " today's '{title}'"
)
NOT_MADE_UP = N_("Yesterday's '{missed}' was missed; it is not made up")
NO_DATA = N_("No readiness data this morning: the plan stands")
AS_PLANNED: dict[Level, str] = {
    "ready": N_("Readiness is ready: '{title}' as planned"),
    "caution": N_("Readiness is caution: '{title}' as planned"),
    "strained": N_("Readiness is strained: '{title}' as planned"),
    "unknown": N_("Readiness is unknown: '{title}' as planned"),
}
OVERDONE = N_("Yesterday's load {load} was {ratio}x the planned {planned} (more than {limit}x)")
_STEP_UP: dict[Level, Level] = {
    "ready": "caution", "caution": "strained", "strained": "strained", "unknown": "caution",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """A planned session: key (the week's important one), hard, easy or recovery."""

    title: str
    kind: SessionKind
    load: float | None = None


@dataclass(frozen=True, slots=True)
class Yesterday:
    """What was planned yesterday (None: a rest day) and what was done."""

    planned: PlannedSession | None
    load: float
    activities: int

    @property
    def missed(self) -> bool:
        return self.planned is not None and self.activities == 0

    @property
    def overdone(self) -> bool:
        planned = self.planned.load if self.planned else None
        return bool(planned) and self.load > OVERDONE_RATIO * float(planned or 0.0)


@dataclass(frozen=True, slots=True)
class Adaptation:
    """Today's decision. soften: targets at (100 - target_cut_pct)%. move: `moved` says which
    way: "later" postpones today's key session (recovery today), "today" brings yesterday's
    missed key session into today's easy slot."""

    action: Action
    session: PlannedSession
    reasons: tuple[Reason, ...]
    target_cut_pct: int = 0
    moved: Literal["later", "today"] | None = None


def adapt_session(
    planned: PlannedSession, readiness: Readiness, yesterday: Yesterday | None = None
) -> Adaptation:
    """Keep, soften, swap for recovery or move today's session; the first rule that fits wins.

    An overdone yesterday (load > 1.5x planned) counts as one more step of strain. Hard and key
    sessions are softened by 10% at "caution"; at "strained" a hard one becomes recovery and a
    key one moves to a later day. An easy session only changes at "strained" (to recovery).
    A missed key session yesterday takes today's easy slot when readiness is "ready"; other
    missed sessions are not made up. Without readiness data the plan stands.
    """
    reasons = [c.text for c in readiness.warnings]
    level = readiness.level
    if yesterday is not None and yesterday.overdone:
        level = _STEP_UP[level]
        reasons.append(_overdone_text(yesterday))
    hard = planned.kind in ("key", "hard")
    if level == "strained" and planned.kind == "key":
        reasons.append(Reason(MOVED_LATER, title=planned.title))
        return Adaptation("move", _recovery(), tuple(reasons), moved="later")
    if level == "strained" and planned.kind != "recovery":
        reasons.append(Reason(SWAPPED, title=planned.title, minutes=RECOVERY_MINUTES))
        return Adaptation("recovery", _recovery(), tuple(reasons))
    if level == "caution" and hard:
        reasons.append(Reason(SOFTENED, title=planned.title, pct=SOFTEN_PCT))
        return Adaptation("soften", planned, tuple(reasons), target_cut_pct=SOFTEN_PCT)
    return _keep_or_make_up(planned, level, yesterday, reasons)


def _keep_or_make_up(
    planned: PlannedSession, level: Level, yesterday: Yesterday | None, reasons: list[Reason]
) -> Adaptation:
    missed = yesterday.planned if yesterday is not None and yesterday.missed else None
    make_up = missed is not None and missed.kind == "key" and level == "ready"
    if missed is not None and make_up and planned.kind in ("easy", "recovery"):
        text = Reason(MADE_UP, missed=missed.title, title=planned.title)
        return Adaptation("move", missed, (text,), moved="today")
    if missed is not None:
        reasons.append(Reason(NOT_MADE_UP, missed=missed.title))
    if level == "unknown":
        reasons.append(Reason(NO_DATA))
    elif not reasons:
        reasons.append(Reason(AS_PLANNED[level], title=planned.title))
    return Adaptation("keep", planned, tuple(reasons))


def _recovery() -> PlannedSession:
    return PlannedSession(f"Recovery {RECOVERY_MINUTES} min", "recovery", None)


def _overdone_text(yesterday: Yesterday) -> Reason:
    planned = yesterday.planned.load if yesterday.planned and yesterday.planned.load else 1.0
    return Reason(
        OVERDONE, load=round(yesterday.load), ratio=round(yesterday.load / planned, 1),
        planned=round(planned), limit=OVERDONE_RATIO,
    )  # fmt: skip
