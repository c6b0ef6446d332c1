"""Stripe webhooks under load: 2000 signed deliveries, shuffled, with redeliveries, per backend.

Each delivery is verified and parsed by the real StripePayments.parse_webhook, then applied by
BillingService.handle_event (subscriptions re-fetched from an in-memory Stripe holding their
final state). Runs one at a time and with 20 concurrent deliveries; prints events/s, p50/p99
latency and the number of events applied twice (must be 0), checked three ways: Changes
returned per event id, payment_events rows vs distinct ids, and each user's final state.
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from _common import backends, database, percentile
from sqlalchemy import func, select

from core.billing.service import BillingService
from core.bootstrap import Container, build
from core.clock import utcnow
from core.config import Settings
from core.db.models import PaymentEvent, UserSubscription
from core.gateways.cipher import Cipher, new_key
from core.gateways.payments import StripePayments
from tests.fakes import stripe_events as ev
from tests.fakes.payments import SCENARIOS, FakePayments, scenario

DELIVERIES = 2000
UNIQUE_MAX = 1800  # the rest are redeliveries of events already sent
CONCURRENCY = 20
SECRET = "whsec_bench_0000000000000000"


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
    batch: Batch, billing: BillingService, stripe: StripePayments, concurrency: int
) -> tuple[float, list[float], Counter[str]]:
    """Deliver the batch; (wall seconds, latencies in ms, Changes returned per event id)."""
    latencies: list[float] = []
    applied: Counter[str] = Counter()
    queue: asyncio.Queue[tuple[str, bytes, str]] = asyncio.Queue()
    for item in batch.deliveries:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            event_id, body, signature = queue.get_nowait()
            start = time.perf_counter()
            change = await billing.handle_event(stripe.parse_webhook(body, signature))
            latencies.append((time.perf_counter() - start) * 1000)
            if change is not None:
                applied[event_id] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies, applied


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
            c = build(settings, cipher=Cipher([new_key()]))
            payments = FakePayments()
            stripe = StripePayments("sk_test_bench", SECRET)
            billing = BillingService(c.uow, payments, settings, utcnow)
            try:
                for i, concurrency in enumerate((1, CONCURRENCY)):
                    batch = await _batch(c, payments, 100_000 * (i + 1), seed=i)
                    wall, lat, applied = await _run(batch, billing, stripe, concurrency)
                    twice, extra_rows, wrong = await _check(c, batch, applied)
                    print(
                        f"{backend:8} {concurrency:>2} at a time: {len(lat)} deliveries "
                        f"({batch.unique} unique, {len(batch.expected)} users) in {wall:.1f} s = "
                        f"{len(lat) / wall:.0f} events/s, p50 {percentile(lat, 50):.1f} ms, "
                        f"p99 {percentile(lat, 99):.1f} ms; applied twice: {twice}, "
                        f"extra payment_events rows: {extra_rows}, users in a wrong state: {wrong}"
                    )
            finally:
                await stripe.aclose()
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
