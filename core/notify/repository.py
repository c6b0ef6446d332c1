"""The push outbox: messages the bot sends unasked, stored once per dedup key.

Like the scheduler's due lists this table is read across users; each row still carries the
user_id it belongs to, and every write names the push (and user) it touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from core.db.models import Push, SubscriptionPlan, User, UserSubscription
from core.db.repository import Repository

# Subscription states that still count as paying for the ordering of the outbox: served first
# is a courtesy, so a Pro whose renewal is a little late is not worth a stricter check here.
PRIORITY_STATUSES = ("active", "trialing", "past_due")

Cursor = tuple[int, int]  # (rank, push id) of the last row of the previous page
# id, user, chat, kind, payload, rank, and the reader's units, zone and language (to render
# the data)
PendingRow = tuple[int, int, int, str, dict[str, Any], int, str, str, str | None]


class PushRepository(Repository):
    """Outbox rows; `pending` reads across users, writes name their push."""

    async def add(
        self, user_id: int, *, kind: str, dedup_key: str, payload: dict[str, Any]
    ) -> int | None:
        """Insert unless the dedup key is stored already; the new id, or None."""
        stmt = (
            self.insert(Push)
            .values(user_id=user_id, kind=kind, dedup_key=dedup_key, payload=payload)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(Push.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, push_id: int) -> Push | None:
        return await self.session.get(Push, push_id)

    async def by_key(self, dedup_key: str) -> Push | None:
        stmt = select(Push).where(Push.dedup_key == dedup_key)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def pending(self, limit: int, *, after: Cursor | None = None) -> list[PendingRow]:
        """Pending pushes of users who have not blocked the bot: priority plans first, then
        oldest first; `after` continues from the previous page."""
        rank = _rank()
        stmt = _rows(rank).where(Push.status == "pending", User.is_blocked.is_(False))
        if after is not None:
            stmt = stmt.where(or_(rank > after[0], and_(rank == after[0], Push.id > after[1])))
        stmt = stmt.order_by(rank, Push.id).limit(limit)
        rows = (await self.session.execute(stmt)).all()
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]

    async def claim(
        self, worker: str, limit: int, *, now: datetime, until: datetime
    ) -> list[PendingRow]:
        """Take up to `limit` pending pushes nobody holds (or whose holder's lease lapsed) for
        `worker` until `until`, in the order of `pending`; the rows taken.

        PostgreSQL locks the rows it picks and skips those another claim is picking right now
        (FOR UPDATE SKIP LOCKED), so two workers never take the same push. SQLite has one
        writer at a time, which gives the same guarantee. A user another sender is serving
        (it holds one of their pushes) is left to that sender, so one chat's pushes keep their
        order and Telegram's one message per chat per second is kept by one process.
        """
        rank = _rank()
        free = or_(Push.claimed_until.is_(None), Push.claimed_until < now)
        other = aliased(Push)
        served = exists().where(
            other.user_id == Push.user_id,
            other.status == "pending",
            other.claimed_by != worker,
            other.claimed_until >= now,
        )
        pick = (
            select(Push.id)
            .join(User, User.id == Push.user_id)
            .where(Push.status == "pending", User.is_blocked.is_(False), free, ~served)
            .order_by(rank, Push.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True, of=Push)
        stmt = (
            update(Push)
            .where(Push.id.in_(pick.scalar_subquery()))
            .values(claimed_by=worker, claimed_until=until)
            .returning(Push.id)
            .execution_options(synchronize_session=False)
        )
        ids = list((await self.session.execute(stmt)).scalars())
        if not ids:
            return []
        rows = (
            await self.session.execute(_rows(rank).where(Push.id.in_(ids)).order_by(rank, Push.id))
        ).all()
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]

    async def renew(self, worker: str, until: datetime) -> int:
        """Extend the lease of every pending push `worker` holds; how many."""
        stmt = (
            update(Push)
            .where(Push.claimed_by == worker, Push.status == "pending")
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        result: Any = await self.session.execute(stmt)
        return int(result.rowcount or 0)

    async def release(self, worker: str) -> int:
        """Give back the pending pushes `worker` holds (retries, deferred): any sender may
        take them at once; how many."""
        stmt = (
            update(Push)
            .where(Push.claimed_by == worker, Push.status == "pending")
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        result: Any = await self.session.execute(stmt)
        return int(result.rowcount or 0)

    async def mark_sent(
        self, push_ids: Sequence[int], at: datetime, *, worker: str | None = None
    ) -> set[int]:
        """Pending -> sent; the ids that were pending (the others were done already).

        With `worker`, only pushes it still holds, or that nobody holds: a push another
        sender took over after this one's lease lapsed is that sender's to mark.
        """
        stmt = update(Push).where(Push.id.in_(list(push_ids)), Push.status == "pending")
        if worker is not None:
            stmt = stmt.where(_held_by(worker))
        stmt = stmt.values(status="sent", sent_at=at).returning(Push.id)
        stmt = stmt.execution_options(synchronize_session=False)
        return set((await self.session.execute(stmt)).scalars())

    async def block_user(self, user_id: int) -> None:
        """The user blocked the bot: flag them and stop every push still waiting for them."""
        await self.session.execute(update(User).where(User.id == user_id).values(is_blocked=True))
        await self.session.execute(
            update(Push)
            .where(Push.user_id == user_id, Push.status == "pending")
            .values(status="blocked")
        )

    async def user_for_chat(self, chat_id: int) -> int | None:
        stmt = select(User.id).where(User.chat_id == chat_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def counts(self) -> dict[str, int]:
        """How many pushes are in each status."""
        stmt = select(Push.status, func.count()).group_by(Push.status)
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all()}


def _rank() -> Any:
    """0 for users on a priority plan, else 1: the outbox's first sort key."""
    priority = exists().where(
        UserSubscription.user_id == Push.user_id,
        UserSubscription.status.in_(PRIORITY_STATUSES),
        SubscriptionPlan.id == UserSubscription.plan_id,
        SubscriptionPlan.priority_sync.is_(True),
    )
    return case((priority, 0), else_=1)


def _rows(rank: Any) -> Any:
    """What a sender needs of a push: see PendingRow."""
    return select(
        Push.id, Push.user_id, User.chat_id, Push.kind, Push.payload, rank, User.units,
        User.timezone, User.language,
    ).join(User, User.id == Push.user_id)  # fmt: skip


def _held_by(worker: str) -> Any:
    """The push is this worker's, or nobody's."""
    return or_(Push.claimed_by == worker, Push.claimed_by.is_(None))
