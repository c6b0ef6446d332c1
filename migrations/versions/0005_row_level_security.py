"""row-level security: every tenant table shows and takes only the current user's rows

On PostgreSQL each table holding a user's data gets a forced policy: a row is visible and
writable when `app.user_id` (set per transaction from the scope of the work, core/db/scope.py)
names its user, or when `app.scope` is 'system'. Forced, so it holds for the tables' owner
too; only superusers and roles with BYPASSRLS skip it. SQLite has no row-level security: this
revision changes nothing there.

Revision ID: 0005_row_level_security
Revises: 0004_outbox_claims
Create Date: 2026-12-01 18:30:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_row_level_security"
down_revision: str | Sequence[str] | None = "0004_outbox_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICY = "tenant_isolation"

# Every table with a user_id column (payment_events: NULL for an event of no known user, seen
# by system work only), and users itself by its id. Not: subscription_plans (shared),
# throttles (system counters by key), alembic_version.
TENANT_TABLES = (
    "athlete_profiles",
    "user_subscriptions",
    "user_usage",
    "garmin_credentials",
    "garmin_sync_config",
    "garmin_sync_history",
    "ai_usage_logs",
    "activity_metrics",
    "fitness_metrics",
    "workouts",
    "training_plans",
    "workout_analyses",
    "garmin_fitness_data",
    "race_goals",
    "weekly_summaries",
    "chat_messages",
    "payment_events",
    "pushes",
    "user_sessions",
    "login_codes",
    "activity_series",
)


def _rule(column: str) -> str:
    # Each setting in a sub-select: read once per statement (an InitPlan), not once per row.
    return (
        "(SELECT current_setting('app.scope', true)) = 'system'"
        f" OR {column} = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)"
    )


def _owners() -> list[tuple[str, str]]:
    return [("users", "id"), *((table, "user_id") for table in TENANT_TABLES)]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _owners():
        rule = _rule(column)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {table} FOR ALL USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _column in _owners():
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
