"""Garmin logins waiting for their one-time code, kept in memory for a few minutes, and the
relay that brings a code to the process holding the login when several processes serve the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from core.errors import (
    N_,
    AppError,
    GarminAuthError,
    GarminMfaExpired,
    GarminSignInsThrottled,
    GarminUnavailable,
    PluralText,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

T = TypeVar("T")

MFA_EXPIRED_MESSAGE = N_("That Garmin sign-in has expired. Start linking your account again.")


class PendingLogins(Generic[T]):
    """A keyed registry of half-finished logins that forgets entries after ttl_s seconds.

    The value is the live client object: Garmin's MFA step must be completed by the very
    client that started the login, so it cannot be stored in the database. This keeps the
    registry per process; the code must reach the process that asked for it.
    """

    def __init__(
        self,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = 1000,
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, T]] = {}

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    def put(self, key: str, value: T) -> None:
        """Store value under key (replacing any earlier one) until the ttl runs out."""
        self.purge()
        self._entries.pop(key, None)
        # Bounded so that a flood of abandoned logins cannot grow memory without end.
        while len(self._entries) >= self._max_entries:
            oldest = min(self._entries, key=lambda k: self._entries[k][0])
            del self._entries[oldest]
        self._entries[key] = (self._clock() + self._ttl_s, value)

    def pop(self, key: str) -> T:
        """Take the value out, or raise GarminMfaExpired if it is missing or too old."""
        self.purge()
        entry = self._entries.pop(key, None)
        if entry is None:
            raise GarminMfaExpired(MFA_EXPIRED_MESSAGE)
        return entry[1]

    def discard(self, key: str) -> None:
        """Forget key if present (the user cancelled)."""
        self._entries.pop(key, None)

    def purge(self) -> int:
        """Drop expired entries and return how many were dropped."""
        now = self._clock()
        expired = [k for k, (deadline, _) in self._entries.items() if deadline <= now]
        for k in expired:
            del self._entries[k]
        return len(expired)

    def __contains__(self, key: object) -> bool:
        entry = self._entries.get(key) if isinstance(key, str) else None
        return entry is not None and entry[0] > self._clock()

    def __len__(self) -> int:
        self.purge()
        return len(self._entries)


# -- the relay ------------------------------------------------------------------------------------

# What the holder does with a code that reached it: finish the login or raise a domain error.
Answer = Callable[[str], Awaitable[None]]
# A forwarded code's outcome: whether the login still waits for a code, and the error if any.
Outcome = tuple[bool, AppError | None]
FORWARD_TIMEOUT_S = 30.0  # a code forwarded to a holder that died gets this long, then expires
_POLL_S = 5  # the holder's blocking read of its inbox returns this often (to notice a close)
_MESSAGE_TTL_S = 60


class MfaRelay(Protocol):
    """Where a pending login lives when several processes serve the bot."""

    async def hold(self, key: str, ttl_s: float, answer: Answer) -> None:
        """This process holds the login `key`: codes for it come to `answer`."""
        ...

    async def release(self, key: str) -> None:
        """This process no longer holds `key` (done, cancelled, or gone)."""
        ...

    async def holder(self, key: str) -> str | None:
        """Who holds `key`: this process ("here"), another one (its id), or nobody (None)."""
        ...

    async def forward(self, key: str, code: str, holder: str) -> Outcome:
        """Hand the code to the holder; its outcome: whether its login still waits for a code
        (after a wrong one) and the domain error it raised, if any."""
        ...

    async def close(self) -> None: ...


HERE = "here"


class LocalRelay:
    """One process: whoever asks holds the login, or nobody does."""

    def __init__(self) -> None:
        self._held: set[str] = set()

    async def hold(self, key: str, ttl_s: float, answer: Answer) -> None:
        self._held.add(key)

    async def release(self, key: str) -> None:
        self._held.discard(key)

    async def holder(self, key: str) -> str | None:
        return HERE if key in self._held else None

    async def forward(self, key: str, code: str, holder: str) -> Outcome:
        return False, GarminMfaExpired(MFA_EXPIRED_MESSAGE)

    async def close(self) -> None:
        self._held.clear()


class RedisMfaRelay:
    """Codes cross processes through Redis; the login itself never leaves its process.

    Garmin's MFA step must be finished by the very client object that started the login (an
    HTTP session with cookies and a half-done OAuth flow), which does not serialise. So the
    holder writes `<prefix>trainbot:mfa:holder:<key>` = its id (expiring with the login) and
    reads one inbox list, `<prefix>trainbot:mfa:inbox:<id>`, while it holds any login. Another
    process that receives the code pushes {key, code, reply} to that inbox and waits on the
    reply list for the outcome. One blocking read per process, not one per waiting login.
    """

    def __init__(self, redis: Redis, *, prefix: str = "", process_id: str | None = None) -> None:
        self._redis = redis
        self._prefix = f"{prefix}trainbot:mfa:"
        self.process_id = process_id or uuid.uuid4().hex
        # Each login's answer runs in the context it was held in (the athlete's, with the
        # database scope of that athlete), not in the reader's.
        self._answers: dict[str, tuple[Answer, contextvars.Context]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def _holder_key(self, key: str) -> str:
        return f"{self._prefix}holder:{key}"

    def _inbox(self, process_id: str) -> str:
        return f"{self._prefix}inbox:{process_id}"

    async def hold(self, key: str, ttl_s: float, answer: Answer) -> None:
        self._answers[key] = (answer, contextvars.copy_context())
        await self._redis.set(self._holder_key(key), self.process_id, px=int(ttl_s * 1000))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_inbox())

    async def release(self, key: str) -> None:
        self._answers.pop(key, None)
        name = self._holder_key(key)
        held = await self._redis.get(name)
        if held is not None and _text(held) == self.process_id:
            await self._redis.delete(name)

    async def holder(self, key: str) -> str | None:
        held = await self._redis.get(self._holder_key(key))
        if held is None:
            return None
        who = _text(held)
        if who == self.process_id:
            return HERE if key in self._answers else None
        return who

    async def forward(self, key: str, code: str, holder: str) -> Outcome:
        reply = f"{self._prefix}reply:{uuid.uuid4().hex}"
        inbox = self._inbox(holder)
        message = json.dumps({"key": key, "code": code, "reply": reply})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(inbox, message)
            pipe.expire(inbox, _MESSAGE_TTL_S)
            await pipe.execute()
        got = await self._redis.blpop([reply], timeout=FORWARD_TIMEOUT_S)
        if got is None:  # the holder died with the login: it is gone
            logger.warning("login %s: its holder did not answer a forwarded code", key)
            return False, GarminMfaExpired(MFA_EXPIRED_MESSAGE)
        return _outcome(json.loads(got[1]))

    async def close(self) -> None:
        for task in [self._reader, *self._running]:
            if task is not None:
                task.cancel()
        for task in [self._reader, *self._running]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._reader = None
        for key in list(self._answers):
            with contextlib.suppress(Exception):
                await self.release(key)

    async def _read_inbox(self) -> None:
        inbox = self._inbox(self.process_id)
        while self._answers:
            try:
                got = await self._redis.blpop([inbox], timeout=_POLL_S)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("reading forwarded Garmin codes failed; retrying")
                await asyncio.sleep(_POLL_S)
                continue
            if got is None:
                continue
            message = json.loads(got[1])
            held = self._answers.get(str(message.get("key")))
            context = held[1].copy() if held is not None else None
            task = asyncio.create_task(self._answer(message), context=context)
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _answer(self, message: dict[str, Any]) -> None:
        key, code, reply = str(message["key"]), str(message["code"]), str(message["reply"])
        held = self._answers.get(key)
        outcome: dict[str, Any]
        try:
            if held is None:
                raise GarminMfaExpired(MFA_EXPIRED_MESSAGE)
            await held[0](code)
            outcome = {"ok": True}
        except AppError as exc:
            outcome = error_reply(exc)
        except Exception:
            logger.exception("login %s: finishing a forwarded code failed", key)
            outcome = {"error": "GarminUnavailable", "message": _UNAVAILABLE}
        outcome["waiting"] = key in self._answers
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(reply, json.dumps(outcome))
            pipe.expire(reply, _MESSAGE_TTL_S)
            await pipe.execute()


def error_reply(exc: AppError) -> dict[str, Any]:
    """An error of the held login as JSON for the process that asked: its English message,
    and its template and params so that process says it in the athlete's language."""
    retry_at = getattr(exc, "retry_at", None)
    template = exc.template
    return {
        "error": type(exc).__name__,
        "message": exc.message,
        "retry_at": retry_at.isoformat() if isinstance(retry_at, datetime) else None,
        "template": list(template) if isinstance(template, PluralText) else template,
        "params": exc.params,
    }


_UNAVAILABLE = N_("Garmin Connect could not be reached; try the code again in a minute.")
_ERRORS: dict[str, type[AppError]] = {
    e.__name__: e for e in (GarminMfaExpired, GarminAuthError, GarminUnavailable)
}


def _outcome(reply: dict[str, Any]) -> Outcome:
    """The holder's reply as its outcome: still waiting, and the error it raised."""
    waiting = bool(reply.get("waiting"))
    name = reply.get("error")
    if not name:
        return waiting, None
    message = str(reply.get("message") or _UNAVAILABLE)
    template, params = _template(reply)
    if template is None:
        template, params = message, {}
    if name == GarminSignInsThrottled.__name__ and reply.get("retry_at"):
        retry_at = datetime.fromisoformat(reply["retry_at"])
        return waiting, GarminSignInsThrottled(template, retry_at, **params)
    return waiting, _ERRORS.get(str(name), AppError)(template, **params)


def _template(reply: dict[str, Any]) -> tuple[str | PluralText | None, dict[str, Any]]:
    """The error's template and params as the holder sent them (None from an older holder)."""
    raw, params = reply.get("template"), reply.get("params")
    if not isinstance(params, dict):
        params = {}
    if isinstance(raw, str):
        return raw, params
    if isinstance(raw, list) and len(raw) == 3:
        return PluralText(str(raw[0]), str(raw[1]), int(raw[2])), params
    return None, {}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
