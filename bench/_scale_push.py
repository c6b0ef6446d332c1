"""Morning push with two workers: 10 000 athletes due at once, two `trainbot worker` processes
on one PostgreSQL database sharing one rate limit in Redis, against Telegram's limit.

Both workers claim pushes row by row (the leader also composes the summaries); the fake Bot API
accepts 300 messages/s and answers 429 beyond, and PUSH_RATE_PER_S is the same 300/s shared by
both. Prints the delivered rate as a fraction of the limit (expected >= 0.95), the 429s, each
worker's share, and how many summaries were lost or doubled (expected 0 and 0).

Run by bench/scale.py (its second half), or alone:

    TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/_scale_push.py [--users 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench._common import database  # noqa: E402
from core.db.engine import make_engine  # noqa: E402
from core.db.models import ActivityMetrics, Push, User  # noqa: E402
from core.gateways.cipher import new_key  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402

CHAT_BASE = 100_000
WORKERS = 2
CEILING_S = 600.0


def _zone_past_midnight() -> tuple[str, datetime]:
    now = datetime.now(UTC)
    for name in ("UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"):
        local = now.astimezone(ZoneInfo(name))
        if 1 <= local.hour < 23:
            return name, local
    raise AssertionError("unreachable: these zones cover every hour")


async def seed(url: str, users: int) -> None:
    """`users` athletes whose morning summary is due now, each with yesterday's run."""
    tz, local = _zone_past_midnight()
    yesterday = local.date() - timedelta(days=1)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            rows = [
                {"chat_id": CHAT_BASE + i, "timezone": tz, "timezone_set": True,
                 "summary_time": dtime(0, 30), "last_summary_on": yesterday}
                for i in range(users)
            ]  # fmt: skip
            for i in range(0, users, 2000):
                await conn.execute(insert(User), rows[i : i + 2000])
            ids = list((await conn.execute(select(User.id))).scalars())
            acts = [
                {"user_id": uid, "content_hash": f"bench{uid}", "sport": "running",
                 "start_time": datetime.combine(yesterday, dtime(7), ZoneInfo(tz)),
                 "local_date": yesterday, "timer_s": 3000.0, "load": 55.0,
                 "load_method": "trimp"}
                for uid in ids
            ]  # fmt: skip
            for i in range(0, len(acts), 2000):
                await conn.execute(insert(ActivityMetrics), acts[i : i + 2000])
    finally:
        await engine.dispose()


async def outbox(url: str) -> tuple[dict[str, int], Counter[str]]:
    """Pushes per status, and how many each sender marked sent."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            counts = dict(
                (await conn.execute(select(Push.status, func.count()).group_by(Push.status))).all()
            )
            by_sender = Counter(
                dict(
                    (
                        await conn.execute(
                            select(Push.claimed_by, func.count())
                            .where(Push.status == "sent")
                            .group_by(Push.claimed_by)
                        )
                    ).all()
                )
            )
        return {str(k): int(v) for k, v in counts.items()}, Counter(
            {str(k): int(v) for k, v in by_sender.items()}
        )
    finally:
        await engine.dispose()


def start_workers(env: dict[str, str], tmp: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(WORKERS):
        with (tmp / f"worker{i}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
    return procs


async def run(users: int, rate: float, redis_url: str) -> None:
    prefix = f"bench-scale-push-{uuid.uuid4().hex[:8]}:"
    async with database("postgres") as url, FakeBotAPI(rate_limit_per_s=rate) as api:
        await seed(url, users)
        tmp = tempfile.mkdtemp(prefix="scale_push")
        env = {
            **os.environ, "APP_ENV": "local", "LOG_LEVEL": "WARNING", "DATABASE_URL": url,
            "REDIS_URL": redis_url, "REDIS_PREFIX": prefix, "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE": api.base_url, "PUSH_RATE_PER_S": str(rate),
            "CREDENTIALS_KEYS": new_key(), "DATA_DIR": tmp,
        }  # fmt: skip
        procs = start_workers(env, Path(tmp))
        started = time.monotonic()
        try:
            backlog: list[int] = []  # pushes written and not yet sent, each second
            while time.monotonic() - started < CEILING_S:
                counts, _ = await outbox(url)
                if counts.get("sent", 0) >= users or any(p.poll() is not None for p in procs):
                    break
                if counts.get("sent", 0):
                    backlog.append(counts.get("pending", 0))
                await asyncio.sleep(1.0)
            total = time.monotonic() - started
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            codes = [p.wait(timeout=60) for p in procs]
            redis = Redis.from_url(redis_url)
            keys = [k async for k in redis.scan_iter(match=prefix + "*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
        counts, by_sender = await outbox(url)
        report(api, users, rate, total, counts, by_sender, codes)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        print(f"CPU seconds: both workers {children.ru_utime + children.ru_stime:.1f}, "
              f"this process (the fake Bot API) {own.ru_utime + own.ru_stime:.1f}, "
              f"over {total:.1f} s on {os.cpu_count()} cores")  # fmt: skip
        # Near 0 while sending: the senders waited for the leader to compose summaries.
        print(f"outbox backlog while sending (per second): min {min(backlog, default=0)}, "
              f"median {sorted(backlog)[len(backlog) // 2] if backlog else 0}")  # fmt: skip


def report(api: FakeBotAPI, users: int, rate: float, total: float, counts: dict[str, int],
           by_sender: Counter[str], codes: list[int]) -> None:  # fmt: skip
    accepted = [r for r in api.calls("sendMessage") if r.ok]
    refused = sum(1 for r in api.calls("sendMessage") if not r.ok)
    ok = Counter(r.params.get("chat_id") for r in accepted)
    lost = sum(1 for i in range(users) if ok[CHAT_BASE + i] == 0)
    doubled = sum(n - 1 for n in ok.values() if n > 1)
    span = accepted[-1].at - accepted[0].at if len(accepted) > 1 else 0.0
    achieved = (len(accepted) - 1) / span if span else 0.0
    print(f"users due: {users}, {WORKERS} workers on PostgreSQL + Redis, "
          f"Telegram limit {rate:.0f}/s, PUSH_RATE_PER_S {rate:.0f} shared")  # fmt: skip
    print(f"time from start to all sent (incl. startup and composing): {total:.1f} s")
    print(f"first to last accepted message: {span:.1f} s")
    print(f"delivered rate: {achieved:.0f}/s = {achieved / rate:.2f} of the limit")
    seconds = Counter(int(r.at - accepted[0].at) for r in accepted) if accepted else Counter()
    full = [seconds[i] for i in range(int(span))]  # every whole second between first and last
    # A second far below the limit while pushes wait: the senders stalled (on the database).
    print(f"deliveries per second: slowest {min(full, default=0)}, "
          f"median {sorted(full)[len(full) // 2] if full else 0}")  # fmt: skip
    print(f"sent by each worker: {sorted(by_sender.values(), reverse=True)}")
    print(f"429 answers: {refused}; outbox: {counts}; worker exit codes: {codes}")
    print(f"lost: {lost}, doubled: {doubled}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.users, args.rate, args.redis))


if __name__ == "__main__":
    main()
