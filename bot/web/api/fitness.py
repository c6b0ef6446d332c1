"""GET /api/fitness: daily fitness (CTL), fatigue (ATL), form (TSB) and load up to today."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from bot.web.api.answer import answer
from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import FitnessOut
from bot.web.api.session_dep import ServicesDep, SessionDep
from core.training.queries import DEFAULT_FITNESS_DAYS

router = APIRouter(route_class=ApiRoute, tags=["training"])
MAX_DAYS = 3660


@router.get("/fitness", response_model=FitnessOut)
async def fitness(
    session: SessionDep,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_FITNESS_DAYS,
) -> Response:
    """The last `days` days (within the plan's history), oldest first."""
    rows = await services.training_queries.fitness(session.account, days=days)
    return answer(FitnessOut.model_validate({"days": rows}))
