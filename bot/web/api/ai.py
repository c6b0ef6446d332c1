"""POST /api/ai/analyze/{workout_id}: the AI coach's analysis of a done activity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import AnalysisOut
from bot.web.api.session_dep import ServicesDep, SessionDep

router = APIRouter(prefix="/ai", route_class=ApiRoute, tags=["coach"])
MAX_ID = 2**31 - 1


@router.post("/analyze/{workout_id}", response_model=AnalysisOut)
async def analyze(
    workout_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, services: ServicesDep
) -> AnalysisOut:
    """Analyse the activity with this id (a stored analysis is shown again without counting);
    402 with the limit once the plan allows no more."""
    result = await services.coach.analyze(session.account, workout_id)
    return AnalysisOut.model_validate(result)
