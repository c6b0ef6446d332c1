"""GET /healthz: 200 when the database answers, 503 otherwise. GET /readyz: 200 when the
database answers with the current schema and Redis (when set) answers, 503 naming what failed."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.web.deps import get_container
from core.config import Settings
from core.db import migrate

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5


def health_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    router.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    return router


async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    container = get_container(request)
    # A read connection: SQLite's single write connection may be held by a long write, and a
    # probe queued behind it would report a busy app as dead. PostgreSQL has no reader: engine.
    engine = container.read_engine or container.engine
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy", and says why in the log
        logger.warning("health check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready to take traffic: the schema is this build's and Redis (when set) answers."""
    container = get_container(request)
    engine = container.read_engine or container.engine
    checks = {
        "schema": await _probe("schema", _schema_current(engine)),
        "redis": await _probe("redis", _redis_answers(container.settings)),
    }
    failed = [name for name, result in checks.items() if result not in ("ok", "not configured")]
    if failed:
        return JSONResponse(
            {"status": "not ready", "failed": failed, "checks": checks}, status_code=503
        )
    return JSONResponse({"status": "ready", "checks": checks})


async def _probe(name: str, check: Awaitable[str]) -> str:
    """ "ok", "not configured", or why not; a probe that hangs counts as failed."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            return await check
    except Exception as exc:  # the reason goes to the answer and the log, not a traceback
        logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return f"unavailable: {type(exc).__name__}"


async def _schema_current(engine: AsyncEngine) -> str:
    at = await migrate.current(engine)
    if at not in _heads():
        return f"at {at or 'none'}, expected {', '.join(sorted(_heads()))}"
    return "ok"


@functools.cache
def _heads() -> frozenset[str]:
    """This build's migration heads: read once, the files do not change while it runs."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())


async def _redis_answers(settings: Settings) -> str:
    if not settings.redis_url:
        return "not configured"
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=PROBE_TIMEOUT_S)
    try:
        await redis.ping()
    finally:
        await redis.aclose()
    return "ok"
