"""Operator figures for /admin."""

from __future__ import annotations

from datetime import UTC

from core.accounts.admin_repository import AdminStats
from core.clock import Clock, utcnow
from core.db.uow import UnitOfWorkFactory


class AdminService:
    """Counts across users (UTC day and month)."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    async def stats(self) -> AdminStats:
        now = self._clock().astimezone(UTC)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        async with self._uow() as uow:
            return await uow.admin.stats(day_start=day, month_start=day.replace(day=1))
