"""Operator figures for /admin."""

from __future__ import annotations

from datetime import UTC

from core.accounts.admin_repository import AdminStats
from core.clock import Clock, utcnow
from core.db.scope import system_scope
from core.db.uow import UnitOfWorkFactory
from core.errors import NotAnOperator


class AdminService:
    """Counts across users (UTC day and month), for the operators only."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        operator_ids: frozenset[int] = frozenset(),
        clock: Clock = utcnow,
    ) -> None:
        self._uow = uow
        self._operators = operator_ids
        self._clock = clock

    def is_operator(self, user_id: int, *, private_chat: bool) -> bool:
        """ADMIN_CHAT_IDS names people (their private chats): a group listed there, or a
        listed person writing in a group, must not make every member an operator."""
        return private_chat and user_id in self._operators

    async def stats(self, user_id: int, *, private_chat: bool) -> AdminStats:
        """The figures; NotAnOperator for anyone else."""
        if not self.is_operator(user_id, private_chat=private_chat):
            raise NotAnOperator()
        now = self._clock().astimezone(UTC)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        async with system_scope(), self._uow() as uow:  # counts across users
            return await uow.admin.stats(day_start=day, month_start=day.replace(day=1))
