"""Throttle counters shared by every process: one row per key, a count in a fixed window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, literal, or_, select

from core.db.models import Throttle
from core.db.repository import Repository
from core.db.types import UTCDateTime


class ThrottleRepository(Repository):
    """Counts and blocks by key; never commits."""

    async def get(self, key: str) -> Throttle | None:
        result = await self.session.execute(select(Throttle).where(Throttle.key == key))
        return result.scalar_one_or_none()

    async def take(self, key: str, *, limit: int, window: timedelta, now: datetime) -> int | None:
        """Count one in key's window; the new count, or None when it is full or key is blocked.

        One statement on both backends: INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING.
        The upsert's row lock queues concurrent callers, so no more than `limit` are ever
        counted in one window; a window that is over starts again at `now` with a count of 1.
        """
        if limit <= 0:
            return None
        t = Throttle.__table__
        over = t.c.window_start <= now - window
        stmt = self.insert(t).values(key=key, count=1, window_start=now, blocked_until=None)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((over, 1), else_=t.c.count + 1),
                "window_start": case((over, literal(now, UTCDateTime())), else_=t.c.window_start),
            },
            where=and_(
                or_(t.c.blocked_until.is_(None), t.c.blocked_until <= now),
                or_(over, t.c.count < limit),
            ),
        ).returning(t.c.count)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def block(self, key: str, *, until: datetime, now: datetime) -> None:
        """Refuse every take of key until `until` (a later block already there stays)."""
        t = Throttle.__table__
        stmt = self.insert(t).values(key=key, count=0, window_start=now, blocked_until=until)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"blocked_until": until},
            where=or_(t.c.blocked_until.is_(None), t.c.blocked_until < until),
        )
        await self.session.execute(stmt)
