"""Garmin logins waiting for their one-time code, kept in memory for a few minutes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from core.errors import GarminMfaExpired

T = TypeVar("T")

MFA_EXPIRED_MESSAGE = "That Garmin sign-in has expired. Start linking your account again."


class PendingLogins(Generic[T]):
    """A keyed registry of half-finished logins that forgets entries after ttl_s seconds.

    The value is the live client object: Garmin's MFA step must be completed by the very
    client that started the login, so it cannot be stored in the database. This keeps the
    registry per process; the code must reach the process that asked for it.
    """

    def __init__(
        self,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = 1000,
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, T]] = {}

    def put(self, key: str, value: T) -> None:
        """Store value under key (replacing any earlier one) until the ttl runs out."""
        self.purge()
        self._entries.pop(key, None)
        # Bounded so that a flood of abandoned logins cannot grow memory without end.
        while len(self._entries) >= self._max_entries:
            oldest = min(self._entries, key=lambda k: self._entries[k][0])
            del self._entries[oldest]
        self._entries[key] = (self._clock() + self._ttl_s, value)

    def pop(self, key: str) -> T:
        """Take the value out, or raise GarminMfaExpired if it is missing or too old."""
        self.purge()
        entry = self._entries.pop(key, None)
        if entry is None:
            raise GarminMfaExpired(MFA_EXPIRED_MESSAGE)
        return entry[1]

    def discard(self, key: str) -> None:
        """Forget key if present (the user cancelled)."""
        self._entries.pop(key, None)

    def purge(self) -> int:
        """Drop expired entries and return how many were dropped."""
        now = self._clock()
        expired = [k for k, (deadline, _) in self._entries.items() if deadline <= now]
        for k in expired:
            del self._entries[k]
        return len(expired)

    def __contains__(self, key: object) -> bool:
        entry = self._entries.get(key) if isinstance(key, str) else None
        return entry is not None and entry[0] > self._clock()

    def __len__(self) -> int:
        self.purge()
        return len(self._entries)
