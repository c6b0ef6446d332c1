"""Throttles every instance shares: so many attempts per window per key, and blocks by key.

The counts live in the database, so all web instances and a restarted process see the same
numbers; the events throttled here (sign-ins) are rare, so no Redis is needed for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import Clock, utcnow
from core.db.models import Throttle
from core.db.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class Limit:
    count: int
    per: timedelta


@dataclass(frozen=True)
class Refusal:
    """Nothing was counted: `key` is full or blocked until `retry_at`."""

    key: str
    retry_at: datetime

    def minutes_left(self, now: datetime) -> int:
        """Whole minutes to wait, at least one."""
        return max(1, math.ceil((self.retry_at - now).total_seconds() / 60))


class ThrottleService:
    """Counts attempts by key in fixed windows and blocks keys for a while."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    async def take(
        self, key: str, limit: Limit, *, unless_blocked: str | None = None
    ) -> Refusal | None:
        """Count one attempt under key, atomically; a Refusal when the window is full, when
        key is blocked, or when `unless_blocked` (a key shared by everyone) is blocked."""
        now = self._clock()
        async with self._uow() as uow:
            if unless_blocked is not None:
                shared = await uow.throttles.get(unless_blocked)
                if shared is not None and _blocked(shared, now):
                    assert shared.blocked_until is not None
                    return Refusal(unless_blocked, shared.blocked_until)
            taken = await uow.throttles.take(key, limit=limit.count, window=limit.per, now=now)
            if taken is not None:
                await uow.commit()
                return None
            row = await uow.throttles.get(key)
        return Refusal(key, _retry_at(row, limit, now))

    async def block(self, key: str, duration: timedelta) -> datetime:
        """Refuse every take of key for `duration` from now; the end of the block."""
        now = self._clock()
        until = now + duration
        async with self._uow() as uow:
            await uow.throttles.block(key, until=until, now=now)
            await uow.commit()
        return until


def _blocked(row: Throttle, now: datetime) -> bool:
    return row.blocked_until is not None and row.blocked_until > now


def _retry_at(row: Throttle | None, limit: Limit, now: datetime) -> datetime:
    """When the next take can succeed: after the block, and after the full window."""
    if row is None:
        return now
    ends = [now]
    if row.blocked_until is not None:
        ends.append(row.blocked_until)
    if row.count >= limit.count:
        ends.append(row.window_start + limit.per)
    return max(ends)
