"""The push outbox: what the bot sends unasked, stored once, marked done only once delivered.

Producers (daily summary, Garmin sync, billing) `enqueue` a kind (core.notify.kinds) and its
data with a dedup key, so the same push enqueued twice is stored once; the bot renders the data
when it sends (bot.views.notify), never earlier. Senders (bot.delivery.notifier, one in every
worker) `claim` pending pushes for a lease they renew while they work, and mark a push sent only
after Telegram accepted it: a sender that dies in between leaves its claims to lapse, and
another sender re-sends those; a sent push never goes again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import TypeAdapter

from core.clock import Clock, utcnow
from core.db.uow import UnitOfWorkFactory

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # failed deliveries before a push is given up
MAX_ERROR_CHARS = 300
MARK_BATCH = 500  # pushes marked sent per transaction, at most
DATA_KEY = "data"  # the push's data; rows stored before it held rendered text instead
PARTS_KEY = "sent_parts"  # how many parts of a long push Telegram already accepted
# How long a claimed push stays its sender's without a renewal: a sender that died leaves its
# pushes to the others this long after its last renewal (it renews every third of it).
CLAIM_LEASE_S = 30.0

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}  # building one costs far more than using it


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def to_data(value: object) -> dict[str, Any]:
    """A push's data as plain JSON values: dataclasses as dicts, dates as ISO strings."""
    data = _adapter(type(value)).dump_python(value, mode="json")
    if not isinstance(data, dict):
        raise TypeError(f"push data must be a dataclass or a dict, not {type(value).__name__}")
    return data


def from_data(cls: type[T], data: Mapping[str, Any]) -> T:
    """The dataclass back from stored data (pydantic.ValidationError when it does not fit)."""
    value: T = _adapter(cls).validate_python(data)
    return value


@dataclass(frozen=True)
class NewPush:
    """A push to store: one message for one user, at most once per dedup key."""

    user_id: int
    kind: str
    dedup_key: str
    data: object  # a dataclass (or dict) of plain values, stored through to_data


@dataclass(frozen=True)
class PendingPush:
    """A push waiting for delivery, with the chat to deliver it to and how its reader reads."""

    id: int
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: bool = False
    units: str = "metric"
    timezone: str = "UTC"
    language: str | None = None  # the reader's language (None: the default)

    @property
    def cursor(self) -> tuple[int, int]:
        """Where the next page of `pending` starts after this push."""
        return (0 if self.priority else 1, self.id)

    @property
    def is_legacy(self) -> bool:
        """Stored before pushes carried data: the payload holds the finished message."""
        return DATA_KEY not in self.payload

    @property
    def data(self) -> dict[str, Any]:
        data = self.payload.get(DATA_KEY)
        return data if isinstance(data, dict) else {}

    @property
    def parts_sent(self) -> int:
        return int(self.payload.get(PARTS_KEY) or 0)


class PushService:
    """Enqueue pushes and record what became of them."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock = utcnow,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        lease_s: float = CLAIM_LEASE_S,
        sender_id: str | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._max_attempts = max_attempts
        self.lease_s = lease_s
        self.sender_id = sender_id or new_sender_id()
        self._marks: list[tuple[int, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def enqueue(self, user_id: int, *, kind: str, dedup_key: str, data: object) -> bool:
        """Store the push unless its dedup key is stored already; whether it was new."""
        payload = {DATA_KEY: to_data(data)}
        async with self._uow() as uow:
            new_id = await uow.pushes.add(user_id, kind=kind, dedup_key=dedup_key, payload=payload)
            await uow.commit()
        return new_id is not None

    async def enqueue_many(self, pushes: Sequence[NewPush]) -> int:
        """Store many pushes in one transaction (a morning's summaries); how many were new."""
        new = 0
        async with self._uow() as uow:
            for push in pushes:
                added = await uow.pushes.add(
                    push.user_id, kind=push.kind, dedup_key=push.dedup_key,
                    payload={DATA_KEY: to_data(push.data)},
                )  # fmt: skip
                new += added is not None
            await uow.commit()
        return new

    async def pending(
        self, limit: int, *, after: tuple[int, int] | None = None
    ) -> list[PendingPush]:
        """Pushes to deliver, Pro users first then oldest first; none for blocked users."""
        async with self._uow() as uow:
            rows = await uow.pushes.pending(limit, after=after)
        return [
            PendingPush(id=r[0], user_id=r[1], chat_id=r[2], kind=r[3], payload=r[4],
                        priority=r[5] == 0, units=r[6], timezone=r[7], language=r[8])
            for r in rows
        ]  # fmt: skip

    async def claim(self, limit: int) -> list[PendingPush]:
        """Take up to `limit` pushes to deliver for this sender, in the order of `pending`;
        no other sender gets them while the lease lasts."""
        now = self._clock()
        async with self._uow() as uow:
            rows = await uow.pushes.claim(
                self.sender_id, limit, now=now, until=now + timedelta(seconds=self.lease_s)
            )
            await uow.commit()
        return [
            PendingPush(id=r[0], user_id=r[1], chat_id=r[2], kind=r[3], payload=r[4],
                        priority=r[5] == 0, units=r[6], timezone=r[7], language=r[8])
            for r in rows
        ]  # fmt: skip

    async def renew_claims(self) -> int:
        """This sender is still at work: its pushes stay its own for another lease."""
        until = self._clock() + timedelta(seconds=self.lease_s)
        async with self._uow() as uow:
            count = await uow.pushes.renew(self.sender_id, until)
            await uow.commit()
        return count

    async def release_claims(self) -> int:
        """Give back what this sender holds unsent (to retry, or deferred after flood waits)."""
        async with self._uow() as uow:
            count = await uow.pushes.release(self.sender_id)
            await uow.commit()
        return count

    async def mark_sent(self, push_id: int) -> bool:
        """Telegram accepted it: never send it again. False if it was not pending, or if
        another sender took it over after this one's lease lapsed (that sender marks it).

        Returns once committed. Calls made meanwhile share one transaction (group commit):
        at hundreds of messages a second a transaction each would queue on the database.
        """
        done = asyncio.get_running_loop().create_future()
        self._marks.append((push_id, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_marks())
        return bool(await done)

    async def _write_marks(self) -> None:
        while self._marks:
            batch, self._marks = self._marks[:MARK_BATCH], self._marks[MARK_BATCH:]
            try:
                async with self._uow() as uow:
                    sent = await uow.pushes.mark_sent(
                        [i for i, _ in batch], self._clock(), worker=self.sender_id
                    )
                    await uow.commit()
            except Exception as exc:  # each waiting caller gets the error
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for push_id, fut in batch:
                if not fut.done():  # a caller that stopped waiting still had its push marked
                    fut.set_result(push_id in sent)

    async def mark_progress(self, push_id: int, parts_sent: int) -> None:
        """Telegram accepted the first `parts_sent` parts of a long push."""
        async with self._uow() as uow:
            push = await uow.pushes.get(push_id)
            if push is not None and push.status == "pending" and self._holds(push.claimed_by):
                push.payload = {**push.payload, PARTS_KEY: parts_sent}
                await uow.commit()

    async def mark_blocked(self, push_id: int, user_id: int) -> None:
        """The user blocked the bot: this push, their waiting ones and new ones stay unsent."""
        async with self._uow() as uow:
            await uow.pushes.block_user(user_id)  # this push among the user's pending ones
            await uow.commit()
        logger.info("user %s blocked the bot (push %s); pushes to them stop", user_id, push_id)

    async def block_chat(self, chat_id: int) -> None:
        """Like mark_blocked, for a direct send that only knows the chat."""
        async with self._uow() as uow:
            user_id = await uow.pushes.user_for_chat(chat_id)
            if user_id is None:
                return
            await uow.pushes.block_user(user_id)
            await uow.commit()
        logger.info("user %s blocked the bot; pushes to them stop", user_id)

    async def mark_failed(self, push_id: int, error: str, *, permanent: bool = False) -> bool:
        """Count a failed delivery; True if the push is given up (permanent, or too many)."""
        async with self._uow() as uow:
            push = await uow.pushes.get(push_id)
            if push is None or push.status != "pending" or not self._holds(push.claimed_by):
                return False
            push.attempts = (push.attempts or 0) + 1
            push.payload = {**push.payload, "error": error[:MAX_ERROR_CHARS]}
            gave_up = permanent or push.attempts >= self._max_attempts
            if gave_up:
                push.status = "failed"
            await uow.commit()
            attempts = push.attempts
        logger.warning("push %s failed (attempt %s%s): %s", push_id, attempts,
                       ", given up" if gave_up else "", error[:MAX_ERROR_CHARS])  # fmt: skip
        return gave_up

    def _holds(self, claimed_by: str | None) -> bool:
        """The push is this sender's, or nobody's."""
        return claimed_by is None or claimed_by == self.sender_id

    async def status(self, dedup_key: str) -> str | None:
        """pending, sent, failed or blocked; None if no such push."""
        async with self._uow() as uow:
            push = await uow.pushes.by_key(dedup_key)
            return None if push is None else push.status

    async def counts(self) -> dict[str, int]:
        """How many pushes are in each status."""
        async with self._uow() as uow:
            return await uow.pushes.counts()


def new_sender_id() -> str:
    """Names this process's sender in the claims it takes: host, pid, and a random part
    (a restarted process may get the same pid)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
