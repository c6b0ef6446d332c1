"""FIT import fairness: one athlete's 1-hour ride while another uploads 4 large files.

Run: .venv/bin/python bench/fit_fairness.py [rounds, default 5]
Through TrainingService as the bot builds it (FIT_WORKERS from the environment, default 2) on
a temporary SQLite database. The ride (Edge810-Vector, 78 min, power and heart rate) is imported
alone first, by fresh athletes; then, in each round, athlete A sends 4 large files (every
undamaged real activity chained into one 0.6 MB file, in four orders) and athlete B sends the
ride half a second later. Target: B's ride answered in under 2x its time alone, medians
compared (the worst round is printed too: on a shared machine one round can catch a spike).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import count

from _common import ROOT, database

from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import new_key

FIT_DIR = ROOT.parent / "shared" / "data" / "fit"
RIDE = "Edge810-Vector-2013-08-16-15-35-10.fit"
CHAINED = ("Edge810-Vector-2013-08-16-15-35-10.fit", "activity-small-fenix2-run.fit",
           "sample-activity.fit", "event_timestamp.fit", "sample_mulitple_header.fit",
           "sample-activity-indoor-trainer.fit", "2013-02-06-12-11-14.fit")  # fmt: skip
WARM_UP = "garmin-fenix-5-run.fit"
TODAY = datetime(2013, 8, 20, 12, tzinfo=UTC)  # the ride was four days ago
TARGET_RATIO = 2.0
HEAD_START_S = 0.5  # A's files are in line before B's ride arrives
_chat_ids = count(1)


def fit(name: str) -> bytes:
    return (FIT_DIR / name).read_bytes()


def large_files() -> list[bytes]:
    """Four 0.6 MB files of real activities, each in another order (so none is a resend)."""
    parts = [fit(n) for n in CHAINED]
    return [b"".join(parts[i:] + parts[:i]) for i in range(4)]


async def athlete(c: Container) -> int:
    return (await c.services.accounts.get_or_create(next(_chat_ids), first_name="Bench")).id


async def timed_import(c: Container, data: bytes) -> float:
    uid = await athlete(c)
    t0 = time.perf_counter()
    result = await c.services.training.import_fit(uid, data)
    assert result.activities, "the ride was not stored"
    return time.perf_counter() - t0


async def loaded_round(c: Container, ride: bytes, load: list[bytes]) -> tuple[float, float]:
    """B's ride time while A's four files are imported, and A's total time."""
    a = await athlete(c)
    t0 = time.perf_counter()
    a_files = [asyncio.create_task(c.services.training.import_fit(a, f)) for f in load]
    await asyncio.sleep(HEAD_START_S)
    b_time = await timed_import(c, ride)
    await asyncio.gather(*a_files)
    return b_time, time.perf_counter() - t0


async def run(rounds: int) -> bool:
    async with database("sqlite") as url:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=url,
                data_dir=tmp,
                credentials_keys=new_key(),
            )
            c = build(settings, clock=lambda: TODAY)
            try:
                return await measure(c, rounds)
            finally:
                await c.close()


async def measure(c: Container, rounds: int) -> bool:
    ride, load = fit(RIDE), large_files()
    workers = c.settings.fit_workers
    # Start every worker first: a worker's start-up is not what is measured.
    await asyncio.gather(*(timed_import(c, fit(WARM_UP)) for _ in range(workers)))
    alone = [await timed_import(c, ride) for _ in range(rounds)]
    loaded = [await loaded_round(c, ride, load) for _ in range(rounds)]
    base = statistics.median(alone)
    typical = statistics.median(b for b, _ in loaded)
    worst = max(b for b, _ in loaded)
    print(f"FIT_WORKERS={workers}, {os.cpu_count()} cores; ride {len(ride) / 1e3:.0f} kB, "
          f"load 4 x {len(load[0]) / 1e6:.2f} MB")  # fmt: skip
    print(f"ride alone:          median {base:.3f} s  ({', '.join(f'{t:.3f}' for t in alone)})")
    for i, (b_time, a_total) in enumerate(loaded, 1):
        print(f"ride under load #{i}: {b_time:.3f} s  (A's 4 files took {a_total:.1f} s)")
    print(f"ride under load:     median {typical:.3f} s, worst {worst:.3f} s")
    ratio = typical / base
    passed = ratio < TARGET_RATIO
    print(f"ratio loaded / alone: {ratio:.2f} (worst round {worst / base:.2f})  "
          f"target < {TARGET_RATIO}: {'PASS' if passed else 'FAIL'}")  # fmt: skip
    return passed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if not FIT_DIR.is_dir():
        sys.exit(f"no FIT files at {FIT_DIR}")
    asyncio.run(run(rounds))


if __name__ == "__main__":
    main()
