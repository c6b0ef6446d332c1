"""GET /api/me: the athlete, their plan and what they used of it this period."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from bot.i18n import negotiate
from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import MeOut, PlanLimitsOut, PlanOut, ProfileOut, UsageOut
from bot.web.api.session_dep import ServicesDep, SessionDep

router = APIRouter(route_class=ApiRoute, tags=["athlete"])


@router.get("/me", response_model=MeOut)
async def me(session: SessionDep, services: ServicesDep) -> MeOut:
    """Profile, timezone, plan with its limits, and this period's usage."""
    account = session.account
    report = await services.gate.remaining(account)
    return MeOut(
        id=account.id,
        first_name=account.first_name,
        # One of the bot's languages, for the Mini App's texts (English when none was set).
        language=negotiate(account.language),
        timezone=account.timezone,
        units=account.units,
        profile=ProfileOut.model_validate(account.profile),
        plan=PlanOut(
            code=report.plan.code,
            name=report.plan.name,
            limits=PlanLimitsOut.model_validate(asdict(report.plan)),
        ),
        usage=[
            UsageOut(feature=f.feature.value, used=f.used, limit=f.limit, resets_at=f.resets_at)
            for f in report.features
        ],
    )
