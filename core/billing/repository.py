"""Processed payment events (what makes delivery idempotent) and the per-account billing lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from core.db.models import PaymentEvent, User, UserSubscription
from core.db.repository import Repository


class BillingRepository(Repository):
    """Payment event ids already applied, and the row lock that orders billing changes."""

    async def event_seen(self, event_id: str) -> bool:
        """Whether this event id was applied already (a cheap check before outside calls)."""
        result = await self.session.execute(
            select(PaymentEvent.event_id).where(PaymentEvent.event_id == event_id)
        )
        return result.scalar_one_or_none() is not None

    async def record_event(
        self, event_id: str, *, provider: str, event_type: str, user_id: int | None, at: datetime
    ) -> bool:
        """Insert the event id unless known; whether it was new (user_id None: ignored events).

        ON CONFLICT DO NOTHING: on PostgreSQL a concurrent insert of the same id waits for
        the first transaction and then inserts nothing, so only one delivery can apply it.
        """
        stmt = (
            self.insert(PaymentEvent)
            .values(
                event_id=event_id,
                provider=provider,
                event_type=event_type[:64],
                user_id=user_id,
                received_at=at,
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(PaymentEvent.event_id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def lock_account(self, user_id: int) -> bool:
        """Lock the user's row until commit, so billing changes of one user run one at a time.

        FOR NO KEY UPDATE (not FOR UPDATE): inserts that reference the user (payment_events,
        usage counters) take KEY SHARE locks, which this does not block or deadlock with.
        SQLite has no row locks; its BEGIN IMMEDIATE already serialises writers.
        Whether the user exists.
        """
        stmt = select(User.id).where(User.id == user_id).with_for_update(key_share=True)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def save_subscription(self, user_id: int, **fields: Any) -> UserSubscription:
        """Insert or update the user's subscription row in one statement; the row as stored."""
        stmt = (
            self.insert(UserSubscription)
            .values(user_id=user_id, **fields)
            .on_conflict_do_update(
                # ON CONFLICT's SET ignores Column.onupdate: stamp updated_at ourselves.
                index_elements=["user_id"],
                set_={**fields, "updated_at": func.now()},
            )
            .returning(UserSubscription)
        )
        result = await self.session.scalars(stmt, execution_options={"populate_existing": True})
        return result.one()
