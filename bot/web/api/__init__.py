"""The JSON API under /api: sessions and the athlete's data, every query scoped to the session."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.api import activities, ai, auth, fitness, garmin, me, plans, workouts


def api_router() -> APIRouter:
    """Every API route, mounted by the app at /api."""
    router = APIRouter(prefix="/api")
    for module in (auth, me, activities, fitness, workouts, plans, ai, garmin):
        router.include_router(module.router)
    return router
