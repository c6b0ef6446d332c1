"""Metrics at the bot's edges: the update middlewares, /metrics on the web app, and the
worker's own small metrics server (METRICS_PORT)."""

from __future__ import annotations

import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update
from aiohttp import web
from fastapi import APIRouter, Request, Response

from bot.runtime.logging_setup import update_context
from core import metrics
from core.errors import ConfigError
from core.notify.outbox import PushService

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
HANDLER_KEY = "metrics_handler"  # the update's slot the inner middleware names the handler in
NO_HANDLER = "none"
# The outbox count is a GROUP BY over every push: at most this often, however often scraped.
OUTBOX_REFRESH_S = 30.0


class UpdateMetrics(BaseMiddleware):
    """Outermost: counts each update by type and handler, times it, counts what it raised;
    and names the update in the log context (its id, never its text)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        kind = event.event_type
        slot = data[HANDLER_KEY] = [NO_HANDLER]
        started = time.perf_counter()
        with update_context(update_id=event.update_id):
            try:
                return await handler(event, data)
            except Exception as exc:
                metrics.update_errors.labels(kind, type(exc).__name__).inc()
                raise
            finally:
                metrics.updates.labels(kind, slot[0]).inc()
                metrics.update_seconds.labels(kind).observe(time.perf_counter() - started)


class HandlerName(BaseMiddleware):
    """Inner, on every event type: writes the chosen handler's name into the update's slot."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chosen = data.get("handler")
        slot = data.get(HANDLER_KEY)
        if isinstance(chosen, HandlerObject) and isinstance(slot, list):
            slot[0] = handler_name(chosen.callback)
        return await handler(event, data)


def handler_name(callback: Any) -> str:
    """ "<feature module>.<function>", e.g. "start.cmd_start": a closed set, one per handler."""
    module = str(getattr(callback, "__module__", "") or "").rsplit(".", 1)[-1]
    name = getattr(callback, "__name__", None) or type(callback).__name__
    return f"{module}.{name}" if module else name


def install(dp: Dispatcher) -> None:
    """Before every other middleware, so the time and the errors cover the whole update."""
    dp.update.outer_middleware(UpdateMetrics())
    naming = HandlerName()
    for name, observer in dp.observers.items():
        if name not in {"update", "error"}:
            observer.middleware(naming)


# -- exposition --------------------------------------------------------------------------


def authorized(header: str | None, token: str | None) -> bool:
    """No METRICS_TOKEN: open. Else `Authorization: Bearer <token>`, compared in constant time."""
    if not token:
        return True
    scheme, _, given = (header or "").partition(" ")
    expected = token.encode()
    return hmac.compare_digest(given.strip().encode(), expected) and scheme.lower() == "bearer"


class OutboxGauge:
    """Refreshes the outbox gauge when scraped, at most every OUTBOX_REFRESH_S."""

    def __init__(self, pushes: PushService, *, every_s: float = OUTBOX_REFRESH_S) -> None:
        self._pushes = pushes
        self._every = every_s
        self._at: float | None = None

    async def refresh(self) -> None:
        now = time.monotonic()
        if self._at is not None and now - self._at < self._every:
            return
        self._at = now
        try:
            metrics.set_outbox(await self._pushes.counts())
        except Exception as exc:  # the other metrics are still worth the scrape
            logger.warning("outbox not counted for metrics: %s", type(exc).__name__)


def metrics_router(outbox: OutboxGauge, token: str | None) -> APIRouter:
    """GET /metrics on the web app."""
    router = APIRouter()

    async def scrape(request: Request) -> Response:
        if not authorized(request.headers.get("authorization"), token):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        await outbox.refresh()
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)

    router.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    return router


@contextlib.asynccontextmanager
async def metrics_server(
    outbox: OutboxGauge, *, port: int, token: str | None, host: str = "0.0.0.0"
) -> AsyncIterator[int | None]:
    """The worker's /metrics on `port` (0: none) while inside; yields the port it listens on."""
    if not port:
        yield None
        return

    async def scrape(request: web.Request) -> web.Response:
        if not authorized(request.headers.get("Authorization"), token):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        await outbox.refresh()
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": metrics.CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on port {port} ({exc.strerror}): set METRICS_PORT to a free "
                "port, or 0 for no metrics server."
            ) from None
        logger.info("metrics on port %s", port)
        yield port
    finally:
        await runner.cleanup()
