"""POST /telegram/webhook: check the secret, take a slot, answer, handle the update in the
background; at shutdown, turn waiting updates away and drain the running ones."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import deque
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from bot.web.deps import WEBHOOK_MAX_BODY

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
# At shutdown, running updates get this long to finish (a coach reply can take most of a
# minute); whatever still runs then is cancelled, and given CANCEL_GRACE_S to unwind.
DRAIN_TIMEOUT_S = 30.0
CANCEL_GRACE_S = 5.0
_OK = b'{"ok":true}'


class Slots:
    """At most `size` updates handled at once; waiters are served in arrival order and all
    turned away (False) at once when the app closes."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._closed = False

    async def take(self) -> bool:
        """Wait for a free slot: True once taken, False once the app is closing."""
        if self._closed:
            return False
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.give()  # handed over just as the request went away: pass it on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def give(self) -> None:
        """Give a slot back: to the first waiter, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self._free += 1

    def close(self) -> None:
        """Take no more: every waiter gets False now, and so does every later `take`."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(False)


def telegram_router() -> APIRouter:
    """POST WEBHOOK_PATH, left out of the API's schema."""
    router = APIRouter()
    router.add_api_route(
        WEBHOOK_PATH,
        telegram_webhook,
        methods=["POST"],
        include_in_schema=False,
        max_body_size=WEBHOOK_MAX_BODY,  # 413 past it
    )
    return router


async def telegram_webhook(request: Request) -> Response:
    """Check the secret, parse the update, take a slot, answer, handle it in the background."""
    state = request.app.state
    expected = state.container.settings.webhook_secret or ""
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return JSONResponse({"error": "bad secret"}, status_code=401)
    update = _parse(await request.body(), state.bot)
    if update is None:
        # Telegram re-sends an update on any answer but a 2xx, for hours: a body that is not
        # an update is logged and acknowledged, never bounced.
        return Response(_OK, media_type="application/json")
    # At the cap the request waits here unanswered: Telegram sends a bot at most
    # max_connections updates at once and each waits for its answer, so the next ones stay
    # queued at Telegram. A 429 or 503 would hold them too, but as redeliveries after
    # Telegram's back-off, which delays every user's reply longer than this wait does.
    if not await state.slots.take():
        # Shutting down: not handled here, so Telegram delivers it again to the next instance.
        return JSONResponse({"error": "shutting down"}, status_code=503)
    # Answering before the handler runs prevents a redelivery storm while the coach writes.
    _start(request.app, update)
    return Response(_OK, media_type="application/json")


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


def _start(app: FastAPI, update: Update) -> None:
    """Handle the update in a task that gives its slot back when it ends, however it ends."""
    state = app.state
    task = asyncio.create_task(_feed(state.dispatcher, state.bot, update))
    tasks: set[asyncio.Task[Any]] = state.tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    slots: Slots = state.slots
    task.add_done_callback(lambda _: slots.give())


async def _feed(dp: Dispatcher, bot: Bot, update: Update) -> None:
    try:
        await dp.feed_update(bot, update)
    except Exception:  # past the router's error handler: log it, the update is acknowledged
        logger.exception("update %s failed", update.update_id)


def begin_closing(app: FastAPI) -> None:
    """Take no more updates: those waiting for a slot are answered 503 at once (Telegram
    delivers them again, to another instance). The server calls it as it stops listening."""
    app.state.closing.set()
    app.state.slots.close()


async def drain(app: FastAPI) -> None:
    """Take no more updates; let the running tasks finish, then cancel what is left."""
    begin_closing(app)
    tasks: set[asyncio.Task[Any]] = app.state.tasks.copy()
    if not tasks:
        return
    timeout = app.state.drain_timeout_s
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
