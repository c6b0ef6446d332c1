"""FeatureGate under load: 200 concurrent callers on one user and on 200 users, per backend.

Prints grants, denials and p50/p99 latency of check_and_increment (AI chat, Free: 10/day).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time

from _common import backends, database, percentile

from core.bootstrap import build
from core.config import Settings
from core.errors import LimitReached
from core.gateways.cipher import Cipher, new_key
from core.limits.feature_gate import Feature

CALLERS = 200


async def _run(backend: str, users: int) -> str:
    async with database(backend) as url:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, database_url=url, data_dir=tmp)  # type: ignore[call-arg]
            c = build(settings, cipher=Cipher([new_key()]))
            ids = [(await c.services.accounts.get_or_create(1000 + i)).id for i in range(users)]
            latencies: list[float] = []

            async def call(i: int) -> bool:
                start = time.perf_counter()
                try:
                    await c.services.gate.check_and_increment(ids[i % users], Feature.AI_CHAT)
                    return True
                except LimitReached:
                    return False
                finally:
                    latencies.append((time.perf_counter() - start) * 1000)

            t0 = time.perf_counter()
            results = await asyncio.gather(*(call(i) for i in range(CALLERS)))
            wall = time.perf_counter() - t0
            # Service time without queueing: the same calls one after another on fresh users.
            fresh = [(await c.services.accounts.get_or_create(9000 + i)).id for i in range(CALLERS)]
            solo: list[float] = []
            for uid in fresh:
                start = time.perf_counter()
                await c.services.gate.check_and_increment(uid, Feature.AI_CHAT)
                solo.append((time.perf_counter() - start) * 1000)
            await c.close()
    grants = results.count(True)
    expected = min(CALLERS, 10 * users)
    return (
        f"{backend:8} {users:>3} user(s): grants {grants} (expected {expected}), "
        f"denials {results.count(False)}, p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms, wall {wall * 1000:.0f} ms; "
        f"one at a time: p50 {percentile(solo, 50):.1f} ms, p99 {percentile(solo, 99):.1f} ms"
    )


async def main() -> None:
    logging.disable(logging.WARNING)
    print(f"check_and_increment, {CALLERS} concurrent callers (latency includes queueing)")
    for backend in backends():
        for users in (1, CALLERS):
            print(await _run(backend, users))


if __name__ == "__main__":
    asyncio.run(main())
