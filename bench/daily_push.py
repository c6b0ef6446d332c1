"""Daily summary push: 10 000 athletes due at 07:00 in 10 timezones, against Telegram's limit.

Runs the scheduler's tick (bot/runtime/jobs.py) with a fake clock stepped to each zone's 07:00, on a
SQLite file, delivering to FakeBotAPI(rate_limit_per_s=300). Prints the time to deliver all,
the achieved send rate against the limit, and how many summaries were lost or duplicated.

    .venv/bin/python bench/daily_push.py [--users 10000] [--rate 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench._common import database  # noqa: E402
from bot.delivery.notifier import Notifier, make_notifier  # noqa: E402
from bot.runtime.jobs import Scheduler  # noqa: E402
from bot.runtime.telegram import make_bot  # noqa: E402
from core.bootstrap import Container, build  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db.models import ActivityMetrics, User  # noqa: E402
from core.gateways.cipher import Cipher, new_key  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402

ZONES = [
    "Pacific/Honolulu", "America/Los_Angeles", "America/Denver", "America/New_York",
    "America/Sao_Paulo", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Kolkata",
    "Asia/Tokyo",
]  # fmt: skip
DAY = date(2026, 11, 25)
CHAT_BASE = 100_000
BATCH = 500


class TimedNotifier:
    """The product's notifier, with the time spent in flush() counted."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier
        self.flush_seconds = 0.0

    async def flush(self, limit: int | None = None) -> Any:
        started = time.perf_counter()
        try:
            return await self._notifier.flush(limit)
        finally:
            self.flush_seconds += time.perf_counter() - started


async def seed(container: Container, users: int) -> None:
    rows = [
        {"chat_id": CHAT_BASE + i, "timezone": ZONES[i % len(ZONES)], "timezone_set": True,
         "summary_time": dtime(7, 0), "last_summary_on": DAY - timedelta(days=1)}
        for i in range(users)
    ]  # fmt: skip
    async with container.uow() as uow:
        for i in range(0, users, 2000):
            await uow.session.execute(insert(User), rows[i : i + 2000])
        ids = (await uow.session.execute(select(User.id, User.timezone))).all()
        acts = [
            {"user_id": uid, "content_hash": f"bench{uid}", "sport": "running",
             "start_time": datetime.combine(DAY - timedelta(days=1), dtime(7), ZoneInfo(tz)),
             "local_date": DAY - timedelta(days=1), "timer_s": 3000.0, "load": 55.0,
             "load_method": "trimp"}
            for uid, tz in ids
        ]  # fmt: skip
        for i in range(0, len(acts), 2000):
            await uow.session.execute(insert(ActivityMetrics), acts[i : i + 2000])
        await uow.commit()


async def run(users: int, rate: float) -> None:
    async with database("sqlite") as url, FakeBotAPI(rate_limit_per_s=rate) as api:
        clock = FakeClock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url, telegram_api_base=api.base_url, telegram_bot_token=api.token,
            push_rate_per_s=rate,
            data_dir=str(Path(url.split("///", 1)[1]).parent / "data"),
        )  # fmt: skip
        container = build(settings, clock=clock, cipher=Cipher([new_key()]))
        await seed(container, users)
        bot = make_bot(settings, token=api.token)
        notifier = TimedNotifier(make_notifier(container, bot))
        scheduler = Scheduler(container, bot, clock=clock, notifier=notifier)
        moments = sorted(
            datetime.combine(DAY, dtime(7), ZoneInfo(z)).astimezone(UTC) for z in ZONES
        )
        started = time.perf_counter()
        for moment in moments:
            clock.set(moment)
            await scheduler.tick(moment)
        # A restart right after: the new worker must send nothing twice.
        await scheduler.stop()
        restarted = Scheduler(container, bot, clock=clock, notifier=notifier)
        await restarted.tick(moments[-1] + timedelta(minutes=1))
        total = time.perf_counter() - started
        await restarted.stop()
        await report(container, api, users, rate, total, notifier.flush_seconds)
        await bot.session.close()
        await container.close()


async def report(container: Container, api: FakeBotAPI, users: int, rate: float,
                 total: float, flush_s: float) -> None:  # fmt: skip
    ok = Counter(r.params.get("chat_id") for r in api.calls("sendMessage") if r.ok)
    refused = sum(1 for r in api.calls("sendMessage") if not r.ok)
    lost = sum(1 for i in range(users) if ok[CHAT_BASE + i] == 0)
    duplicated = sum(n - 1 for n in ok.values() if n > 1)
    async with container.uow() as uow:
        marked = len((await uow.session.execute(
            select(User.id).where(User.last_summary_on == DAY)
        )).all())  # fmt: skip
    achieved = sum(ok.values()) / flush_s if flush_s else 0.0
    print(f"users due: {users} in {len(ZONES)} timezones, Telegram limit {rate:.0f}/s")
    print(f"time to deliver all (10 ticks incl. composing): {total:.1f} s")
    print(f"time spent sending: {flush_s:.1f} s")
    print(f"achieved rate: {achieved:.0f}/s = {achieved / rate:.2f} of the limit")
    print(f"429 answers: {refused}; last_summary_on set: {marked}")
    print(f"lost: {lost}, duplicated: {duplicated}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.users, args.rate))


if __name__ == "__main__":
    main()
