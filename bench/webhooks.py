"""Stripe webhooks under load: 2000 signed deliveries, shuffled, with redeliveries, per backend.

Each delivery is an HTTP POST to /stripe/webhook of the web app, served by uvicorn on
127.0.0.1 as `trainbot web` serves it (the client runs in the same process): the route verifies
and parses it with the real StripePayments.parse_webhook, BillingService.handle_event applies
it (subscriptions re-fetched from an in-memory Stripe holding their final state) and the plan
changes worth a message go to the push outbox. Runs one at a time and with 20 concurrent
deliveries; prints events/s, p50/p99 latency and the number of events applied twice (must be
0), checked three ways: Changes returned per event id, payment_events rows vs distinct ids, and
each user's final state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from _common import backends, database, percentile
from aiogram import Dispatcher
from sqlalchemy import func, select

from bot.runtime.app import AppServer
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from bot.web.stripe_webhook import STRIPE_WEBHOOK_PATH
from core.billing.service import BillingService, Change
from core.bootstrap import Container, build
from core.clock import utcnow
from core.config import Settings
from core.db.models import PaymentEvent, UserSubscription
from core.gateways.cipher import Cipher, new_key
from core.gateways.payments import PaymentEvent as StripeEvent
from core.gateways.payments import StripePayments
from tests.fakes import stripe_events as ev
from tests.fakes.payments import SCENARIOS, FakePayments, scenario

DELIVERIES = 2000
UNIQUE_MAX = 1800  # the rest are redeliveries of events already sent
CONCURRENCY = 20
SECRET = "whsec_bench_0000000000000000"


class BenchPayments(FakePayments):
    """The in-memory Stripe, with webhooks verified as the real gateway verifies them."""

    def __init__(self) -> None:
        super().__init__()
        self._stripe = StripePayments("sk_test_bench", SECRET)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> StripeEvent:
        return self._stripe.parse_webhook(payload, signature_header)

    async def aclose(self) -> None:
        await self._stripe.aclose()


class CountingBilling(BillingService):
    """BillingService counting the Changes it returns per event id (each must be 1 at most)."""

    applied: Counter[str]  # set per run

    async def handle_event(self, event: StripeEvent) -> Change | None:
        change = await super().handle_event(event)
        if change is not None:
            self.applied[event.id] += 1
        return change


@dataclass(frozen=True)
class Batch:
    """Signed deliveries, and what each user's subscription must end up as."""

    deliveries: list[tuple[str, bytes, str]]  # (event id, body, Stripe-Signature)
    expected: dict[int, tuple[str, datetime | None, bool]]  # status, period end, cancel flag
    unique: int


async def _batch(c: Container, payments: FakePayments, first_chat: int, seed: int) -> Batch:
    """Users with whole scenarios up to UNIQUE_MAX events, topped up with redeliveries."""
    t0 = int(time.time())
    events: list[dict[str, Any]] = []
    expected: dict[int, tuple[str, datetime | None, bool]] = {}
    names = iter(SCENARIOS * DELIVERIES)
    async with c.uow() as uow:  # all users in one transaction: setup is not what we measure
        while True:
            user = await uow.users.create_for_chat(first_chat + len(expected))
            assert user is not None
            steps = scenario(next(names), user.id, t0)
            if len(events) + len(steps) > UNIQUE_MAX:
                break
            final = payments.set_subscription(steps[-1].subscription)
            expected[user.id] = (final.status, final.current_period_end, final.cancel_at_period_end)
            events += [s.event for s in steps]
        await uow.commit()
    rng = random.Random(seed)
    sent = events + rng.choices(events, k=DELIVERIES - len(events))
    rng.shuffle(sent)
    deliveries = []
    for evt in sent:
        body, signature = ev.signed(evt, SECRET)
        deliveries.append((str(evt["id"]), body, signature))
    return Batch(deliveries, expected, len(events))


async def _run(
    batch: Batch, url: str, billing: CountingBilling, concurrency: int
) -> tuple[float, list[float], Counter[str]]:
    """POST the batch; (wall seconds, latencies in ms, Changes returned per event id)."""
    latencies: list[float] = []
    billing.applied = Counter()
    queue: asyncio.Queue[tuple[str, bytes, str]] = asyncio.Queue()
    for item in batch.deliveries:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while not queue.empty():
                _, body, signature = queue.get_nowait()
                headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
                start = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                latencies.append((time.perf_counter() - start) * 1000)
                assert response.status == 200, f"HTTP {response.status}"

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return wall, latencies, billing.applied


async def _check(c: Container, batch: Batch, applied: Counter[str]) -> tuple[int, int, int]:
    """(events applied twice, payment_events rows minus distinct ids, users in a wrong state)."""
    ids = {event_id for event_id, _, _ in batch.deliveries}
    twice = sum(1 for n in applied.values() if n > 1)
    async with c.uow() as uow:
        rows = await uow.session.scalar(
            select(func.count()).select_from(PaymentEvent).where(PaymentEvent.event_id.in_(ids))
        )
        distinct = await uow.session.scalar(
            select(func.count(func.distinct(PaymentEvent.event_id))).where(
                PaymentEvent.event_id.in_(ids)
            )
        )
        subs = await uow.session.execute(
            select(UserSubscription).where(UserSubscription.user_id.in_(batch.expected))
        )
        got = {
            s.user_id: (s.status, s.current_period_end, s.cancel_at_period_end)
            for s in subs.scalars()
        }
    wrong = sum(1 for uid, want in batch.expected.items() if got.get(uid) != want)
    assert rows == batch.unique, f"{rows} payment_events rows for {batch.unique} events"
    return twice, int(rows or 0) - int(distinct or 0), wrong


async def _backend(backend: str) -> None:
    async with database(backend) as url:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, database_url=url, data_dir=tmp, stripe_price_id=ev.PRICE_ID
            )
            payments = BenchPayments()
            c = build(settings, cipher=Cipher([new_key()]), payments=payments)
            billing = CountingBilling(c.uow, payments, settings, utcnow)
            served = dataclasses.replace(
                c, services=dataclasses.replace(c.services, billing=billing)
            )
            bot = make_bot(settings, token="1:bench")  # never called: no Telegram route here
            server = AppServer(
                create_app(served, Dispatcher(), bot, telegram=False), host="127.0.0.1", port=0
            )
            try:
                await server.start()
                url = f"http://127.0.0.1:{server.port}{STRIPE_WEBHOOK_PATH}"
                for i, concurrency in enumerate((1, CONCURRENCY)):
                    batch = await _batch(c, payments, 100_000 * (i + 1), seed=i)
                    wall, lat, applied = await _run(batch, url, billing, concurrency)
                    twice, extra_rows, wrong = await _check(c, batch, applied)
                    print(
                        f"{backend:8} {concurrency:>2} at a time: {len(lat)} deliveries "
                        f"({batch.unique} unique, {len(batch.expected)} users) in {wall:.1f} s = "
                        f"{len(lat) / wall:.0f} events/s, p50 {percentile(lat, 50):.1f} ms, "
                        f"p99 {percentile(lat, 99):.1f} ms; applied twice: {twice}, "
                        f"extra payment_events rows: {extra_rows}, users in a wrong state: {wrong}"
                    )
            finally:
                await server.stop()
                await bot.session.close()
                await payments.aclose()
                await c.close()


async def main() -> None:
    logging.disable(logging.WARNING)
    started = datetime.now(UTC)
    print(f"Stripe webhooks: {DELIVERIES} signed deliveries per run, shuffled, with redeliveries")
    for backend in backends():
        await _backend(backend)
    print(f"total {(datetime.now(UTC) - started).total_seconds():.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
