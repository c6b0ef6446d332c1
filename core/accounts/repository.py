"""Users and their athlete profiles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping, Select, bindparam, delete, func, select, update

from core.db.models import (
    AthleteProfile,
    Base,
    SubscriptionPlan,
    User,
    UserSession,
    UserSubscription,
)
from core.db.repository import Repository

if TYPE_CHECKING:
    from core.db.reader import RowReader

FREE_PLAN = "free"


# The columns an AccountContext is made of, labelled by prefix (sub_, plan_, free_, profile_).
CONTEXT_USER_COLUMNS = (
    "id", "chat_id", "first_name", "language", "timezone", "timezone_set", "units",
    "summary_time", "summary_enabled", "weekly_report_enabled", "is_blocked", "secret_due_until",
)  # fmt: skip
CONTEXT_SUB_COLUMNS = ("status", "current_period_end", "grace_until")


def _account_rows() -> Select[Any]:
    users, subs = User.__table__, UserSubscription.__table__
    plan = SubscriptionPlan.__table__.alias("plan")
    free = SubscriptionPlan.__table__.alias("free_plan")
    profile = AthleteProfile.__table__
    sessions = UserSession.__table__
    # The dashboard sessions signed in (for /settings): an indexed count, cheaper here than a
    # statement of its own.
    live_sessions = (
        select(func.count())
        .where(
            sessions.c.user_id == users.c.id,
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > bindparam("now", type_=sessions.c.expires_at.type),
        )
        .scalar_subquery()
        .label("dashboard_sessions")
    )
    return (
        select(
            *(users.c[name] for name in CONTEXT_USER_COLUMNS),
            live_sessions,
            *(subs.c[name].label(f"sub_{name}") for name in CONTEXT_SUB_COLUMNS),
            *(c.label(f"plan_{c.name}") for c in plan.c),
            *(c.label(f"free_{c.name}") for c in free.c),
            *(c.label(f"profile_{c.name}") for c in profile.c),
        )
        .select_from(users)
        .outerjoin(subs, subs.c.user_id == users.c.id)
        .outerjoin(plan, plan.c.id == subs.c.plan_id)
        .join(free, free.c.code == FREE_PLAN)
        .outerjoin(profile, profile.c.user_id == users.c.id)
    )


# Built once: building this statement costs more than running it on the path of every update.
# Plain columns, not ORM entities: loading five entities costs more than the query itself.
_BY_ID = _account_rows().where(User.__table__.c.id == bindparam("key"))
_BY_CHAT = _account_rows().where(User.__table__.c.chat_id == bindparam("key"))


async def account_row(
    reader: RowReader, *, now: datetime, user_id: int | None = None, chat_id: int | None = None
) -> Mapping[Any, Any] | None:
    """`UserRepository.account_rows` outside a unit of work: the one read of every update."""
    if user_id is not None:
        return await reader.first(_BY_ID, {"key": user_id, "now": now})
    assert chat_id is not None, "by id or by chat"
    return await reader.first(_BY_CHAT, {"key": chat_id, "now": now})


class UserRepository(Repository):
    """The account rows; lookups are by the user's own id or chat."""

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def by_chat(self, chat_id: int) -> User | None:
        result = await self.session.execute(select(User).where(User.chat_id == chat_id))
        return result.scalar_one_or_none()

    async def account_rows(
        self, *, now: datetime, user_id: int | None = None, chat_id: int | None = None
    ) -> RowMapping | None:
        """The user (by id or chat) with its subscription, that plan, the Free plan and the
        athlete profile, as labelled columns: one statement, run for every update."""
        if user_id is not None:
            result = await self.session.execute(_BY_ID, {"key": user_id, "now": now})
        else:
            assert chat_id is not None, "by id or by chat"
            result = await self.session.execute(_BY_CHAT, {"key": chat_id, "now": now})
        return result.mappings().first()

    async def create_for_chat(self, chat_id: int, **fields: Any) -> User | None:
        """Insert the account unless another request just did; None when it already exists."""
        stmt = (
            self.insert(User)
            .values(chat_id=chat_id, **fields)
            .on_conflict_do_nothing(index_elements=["chat_id"])
            .returning(User.id)
        )
        new_id = (await self.session.execute(stmt)).scalar_one_or_none()
        return None if new_id is None else await self.get(new_id)

    async def update_fields(self, user_id: int, **fields: Any) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(**fields))

    async def touch(self, user_id: int, at: datetime) -> None:
        await self.update_fields(user_id, last_seen_at=at)

    async def delete_everything(self, user_id: int) -> dict[str, int]:
        """Delete every row of this user in every table; the counts per table.

        Rows whose link is ON DELETE SET NULL are kept and unlinked from the person instead:
        payment_events, the processed payments that accounting needs.
        """
        counts: dict[str, int] = {}
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "users" or "user_id" not in table.c:
                continue
            column = table.c.user_id
            if any(fk.ondelete == "SET NULL" for fk in column.foreign_keys):
                unlink = update(table).where(column == user_id).values(user_id=None)
                result = await self.session.execute(unlink)
            else:
                result = await self.session.execute(delete(table).where(column == user_id))
            counts[table.name] = result.rowcount or 0  # type: ignore[attr-defined]
        result = await self.session.execute(delete(User).where(User.id == user_id))
        counts["users"] = result.rowcount or 0  # type: ignore[attr-defined]
        return counts


class ProfileRepository(Repository):
    """Athlete profile: thresholds for load figures."""

    async def get(self, user_id: int) -> AthleteProfile | None:
        return await self.session.get(AthleteProfile, user_id)

    async def upsert(self, user_id: int, **fields: Any) -> None:
        stmt = self.insert(AthleteProfile).values(user_id=user_id, **fields)
        if fields:
            stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=fields)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["user_id"])
        await self.session.execute(stmt)
