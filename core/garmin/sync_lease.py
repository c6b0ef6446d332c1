"""One Garmin sync per athlete at a time, across processes: a lease in garmin_sync_config.

Garmin rotates the refresh token when it is used, so of two overlapping runs of one athlete
one would be left with a dead token and mark the link broken. A run takes the lease with one
conditional statement, renews it as it goes and frees it when done; the lease of a process that
crashed mid-run simply expires.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import uuid4

from core.clock import Clock, utcnow
from core.db.uow import UnitOfWorkFactory
from core.errors import AppError

logger = logging.getLogger(__name__)

# Far longer than one step of a run (an activity, a day of wellness), after which it is renewed.
LEASE_TTL = timedelta(minutes=15)


class LeaseLost(AppError):
    """The lease expired mid-run and another run took it: this one must stop."""


class SyncLeases:
    """Takes, renews and frees the per-athlete sync lease."""

    def __init__(
        self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow, ttl: timedelta = LEASE_TTL
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ttl = ttl

    @asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[str | None]:
        """The lease's token while the block runs, or None if another run holds it."""
        token = uuid4().hex
        now = self._clock()
        async with self._uow() as uow:
            taken = await uow.garmin.take_sync_lease(user_id, token, now=now, until=now + self._ttl)
            await uow.commit()
        if not taken:
            yield None
            return
        try:
            yield token
        finally:
            await self._release(user_id, token)

    async def renew(self, user_id: int, token: str) -> None:
        """Extend the lease from now; LeaseLost if another run has taken it over."""
        async with self._uow() as uow:
            ours = await uow.garmin.renew_sync_lease(
                user_id, token, until=self._clock() + self._ttl
            )
            await uow.commit()
        if not ours:
            raise LeaseLost("Another sync of this account took over, so this one stopped.")

    async def _release(self, user_id: int, token: str) -> None:
        try:
            async with self._uow() as uow:
                await uow.garmin.release_sync_lease(user_id, token)
                await uow.commit()
        except Exception:  # the lease then runs out by itself
            logger.exception("user %s: could not free the Garmin sync lease", user_id)
