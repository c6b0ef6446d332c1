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

from bot.runtime.app import UPDATE_CONCURRENCY
from bot.web.stripe_webhook import STRIPE_WEBHOOK_PATH, StripeWebhook
from core.bootstrap import Container

logger = logging.getLogger(__name__)

CONTAINER = web.AppKey("container", Container)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
BOT = web.AppKey("bot", Bot)
TASKS = web.AppKey("tasks", set)
SLOTS = web.AppKey("update_slots", asyncio.Semaphore)
CLOSING = web.AppKey("closing", asyncio.Event)
DRAIN_TIMEOUT = web.AppKey("drain_timeout_s", float)

# At shutdown, running updates get this long to finish (a coach reply can take most of a
# minute); whatever still runs then is cancelled, and given CANCEL_GRACE_S to unwind.
DRAIN_TIMEOUT_S = 30.0
CANCEL_GRACE_S = 5.0


def create_app(
    container: Container,
    dp: Dispatcher,
    bot: Bot,
    *,
    telegram: bool = True,
    max_in_flight: int = UPDATE_CONCURRENCY,
    drain_timeout_s: float = DRAIN_TIMEOUT_S,
) -> web.Application:
    """The web app; `telegram=False` serves only Stripe and health (next to polling)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[CONTAINER] = container
    app[DISPATCHER] = dp
    app[BOT] = bot
    app[TASKS] = set()
    app[SLOTS] = asyncio.Semaphore(max_in_flight)
    app[CLOSING] = asyncio.Event()
    app[DRAIN_TIMEOUT] = drain_timeout_s
    app.router.add_get("/healthz", healthz)
    if telegram:
        app.router.add_post("/telegram/webhook", telegram_webhook)
    services = container.services
    app.router.add_post(
        STRIPE_WEBHOOK_PATH,
        StripeWebhook(
            billing=services.billing,
            payments=services.payments,
            pushes=services.pushes,
        ).handle,
    )
    app.on_shutdown.append(_drain)
    return app


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    container = request.app[CONTAINER]
    # A read connection: SQLite's single write connection may be held by a long write, and a
    # probe queued behind it would report a busy app as dead. PostgreSQL has no reader: engine.
    engine = container.read_engine or container.engine
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy", and says why in the log
        logger.warning("health check failed: %s", type(exc).__name__)
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def telegram_webhook(request: web.Request) -> web.Response:
    """Check the secret, parse the update, take a slot, answer, handle it in the background."""
    app = request.app
    expected = app[CONTAINER].settings.webhook_secret or ""
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return web.json_response({"error": "bad secret"}, status=401)
    update = _parse(await request.read(), app[BOT])
    if update is None:
        # Telegram re-sends an update on any answer but a 2xx, for hours: a body that is not
        # an update is logged and acknowledged, never bounced.
        return web.json_response({"ok": True})
    if not await _take_slot(app):
        # Shutting down: not handled here, so Telegram delivers it again to the next instance.
        return web.json_response({"error": "shutting down"}, status=503)
    # Answering before the handler runs prevents a redelivery storm while the coach writes.
    _start(app, update)
    return web.json_response({"ok": True})


async def _take_slot(app: web.Application) -> bool:
    """Wait for one of the max_in_flight slots; False once shutdown has begun."""
    # At the cap the request waits here unanswered: Telegram sends a bot at most
    # max_connections updates at once and each waits for its answer, so the next ones stay
    # queued at Telegram. A 429 or 503 would hold them too, but as redeliveries after
    # Telegram's back-off, which delays every user's reply longer than this wait does.
    if app[CLOSING].is_set():
        return False
    await app[SLOTS].acquire()
    if app[CLOSING].is_set():
        app[SLOTS].release()
        return False
    return True


def _parse(body: bytes, bot: Bot) -> Update | None:
    """The update, or None (logged with its update_id, never its content) if it is not one."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        logger.warning("webhook body is not JSON (%d bytes); acknowledged, dropped", len(body))
        return None
    try:
        return Update.model_validate(payload, context={"bot": bot})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        where = (
            ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors()[:3])
            if isinstance(exc, ValidationError)
            else type(exc).__name__
        )
        logger.warning(
            "update %s is not a valid Update (at %s); acknowledged, dropped",
            update_id if isinstance(update_id, int) else "without update_id",
            where,
        )
        return None


def _start(app: web.Application, update: Update) -> None:
    """Handle the update in a task that gives its slot back when it ends, however it ends."""
    task = asyncio.create_task(_feed(app[DISPATCHER], app[BOT], update))
    tasks: set[asyncio.Task[Any]] = app[TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    slots = app[SLOTS]
    task.add_done_callback(lambda _: slots.release())


async def _feed(dp: Dispatcher, bot: Bot, update: Update) -> None:
    try:
        await dp.feed_update(bot, update)
    except Exception:  # past the router's error handler: log it, the update is acknowledged
        logger.exception("update %s failed", update.update_id)


async def _drain(app: web.Application) -> None:
    """Take no more updates; let the running tasks finish, then cancel what is left."""
    app[CLOSING].set()
    tasks: set[asyncio.Task[Any]] = app[TASKS].copy()
    if not tasks:
        return
    timeout = app[DRAIN_TIMEOUT]
    logger.info("shutting down: waiting up to %.0f s for %d tasks", timeout, len(tasks))
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    if pending:
        logger.warning(
            "%d tasks still running after %.0f s at shutdown; cancelling them",
            len(pending),
            timeout,
        )
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=CANCEL_GRACE_S)
