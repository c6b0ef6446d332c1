"""Two `trainbot worker` processes on one PostgreSQL database and one Redis send one morning.

Both claim pushes row by row and share one rate limit; one is killed (kill -9) mid-batch and
the other finishes with nothing lost. A message can go out twice only if Telegram accepted it
just before its sender died, before the row was marked: the tests count those, print the
number, and hold it to the rows the dead worker had claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db.engine import make_engine
from core.db.models import ActivityMetrics, Push, User
from core.gateways.cipher import new_key
from core.notify.outbox import CLAIM_LEASE_S
from tests import db
from tests.fakes.bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
REDIS_ENV = "TEST_REDIS_URL"
RATE = 100  # PUSH_RATE_PER_S: the budget of both workers together
TELEGRAM_RATE = 150  # what the fake Bot API accepts before answering 429
CHAT_BASE = 700_000
STARTUP_CEILING_S = 60.0
# A dead worker's claims lapse after the lease; the morning then finishes at RATE.
FINISH_CEILING_S = 120.0 + CLAIM_LEASE_S
TICK_CEILING_S = 60.0 + 30.0  # the scheduler ticks every minute; some room for a slow machine
LEADER_LOG = "this worker holds the scheduler lock"

pytestmark = pytest.mark.skipif(
    not (db.pg_admin_url() and os.environ.get(REDIS_ENV)),
    reason=f"needs {db.PG_ENV} and {REDIS_ENV}",
)


@dataclass
class Workers:
    url: str  # the database both share
    api: FakeBotAPI
    env: dict[str, str]
    tmp: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        log = self.tmp / f"worker{len(self.procs)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT, env=self.env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        return self.logs[self.procs.index(proc)].read_text(errors="replace")

    async def wait_log(self, proc: subprocess.Popen[bytes], text: str, ceiling: float) -> None:
        for _ in range(int(ceiling * 4)):
            if text in self.log_of(proc):
                return
            if proc.poll() is not None:
                raise AssertionError(f"worker exited: {self.log_of(proc)[-3000:]}")
            await asyncio.sleep(0.25)
        raise AssertionError(f"no {text!r} after {ceiling}s: {self.log_of(proc)[-3000:]}")

    async def kill(self, proc: subprocess.Popen[bytes]) -> int:
        """kill -9, then how many pushes it held claimed and unsent at its death."""
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        async with _engine(self.url) as engine, engine.connect() as conn:
            held = await conn.scalar(
                select(func.count()).select_from(Push).where(
                    Push.claimed_by.like(f"%:{proc.pid}:%"), Push.status == "pending"
                )
            )  # fmt: skip
        return int(held or 0)

    async def wait_all_sent(self, total: int) -> None:
        for _ in range(int(FINISH_CEILING_S * 2)):
            if (await self.counts()).get("sent", 0) == total:
                return
            for proc in self.procs:
                if proc.poll() not in (None, 0, -signal.SIGKILL):  # 0: stopped by SIGTERM
                    raise AssertionError(f"worker exited: {self.log_of(proc)[-3000:]}")
            await asyncio.sleep(0.5)
        raise AssertionError(f"not all sent after {FINISH_CEILING_S}s: {await self.counts()}")

    async def counts(self) -> dict[str, int]:
        async with _engine(self.url) as engine, engine.connect() as conn:
            rows = await conn.execute(select(Push.status, func.count()).group_by(Push.status))
            return {r[0]: r[1] for r in rows}

    async def senders(self) -> set[str]:
        """The senders that marked pushes sent."""
        async with _engine(self.url) as engine, engine.connect() as conn:
            rows = await conn.execute(select(Push.claimed_by).where(Push.status == "sent"))
            return {r[0] for r in rows if r[0] is not None}

    def tally(self, users: int) -> tuple[int, int]:
        """(lost, doubled): chats Telegram accepted no message for, and extra acceptances."""
        ok = Counter(r.params.get("chat_id") for r in self.api.calls("sendMessage") if r.ok)
        lost = sum(1 for i in range(users) if ok[CHAT_BASE + i] == 0)
        doubled = sum(n - 1 for n in ok.values() if n > 1)
        return lost, doubled


@contextlib.asynccontextmanager
async def _engine(url: str) -> AsyncIterator[AsyncEngine]:
    """A short-lived engine on the shared database (the test's own view of it)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def workers(tmp_path: Path) -> AsyncIterator[Workers]:
    url = await db.create_pg_database("trainbot_failover")
    await db.migrate_url(url)
    prefix = f"test-failover-{uuid.uuid4().hex[:8]}:"
    redis_url = os.environ[REDIS_ENV]
    async with FakeBotAPI(rate_limit_per_s=TELEGRAM_RATE) as api:
        env = {
            **os.environ,
            "APP_ENV": "local",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": prefix,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE": api.base_url,
            "PUSH_RATE_PER_S": str(RATE),
            "CREDENTIALS_KEYS": new_key(),
            "DATA_DIR": str(tmp_path / "data"),
        }
        w = Workers(url, api, env, tmp_path)
        try:
            yield w
        finally:
            for proc in w.procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            redis = Redis.from_url(redis_url)
            keys = [k async for k in redis.scan_iter(match=prefix + "*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
            await db.drop_pg_database(url)


async def _seed_pushes(url: str, users: int) -> None:
    """`users` athletes with one pending push each, written straight into the outbox."""
    async with _engine(url) as engine, engine.begin() as conn:
        await conn.execute(insert(User), [{"chat_id": CHAT_BASE + i} for i in range(users)])
        ids = list((await conn.execute(select(User.id).order_by(User.id))).scalars())
        await conn.execute(
            insert(Push),
            [{"user_id": u, "kind": "note", "dedup_key": f"morning:{u}",
              "payload": {"text": f"Good morning, athlete {u}"}} for u in ids],
        )  # fmt: skip


def _zone_past_midnight() -> tuple[str, datetime]:
    """A zone where it is between 01:00 and 23:00 now, and its local time."""
    now = datetime.now(UTC)
    for name in ("UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"):
        local = now.astimezone(ZoneInfo(name))
        if 1 <= local.hour < 23:
            return name, local
    raise AssertionError("unreachable: these zones cover every hour")


async def _seed_morning(url: str, users: int) -> date:
    """`users` athletes whose morning summary is due now, each with yesterday's run; the
    day before theirs."""
    tz, local = _zone_past_midnight()
    yesterday = local.date() - timedelta(days=1)
    async with _engine(url) as engine, engine.begin() as conn:
        await conn.execute(
            insert(User),
            [{"chat_id": CHAT_BASE + i, "timezone": tz, "timezone_set": True,
              "summary_time": time(0, 30), "last_summary_on": yesterday}
             for i in range(users)],
        )  # fmt: skip
        ids = list((await conn.execute(select(User.id))).scalars())
        await conn.execute(
            insert(ActivityMetrics),
            [{"user_id": uid, "content_hash": f"run{uid}", "sport": "running",
              "start_time": datetime.combine(yesterday, time(7), ZoneInfo(tz)),
              "local_date": yesterday, "timer_s": 3000.0, "load": 55.0, "load_method": "trimp"}
             for uid in ids],
        )  # fmt: skip
    return yesterday


async def _not_confirmed(url: str, yesterday: date) -> int:
    """Athletes whose morning is not recorded as done yet."""
    async with _engine(url) as engine, engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(User).where(User.last_summary_on == yesterday)
        )
    return int(count or 0)


async def test_two_workers_share_a_morning_and_a_killed_one_loses_nothing_failover(
    workers: Workers,
) -> None:
    users = 2000
    await _seed_pushes(workers.url, users)
    first, second = workers.start(), workers.start()
    # Both at work: each has claimed some of the morning.
    await workers.api.wait_for("sendMessage", users // 4, timeout=STARTUP_CEILING_S)
    held = await workers.kill(first)
    await workers.wait_all_sent(users)
    lost, doubled = workers.tally(users)
    refused = sum(1 for r in workers.api.calls("sendMessage") if not r.ok)
    senders = await workers.senders()
    print(f"\nfailover: {users} pushes, worker {first.pid} killed holding {held} claims; "
          f"lost {lost}, accepted twice {doubled}, 429 answers {refused}")  # fmt: skip
    assert lost == 0
    assert doubled <= held
    assert await workers.counts() == {"sent": users}
    assert any(f":{first.pid}:" in s for s in senders)  # both sent part of it
    assert any(f":{second.pid}:" in s for s in senders)
    # One budget for both: at RATE together they stay under what Telegram accepts.
    assert refused <= users // 20, refused
    second.send_signal(signal.SIGTERM)  # and a worker stops cleanly when asked
    assert await asyncio.wait_for(asyncio.to_thread(second.wait), STARTUP_CEILING_S) == 0
    assert "SIGTERM: stopping the worker" in workers.log_of(second)


async def test_a_standby_takes_over_from_a_killed_leader_within_a_tick_failover(
    workers: Workers,
) -> None:
    users = 2000
    yesterday = await _seed_morning(workers.url, users)
    leader = workers.start()
    await workers.wait_log(leader, LEADER_LOG, STARTUP_CEILING_S)
    standby = workers.start()
    await workers.api.wait_for("sendMessage", users // 4, timeout=STARTUP_CEILING_S)
    assert LEADER_LOG not in workers.log_of(standby)
    held = await workers.kill(leader)
    await workers.wait_log(standby, LEADER_LOG, TICK_CEILING_S)
    await workers.wait_all_sent(users)
    # The new leader's next tick records every athlete's morning as done.
    for _ in range(int(TICK_CEILING_S * 2)):
        if not await _not_confirmed(workers.url, yesterday):
            break
        await asyncio.sleep(0.5)
    assert await _not_confirmed(workers.url, yesterday) == 0
    lost, doubled = workers.tally(users)
    print(f"\nleader failover: {users} summaries, leader {leader.pid} killed holding {held} "
          f"claims; lost {lost}, accepted twice {doubled}")  # fmt: skip
    assert lost == 0
    assert doubled <= held
    assert await workers.counts() == {"sent": users}


async def test_a_worker_stopped_mid_morning_hands_its_claims_back(workers: Workers) -> None:
    users = 600
    await _seed_pushes(workers.url, users)
    workers.env["PUSH_RATE_PER_S"] = "50"
    first = workers.start()
    await workers.api.wait_for("sendMessage", 50, timeout=STARTUP_CEILING_S)
    first.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(asyncio.to_thread(first.wait), STARTUP_CEILING_S) == 0
    assert "SIGTERM: stopping the worker" in workers.log_of(first)
    # Everything Telegram accepted is marked, and nothing unsent is still held.
    accepted = {r.params["chat_id"] for r in workers.api.calls("sendMessage") if r.ok}
    assert (await workers.counts()).get("sent", 0) == len(accepted) < users
    async with _engine(workers.url) as engine, engine.connect() as conn:
        held = await conn.scalar(
            select(func.count()).select_from(Push).where(
                Push.status == "pending", Push.claimed_by.is_not(None)
            )
        )  # fmt: skip
    assert held == 0
    workers.start()  # takes the rest at once: no lease to wait out
    await workers.wait_all_sent(users)
    assert workers.tally(users) == (0, 0)
