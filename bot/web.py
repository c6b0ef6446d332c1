"""aiohttp app: the Telegram webhook, the Stripe webhook and /healthz."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text

from bot.stripe_webhook import STRIPE_WEBHOOK_PATH, StripeWebhook
from core.bootstrap import Container

logger = logging.getLogger(__name__)

CONTAINER = web.AppKey("container", Container)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
BOT = web.AppKey("bot", Bot)
TASKS = web.AppKey("tasks", set)


def create_app(
    container: Container, dp: Dispatcher, bot: Bot, *, telegram: bool = True
) -> web.Application:
    """The web app; `telegram=False` serves only Stripe and health (next to polling)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[CONTAINER] = container
    app[DISPATCHER] = dp
    app[BOT] = bot
    app[TASKS] = set()
    app.router.add_get("/healthz", healthz)
    if telegram:
        app.router.add_post("/telegram/webhook", telegram_webhook)
    if "billing" in container.extras:
        app.router.add_post(
            STRIPE_WEBHOOK_PATH,
            StripeWebhook(
                billing=container.extras["billing"],
                payments=container.extras["payments"],
                accounts=container.accounts,
                bot=bot,
                tasks=app[TASKS],
                pushes=container.extras.get("pushes"),
            ).handle,
        )
    app.on_shutdown.append(_drain)
    return app


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    container = request.app[CONTAINER]
    try:
        async with asyncio.timeout(5), container.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy", and says why in the log
        logger.warning("health check failed: %s", type(exc).__name__)
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def telegram_webhook(request: web.Request) -> web.Response:
    """Check the secret, parse the update, answer at once and handle it in the background."""
    container = request.app[CONTAINER]
    expected = container.settings.webhook_secret or ""
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return web.json_response({"error": "bad secret"}, status=401)
    try:
        payload: Any = json.loads(await request.read())
        update = Update.model_validate(payload, context={"bot": request.app[BOT]})
    except (ValueError, ValidationError):
        return web.json_response({"error": "malformed update"}, status=400)
    # Telegram re-sends an update it got no answer for: answering first prevents a
    # redelivery storm while the coach is still writing.
    task = asyncio.create_task(request.app[DISPATCHER].feed_update(request.app[BOT], update))
    tasks: set[asyncio.Task[Any]] = request.app[TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return web.json_response({"ok": True})


async def _drain(app: web.Application) -> None:
    tasks = app[TASKS]
    if tasks:
        await asyncio.wait(tasks, timeout=10)
