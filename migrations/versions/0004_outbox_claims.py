"""outbox claims: a push is claimed by one sender at a time, for a lease

Revision ID: 0004_outbox_claims
Revises: 0003
Create Date: 2026-12-01 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.types import UTCDateTime

revision: str = "0004_outbox_claims"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pushes", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("pushes", sa.Column("claimed_until", UTCDateTime(), nullable=True))
    op.create_index("ix_pushes_claimed_by_status", "pushes", ["claimed_by", "status"])


def downgrade() -> None:
    op.drop_index("ix_pushes_claimed_by_status", table_name="pushes")
    with op.batch_alter_table("pushes") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
