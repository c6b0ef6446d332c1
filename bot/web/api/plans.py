"""GET /api/plans: the active AI training plan and its weeks."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import PlansOut, TrainingPlanOut
from bot.web.api.session_dep import ServicesDep, SessionDep

router = APIRouter(route_class=ApiRoute, tags=["coach"])


@router.get("/plans", response_model=PlansOut)
async def plans(session: SessionDep, services: ServicesDep) -> PlansOut:
    """The active plan, or null."""
    plan = await services.coach.active_plan(session.account.id)
    return PlansOut(active=None if plan is None else TrainingPlanOut.model_validate(plan))
