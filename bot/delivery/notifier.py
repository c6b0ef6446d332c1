"""Pushes to Telegram under its limits: a global rate, one message per chat per second, flood waits.

Every worker sends: a flush claims pending pushes page by page (core.notify.outbox), renews
its claims while it works and gives back what it leaves unsent, so several workers share one
morning and none sends a push another holds. With REDIS_URL the global rate (PUSH_RATE_PER_S)
is one budget shared by every worker; without it each process keeps its own.

A push is rendered from its kind and data when it is claimed for sending (bot.views.notify),
and marked sent only after Telegram accepted it. The send and that mark run shielded
from cancellation, and a cancelled flush waits for the sends already on the wire, so stopping
the worker loses nothing and sends nothing twice; a hard crash can at most re-send the few
messages in flight (another worker takes the dead one's claims when their lease lapses).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.i18n import use_language
from bot.views.common import split_text
from bot.views.notify import DRAWN_KINDS, Rendered, render_push
from core import metrics
from core.bootstrap import Container
from core.db.scope import system_scope
from core.notify.outbox import PendingPush, PushService

logger = logging.getLogger(__name__)

PAGE = 200  # pushes read from the outbox per query
MAX_FLOODS = 20  # 429s for one push in one flush before it waits for the next flush
CAPTION_LIMIT = 1024
# 429s from this many different chats within a second mean the bot as a whole is too fast.
GLOBAL_FLOOD_CHATS = 3
GLOBAL_FLOOD_WINDOW_S = 1.0
SENDER_IDLE_S = 2.0  # a sender that found nothing to claim looks again after this long
RATE_KEY = "trainbot:push-rate"  # Redis keys of the shared rate (and ":pause" for flood waits)


@dataclass
class FlushResult:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried_429: int = 0
    deferred: int = 0  # still pending for the next flush: flood waits went on too long


@dataclass(frozen=True)
class _Outcome:
    kind: str  # a FlushResult count: sent, blocked, failed; or "retry" after a 429
    retry_after: float = 0.0


@dataclass(frozen=True)
class _Part:
    text: str | None
    photo: bytes | None = None
    markup: InlineKeyboardMarkup | None = None


@dataclass
class _Job:
    """A push in one flush: its parts, the next part to send, the 429s it met."""

    push: PendingPush
    parts: list[_Part]
    index: int
    floods: int = 0
    error: str | None = None  # why it has no parts: it could not be rendered


_Queue = asyncio.Queue[_Job | None]


@dataclass
class _Run:
    """One flush: its counts, the users found gone, and the pushes held back per chat."""

    result: FlushResult
    blocked: set[int] = field(default_factory=set)
    later: dict[int, deque[_Job]] = field(default_factory=dict)  # chat -> its pushes, in order

    def hold(self, job: _Job) -> None:
        self.later.setdefault(job.push.chat_id, deque()).append(job)

    def resume(self, job: _Job) -> None:
        """A push under way (parts left, or a 429) goes before its chat's other held pushes."""
        self.later.setdefault(job.push.chat_id, deque()).appendleft(job)

    def next_of(self, chat_id: int) -> _Job:
        jobs = self.later[chat_id]
        job = jobs.popleft()
        if not jobs:
            del self.later[chat_id]
        return job


class RateLimiter(Protocol):
    """The bot's global send rate: wait for a slot; stop everything for a flood wait."""

    async def acquire(self) -> None: ...
    def pause(self, seconds: float) -> None: ...
    async def close(self) -> None: ...


class TokenBucket:
    """Global send rate with a small burst; each caller reserves its own slot (no herd)."""

    def __init__(self, rate_per_s: float, burst: float | None = None) -> None:
        self._interval = 1.0 / rate_per_s
        self._tolerance = (max(1.0, burst or rate_per_s / 10) - 1) * self._interval
        self._tat = 0.0  # theoretical arrival time of the next send (GCRA)
        self._paused_until = 0.0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            slot = max(now, self._tat - self._tolerance, self._paused_until)
            self._tat = max(self._tat, slot) + self._interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if loop.time() >= self._paused_until:  # a pause may have begun while we slept
                return

    def pause(self, seconds: float) -> None:
        """Telegram said slow down: nothing for `seconds`, then no burst."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)
        self._tat = max(self._tat, self._paused_until + self._tolerance)

    async def close(self) -> None:
        return None


# GCRA on Redis's own clock (microseconds), so every worker on every host draws on one budget:
# KEYS[1] holds the theoretical arrival time of the next send, KEYS[2] the end of a flood wait.
# ARGV: interval, tolerance (burst), and a pause to begin now (0: none). Returns the wait.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local pause = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > 0 then
  paused = math.max(paused, now + pause)
  redis.call('SET', KEYS[2], string.format('%.0f', paused), 'PX', math.ceil(pause / 1000) + 1000)
  tat = math.max(tat, paused + tolerance)
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  return 0
end
local slot = math.max(now, tat - tolerance, paused)
tat = math.max(tat, slot) + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return slot - now
"""


class RedisRateLimiter:
    """The TokenBucket's rule kept in Redis: one budget for every sender of the bot.

    Each acquire reserves the next slot in one script call and sleeps until it. When Redis
    cannot be reached the process falls back to its own bucket (Telegram's 429s then keep
    the bot in line) and logs it.
    """

    def __init__(
        self, redis_url: str, rate_per_s: float, burst: float | None = None, *, key: str = RATE_KEY
    ) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        self._keys = [key, key + ":pause"]
        interval = 1.0 / rate_per_s
        tolerance = (max(1.0, burst or rate_per_s / 10) - 1) * interval
        self._interval_us = max(1, round(interval * 1e6))
        self._tolerance_us = round(tolerance * 1e6)
        self._script = self._redis.register_script(_GCRA)
        self._local = TokenBucket(rate_per_s, burst)
        self._degraded = False
        self._pauses: set[asyncio.Task[Any]] = set()

    async def acquire(self) -> None:
        try:
            wait_us = int(
                await self._script(self._keys, [self._interval_us, self._tolerance_us, 0])
            )
        except Exception as exc:  # Redis down: keep sending, under this process's own limit
            if not self._degraded:
                logger.warning("shared push rate unavailable (%s); using this worker's own",
                               type(exc).__name__)  # fmt: skip
                self._degraded = True
            await self._local.acquire()
            return
        if self._degraded:
            logger.info("shared push rate available again")
            self._degraded = False
        if wait_us > 0:
            await asyncio.sleep(wait_us / 1e6)

    def pause(self, seconds: float) -> None:
        """Telegram said slow down: every worker waits `seconds`."""
        self._local.pause(seconds)
        task = asyncio.ensure_future(self._pause(seconds))
        self._pauses.add(task)
        task.add_done_callback(self._pauses.discard)

    async def _pause(self, seconds: float) -> None:
        try:
            pause_us = max(1, round(seconds * 1e6))
            await self._script(self._keys, [self._interval_us, self._tolerance_us, pause_us])
        except Exception:
            logger.warning("could not share a flood wait through Redis", exc_info=True)

    async def close(self) -> None:
        await asyncio.gather(*self._pauses, return_exceptions=True)
        await self._redis.aclose()


class Notifier:
    """Sends pushes: direct ones at once, and the outbox on flush."""

    def __init__(
        self,
        bot: Bot,
        pushes: PushService,
        *,
        rate_per_s: float,
        per_chat_interval_s: float = 1.0,
        concurrency: int = 32,
        burst: float | None = None,
        render: Callable[[PendingPush], Rendered] = render_push,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._bot = bot
        self._pushes = pushes
        self._render = render
        self._bucket: RateLimiter = limiter or TokenBucket(rate_per_s, burst)
        self._chat_interval = per_chat_interval_s
        self._concurrency = max(1, concurrency)
        self._chat_next: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._floods: deque[tuple[float, int]] = deque()
        self._inflight: set[asyncio.Task[_Outcome]] = set()
        self._flush_lock = asyncio.Lock()
        self.totals = FlushResult()  # since start, direct sends included

    # -- direct sends ----------------------------------------------------------------------

    async def send_text(
        self, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None
    ) -> bool:
        """Send now under the limits (split if long); whether Telegram accepted all of it."""
        parts = _text_parts(text, _markup(reply_markup))
        for part in parts:
            for _ in range(MAX_FLOODS):
                outcome = await self._under_limits(
                    chat_id, partial(self._attempt_direct, chat_id, part)
                )
                if outcome.kind != "retry":  # a 429: _under_limits held the chat back, again
                    break
                self.totals.retried_429 += 1
                metrics.pushes.labels("retry_429").inc()
            if outcome.kind != "sent":
                return False
        self.totals.sent += 1
        metrics.pushes.labels("sent").inc()
        return bool(parts)

    async def _attempt_direct(self, chat_id: int, part: _Part) -> _Outcome:
        try:
            await self._send(chat_id, part)
        except TelegramRetryAfter as exc:
            return _Outcome("retry", exc.retry_after)
        except TelegramForbiddenError:
            self.totals.blocked += 1
            metrics.pushes.labels("blocked").inc()
            await self._pushes.block_chat(chat_id)
            return _Outcome("blocked")
        except TelegramAPIError as exc:
            self.totals.failed += 1
            metrics.pushes.labels("failed").inc()
            logger.warning("direct send to chat %s failed: %s", chat_id, exc)
            return _Outcome("failed")
        return _Outcome("sent")

    # -- the outbox ------------------------------------------------------------------------

    async def flush(self, limit: int | None = None) -> FlushResult:
        """Deliver pending pushes (at most `limit`), Pro users first; one flush at a time.

        A worker never waits for a busy chat: it holds that chat's push back and takes the next
        one. Held pushes go out in later passes of this flush, each chat's in their order.
        """
        async with self._flush_lock, system_scope():  # the outbox spans users
            run = _Run(FlushResult())
            renewing = asyncio.create_task(self._renew_claims())
            try:
                await self._pass(run, partial(self._produce, limit=limit), first=True)
                while run.later:
                    await self._pass(run, partial(self._feed_held, run), first=False)
            except BaseException:
                # Sends already on the wire finish and get marked: no later flush repeats them.
                await asyncio.gather(*self._inflight, return_exceptions=True)
                raise
            finally:
                renewing.cancel()
                await asyncio.gather(renewing, return_exceptions=True)
                self._prune()
                await asyncio.shield(self._release_claims())
            result = run.result
            if result.sent or result.blocked or result.failed:
                logger.info("pushes flushed: %s", result)
            return result

    async def _pass(
        self, run: _Run, feed: Callable[[_Queue], Awaitable[None]], *, first: bool
    ) -> None:
        """Workers deliver what `feed` puts in the queue; returns once all of it is handled."""
        # Room for two pages: the next page is read while the workers still have plenty.
        queue: _Queue = asyncio.Queue(2 * PAGE + self._concurrency)
        workers = [
            asyncio.create_task(self._worker(queue, run, first=first))
            for _ in range(self._concurrency)
        ]
        try:
            await feed(queue)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    async def _produce(self, queue: _Queue, limit: int | None) -> None:
        """Claim a page whenever the queue has room for it: the claims this sender holds
        unsent stay about two pages, what another worker waits for if this one dies."""
        taken = 0
        while limit is None or taken < limit:
            size = PAGE if limit is None else min(PAGE, limit - taken)
            page = await self._pushes.claim(size)
            for push in page:
                # A chart takes a tenth of a second to draw: on a thread, so sends and lease
                # renewals go on meanwhile. A thread hop for every text would cost the rate.
                if push.kind in DRAWN_KINDS:
                    await queue.put(await asyncio.to_thread(self._job, push))
                else:
                    await queue.put(self._job(push))
            taken += len(page)
            if len(page) < size:
                return

    async def _renew_claims(self) -> None:
        """While a flush runs, its claims stay its own (a third of the lease between renewals)."""
        every = self._pushes.lease_s / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self._pushes.renew_claims()
            except Exception:  # the next renewal may pass; the lease has room for two misses
                logger.warning("push claims could not be renewed", exc_info=True)

    async def _release_claims(self) -> None:
        try:
            await self._pushes.release_claims()
        except Exception:  # they lapse by themselves at the end of the lease
            logger.warning("push claims could not be given back", exc_info=True)

    async def run(self, stopping: asyncio.Event, *, idle_s: float = SENDER_IDLE_S) -> None:
        """Send the outbox until `stopping` is set: flush, and after a flush that found
        nothing look again `idle_s` later. Cancel it to stop at once (see flush)."""
        while not stopping.is_set():
            try:
                result = await self.flush()
                busy = bool(result.sent or result.blocked or result.failed or result.deferred)
            except Exception:
                logger.exception("push flush failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), idle_s)

    async def close(self) -> None:
        """Let go of the shared rate's connection."""
        await self._bucket.close()

    def _job(self, push: PendingPush) -> _Job:
        """The push rendered now, in its reader's current units, zone and language."""
        try:
            with use_language(push.language):
                parts = _push_parts(self._render(push))
        except Exception as exc:  # an unknown kind, or data its view no longer reads
            logger.exception("push %s (%s) cannot be rendered", push.id, push.kind)
            return _Job(push, [], push.parts_sent, error=f"not renderable: {type(exc).__name__}")
        return _Job(push, parts, push.parts_sent)

    async def _feed_held(self, run: _Run, queue: _Queue) -> None:
        """The first held push of every chat that may send again (after waiting for one)."""
        loop = asyncio.get_running_loop()
        wait = min(self._chat_next.get(c, 0.0) for c in run.later) - loop.time()
        if wait > 0:  # every held chat is resting: nothing could be sent before then
            await asyncio.sleep(wait)
        now = loop.time()
        for chat_id in [c for c in run.later if self._chat_next.get(c, 0.0) <= now]:
            await queue.put(run.next_of(chat_id))

    async def _worker(self, queue: _Queue, run: _Run, *, first: bool) -> None:
        while (job := await queue.get()) is not None:
            push = job.push
            if push.user_id in run.blocked:
                continue  # an earlier push found them gone; theirs are all marked already
            if first and self._chat_busy(run, push.chat_id):
                run.hold(job)  # never queue behind one chat: another chat's push comes next
                continue
            try:
                outcome = await self._step(job, run.result)
            except Exception:  # a database hiccup, say: the push stays pending for next time
                logger.exception("push %s could not be delivered", push.id)
                outcome = "failed"
            if outcome == "more":
                run.resume(job)
                continue
            if outcome == "blocked":
                run.blocked.add(push.user_id)
            count = 1 + (len(run.later.pop(push.chat_id, ())) if outcome == "deferred" else 0)
            self._count(run.result, outcome, count)

    def _chat_busy(self, run: _Run, chat_id: int) -> bool:
        """A send to this chat is under way, its interval has not passed, or pushes wait for it."""
        lock = self._chat_locks.get(chat_id)
        resting = self._chat_next.get(chat_id, 0.0) > asyncio.get_running_loop().time()
        return chat_id in run.later or resting or (lock is not None and lock.locked())

    async def _step(self, job: _Job, result: FlushResult) -> str:
        """Send the push's next part; "more" if it has parts left or must retry after a 429,
        else the name of the FlushResult count to add to."""
        push = job.push
        if not job.parts:
            await self._pushes.mark_failed(push.id, job.error or "empty push", permanent=True)
            return "failed"
        outcome = await self._under_limits(
            push.chat_id, partial(self._attempt, push, job.parts, job.index)
        )
        if outcome.kind == "sent":
            job.index += 1
            return "sent" if job.index == len(job.parts) else "more"
        if outcome.kind == "retry":  # _under_limits holds the chat back for retry_after
            result.retried_429 += 1
            self.totals.retried_429 += 1
            metrics.pushes.labels("retry_429").inc()
            job.floods += 1
            return "deferred" if job.floods >= MAX_FLOODS else "more"
        return outcome.kind

    def _count(self, result: FlushResult, outcome: str, n: int = 1) -> None:
        for counts in (result, self.totals):
            setattr(counts, outcome, getattr(counts, outcome) + n)
        metrics.pushes.labels(outcome).inc(n)

    async def _attempt(self, push: PendingPush, parts: list[_Part], index: int) -> _Outcome:
        """One request and the record of its answer (runs shielded from cancellation)."""
        try:
            await self._send(push.chat_id, parts[index])
        except TelegramRetryAfter as exc:
            return _Outcome("retry", exc.retry_after)
        except TelegramForbiddenError:
            await self._pushes.mark_blocked(push.id, push.user_id)
            return _Outcome("blocked")
        except (TelegramBadRequest, TelegramNetworkError, TelegramAPIError) as exc:
            # A bad request fails the same way every time; the rest may pass later.
            permanent = isinstance(exc, TelegramBadRequest)
            await self._pushes.mark_failed(push.id, f"{type(exc).__name__}: {exc}",
                                           permanent=permanent)  # fmt: skip
            return _Outcome("failed")
        if index + 1 == len(parts):
            await self._pushes.mark_sent(push.id)
        else:
            await self._pushes.mark_progress(push.id, index + 1)
        return _Outcome("sent")

    # -- limits ----------------------------------------------------------------------------

    async def _under_limits(
        self, chat_id: int, call: Callable[[], Awaitable[_Outcome]]
    ) -> _Outcome:
        """Run one request for this chat when both the chat and the bot may send."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        loop = asyncio.get_running_loop()
        async with lock:
            wait = self._chat_next.get(chat_id, 0.0) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._bucket.acquire()
            self._chat_next[chat_id] = loop.time() + self._chat_interval
            outcome = await self._shielded(call())
            if outcome.kind == "retry":
                self._flood(chat_id, outcome.retry_after)
            return outcome

    def _flood(self, chat_id: int, retry_after: float) -> None:
        """Hold the chat back for the full retry_after; many chats at once: the whole bot."""
        now = asyncio.get_running_loop().time()
        self._chat_next[chat_id] = now + retry_after
        self._floods.append((now, chat_id))
        while self._floods and self._floods[0][0] < now - GLOBAL_FLOOD_WINDOW_S:
            self._floods.popleft()
        if len({c for _, c in self._floods}) >= GLOBAL_FLOOD_CHATS:
            logger.warning("Telegram flood limit: pausing all pushes for %ss", retry_after)
            self._bucket.pause(retry_after)

    async def _shielded(self, call: Awaitable[_Outcome]) -> _Outcome:
        task = asyncio.ensure_future(call)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    async def _send(self, chat_id: int, part: _Part) -> None:
        markup = part.markup
        if part.photo is not None:
            photo = BufferedInputFile(part.photo, filename="chart.png")
            await self._bot.send_photo(chat_id, photo, caption=part.text, reply_markup=markup)
        else:
            await self._bot.send_message(chat_id, part.text or "", reply_markup=markup)

    def _prune(self) -> None:
        """Forget chats whose interval has passed, so the maps do not grow without end."""
        now = asyncio.get_running_loop().time()
        for chat_id in [c for c, t in self._chat_next.items() if t <= now]:
            lock = self._chat_locks.get(chat_id)
            if lock is None or not lock.locked():
                self._chat_next.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)


def _markup(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    if markup is None or "inline_keyboard" not in markup:
        return None
    return InlineKeyboardMarkup.model_validate(markup)


def _text_parts(text: str, markup: InlineKeyboardMarkup | None) -> list[_Part]:
    """Telegram-sized messages; the keyboard goes under the last one."""
    texts = split_text(text)
    return [_Part(t, None, markup if i == len(texts) - 1 else None) for i, t in enumerate(texts)]


def _push_parts(message: Rendered) -> list[_Part]:
    text, photo, markup = message.text, message.photo, message.markup
    if photo is None:
        return _text_parts(text, markup)
    if len(text) <= CAPTION_LIMIT:
        return [_Part(text or None, photo, markup)]
    return [_Part(None, photo), *_text_parts(text, markup)]


def make_notifier(container: Container, bot: Bot) -> Notifier:
    """The notifier for this build, at settings.push_rate_per_s: shared by every worker
    through Redis when REDIS_URL is set."""
    settings = container.settings
    rate = settings.push_rate_per_s
    limiter = None
    if settings.redis_url:
        key = settings.redis_prefix + RATE_KEY
        limiter = RedisRateLimiter(settings.redis_url, rate, key=key)
    return Notifier(bot, container.services.pushes, rate_per_s=rate, limiter=limiter)
