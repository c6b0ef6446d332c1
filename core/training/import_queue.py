"""One import per athlete at a time, so no athlete holds more than one decoding worker.

An athlete's further files wait in arrival order behind the one being read, at most
`max_waiting` of them; other athletes' files meanwhile take any free worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from core.errors import ImportQueueFull

MAX_WAITING_PER_USER = 5

# Told how many of the athlete's files are ahead of this one, before it starts waiting.
OnWait = Callable[[int], Awaitable[None]]


class ImportQueue:
    """Per-user turns: one file in progress, a bounded line of files behind it."""

    def __init__(self, *, max_waiting: int = MAX_WAITING_PER_USER) -> None:
        self._max_waiting = max_waiting
        self._locks: dict[int, asyncio.Lock] = {}  # asyncio.Lock wakes waiters in order
        self._queued: dict[int, int] = {}  # in progress + waiting, per user

    @asynccontextmanager
    async def turn(
        self, user_id: int, on_wait: OnWait | None = None, *, capped: bool = True
    ) -> AsyncIterator[None]:
        """Wait for this user's earlier files; ImportQueueFull when too many already wait.

        `capped=False` (Garmin's own sync, one file at a time) waits its turn whatever the line.
        """
        ahead = self._queued.get(user_id, 0)
        if capped and ahead > self._max_waiting:
            raise ImportQueueFull(ahead)
        self._queued[user_id] = ahead + 1
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        try:
            if ahead and on_wait is not None:
                await on_wait(ahead)
            async with lock:
                yield
        finally:
            self._queued[user_id] -= 1
            if not self._queued[user_id]:  # nobody holds or waits on the lock
                del self._queued[user_id], self._locks[user_id]
