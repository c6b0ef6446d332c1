"""The Garmin link as the web app shows it: linked or not, the sync schedule, recent runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.db.models import GarminSyncHistory
from core.db.uow import UnitOfWorkFactory

RECENT_RUNS = 10


@dataclass(frozen=True)
class SyncRun:
    """One garmin_sync_history row."""

    started_at: datetime
    finished_at: datetime | None
    status: str
    activities_new: int
    activities_skipped: int
    wellness_days: int
    error: str | None


@dataclass(frozen=True)
class GarminStatus:
    linked: bool
    valid: bool
    auto_sync: bool
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    paused_reason: str | None
    runs: list[SyncRun]  # newest first


class GarminStatusService:
    """Reads the athlete's link, schedule and recent sync runs in one read transaction."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def status(self, user_id: int, *, runs: int = RECENT_RUNS) -> GarminStatus:
        async with self._uow(readonly=True) as uow:
            cred = await uow.garmin.credentials(user_id)
            cfg = await uow.garmin.config(user_id)
            history = await uow.garmin.runs(user_id, limit=runs)
        return GarminStatus(
            linked=cred is not None,
            valid=bool(cred and cred.is_valid),
            auto_sync=bool(cred and cfg and cfg.enabled and cfg.paused_reason is None),
            last_sync_at=cfg.last_sync_at if cfg else None,
            next_sync_at=cfg.next_sync_at if cfg and cred else None,
            paused_reason=cfg.paused_reason if cfg else None,
            runs=[_run(r) for r in history],
        )


def _run(row: GarminSyncHistory) -> SyncRun:
    return SyncRun(
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        activities_new=row.activities_new,
        activities_skipped=row.activities_skipped,
        wellness_days=row.wellness_days,
        error=row.error,
    )
