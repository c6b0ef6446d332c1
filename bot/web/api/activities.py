"""GET /api/activities and /api/activities/{id}: done activities within the plan's history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from bot.web.api.answer import answer
from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import (
    ActivityDetailOut,
    ActivityListOut,
    LapOut,
    LoadFiguresOut,
    SeriesOut,
    ZonesOut,
)
from bot.web.api.session_dep import ServicesDep, SessionDep
from core.training.queries import ActivityDetail

router = APIRouter(prefix="/activities", route_class=ApiRoute, tags=["training"])
MAX_ID = 2**31 - 1


@router.get("", response_model=ActivityListOut)
async def activities(
    session: SessionDep,
    services: ServicesDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
) -> Response:
    """Activities of local days from..to (default: the last 90 days), newest first."""
    found = await services.training_queries.activities(session.account, start=from_, end=to)
    return answer(
        ActivityListOut.model_validate(
            {"items": found.items, "history_days": found.history_days, "from_": found.start,
             "to": found.end}
        )
    )  # fmt: skip


@router.get("/{activity_id}", response_model=ActivityDetailOut)
async def activity(
    activity_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, services: ServicesDep
) -> Response:
    """One activity with laps, zones, load figures and chart series; 404 for anyone else's."""
    return answer(
        detail_out(await services.training_queries.activity(session.account, activity_id))
    )


def detail_out(d: ActivityDetail) -> ActivityDetailOut:
    c = d.card
    return ActivityDetailOut(
        id=c.id, start_time=c.start_time, local_date=c.local_date, sport=c.sport,
        sub_sport=c.sub_sport, source=d.source, timer_s=c.timer_s, elapsed_s=c.elapsed_s,
        distance_m=c.distance_m, ascent_m=c.ascent_m, calories=c.calories, avg_hr=c.avg_hr,
        max_hr=c.max_hr, avg_power=c.avg_power, normalized_power=c.normalized_power,
        load=c.load, load_method=c.load_method, tss=d.tss, intensity_factor=c.intensity_factor,
        avg_cadence=c.avg_cadence, lap_count=c.lap_count,
        laps=[LapOut.model_validate(lap) for lap in d.laps],
        zones=ZonesOut(hr_seconds=list(c.hr_zone_seconds)),
        load_figures=LoadFiguresOut(
            load=c.load, method=c.load_method, estimated=c.load_estimated,
            estimates=list(c.estimates), tss=d.tss, intensity_factor=c.intensity_factor,
            trimp=c.trimp, edwards_trimp=d.edwards_trimp, best_20min_power=d.best_20min_power,
        ),
        series=None if d.series is None else SeriesOut.model_validate(d.series),
        analysis=d.analysis, rpe=c.rpe, srpe_load=c.srpe_load,
    )  # fmt: skip
