"""GET /api/workouts: planned and AI-written workouts with their steps."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import WorkoutOut, WorkoutsOut
from bot.web.api.session_dep import ServicesDep, SessionDep

router = APIRouter(route_class=ApiRoute, tags=["training"])


@router.get("/workouts", response_model=WorkoutsOut)
async def workouts(
    session: SessionDep,
    services: ServicesDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
) -> WorkoutsOut:
    """Workouts of days from..to (open ends), newest day first."""
    found = await services.training_queries.workouts(session.account, start=from_, end=to)
    return WorkoutsOut(items=[WorkoutOut.model_validate(w) for w in found])
