"""GET /healthz: 200 when the database answers, 503 otherwise."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.web.deps import get_container

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5


def health_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
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
