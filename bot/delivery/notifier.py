"""Pushes to Telegram under its limits: a global rate, one message per chat per second, flood waits.

A push is rendered from its kind and data when it is read for sending (bot.views.notify), and
marked sent only after Telegram accepted it. The send and that mark run shielded
from cancellation, and a cancelled flush waits for the sends already on the wire, so stopping
the worker loses nothing and sends nothing twice; a hard crash can at most re-send the few
messages in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.views.common import split_text
from bot.views.notify import Rendered, render_push
from core.bootstrap import Container
from core.notify.outbox import PendingPush, PushService

logger = logging.getLogger(__name__)

PAGE = 200  # pushes read from the outbox per query
MAX_FLOODS = 20  # 429s for one push in one flush before it waits for the next flush
CAPTION_LIMIT = 1024
# 429s from this many different chats within a second mean the bot as a whole is too fast.
GLOBAL_FLOOD_CHATS = 3
GLOBAL_FLOOD_WINDOW_S = 1.0


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
    ) -> None:
        self._bot = bot
        self._pushes = pushes
        self._render = render
        self._bucket = TokenBucket(rate_per_s, burst)
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
            if outcome.kind != "sent":
                return False
        self.totals.sent += 1
        return bool(parts)

    async def _attempt_direct(self, chat_id: int, part: _Part) -> _Outcome:
        try:
            await self._send(chat_id, part)
        except TelegramRetryAfter as exc:
            return _Outcome("retry", exc.retry_after)
        except TelegramForbiddenError:
            self.totals.blocked += 1
            await self._pushes.block_chat(chat_id)
            return _Outcome("blocked")
        except TelegramAPIError as exc:
            self.totals.failed += 1
            logger.warning("direct send to chat %s failed: %s", chat_id, exc)
            return _Outcome("failed")
        return _Outcome("sent")

    # -- the outbox ------------------------------------------------------------------------

    async def flush(self, limit: int | None = None) -> FlushResult:
        """Deliver pending pushes (at most `limit`), Pro users first; one flush at a time.

        A worker never waits for a busy chat: it holds that chat's push back and takes the next
        one. Held pushes go out in later passes of this flush, each chat's in their order.
        """
        async with self._flush_lock:
            run = _Run(FlushResult())
            try:
                await self._pass(run, partial(self._produce, limit=limit), first=True)
                while run.later:
                    await self._pass(run, partial(self._feed_held, run), first=False)
            except BaseException:
                # Sends already on the wire finish and get marked: no later flush repeats them.
                await asyncio.gather(*self._inflight, return_exceptions=True)
                raise
            finally:
                self._prune()
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
        after: tuple[int, int] | None = None
        taken = 0
        while limit is None or taken < limit:
            size = PAGE if limit is None else min(PAGE, limit - taken)
            page = await self._pushes.pending(size, after=after)
            for push in page:
                await queue.put(self._job(push))
            taken += len(page)
            if len(page) < size:
                return
            after = page[-1].cursor

    def _job(self, push: PendingPush) -> _Job:
        """The push rendered now, in its reader's current units and zone."""
        try:
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
            job.floods += 1
            return "deferred" if job.floods >= MAX_FLOODS else "more"
        return outcome.kind

    def _count(self, result: FlushResult, outcome: str, n: int = 1) -> None:
        for counts in (result, self.totals):
            setattr(counts, outcome, getattr(counts, outcome) + n)

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
    """The notifier for this build, at settings.push_rate_per_s."""
    pushes = container.services.pushes
    return Notifier(bot, pushes, rate_per_s=container.settings.push_rate_per_s)
