"""Multi-tenant isolation: no repository read for user A returns a row of user B.

Every public repository method is listed below, either as a read called with user A's id or
as a write/operator method with the reason it is not a per-user read, so a new repository
method cannot slip in without being checked.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bootstrap import Container
from core.coach.context_repository import ContextWindow
from core.db.uow import UnitOfWork
from core.limits.feature_gate import Feature

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
OLD = date(2000, 1, 1)
FAR = date(2100, 1, 1)
Read = Callable[[UnitOfWork, int], Awaitable[Any]]
WINDOW = ContextWindow(FAR, OLD, OLD, OLD, OLD, EPOCH)


async def _account_rows(w: UnitOfWork, u: int) -> list[SimpleNamespace]:
    """The account statement's row, as one owner per joined per-user table."""
    row = await w.users.account_rows(now=EPOCH, user_id=u)
    owners = [] if row is None else [row["id"], row["profile_user_id"]]
    return [SimpleNamespace(user_id=owner) for owner in owners if owner is not None]


async def _keyed(result: Awaitable[dict[Any, Any]]) -> list[Any]:
    """A batch read's answer by athlete (or by (athlete, day)): its owners, and its rows."""
    got = await result
    owners = [SimpleNamespace(user_id=k if isinstance(k, int) else k[0]) for k in got]
    return owners + [v for v in got.values() if hasattr(v, "user_id")]


READS: dict[str, Read] = {
    "users.get": lambda w, u: w.users.get(u),
    "users.account_rows": _account_rows,
    "profiles.get": lambda w, u: w.profiles.get(u),
    "subscriptions.get": lambda w, u: w.subscriptions.get(u),
    "billing.lock_with_subscription": lambda w, u: w.billing.lock_with_subscription(u),
    "subscriptions.with_plan": lambda w, u: w.subscriptions.with_plan(u),
    "subscriptions.with_user": lambda w, u: w.subscriptions.with_user(u),
    "usage.used": lambda w, u: w.usage.used(u, "ai_chat", date(2026, 11, 25)),
    "usage.ai_totals": lambda w, u: w.usage.ai_totals(u, date(2026, 11, 1)),
    "ai_usage.for_user": lambda w, u: w.ai_usage.for_user(u, since=EPOCH),
    "ai_usage.count_for_user": lambda w, u: w.ai_usage.count_for_user(u),
    "coach.activity": lambda w, u: w.coach.activity(u, 1, since=None),
    "coach.last_activity": lambda w, u: w.coach.last_activity(u, since=None),
    "coach.analysis": lambda w, u: w.coach.analysis(u, 1),
    "coach.active_plan": lambda w, u: w.coach.active_plan(u),
    # Its rows carry no user_id; the prompt test in test_coach.py seeds a second athlete's
    # activities, goal, fitness and chat and checks that none reaches the first one's prompt.
    "coach_context.read": lambda w, u: w.coach_context.read(u, WINDOW),
    "training.activity": lambda w, u: w.training.activity(u, 1),
    "training.activities_by_ids": lambda w, u: w.training.activities_by_ids(u, [1, 2, 3]),
    "training.recent_activities": lambda w, u: w.training.recent_activities(
        u, since=None, limit=10
    ),
    "training.activities_between": lambda w, u: w.training.activities_between(u, None, None),
    "training.threshold_evidence": lambda w, u: w.training.threshold_evidence(u),
    "training.first_activity_day": lambda w, u: w.training.first_activity_day(u),
    "training.last_fitness_day": lambda w, u: w.training.last_fitness_day(u),
    "training.latest_resting_hr": lambda w, u: w.training.latest_resting_hr(u),
    "training.daily_loads": lambda w, u: w.training.daily_loads(u, OLD, FAR),
    "training.fitness_before": lambda w, u: w.training.fitness_before(u, FAR, count=7),
    "training.fitness_between": lambda w, u: w.training.fitness_between(u, None, FAR),
    "training.weeks": lambda w, u: w.training.weeks(u, [date(2026, 11, 23)]),
    "training.latest_wellness": lambda w, u: w.training.latest_wellness(u, on_or_before=FAR),
    "training.workout_on": lambda w, u: w.training.workout_on(u, date(2026, 11, 25)),
    "training.duplicates": lambda w, u: w.training.duplicates(
        u, content_hash="x", device_serial=1, start_times=[EPOCH]
    ),
    "goals.list": lambda w, u: w.goals.list(u),
    "goals.next_goal": lambda w, u: w.goals.next_goal(u, from_day=OLD),
    "goals.count": lambda w, u: w.goals.count(u),
    "garmin.credentials": lambda w, u: w.garmin.credentials(u),
    "garmin.config": lambda w, u: w.garmin.config(u),
    "garmin.runs": lambda w, u: w.garmin.runs(u),
    "garmin.wellness": lambda w, u: w.garmin.wellness(u, date(2026, 11, 25)),
    "garmin.stored_activity_ids": lambda w, u: w.garmin.stored_activity_ids(u, [1, 2, 3]),
    "summaries.fitness": lambda w, u: w.summaries.fitness([u], OLD, FAR),
    "summaries.goals": lambda w, u: w.summaries.goals([u], OLD),
    "summaries.wellness": lambda w, u: w.summaries.wellness([u], OLD, FAR),
    "web_sessions.active": lambda w, u: w.web_sessions.active(u, now=EPOCH),
    "training_reads.activity_list": lambda w, u: w.training_reads.activity_list(
        u, start=None, end=FAR, limit=100
    ),
    "training_reads.workouts": lambda w, u: w.training_reads.workouts(
        u, start=None, end=None, limit=100
    ),
    "training_reads.fitness_days": lambda w, u: w.training_reads.fitness_days(
        u, start=None, end=FAR
    ),
    "activity_series.get": lambda w, u: w.activity_series.get(u, 1),
    "bests.history": lambda w, u: w.bests.history(u, since=None),
    "adaptive.active_plans": lambda w, u: _keyed(w.adaptive.active_plans([u], OLD, FAR)),
    "adaptive.decisions": lambda w, u: _keyed(w.adaptive.decisions([u], OLD, FAR)),
    "adaptive.day_loads": lambda w, u: _keyed(w.adaptive.day_loads([u], OLD, FAR)),
    "adaptive.tsb": lambda w, u: w.adaptive.tsb(u, date(2026, 11, 25)),
    "garmin_workouts.all_of": lambda w, u: w.garmin_workouts.all_of(u),
    "garmin_workouts.on_day": lambda w, u: w.garmin_workouts.on_day(u, date(2026, 11, 25)),
    "garmin_workouts.of_plan": lambda w, u: w.garmin_workouts.of_plan(u, 1),
    "weekly.wellness": lambda w, u: w.weekly.wellness(u, OLD, FAR),
    "weekly.plans": lambda w, u: w.weekly.plans(u, OLD, FAR),
    "weekly.stored": lambda w, u: w.weekly.stored(u, date(2026, 11, 23)),
}
NOT_PER_USER_READS = {
    "adaptive.add_decision": "write",
    "garmin_workouts.add": "write",
    "garmin_workouts.remove": "write",
    "garmin_workouts.forget_all": "write",
    "weekly.record": "write",
    "weekly.candidates": "the athletes due a weekly report, across users (scheduler tick)",
    "web_sessions.add": "write",
    "web_sessions.add_code": "write",
    "web_sessions.prune": "write",
    "web_sessions.revoke": "write",
    "web_sessions.revoke_all": "write",
    "web_sessions.use_code": "write: spends a sign-in code, answers the user id it was for",
    "activity_series.add": "write",
    "users.by_chat": "looks up the account by its own chat id",
    "users.create_for_chat": "write",
    "users.update_fields": "write",
    "users.touch": "write",
    "users.delete_everything": "write (tested in test_accounts)",
    "profiles.upsert": "write",
    "plans.by_code": "shared plan rows, no user data",
    "plans.all": "shared plan rows, no user data",
    "subscriptions.upsert": "write",
    "subscriptions.by_stripe_customer": "maps a Stripe webhook to its user",
    "subscriptions.by_stripe_subscription": "maps a Stripe webhook to its user",
    "usage.try_increment": "write",
    "usage.decrement": "write",
    "usage.add_ai_totals": "write",
    "ai_usage.add_once": "write",
    "coach.add_message": "write",
    "coach.add_exchange": "write",
    "coach.add_analysis": "write",
    "coach.add_plan": "write",
    "coach.add_workout": "write",
    "coach.close_active_plans": "write",
    "training.add_activities": "write",
    "training.delete_activity": "write",
    "training.upsert_fitness": "write",
    "training.delete_fitness_after": "write",
    "training.upsert_week": "write",
    "goals.add": "write",
    "goals.delete": "write",
    "billing.event_seen": "idempotency check by event id, returns a bool",
    "billing.record_event": "write",
    "billing.lock_account": "locks the user's own row, returns a bool",
    "billing.save_subscription": "write",
    "garmin.replace_credentials": "write",
    "garmin.update_credentials": "write",
    "garmin.delete_credentials": "write",
    "garmin.upsert_config": "write",
    "garmin.update_config": "write",
    "garmin.start_run": "write",
    "garmin.finish_run": "write",
    "garmin.upsert_wellness": "write",
    "garmin.take_sync_lease": "write",
    "garmin.renew_sync_lease": "write",
    "garmin.release_sync_lease": "write",
    "due.due_syncs": "scheduler: ids of users due a sync",
    "due.summary_candidates": "scheduler: ids (and zone, time) of users who may be due a summary",
    "due.push_keys": "scheduler: which push dedup keys exist",
    "due.mark_summaries_sent": "write",
    "summaries.last_fitness_days": "batch of the caller's user ids: {user_id: day}",
    "summaries.sessions": "batch of the caller's user ids: (user_id, day, sport, seconds) tuples",
    "pushes.add": "write",
    "pushes.block_user": "write",
    "pushes.mark_sent": "write",
    "pushes.pending": "outbox: pending pushes across users, each with its user_id",
    "pushes.claim": "outbox: claims pending pushes across users, each with its user_id",
    "pushes.renew": "write",
    "pushes.release": "write",
    "pushes.get": "outbox row by push id",
    "pushes.by_key": "outbox row by dedup key",
    "pushes.user_for_chat": "user id for a chat that refused a send",
    "pushes.counts": "outbox aggregates, returns counts only",
    "admin.stats": "operator aggregates, returns counts only",
    "secrets.reencrypt_all": "operator key rotation, returns a count",
    "throttles.get": "system counter by key (sign-in limits), holds no user's data",
    "throttles.take": "write",
    "throttles.block": "write",
}


def _rows(value: Any) -> list[Any]:
    """Every ORM-like object inside a result (lists, tuples, single objects)."""
    if value is None or isinstance(value, int | float | str | bool):
        return []
    if isinstance(value, list | tuple | set):
        return [row for item in value for row in _rows(item)]
    return [value]


def _owner(row: Any) -> int | None:
    if hasattr(row, "user_id"):
        return int(row.user_id)
    if type(row).__name__ == "User":
        return int(row.id)
    return None


async def test_every_repository_method_is_classified(container: Container) -> None:
    async with container.uow() as uow:
        names = {
            f"{attr}.{name}"
            for attr, repo in vars(uow).items()
            if attr != "session" and not attr.startswith("_")
            for name, fn in inspect.getmembers(type(repo), inspect.isfunction)
            if not name.startswith("_") and name not in ("insert", "for_backend")
        }
    missing = names - set(READS) - set(NOT_PER_USER_READS)
    assert not missing, f"classify these repository methods: {sorted(missing)}"


async def _seed(c: Container, chat_id: int, n: int) -> int:
    uid = (await c.services.accounts.get_or_create(chat_id)).id
    await c.services.accounts.update_profile(uid, hr_max=150 + n)
    for i in range(n):
        await c.services.gate.check_and_increment(uid, Feature.AI_CHAT)
        await c.services.ai_usage.log_usage(
            request_id=f"{chat_id}-{i}",
            user_id=uid,
            model_id="m",
            input_tokens=i,
            output_tokens=i,
            analysis_type="chat",
            latency_ms=1,
            status="ok",
        )
    return uid


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a_rows=st.integers(0, 3), b_rows=st.integers(1, 4), chat_a=st.integers(1, 10**12))
async def test_reads_for_a_never_return_b(
    container: Container, a_rows: int, b_rows: int, chat_a: int
) -> None:
    chat_b = chat_a + 1
    a = await _seed(container, chat_a, a_rows)
    b = await _seed(container, chat_b, b_rows)
    async with container.uow() as uow:
        for name, read in READS.items():
            for row in _rows(await read(uow, a)):
                assert _owner(row) in (a, None), f"{name} returned a row of user {b}"
    await container.services.accounts.delete_everything(a)
    await container.services.accounts.delete_everything(b)
