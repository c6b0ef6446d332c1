"""safety: ids never reused, owed secrets, sync leases, shared throttles

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _require_foreign_keys_off() -> None:
    # Rebuilding `users` drops the old table; with foreign keys on, SQLite would first run an
    # implicit DELETE and cascade it into every tenant table. core.db.migrate turns them off.
    if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "Run this migration with `trainbot db upgrade` (it turns SQLite's foreign keys "
            "off while the users table is rebuilt)."
        )


def upgrade() -> None:
    if _sqlite():
        _require_foreign_keys_off()
    with op.batch_alter_table(
        "users", recreate="always" if _sqlite() else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:  # fmt: skip
        batch_op.add_column(sa.Column("secret_due_until", UTCDateTime(), nullable=True))
    with op.batch_alter_table("garmin_sync_config") as batch_op:
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttles")),
    )


def downgrade() -> None:
    if _sqlite():
        _require_foreign_keys_off()
    op.drop_table("throttles")
    with op.batch_alter_table("garmin_sync_config") as batch_op:
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("lease_until")
    with op.batch_alter_table(
        "users", recreate="always" if _sqlite() else "auto",
        table_kwargs={"sqlite_autoincrement": False},
    ) as batch_op:  # fmt: skip
        batch_op.drop_column("secret_due_until")
