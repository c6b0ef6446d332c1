"""The ASGI app: Telegram and Stripe webhooks, /healthz, the JSON API and the Mini App."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from bot.runtime.app import UPDATE_CONCURRENCY
from bot.runtime.metrics import OutboxGauge, metrics_router
from bot.web.api import api_router
from bot.web.deps import trusted_networks
from bot.web.health import health_router
from bot.web.miniapp import miniapp_router
from bot.web.stripe_webhook import StripeWebhook
from bot.web.telegram_webhook import DRAIN_TIMEOUT_S, Slots, begin_closing, drain, telegram_router
from core.bootstrap import Container

__all__ = ["DRAIN_TIMEOUT_S", "begin_closing", "create_app"]

OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await drain(app)  # the server has stopped taking requests: let running updates finish


def create_app(
    container: Container,
    dp: Dispatcher,
    bot: Bot,
    *,
    telegram: bool = True,
    max_in_flight: int = UPDATE_CONCURRENCY,
    drain_timeout_s: float = DRAIN_TIMEOUT_S,
) -> FastAPI:
    """The web app; `telegram=False` leaves out the Telegram webhook (next to polling)."""
    trusted_networks(container.settings.trusted_proxies)  # a typo in it stops the start here
    app = FastAPIOffline(
        title="Training Analyzer",
        version="1",
        openapi_url=OPENAPI_URL,
        docs_url=DOCS_URL,
        redoc_url="/api/redoc",
        swagger_ui_oauth2_redirect_url=DOCS_URL + "/oauth2-redirect",
        static_url=DOCS_URL + "/static",  # swagger-ui and redoc from the package, no CDN
        swagger_ui_parameters={"validatorUrl": None},  # else the page calls swagger.io
        lifespan=_lifespan,
    )
    state = app.state
    state.container = container
    state.dispatcher = dp
    state.bot = bot
    state.tasks = set[asyncio.Task[None]]()
    state.slots = Slots(max_in_flight)
    state.closing = asyncio.Event()
    state.drain_timeout_s = drain_timeout_s
    app.include_router(health_router())
    settings = container.settings
    outbox = OutboxGauge(container.services.pushes)
    app.include_router(metrics_router(outbox, settings.metrics_token))
    if telegram:
        app.include_router(telegram_router())
    services = container.services
    hook = StripeWebhook(
        billing=services.billing, payments=services.payments, pushes=services.pushes
    )
    app.include_router(hook.router())
    app.include_router(api_router())
    app.include_router(miniapp_router())
    return app
