"""The push outbox: what the bot sends unasked, stored once, marked done only once delivered.

Producers (daily summary, Garmin sync, billing) `enqueue` with a dedup key, so the same push
enqueued twice is stored once. The sender (bot.delivery.notifier) reads `pending`, and marks a push
sent only after Telegram accepted it: a crash in between re-sends, a sent push never goes again.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.clock import Clock, utcnow
from core.db.uow import UnitOfWorkFactory

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # failed deliveries before a push is given up
MAX_ERROR_CHARS = 300
MARK_BATCH = 500  # pushes marked sent per transaction, at most
PHOTO_KEY = "photo_png_b64"
PARTS_KEY = "sent_parts"  # how many parts of a long push Telegram already accepted


@dataclass(frozen=True)
class NewPush:
    """A push to store: one message for one user, at most once per dedup key."""

    user_id: int
    kind: str
    dedup_key: str
    text: str
    reply_markup: dict[str, Any] | None = None


@dataclass(frozen=True)
class PendingPush:
    """A push waiting for delivery, with the chat to deliver it to."""

    id: int
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: bool = False

    @property
    def cursor(self) -> tuple[int, int]:
        """Where the next page of `pending` starts after this push."""
        return (0 if self.priority else 1, self.id)

    @property
    def text(self) -> str:
        return str(self.payload.get("text") or "")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.payload.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def photo_png(self) -> bytes | None:
        data = self.payload.get(PHOTO_KEY)
        return base64.b64decode(data) if isinstance(data, str) else None

    @property
    def parts_sent(self) -> int:
        return int(self.payload.get(PARTS_KEY) or 0)


def make_payload(
    text: str, reply_markup: dict[str, Any] | None = None, photo_png: bytes | None = None
) -> dict[str, Any]:
    """The JSON stored for a push: text, optional inline keyboard, optional PNG."""
    payload: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    if photo_png is not None:
        payload[PHOTO_KEY] = base64.b64encode(photo_png).decode("ascii")
    return payload


class PushService:
    """Enqueue pushes and record what became of them."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock = utcnow, *, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._max_attempts = max_attempts
        self._marks: list[tuple[int, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def enqueue(
        self,
        user_id: int,
        *,
        kind: str,
        dedup_key: str,
        text: str,
        reply_markup: dict[str, Any] | None = None,
        photo_png: bytes | None = None,
    ) -> bool:
        """Store the push unless its dedup key is stored already; whether it was new."""
        payload = make_payload(text, reply_markup, photo_png)
        async with self._uow() as uow:
            new_id = await uow.pushes.add(user_id, kind=kind, dedup_key=dedup_key, payload=payload)
            await uow.commit()
        return new_id is not None

    async def enqueue_many(self, pushes: Sequence[NewPush]) -> int:
        """Store many pushes in one transaction (a morning's summaries); how many were new."""
        new = 0
        async with self._uow() as uow:
            for push in pushes:
                payload = make_payload(push.text, push.reply_markup, None)
                added = await uow.pushes.add(
                    push.user_id, kind=push.kind, dedup_key=push.dedup_key, payload=payload
                )
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
                        priority=r[5] == 0)
            for r in rows
        ]  # fmt: skip

    async def mark_sent(self, push_id: int) -> bool:
        """Telegram accepted it: never send it again. False if it was not pending.

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
                    sent = await uow.pushes.mark_sent([i for i, _ in batch], self._clock())
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
            if push is not None and push.status == "pending":
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
            if push is None or push.status != "pending":
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

    async def status(self, dedup_key: str) -> str | None:
        """pending, sent, failed or blocked; None if no such push."""
        async with self._uow() as uow:
            push = await uow.pushes.by_key(dedup_key)
            return None if push is None else push.status

    async def counts(self) -> dict[str, int]:
        """How many pushes are in each status."""
        async with self._uow() as uow:
            return await uow.pushes.counts()
