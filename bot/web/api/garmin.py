"""GET /api/garmin/status and POST /api/garmin/sync."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import GarminStatusOut, SyncOut, SyncRunOut
from bot.web.api.session_dep import ServicesDep, SessionDep

router = APIRouter(prefix="/garmin", route_class=ApiRoute, tags=["garmin"])


@router.get("/status", response_model=GarminStatusOut)
async def status(session: SessionDep, services: ServicesDep) -> GarminStatusOut:
    """Whether Garmin Connect is linked, the sync schedule and the recent sync runs."""
    s = await services.garmin_status.status(session.account.id)
    return GarminStatusOut(
        linked=s.linked,
        valid=s.valid,
        auto_sync=s.auto_sync,
        last_sync_at=s.last_sync_at,
        next_sync_at=s.next_sync_at,
        paused_reason=s.paused_reason,
        history=[SyncRunOut.model_validate(r) for r in s.runs],
    )


@router.post("/sync", response_model=SyncOut)
async def sync(session: SessionDep, services: ServicesDep) -> SyncOut:
    """Sync now, as /sync does (Free: once per 30 minutes); answers when the run is over."""
    report = await services.garmin_sync.sync_now(session.account.id)
    return SyncOut(
        status=report.status,
        new=report.new,
        skipped=report.skipped,
        wellness_days=report.wellness_days,
        error=report.error,
    )
