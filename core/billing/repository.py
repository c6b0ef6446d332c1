"""Processed payment events (what makes delivery idempotent) and the per-account billing lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, exists, func, select

from core.db.batch import fetch_all
from core.db.models import PaymentEvent, User, UserSubscription
from core.db.repository import Repository, Upsert

if TYPE_CHECKING:
    from core.db.reader import RowReader


@dataclass(frozen=True)
class EventOwners:
    """What the database says about a Stripe event before it is applied, in one read."""

    seen: bool  # its id is in payment_events: applied (or examined) already
    user_exists: bool  # the user its metadata names has an account
    own_customer: str | None  # that user's stored Stripe customer
    customer_holder: int | None  # the user whose row holds the event's customer
    subscription_holder: int | None  # the user whose row holds the event's subscription


def _holder(column: Any, key: str) -> Any:
    subs = UserSubscription.__table__
    return select(subs.c.user_id).where(column == bindparam(key)).limit(1).scalar_subquery()


# Built once. One statement instead of a transaction of four reads: it runs on the path of
# every Stripe delivery, before the outside call to Stripe, and each read in a transaction
# costs a thread hop on SQLite and a round trip on PostgreSQL.
_SUBS = UserSubscription.__table__
_OWNERS = select(
    exists().where(PaymentEvent.__table__.c.event_id == bindparam("event_id")).label("seen"),
    exists().where(User.__table__.c.id == bindparam("user_id")).label("user_exists"),
    select(_SUBS.c.stripe_customer_id)
    .where(_SUBS.c.user_id == bindparam("user_id"))
    .scalar_subquery()
    .label("own_customer"),
    _holder(_SUBS.c.stripe_customer_id, "customer_id").label("customer_holder"),
    _holder(_SUBS.c.stripe_subscription_id, "subscription_id").label("subscription_holder"),
)


# Built once: every delivery that applies runs them. The event's id unless known (RETURNING
# it when new); the user's row locked until commit, then their subscription row.
_EVENTS = PaymentEvent.__table__
_RECORD_EVENT = Upsert(
    lambda insert: (
        insert(_EVENTS)
        .values(
            event_id=bindparam("event_id"),
            provider=bindparam("provider"),
            event_type=bindparam("event_type"),
            user_id=bindparam("user_id"),
            received_at=bindparam("received_at"),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(_EVENTS.c.event_id)
    )
)
_USERS = User.__table__
_LOCK_ACCOUNT = (
    select(_USERS.c.id).where(_USERS.c.id == bindparam("user_id")).with_for_update(key_share=True)
)
_SUBSCRIPTION = select(*_SUBS.c).where(_SUBS.c.user_id == bindparam("user_id"))


async def event_owners(
    reader: RowReader,
    *,
    event_id: str | None,
    user_id: int | None,
    customer_id: str | None,
    subscription_id: str | None,
) -> EventOwners:
    """Whether the event was seen, and who its user, customer and subscription belong to
    (outside a unit of work, like `BillingRepository.event_seen` and the subscription lookups;
    the ledger checks again under the account's lock before it writes)."""
    row = await reader.first(
        _OWNERS,
        {
            "event_id": event_id,
            "user_id": user_id,
            "customer_id": customer_id or None,
            "subscription_id": subscription_id or None,
        },
    )
    assert row is not None  # a SELECT without FROM always has its row
    return EventOwners(
        seen=bool(row["seen"]),
        user_exists=bool(row["user_exists"]),
        own_customer=row["own_customer"],
        customer_holder=row["customer_holder"],
        subscription_holder=row["subscription_holder"],
    )


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
        params = {
            "event_id": event_id,
            "provider": provider,
            "event_type": event_type[:64],
            "user_id": user_id,
            "received_at": at,
        }
        result = await self.session.execute(self.for_backend(_RECORD_EVENT), params)
        return result.scalar_one_or_none() is not None

    async def lock_account(self, user_id: int) -> bool:
        """Lock the user's row until commit, so billing changes of one user run one at a time.

        FOR NO KEY UPDATE (not FOR UPDATE): inserts that reference the user (payment_events,
        usage counters) take KEY SHARE locks, which this does not block or deadlock with.
        SQLite has no row locks; its BEGIN IMMEDIATE already serialises writers.
        Whether the user exists.
        """
        result = await self.session.execute(_LOCK_ACCOUNT, {"user_id": user_id})
        return result.scalar_one_or_none() is not None

    async def lock_with_subscription(self, user_id: int) -> tuple[bool, UserSubscription | None]:
        """`lock_account`, then the user's subscription row as it stands under that lock, in
        one trip to the database (the path of every Stripe delivery). The row comes back
        detached from the session: read it, write through `save_subscription`."""
        params = {"user_id": user_id}
        locked, found = await fetch_all(
            self.session, [(_LOCK_ACCOUNT, params), (_SUBSCRIPTION, params)]
        )
        if not locked:
            return False, None
        return True, UserSubscription(**found[0]) if found else None

    async def save_subscription(self, user_id: int, **fields: Any) -> UserSubscription:
        """Insert or update the user's subscription row in one statement; the row as stored
        (detached from the session, like `lock_with_subscription`'s: a plain table upsert
        costs a fraction of the ORM's on the path of every Stripe delivery)."""
        stmt = (
            self.insert(_SUBS)
            .values(user_id=user_id, **fields)
            .on_conflict_do_update(
                # ON CONFLICT's SET ignores Column.onupdate: stamp updated_at ourselves.
                index_elements=["user_id"],
                set_={**fields, "updated_at": func.now()},
            )
            .returning(*_SUBS.c)
        )
        stored = (await self.session.execute(stmt)).mappings().one()
        return UserSubscription(**stored)
