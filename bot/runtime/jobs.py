"""The worker's clock: one tick a minute asks the database what is due; no per-user jobs.

A tick enqueues the morning summaries that are due, flushes the push outbox, confirms what
Telegram accepted, enqueues (and flushes) the weekly reports due on Mondays, then runs the due
Garmin syncs (priority users first, a bounded number at once) and flushes again. Only the
worker holding the scheduler lock does any of it; every worker tries to take the lock on every
tick, so a standby leads within one tick of the leader's death. (Pushes go out from every
worker: see bot.delivery.notifier.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.bootstrap import Container
from core.clock import Clock, utcnow
from core.db.scheduler_lock import SchedulerLock, make_lock
from core.db.scope import system_scope
from core.notify.daily_summary import DueSummary

logger = logging.getLogger(__name__)

TICK_SECONDS = 60
FLUSH_PAUSE_S = 0.5


class Flusher(Protocol):
    """The push sender (bot.delivery.notifier.Notifier)."""

    async def flush(self) -> Any: ...


@dataclass
class TickResult:
    active: bool  # False: another worker holds the lock
    summaries_enqueued: int = 0
    summaries_confirmed: int = 0
    weekly_reports: int = 0
    syncs: int = 0


def _default_notifier(container: Container, bot: Bot | None) -> Flusher | None:
    if bot is None:
        return None
    from bot.delivery.notifier import make_notifier

    return make_notifier(container, bot)


class Scheduler:
    """Due syncs and due daily summaries, every minute, in at most one worker."""

    def __init__(
        self,
        container: Container,
        bot: Bot | None,
        *,
        clock: Clock = utcnow,
        notifier: Flusher | None = None,
        lock: SchedulerLock | None = None,
    ) -> None:
        self._container = container
        self._clock = clock
        self._notifier = notifier if notifier is not None else _default_notifier(container, bot)
        self._owns_notifier = notifier is None  # then stop() closes it
        self._lock = lock or make_lock(container.engine, container.settings.data_dir)
        self._sync = container.services.garmin_sync
        self._summary = container.services.daily_summary
        self._weekly = container.services.weekly_report
        self._aps: AsyncIOScheduler | None = None
        self._ticking: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        """Tick now and then every minute (a slow tick makes the next one wait, never pile up)."""
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._aps.add_job(
            self._run_tick, "interval", seconds=TICK_SECONDS, next_run_time=utcnow(),
            max_instances=1, coalesce=True, id="tick",
        )  # fmt: skip
        self._aps.start()

    async def stop(self) -> None:
        """No more ticks; a tick under way is cancelled and has wound down (its sends on the
        wire finished and marked) before the lock is let go."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        ticking, self._ticking = self._ticking, None
        if ticking is not None and not ticking.done():
            ticking.cancel()
            await asyncio.gather(ticking, return_exceptions=True)
        await self._lock.release()
        close = getattr(self._notifier, "close", None)
        if self._owns_notifier and close is not None:
            await close()

    async def _run_tick(self) -> None:
        self._ticking = asyncio.current_task()
        try:
            await self.tick(self._clock())
        except asyncio.CancelledError:  # stop(): the worker is going away, nothing failed
            logger.info("scheduler tick stopped")
        except Exception:
            logger.exception("scheduler tick failed")

    async def tick(self, now: datetime) -> TickResult:
        """Everything due at `now`; does nothing unless this worker holds the lock."""
        async with system_scope():  # due work spans users
            return await self._tick(now)

    async def _tick(self, now: datetime) -> TickResult:
        if not await self._lock.acquire():
            logger.debug("another worker is active; waiting")
            return TickResult(active=False)
        result = TickResult(active=True)
        due = await self._summary.due(now)
        result.summaries_enqueued = await self._enqueue_while_flushing(due)
        await self._flush()
        result.summaries_confirmed = await self._summary.confirm(due)
        result.weekly_reports = await self._weekly.enqueue(await self._weekly.due(now))
        if result.weekly_reports:
            await self._flush()
        result.syncs = await self._run_syncs(now)
        await self._flush()
        return result

    async def _enqueue_while_flushing(self, due: list[DueSummary]) -> int:
        """Compose and send side by side: the first summaries go out while later ones are
        still being written."""
        task = asyncio.create_task(self._summary.enqueue(due))
        try:
            while not task.done():
                await self._flush()
                await asyncio.wait({task}, timeout=FLUSH_PAUSE_S)
            return task.result()
        finally:
            if not task.done():
                task.cancel()

    async def _flush(self) -> None:
        if self._notifier is not None:
            await self._notifier.flush()

    async def _run_syncs(self, now: datetime) -> int:
        sync = self._sync
        ids = await sync.due(now)
        if not ids:
            return 0
        # Tasks start in list order and the semaphore is fair: priority users go first.
        gate = asyncio.Semaphore(max(1, self._container.settings.max_concurrent_syncs))

        async def one(user_id: int) -> None:
            async with gate:
                try:
                    await sync.sync_user(user_id)
                except Exception:
                    logger.exception("sync of user %s failed", user_id)

        await asyncio.gather(*(one(u) for u in ids))
        return len(ids)
