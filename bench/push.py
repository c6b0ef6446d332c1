"""Push delivery: 10 000 pushes to 10 000 chats through the notifier, at Telegram's limit.

The fake Bot API allows 300 messages/s and answers 429 (retry_after) beyond; the notifier is
set to the same 300/s. Prints the achieved rate and its ratio to the limit (expected >= 0.95),
the 429s received, and how many pushes were lost or duplicated (expected 0 and 0).

    .venv/bin/python bench/push.py [--pushes 10000] [--rate 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.delivery.notifier import FlushResult, Notifier  # noqa: E402
from bot.runtime.telegram import make_bot  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import migrate  # noqa: E402
from core.db.engine import make_engine, make_sessionmaker  # noqa: E402
from core.db.models import Push, User  # noqa: E402
from core.db.uow import UnitOfWorkFactory  # noqa: E402
from core.notify.daily_summary import MorningSummary, SportTime  # noqa: E402
from core.notify.kinds import SUMMARY  # noqa: E402
from core.notify.outbox import DATA_KEY, PushService, to_data  # noqa: E402
from core.training.reports import TodayReport  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402

CHAT_BASE = 500_000
BATCH = 1000


def morning() -> dict[str, object]:
    """A morning summary's data, as the outbox stores it (rendered per push when sent)."""
    report = TodayReport(
        today=date(2026, 11, 25), yesterday_load=55.0, ctl=61.0, atl=58.0, tsb=3.0,
        form="fresh", has_data=True, wellness=None, workout_title=None, workout_text=None,
        goal_name=None, goal_days=None,
    )  # fmt: skip
    return {DATA_KEY: to_data(MorningSummary(report, (SportTime("running", 3000.0),)))}


async def seed(uow: UnitOfWorkFactory, n: int) -> None:
    """n users and one pending push each, by bulk INSERT (setup, not measured)."""
    async with uow() as u:
        for i in range(0, n, BATCH):
            rows = [
                {"chat_id": CHAT_BASE + k, "first_name": f"A{k}"}
                for k in range(i, min(n, i + BATCH))
            ]
            await u.session.execute(insert(User), rows)
        await u.commit()
        ids = (
            await u.session.execute(User.__table__.select().with_only_columns(User.id))
        ).scalars()
        payload = morning()
        pushes = [
            {"user_id": uid, "kind": SUMMARY, "dedup_key": f"summary:{uid}:2026-11-25",
             "payload": payload}
            for uid in ids
        ]  # fmt: skip
        for i in range(0, len(pushes), BATCH):
            await u.session.execute(insert(Push), pushes[i : i + BATCH])
        await u.commit()


async def run(n: int, rate: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        await migrate.upgrade(engine)
        uow = UnitOfWorkFactory(make_sessionmaker(engine))
        await seed(uow, n)
        pushes = PushService(uow)
        async with FakeBotAPI(rate_limit_per_s=rate) as api:
            settings = Settings(_env_file=None, database_url=url, telegram_api_base=api.base_url)  # type: ignore[call-arg]
            bot = make_bot(settings, token=api.token)
            notifier = Notifier(bot, pushes, rate_per_s=rate)
            total = FlushResult()
            started = time.perf_counter()
            while (r := await notifier.flush()).sent or r.deferred:
                for name in ("sent", "blocked", "failed", "retried_429", "deferred"):
                    setattr(total, name, getattr(total, name) + getattr(r, name))
            elapsed = time.perf_counter() - started
            await bot.session.close()
            per_chat = [len([m for m in api.messages_by_chat.get(CHAT_BASE + k, []) if m.ok])
                        for k in range(n)]  # fmt: skip
            counts = await pushes.counts()
            violations = len(api.violations)
            got_429 = api.status_counts[429]
        await engine.dispose()
    achieved = sum(per_chat) / elapsed
    print(f"pushes: {n} to {n} chats, limit {rate:g}/s, notifier at {rate:g}/s (SQLite)")
    print(f"delivered in {elapsed:.1f} s: {achieved:.1f} msg/s, {achieved / rate:.3f} of the limit")
    print(f"429s received: {got_429} (retried {total.retried_429}), failed: {total.failed}")
    lost, duplicated = sum(c == 0 for c in per_chat), sum(max(0, c - 1) for c in per_chat)
    print(f"lost: {lost}, duplicated: {duplicated}")
    print(f"outbox: {counts}, Bot API spec violations: {violations}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.pushes, args.rate))


if __name__ == "__main__":
    main()
