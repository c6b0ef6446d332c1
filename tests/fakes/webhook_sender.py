"""Telegram's side of a webhook: POSTs updates to one or more app instances in turn, at most
`max_connections` at once, and, like Telegram, delivers again any update that did not get a 2xx
(an error status, a refused connection, a dropped one), to the next instance."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import count
from types import TracebackType
from typing import Any

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


@dataclass
class Delivery:
    """One update's way to its 2xx."""

    update_id: int
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (target, status; 0: no answer)
    seconds: float = 0.0  # from the first POST to the 2xx


class WebhookSender:
    """Round robin over `targets` (base URLs); redelivers until a 2xx or `give_up_s`."""

    def __init__(
        self,
        targets: list[str],
        secret: str,
        *,
        max_connections: int = 40,
        request_timeout_s: float = 60.0,
        give_up_s: float = 120.0,
        first_update_id: int = 1,
    ) -> None:
        self.targets = list(targets)
        self._secret = secret
        self._slots = asyncio.Semaphore(max_connections)
        self._timeout = aiohttp.ClientTimeout(total=request_timeout_s)
        self._give_up_s = give_up_s
        self._ids = count(first_update_id)
        self._turn = count()
        self._session: aiohttp.ClientSession | None = None
        self.deliveries: dict[int, Delivery] = {}
        self.statuses: Counter[int] = Counter()

    async def __aenter__(self) -> WebhookSender:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False)
        )
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    def number(self, update: dict[str, Any]) -> dict[str, Any]:
        """The update with the next update_id, as Telegram numbers them."""
        return {**update, "update_id": next(self._ids)}

    async def send(self, update: dict[str, Any], *, to: int | None = None) -> Delivery:
        """Deliver one update (numbered if it has no update_id) until an instance takes it;
        `to` picks the first instance, the next ones follow in turn."""
        if "update_id" not in update:
            update = self.number(update)
        delivery = Delivery(update["update_id"])
        self.deliveries[delivery.update_id] = delivery
        backoff = 0.1
        turn = to if to is not None else next(self._turn)
        async with self._slots:
            start = time.monotonic()  # latency as Telegram sees it: from its first POST
            while True:
                target = self.targets[turn % len(self.targets)]
                status = await self._post(target, update)
                delivery.attempts.append((target, status))
                self.statuses[status] += 1
                if 200 <= status < 300:
                    delivery.seconds = time.monotonic() - start
                    return delivery
                if time.monotonic() - start > self._give_up_s:
                    raise TimeoutError(f"update {delivery.update_id}: {delivery.attempts}")
                turn += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def send_all(self, updates: list[dict[str, Any]]) -> list[Delivery]:
        """Deliver all at once (up to max_connections in flight), round robin."""
        return list(await asyncio.gather(*(self.send(x) for x in updates)))

    async def _post(self, target: str, update: dict[str, Any]) -> int:
        assert self._session is not None, "async with WebhookSender(...) first"
        try:
            async with self._session.post(
                target + WEBHOOK_PATH,
                json=update,
                headers={SECRET_HEADER: self._secret},
                timeout=self._timeout,
            ) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError):
            return 0  # refused, reset or timed out: not delivered
