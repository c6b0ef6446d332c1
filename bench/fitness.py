"""Daily fitness at scale on SQLite: full recompute for everyone, incremental after one upload.

Run: .venv/bin/python bench/fitness.py [users, default 2000] [activities per user, default 300]
The target is 10 000 users x one year; with fewer users the full figures are extrapolated
linearly (the work is per user) and labelled so.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from _common import database

from core.db.engine import make_engine, make_sessionmaker
from core.db.uow import UnitOfWorkFactory
from core.training import fitness_store
from core.training.fitness import compute_fitness

TARGET_USERS = 10_000
TODAY = date(2026, 11, 25)
YEAR_START = TODAY - timedelta(days=364)
INCREMENTAL_SAMPLE = 200
BATCH = 50_000


def seed(path: str, users: int, per_user: int) -> float:
    """Users and their activities, inserted in big batches; seconds spent."""
    t0 = time.perf_counter()
    rng = random.Random(1)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.executemany(
        "INSERT INTO users (id, chat_id, timezone, timezone_set, units, summary_time,"
        " summary_enabled, is_active, is_blocked) VALUES (?, ?, 'UTC', 1, 'metric',"
        " '07:00:00.000000', 1, 1, 0)",
        [(uid, 10_000_000 + uid) for uid in range(1, users + 1)],
    )
    sql = (
        "INSERT INTO activity_metrics (user_id, source, content_hash, session_index, sport,"
        " start_time, local_date, timer_s, load, load_method) VALUES (?,?,?,?,?,?,?,?,?,?)"
    )
    rows: list[tuple[object, ...]] = []
    for uid in range(1, users + 1):
        for i in range(per_user):
            day = YEAR_START + timedelta(days=rng.randrange(365))
            start = f"{day.isoformat()} 07:{i % 60:02d}:00.000000"
            rows.append((uid, "upload", f"{uid}-{i}", 0, "running", start, day.isoformat(),
                         3600.0, rng.uniform(20, 150), "hrtss"))  # fmt: skip
            if len(rows) >= BATCH:
                con.executemany(sql, rows)
                rows.clear()
    con.executemany(sql, rows)
    con.commit()
    con.close()
    return time.perf_counter() - t0


def full_recompute(path: str) -> tuple[float, int]:
    """Every user's daily fitness from their first activity to today; seconds and rows."""
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=NORMAL")
    loads: dict[int, dict[date, float]] = defaultdict(dict)
    for uid, day, total in con.execute(
        "SELECT user_id, local_date, SUM(load) FROM activity_metrics GROUP BY user_id, local_date"
    ):
        loads[uid][date.fromisoformat(day)] = total
    con.execute("DELETE FROM fitness_metrics")
    sql = (
        "INSERT INTO fitness_metrics (user_id, day, load, ctl, atl, tsb, ramp, acwr, ewma7,"
        " ewma28) VALUES (?,?,?,?,?,?,?,?,?,?)"
    )
    written = 0
    batch: list[tuple[object, ...]] = []
    for uid, daily in loads.items():
        for r in compute_fitness(daily, start=min(daily), end=TODAY):
            batch.append((uid, r.date.isoformat(), r.load, r.ctl, r.atl, r.tsb, r.ramp, r.acwr,
                          r.ewma7, r.ewma28))  # fmt: skip
        if len(batch) >= BATCH:
            con.executemany(sql, batch)
            written += len(batch)
            batch.clear()
    con.executemany(sql, batch)
    written += len(batch)
    con.commit()
    con.close()
    return time.perf_counter() - t0, written


async def incremental(url: str, users: int) -> list[float]:
    """One new activity today per sampled user, then the service's recompute; ms each."""
    engine = make_engine(url)
    uow_factory = UnitOfWorkFactory(make_sessionmaker(engine))
    rng = random.Random(2)
    times: list[float] = []
    for uid in rng.sample(range(1, users + 1), min(INCREMENTAL_SAMPLE, users)):
        async with uow_factory() as uow:
            row = {"content_hash": f"new-{uid}", "sport": "running", "load": 80.0,
                   "start_time": datetime(2026, 11, 25, 18, tzinfo=UTC), "local_date": TODAY,
                   "load_method": "hrtss"}  # fmt: skip
            await uow.training.add_activities(uid, [row])
            t0 = time.perf_counter()
            await fitness_store.recompute_from(uow.training, uid, TODAY, today=TODAY)
            await uow.commit()
            times.append((time.perf_counter() - t0) * 1000)
    await engine.dispose()
    return times


async def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    per_user = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    async with database("sqlite") as url:
        path = url.split(":///", 1)[1]
        seeded = seed(path, users, per_user)
        print(f"seeded {users} users x {per_user} activities = {users * per_user:,} rows "
              f"in {seeded:.1f} s")  # fmt: skip
        full_s, rows = full_recompute(path)
        per_user_ms = full_s / users * 1000
        print(f"full recompute: {full_s:.1f} s for {users} users ({rows:,} daily rows), "
              f"{per_user_ms:.2f} ms per user")  # fmt: skip
        if users < TARGET_USERS:
            print(f"  extrapolated to {TARGET_USERS} users: {per_user_ms * TARGET_USERS / 1000:.1f}"
                  " s (linear in users; target < 60 s)")  # fmt: skip
        times = await incremental(url, users)
        print(
            f"incremental after one new activity ({len(times)} users): median "
            f"{statistics.median(times):.2f} ms, max {max(times):.2f} ms (target < 5 ms)"
        )


if __name__ == "__main__":
    asyncio.run(main())
