"""The API's JSON shapes. Times are ISO 8601 in UTC, days are ISO dates (the athlete's local
day), distances metres, durations seconds, speeds metres per second."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """Answers are built from core's dataclasses by attribute."""

    model_config = ConfigDict(from_attributes=True)


# -- sessions ---------------------------------------------------------------------------------


class TelegramSignIn(BaseModel):
    init_data: str = Field(max_length=16384)


class CodeSignIn(BaseModel):
    code: str = Field(max_length=1024)


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class OkOut(Out):
    ok: bool = True


# -- the athlete --------------------------------------------------------------------------------


class ProfileOut(Out):
    sex: str | None
    birth_year: int | None
    hr_max: int | None
    hr_rest: int | None
    lthr: int | None
    ftp: int | None
    threshold_pace_s_per_km: float | None
    weight_kg: float | None


class PlanLimitsOut(Out):
    """None: unlimited."""

    ai_chat_per_day: int | None
    ai_analyses_per_month: int | None
    ai_workouts_per_month: int | None
    ai_active_plans: int | None
    history_days: int | None
    export: bool
    priority_sync: bool
    sync_interval_minutes: int


class PlanOut(Out):
    code: str
    name: str
    limits: PlanLimitsOut


class UsageOut(Out):
    feature: str
    used: int
    limit: int | None
    resets_at: datetime | None  # None: the limit does not reset (active plans)


class MeOut(Out):
    id: int
    first_name: str | None
    language: str | None
    timezone: str
    units: str
    profile: ProfileOut
    plan: PlanOut
    usage: list[UsageOut]


# -- activities -------------------------------------------------------------------------------


class ActivityItemOut(Out):
    id: int
    start_time: datetime
    local_date: date
    sport: str
    sub_sport: str | None
    source: str
    timer_s: float | None
    elapsed_s: float | None
    distance_m: float | None
    ascent_m: float | None
    calories: int | None
    avg_hr: float | None
    max_hr: float | None
    avg_power: float | None
    normalized_power: float | None
    load: float
    load_method: str
    tss: float | None
    intensity_factor: float | None


class ActivityListOut(Out):
    items: list[ActivityItemOut]
    history_days: int | None  # the plan's window; None: all history
    from_: date | None = Field(serialization_alias="from")
    to: date


class LapOut(Out):
    start: str
    timer_s: float | None
    distance_m: float | None
    avg_hr: float | None
    avg_power: float | None


class ZonesOut(Out):
    hr_seconds: list[float]  # seconds in HR zones 1-5 (% of HR max: 50, 60, 70, 80, 90)


class LoadFiguresOut(Out):
    load: float
    method: str  # tss, rtss, hrtss or estimate
    estimated: bool
    estimates: list[str]  # thresholds the load rests on that were estimated
    tss: float | None
    intensity_factor: float | None
    trimp: float | None
    edwards_trimp: float | None
    best_20min_power: float | None


class SeriesOut(Out):
    """Chart series: `t` is each point's start in seconds; a point without data is null."""

    step_s: float
    t: list[int]
    hr: list[float | None] | None
    power: list[float | None] | None
    speed: list[float | None] | None


class ActivityDetailOut(ActivityItemOut):
    avg_cadence: float | None
    lap_count: int
    laps: list[LapOut]
    zones: ZonesOut
    load_figures: LoadFiguresOut
    series: SeriesOut | None
    analysis: str | None
    rpe: int | None = None  # the athlete's rating 1-10
    srpe_load: float | None = None  # session RPE load: RPE x moving minutes


# -- fitness, workouts, plans ---------------------------------------------------------------------


class FitnessDayOut(Out):
    date: date
    ctl: float
    atl: float
    tsb: float
    load: float


class FitnessOut(Out):
    days: list[FitnessDayOut]


class WorkoutStepOut(Out):
    name: str
    duration_min: int | None
    intensity: str


class WorkoutOut(Out):
    id: int
    day: date
    sport: str | None
    title: str
    description: str
    source: str
    duration_min: int | None
    steps: list[WorkoutStepOut]


class WorkoutsOut(Out):
    items: list[WorkoutOut]


class PlanSessionOut(Out):
    day: date
    weekday: str
    sport: str
    title: str
    duration_min: int
    intensity: str
    description: str


class PlanWeekOut(Out):
    week: int
    start: date
    focus: str
    sessions: list[PlanSessionOut]


class TrainingPlanOut(Out):
    id: int
    title: str
    goal: str | None
    start_date: date
    end_date: date
    status: str
    weeks: list[PlanWeekOut]


class PlansOut(Out):
    active: TrainingPlanOut | None


class AnalysisOut(Out):
    activity_id: int
    text: str
    cached: bool
    sport: str
    day: date


# -- Garmin -------------------------------------------------------------------------------------


class SyncRunOut(Out):
    started_at: datetime
    finished_at: datetime | None
    status: str
    activities_new: int
    activities_skipped: int
    wellness_days: int
    error: str | None


class GarminStatusOut(Out):
    linked: bool
    valid: bool
    auto_sync: bool
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    paused_reason: str | None
    history: list[SyncRunOut]  # newest first


class SyncOut(Out):
    status: str  # ok, auth_failed, rate_limited, network_error, error
    new: int
    skipped: int
    wellness_days: int
    error: str | None
