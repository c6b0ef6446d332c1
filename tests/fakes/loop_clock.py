"""Event-loop time that a test moves forward, so deadlines pass when the test says so."""

from __future__ import annotations

import asyncio


class LoopClock:
    """The running loop's clock plus an offset that only the test advances.

    asyncio.timeout, call_later and anyio's deadlines (which httpx uses) all read loop.time(),
    so after `advance(s)` every deadline due within `s` fires on the loop's next turn. Time
    never goes back: the clock stays on the loop for its whole life (one loop per test).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._real = loop.time
        self.offset = 0.0
        loop.time = self.time  # type: ignore[method-assign]

    @classmethod
    def install(cls) -> LoopClock:
        """Take over the clock of the running loop."""
        return cls(asyncio.get_running_loop())

    def time(self) -> float:
        """What the loop now reads as its time."""
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        """Jump forward; due timers run as soon as the caller yields to the loop."""
        self.offset += seconds
