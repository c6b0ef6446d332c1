"""web sessions: the API's sessions, one-time sign-in codes, activity chart series

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=256), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        _user_fk("user_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "login_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        _user_fk("login_codes"),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_login_codes")),
    )
    op.create_index(op.f("ix_login_codes_user_id"), "login_codes", ["user_id"])
    op.create_table(
        "activity_series",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity_metrics.id"],
            name=op.f("fk_activity_series_activity_id_activity_metrics"),
            ondelete="CASCADE",
        ),
        _user_fk("activity_series"),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_activity_series")),
    )
    op.create_index(op.f("ix_activity_series_user_id"), "activity_series", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_series_user_id"), table_name="activity_series")
    op.drop_table("activity_series")
    op.drop_index(op.f("ix_login_codes_user_id"), table_name="login_codes")
    op.drop_table("login_codes")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
