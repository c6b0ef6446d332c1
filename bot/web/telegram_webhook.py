"""POST /telegram/webhook: check the secret, take a slot, handle the update once, then answer;
at shutdown, turn waiting updates away and drain the running ones.

Telegram is the queue: an update is acknowledged (2xx) only after it was handled, so an
instance that dies mid-update leaves it unacknowledged and Telegram delivers it again, to any
instance. A ledger of update_ids (Redis with several instances, memory with one) makes that
redelivery, or a second delivery while the first still runs, a no-op: each update is handled by
one instance once. See the README's "Several web instances" for the trade-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
import uuid
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any, Literal, Protocol

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from bot.web.deps import WEBHOOK_MAX_BODY

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
# At shutdown, running updates get this long to finish (a coach reply can take most of a
# minute); whatever still runs then is cancelled, and given CANCEL_GRACE_S to unwind.
DRAIN_TIMEOUT_S = 30.0
CANCEL_GRACE_S = 5.0
_OK = b'{"ok":true}'
# Handled update_ids are remembered this long: Telegram gives up redelivering well before.
HANDLED_TTL_S = 24 * 3600
# An instance handling an update holds it by a lease it renews; one that died lets it go
# within LEASE_S, and the redelivery is handled elsewhere.
LEASE_S = 20.0
RENEW_EVERY_S = 5.0
# A delivery of an update another instance is handling waits this long for it to end (then
# 200 if it did, else 503 and Telegram tries again later).
BUSY_WAIT_S = 25.0
BUSY_POLL_S = 0.25
MEMORY_LEDGER_MAX = 200_000

Claim = str | Literal[False, True]  # a token: ours to handle; True: handled; False: busy


class UpdateLedger(Protocol):
    """Which update_ids were handled, and which are being handled right now."""

    async def claim(self, update_id: int) -> Claim:
        """A token when this delivery is to handle it, True if it was handled, False if
        another delivery is handling it now."""
        ...

    async def done(self, update_id: int, token: str) -> None: ...

    async def release(self, update_id: int, token: str) -> None:
        """Let go without having handled it: the next delivery handles it."""
        ...

    async def close(self) -> None: ...


class MemoryLedger:
    """One process: update_ids in memory, bounded, forgotten after HANDLED_TTL_S."""

    def __init__(self, ttl_s: float = HANDLED_TTL_S, max_entries: int = MEMORY_LEDGER_MAX) -> None:
        self._ttl_s, self._max = ttl_s, max_entries
        self._done: OrderedDict[int, float] = OrderedDict()
        self._busy: set[int] = set()

    async def claim(self, update_id: int) -> Claim:
        now = time.monotonic()
        while self._done and next(iter(self._done.values())) <= now:
            self._done.popitem(last=False)
        if update_id in self._done:
            return True
        if update_id in self._busy:
            return False
        self._busy.add(update_id)
        return "memory"

    async def done(self, update_id: int, token: str) -> None:
        self._busy.discard(update_id)
        self._done[update_id] = time.monotonic() + self._ttl_s
        while len(self._done) > self._max:
            self._done.popitem(last=False)

    async def release(self, update_id: int, token: str) -> None:
        self._busy.discard(update_id)

    async def close(self) -> None:
        return None


# Renew or drop a lease only while it is still ours.
_RENEW = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"""
_DROP = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) end return 0"""
_DONE = b"done"


class RedisLedger:
    """Several instances: `<prefix>trainbot:update:<id>` holds a lease token while an instance
    handles the update (SET NX PX, renewed), then "done" for HANDLED_TTL_S."""

    def __init__(self, redis: Redis, *, prefix: str = "") -> None:
        self._redis = redis
        self._prefix = f"{prefix}trainbot:update:"
        self._held: dict[int, str] = {}
        self._renewer: asyncio.Task[None] | None = None
        self._renew = redis.register_script(_RENEW)
        self._drop = redis.register_script(_DROP)

    async def claim(self, update_id: int) -> Claim:
        name = f"{self._prefix}{update_id}"
        token = uuid.uuid4().hex
        if await self._redis.set(name, token, nx=True, px=int(LEASE_S * 1000)):
            self._held[update_id] = token
            if self._renewer is None or self._renewer.done():
                self._renewer = asyncio.create_task(self._renew_leases())
            return token
        return await self._redis.get(name) == _DONE

    async def done(self, update_id: int, token: str) -> None:
        self._held.pop(update_id, None)
        await self._redis.set(f"{self._prefix}{update_id}", _DONE, ex=HANDLED_TTL_S)

    async def release(self, update_id: int, token: str) -> None:
        self._held.pop(update_id, None)
        await self._drop(keys=[f"{self._prefix}{update_id}"], args=[token])

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

    async def _renew_leases(self) -> None:
        lease_ms = int(LEASE_S * 1000)
        while self._held:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for update_id, token in list(self._held.items()):
                        await self._renew(
                            keys=[f"{self._prefix}{update_id}"],
                            args=[token, lease_ms],
                            client=pipe,
                        )
                    await pipe.execute()
            except Exception:  # Redis away for a moment: the next round tries again
                logger.warning("renewing update leases failed", exc_info=True)


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
    """Check the secret, parse the update, take a slot, handle it (once), answer."""
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
    # Answered only once handled: the handling runs in a task of its own, which a request
    # that goes away (Telegram timed out) does not cancel and the drain waits for.
    task = _start(request.app, update)
    try:
        handled = await asyncio.shield(task)
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the request itself is cancelled; the task runs on
        handled = False  # cancelled by the drain: not handled, deliver it again
    if not handled:
        # Another instance is still handling it, or this one stopped: Telegram tries again.
        return JSONResponse({"error": "not handled yet"}, status_code=503)
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


def ledger(app: FastAPI) -> UpdateLedger:
    """The app's ledger of update_ids: set by the process (Redis), else one in memory."""
    state = app.state
    found: UpdateLedger | None = getattr(state, "ledger", None)
    if found is None:
        found = state.ledger = MemoryLedger()
    return found


def _start(app: FastAPI, update: Update) -> asyncio.Task[bool]:
    """Handle the update in a task that gives its slot back when it ends, however it ends."""
    state = app.state
    task = asyncio.create_task(_once(app, update))
    tasks: set[asyncio.Task[Any]] = state.tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    slots: Slots = state.slots
    task.add_done_callback(lambda _: slots.give())
    return task


async def _once(app: FastAPI, update: Update) -> bool:
    """Handle the update unless it was (True) or another delivery is handling it (False once
    BUSY_WAIT_S passed without it ending there)."""
    book = ledger(app)
    closing: asyncio.Event = app.state.closing
    deadline = time.monotonic() + BUSY_WAIT_S
    while True:
        claim = await book.claim(update.update_id)
        if claim is True:
            logger.info("update %s was handled already; acknowledged again", update.update_id)
            return True
        if claim is not False:
            break
        if closing.is_set() or time.monotonic() >= deadline:
            return False
        await asyncio.sleep(BUSY_POLL_S)
    token = claim
    try:
        await _feed(app.state.dispatcher, app.state.bot, update)
    except BaseException:  # cancelled at shutdown: the next delivery handles it
        await asyncio.shield(book.release(update.update_id, token))
        raise
    await book.done(update.update_id, token)
    return True


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
