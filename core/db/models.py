"""The schema: every table the product stores, as SQLAlchemy 2.0 declarative models.

Every tenant table carries an indexed `user_id` foreign key with ON DELETE CASCADE, so a
user's data is always reachable by their id and deleting the user deletes everything of theirs.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _user_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.now())


class User(Base):
    __tablename__ = "users"
    # AUTOINCREMENT: SQLite would otherwise hand a deleted user's id to the next sign-up, and
    # anything still naming the old id (a late payment event) would land on a stranger.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    first_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    timezone_set: Mapped[bool] = mapped_column(Boolean, default=False)
    units: Mapped[str] = mapped_column(String(8), default="metric")
    summary_time: Mapped[time] = mapped_column(Time, default=time(7, 0))
    summary_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    weekly_report_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    last_summary_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "This chat owes us a secret until T": the next text goes only to the Garmin link flow,
    # whatever the dialog storage remembers (it may be memory, lost on restart).
    secret_due_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AthleteProfile(Base):
    __tablename__ = "athlete_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    hr_max: Mapped[int | None] = mapped_column(Integer)
    hr_rest: Mapped[int | None] = mapped_column(Integer)
    lthr: Mapped[int | None] = mapped_column(Integer)
    ftp: Mapped[int | None] = mapped_column(Integer)
    threshold_pace_s_per_km: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)


class SubscriptionPlan(Base):
    """A plan's limits; None means unlimited."""

    __tablename__ = "subscription_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    ai_chat_per_day: Mapped[int | None] = mapped_column(Integer)
    ai_analyses_per_month: Mapped[int | None] = mapped_column(Integer)
    ai_workouts_per_month: Mapped[int | None] = mapped_column(Integer)
    ai_active_plans: Mapped[int | None] = mapped_column(Integer)
    history_days: Mapped[int | None] = mapped_column(Integer)
    export: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_sync: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_interval_minutes: Mapped[int] = mapped_column(Integer, default=360)


class UserSubscription(Base):
    __tablename__ = "user_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("subscription_plans.id"))
    provider: Mapped[str] = mapped_column(String(16), default="none")
    status: Mapped[str] = mapped_column(String(24), default="active")
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stars_charge_id: Mapped[str | None] = mapped_column(String(128))
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )


class UserUsage(Base):
    """Counters per feature and window; also the monthly AI totals (feature 'ai_total')."""

    __tablename__ = "user_usage"
    __table_args__ = (UniqueConstraint("user_id", "feature", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    feature: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[date] = mapped_column(Date)
    used: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_cents: Mapped[float] = mapped_column(Float, default=0.0)


class GarminCredentials(Base):
    __tablename__ = "garmin_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    email_enc: Mapped[str] = mapped_column(Text)
    password_enc: Mapped[str | None] = mapped_column(Text)
    tokens_enc: Mapped[str | None] = mapped_column(Text)
    is_valid: Mapped[bool] = mapped_column(Boolean, default=True)
    invalid_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )


class GarminSyncConfig(Base):
    __tablename__ = "garmin_sync_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=360)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_manual_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    synced_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    backoff_minutes: Mapped[int] = mapped_column(Integer, default=0)
    paused_reason: Mapped[str | None] = mapped_column(String(32))
    # A per-user lease: one sync of this athlete at a time (Garmin rotates the refresh token,
    # so two overlapping runs break the link).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))


class GarminSyncHistory(Base):
    __tablename__ = "garmin_sync_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(24), default="running")
    activities_new: Mapped[int] = mapped_column(Integer, default=0)
    activities_skipped: Mapped[int] = mapped_column(Integer, default=0)
    wellness_days: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class AIUsageLog(Base):
    __tablename__ = "ai_usage_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = _user_fk()
    model_id: Mapped[str] = mapped_column(String(64))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_cents: Mapped[float] = mapped_column(Float, default=0.0)
    analysis_type: Mapped[str] = mapped_column(String(32))
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ActivityMetrics(Base):
    __tablename__ = "activity_metrics"
    __table_args__ = (
        UniqueConstraint("user_id", "content_hash", "session_index"),
        UniqueConstraint("user_id", "garmin_activity_id", "session_index"),
        Index("ix_activity_metrics_user_start", "user_id", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    source: Mapped[str] = mapped_column(String(16), default="upload")
    garmin_activity_id: Mapped[int | None] = mapped_column(BigInteger)
    device_serial: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    session_index: Mapped[int] = mapped_column(Integer, default=0)
    sport: Mapped[str] = mapped_column(String(32))
    sub_sport: Mapped[str | None] = mapped_column(String(32))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    local_date: Mapped[date] = mapped_column(Date)
    timer_s: Mapped[float | None] = mapped_column(Float)
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    ascent_m: Mapped[float | None] = mapped_column(Float)
    calories: Mapped[int | None] = mapped_column(Integer)
    avg_hr: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[float | None] = mapped_column(Float)
    avg_power: Mapped[float | None] = mapped_column(Float)
    normalized_power: Mapped[float | None] = mapped_column(Float)
    avg_cadence: Mapped[float | None] = mapped_column(Float)
    lap_count: Mapped[int | None] = mapped_column(Integer)
    laps: Mapped[list[Any] | None] = mapped_column(JSON)
    hr_zone_seconds: Mapped[list[Any] | None] = mapped_column(JSON)
    best_20min_power: Mapped[float | None] = mapped_column(Float)
    trimp: Mapped[float | None] = mapped_column(Float)
    edwards_trimp: Mapped[float | None] = mapped_column(Float)
    intensity_factor: Mapped[float | None] = mapped_column(Float)
    tss: Mapped[float | None] = mapped_column(Float)
    load: Mapped[float] = mapped_column(Float, default=0.0)
    load_method: Mapped[str] = mapped_column(String(16), default="estimate")
    # Rating of perceived exertion 1-10 with the athlete's note, and Foster's session RPE
    # load (RPE x moving minutes).
    rpe: Mapped[int | None] = mapped_column(Integer)
    rpe_note: Mapped[str | None] = mapped_column(Text)
    srpe_load: Mapped[float | None] = mapped_column(Float)
    # Best mean power per duration (seconds -> W, keys as strings) for rides, best times per
    # distance (metres -> s) for runs, and what this activity beat when it was imported.
    power_curve: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    best_efforts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_bests: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()


class FitnessMetrics(Base):
    __tablename__ = "fitness_metrics"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    day: Mapped[date] = mapped_column(Date)
    load: Mapped[float] = mapped_column(Float, default=0.0)
    ctl: Mapped[float] = mapped_column(Float, default=0.0)
    atl: Mapped[float] = mapped_column(Float, default=0.0)
    tsb: Mapped[float] = mapped_column(Float, default=0.0)
    ramp: Mapped[float | None] = mapped_column(Float)
    acwr: Mapped[float | None] = mapped_column(Float)
    ewma7: Mapped[float] = mapped_column(Float, default=0.0)
    ewma28: Mapped[float] = mapped_column(Float, default=0.0)


class Workout(Base):
    __tablename__ = "workouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    day: Mapped[date] = mapped_column(Date)
    sport: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    structure: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="ai")
    created_at: Mapped[datetime] = _created()


class TrainingPlan(Base):
    __tablename__ = "training_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    title: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()


class WorkoutAnalysis(Base):
    __tablename__ = "workout_analyses"
    __table_args__ = (UniqueConstraint("user_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity_metrics.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    model_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()


class GarminFitnessData(Base):
    __tablename__ = "garmin_fitness_data"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    day: Mapped[date] = mapped_column(Date)
    resting_hr: Mapped[int | None] = mapped_column(Integer)
    hrv_ms: Mapped[float | None] = mapped_column(Float)
    sleep_score: Mapped[int | None] = mapped_column(Integer)
    sleep_seconds: Mapped[int | None] = mapped_column(Integer)
    body_battery_high: Mapped[int | None] = mapped_column(Integer)
    body_battery_low: Mapped[int | None] = mapped_column(Integer)
    stress_avg: Mapped[int | None] = mapped_column(Integer)
    training_readiness: Mapped[int | None] = mapped_column(Integer)
    vo2max: Mapped[float | None] = mapped_column(Float)


class RaceGoal(Base):
    __tablename__ = "race_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(200))
    race_date: Mapped[date] = mapped_column(Date)
    distance_m: Mapped[float | None] = mapped_column(Float)
    target_time_s: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created()


class WeeklySummary(Base):
    __tablename__ = "weekly_summaries"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    week_start: Mapped[date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )
    # When this week's report was queued for the athlete (once per week).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChatMessage(Base):
    """The coach conversation, per user."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_user_created", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class PaymentEvent(Base):
    """Processed payment events: the id makes delivery idempotent."""

    __tablename__ = "payment_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = _created()


class Push(Base):
    """A message the bot sends unasked; marked sent only once Telegram accepted it."""

    __tablename__ = "pushes"
    __table_args__ = (
        Index("ix_pushes_status_id", "status", "id"),
        Index("ix_pushes_claimed_by_status", "claimed_by", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The sender delivering it (once sent: the one that did): set when a worker claims the
    # push, for a lease until claimed_until that it renews while it works; a lapsed lease is
    # taken by another worker.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Throttle(Base):
    """A counter in a time window, shared by every process (e.g. Garmin sign-ins per user).

    Not a tenant table: the key names what is counted ("garmin_login:user:42", "garmin_login:all").
    """

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserSession(Base):
    """A signed-in Mini App or browser: the API's token names it and is checked against it.

    Only the token's SHA-256 is kept; a session ends at expires_at or when revoked.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = _user_fk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginCode(Base):
    """A one-time sign-in link's code (its SHA-256): valid a few minutes, used once."""

    __tablename__ = "login_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = _user_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ActivitySeries(Base):
    """An activity's HR, power and speed, averaged into a few hundred points for charts."""

    __tablename__ = "activity_series"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity_metrics.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = _user_fk()
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class GarminScheduledWorkout(Base):
    """A workout this bot uploaded to the athlete's Garmin Connect and put on a calendar day.

    Only these are ever replaced or deleted on Garmin: the athlete's own workouts are not ours.
    """

    __tablename__ = "garmin_scheduled_workouts"
    __table_args__ = (Index("ix_garmin_scheduled_workouts_user_day", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    garmin_workout_id: Mapped[int] = mapped_column(BigInteger)
    garmin_schedule_id: Mapped[int | None] = mapped_column(BigInteger)
    workout_id: Mapped[int | None] = mapped_column(ForeignKey("workouts.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_plans.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _created()


class DayAdaptation(Base):
    """The morning's decision on the day's planned session: keep, soften, recovery or move."""

    __tablename__ = "day_adaptations"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    day: Mapped[date] = mapped_column(Date)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_plans.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    planned: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    adapted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()
