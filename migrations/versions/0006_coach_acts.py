"""the coach acts: session RPE, power curves and bests per activity, workouts we put on the
Garmin calendar, the adapted day, the weekly report

New tenant tables get the same forced row-level security policy as 0005's on PostgreSQL.

Revision ID: 0006_coach_acts
Revises: 0005_row_level_security
Create Date: 2026-12-01 20:30:00

"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0006_coach_acts"
down_revision: str | Sequence[str] | None = "0005_row_level_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _load_rls_revision() -> object:
    """0005's module, found beside this file: `trainbot` migrates from any directory, where
    `migrations` is not an importable package."""
    path = Path(__file__).with_name("0005_row_level_security.py")
    spec = importlib.util.spec_from_file_location("trainbot_migration_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_RLS: Any = _load_rls_revision()

TENANT_TABLES = ("garmin_scheduled_workouts", "day_adaptations")


def _activity_columns() -> list[sa.Column]:
    return [
        # Rating of perceived exertion, 1-10 (Borg CR-10), and the athlete's note on it.
        sa.Column("rpe", sa.Integer(), nullable=True),
        sa.Column("rpe_note", sa.Text(), nullable=True),
        # Foster's session RPE load: RPE x moving minutes.
        sa.Column("srpe_load", sa.Float(), nullable=True),
        # Best mean power per duration ({"5": 812.0, "1200": 265.0}, seconds -> W) for rides,
        # best times per distance ({"1000": 231.0}, metres -> s) for runs.
        sa.Column("power_curve", sa.JSON(), nullable=True),
        sa.Column("best_efforts", sa.JSON(), nullable=True),
        # What this activity beat when it was imported (shown on its card).
        sa.Column("new_bests", sa.JSON(), nullable=True),
    ]


def _owned(table: str) -> tuple[sa.PrimaryKeyConstraint, sa.ForeignKeyConstraint]:
    return (
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
    )


def _plan_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["plan_id"],
        ["training_plans.id"],
        name=op.f(f"fk_{table}_plan_id_training_plans"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    for column in _activity_columns():
        op.add_column("activity_metrics", column)
    op.add_column(
        "users",
        sa.Column("weekly_report_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("weekly_summaries", sa.Column("reported_at", UTCDateTime(), nullable=True))
    op.create_table(
        "garmin_scheduled_workouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("garmin_workout_id", sa.BigInteger(), nullable=False),
        sa.Column("garmin_schedule_id", sa.BigInteger(), nullable=True),
        sa.Column("workout_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        *_owned("garmin_scheduled_workouts"),
        sa.ForeignKeyConstraint(
            ["workout_id"],
            ["workouts.id"],
            name=op.f("fk_garmin_scheduled_workouts_workout_id_workouts"),
            ondelete="SET NULL",
        ),
        _plan_fk("garmin_scheduled_workouts"),
    )
    op.create_index(
        op.f("ix_garmin_scheduled_workouts_user_day"),
        "garmin_scheduled_workouts",
        ["user_id", "day"],
    )
    op.create_table(
        "day_adaptations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("planned", sa.JSON(), nullable=True),
        sa.Column("adapted", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        *_owned("day_adaptations"),
        _plan_fk("day_adaptations"),
        sa.UniqueConstraint("user_id", "day", name=op.f("uq_day_adaptations_user_id_day")),
    )
    op.create_index(op.f("ix_day_adaptations_user_id"), "day_adaptations", ["user_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            rule = _RLS._rule("user_id")
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {_RLS.POLICY} ON {table} FOR ALL USING ({rule}) WITH CHECK ({rule})"
            )


def downgrade() -> None:
    op.drop_table("day_adaptations")
    op.drop_table("garmin_scheduled_workouts")
    with op.batch_alter_table("weekly_summaries") as batch:
        batch.drop_column("reported_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("weekly_report_enabled")
    with op.batch_alter_table("activity_metrics") as batch:
        for column in reversed(_activity_columns()):
            batch.drop_column(column.name)
