"""Update throughput through long polling: the full bot against a bare aiogram echo bot.

5000 "/settings" updates from 500 chats are queued at a fake Bot API server; the clock runs
until the fake has accepted all 5000 answers. /settings is the closest command to "account
lookup and nothing else": the account middleware resolves the chat's AccountContext (user,
plan and athlete profile) in one statement and the handler renders it. Every chat wrote once
before the clock starts (account creation is excluded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import ROOT, backends, database
from aiogram import Bot, Dispatcher
from aiogram.types import Message
from sqlalchemy import event

from bot.runtime.app import UPDATE_CONCURRENCY
from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from core.bootstrap import build
from core.config import Settings
from core.db.engine import apply_scope
from core.db.scope import system_scope, user_scope
from core.gateways.cipher import Cipher, new_key
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI

UPDATES = int(os.environ.get("BENCH_UPDATES", "5000"))
CHATS = 500
COMMAND = os.environ.get("BENCH_COMMAND", "settings")  # e.g. "today": one transaction more
# PostgreSQL passes, same run: before row-level security (no scope statement), superuser
# (policies bypassed), and the app's plain role (policies enforced).
NO_SCOPE = "superuser, no scope statement"
SUPERUSER = "superuser"
APP_ROLE = "app role, row-level security"
PG_MODES = (NO_SCOPE, SUPERUSER, APP_ROLE)
RLS_ROUNDS = int(os.environ.get("BENCH_RLS_ROUNDS", "3"))
TX_ROUNDS, TX_PER_ROUND = 15, 200
assert str(ROOT) in sys.path


def batch(count: int) -> list[dict[str, Any]]:
    return [u.command(COMMAND, chat_id=100_000 + i % CHATS) for i in range(count)]


async def drive(api: FakeBotAPI, dp: Dispatcher, bot: Bot) -> float:
    """Warm every chat up, then time UPDATES updates; updates per second."""
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            polling_timeout=1,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=dp.resolve_used_update_types(),
            tasks_concurrency_limit=UPDATE_CONCURRENCY,
        )
    )
    try:
        await api.wait_until_polling(timeout=10)
        api.feed_many(batch(CHATS))
        await api.wait_for("sendMessage", count=CHATS, timeout=60)
        start = time.perf_counter()
        api.feed_many(batch(UPDATES))
        await api.wait_for("sendMessage", count=CHATS + UPDATES, timeout=110)
        elapsed = time.perf_counter() - start
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await bot.session.close()
    assert api.violations == [], api.violations[:5]
    assert api.status_counts.keys() == {200}, api.status_counts
    return UPDATES / elapsed


async def full(backend: str, mode: str = SUPERUSER) -> float:
    """The product: container, migrations, middleware, routers, services.

    PostgreSQL `mode`: SUPERUSER (row-level security bypassed), NO_SCOPE (the superuser
    without the per-transaction scope statement: the cost before row-level security existed),
    APP_ROLE (a plain role under row-level security, as in production)."""
    async with (
        database(backend) as migrated,
        FakeBotAPI() as api,
        app_role(migrated, mode == APP_ROLE) as url,
    ):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, database_url=url, data_dir=tmp, telegram_api_base=api.base_url
            )
            container = build(settings, cipher=Cipher([new_key()]))
            if mode == NO_SCOPE:
                event.remove(container.engine.sync_engine, "begin", apply_scope)
            try:
                dp = build_dispatcher(container, bot_username=api.bot_username)
                return await drive(api, dp, make_bot(settings, token=api.token))
            finally:
                await container.close()


@contextlib.asynccontextmanager
async def app_role(url: str, wanted: bool) -> AsyncIterator[str]:
    """`url`, or the same database connecting as a new plain role with the README's grants."""
    if not wanted:
        yield url
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    role = f"trainbot_bench_{uuid.uuid4().hex[:8]}"
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}' NOSUPERUSER NOBYPASSRLS")
        await conn.execute(f"GRANT CONNECT ON DATABASE {make_url(url).database} TO {role}")
        await conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        await conn.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    finally:
        await conn.close()
    try:
        yield make_url(url).set(username=role, password=role).render_as_string(False)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f"DROP OWNED BY {role}")
            await conn.execute(f"DROP ROLE {role}")
        finally:
            await conn.close()


async def bare() -> float:
    """aiogram alone: one handler echoing the text."""
    async with FakeBotAPI() as api:
        dp = Dispatcher()

        @dp.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

        settings = Settings(_env_file=None, telegram_api_base=api.base_url)  # type: ignore[call-arg]
        return await drive(api, dp, make_bot(settings, token=api.token))


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    for backend in backends():
        # The echo is timed right before each backend: on a shared machine the load drifts,
        # and the ratio should compare two runs made under the same load.
        if backend == "sqlite":
            # Echo and full bot alternate RLS_ROUNDS times; the ratio is of the medians, which
            # a single pair on this shared machine moves by +-0.05.
            echoes, fulls = [], []
            for _ in range(RLS_ROUNDS):
                echoes.append(await bare())
                fulls.append(await full(backend))
            echo, rate = statistics.median(echoes), statistics.median(fulls)
            print(
                f"bare aiogram echo: {echo:8.0f} updates/s (median of "
                + " ".join(f"{r:.0f}" for r in echoes)
                + f"; {UPDATES} updates, {CHATS} chats)"
            )
            print(
                f"full bot, sqlite: {rate:8.0f} updates/s (median of "
                + " ".join(f"{r:.0f}" for r in fulls)
                + f")   ratio full/bare {rate / echo:.2f}"
            )
            continue
        echo = await bare()
        print(f"bare aiogram echo: {echo:8.0f} updates/s ({UPDATES} updates, {CHATS} chats)")
        # The PostgreSQL passes alternate, RLS_ROUNDS times, so a drift in the machine's load
        # touches each alike; the median of each is reported.
        rates: dict[str, list[float]] = {mode: [] for mode in PG_MODES}
        for _ in range(RLS_ROUNDS):
            for mode in PG_MODES:
                rates[mode].append(await full(backend, mode))
        for mode, got in rates.items():
            rate = statistics.median(got)
            runs = " ".join(f"{r:.0f}" for r in got)
            print(
                f"full bot, postgres, {mode:30s}: {rate:6.0f} updates/s (median of {runs})"
                f"   ratio full/bare {rate / echo:.2f}"
            )
        await transaction_cost()


async def transaction_cost() -> None:
    """Row-level security's cost per transaction, apart from the machine's noise: one read
    transaction of an athlete's rides (as /today runs) in each PostgreSQL mode, interleaved."""
    async with database("postgres") as url, app_role(url, True) as role_url:
        with tempfile.TemporaryDirectory() as tmp:
            made = {}
            for mode, mode_url in ((NO_SCOPE, url), (SUPERUSER, url), (APP_ROLE, role_url)):
                settings = Settings(  # type: ignore[call-arg]
                    _env_file=None, database_url=mode_url, data_dir=tmp
                )
                made[mode] = build(settings, cipher=Cipher([new_key()]))
            event.remove(made[NO_SCOPE].engine.sync_engine, "begin", apply_scope)
            try:
                with system_scope():
                    uid = await _athlete_with_rides(made[SUPERUSER])
                per_tx: dict[str, list[float]] = {mode: [] for mode in PG_MODES}
                for _ in range(TX_ROUNDS):
                    for mode in PG_MODES:
                        per_tx[mode].append(await _time_reads(made[mode], uid))
            finally:
                for container in made.values():
                    await container.close()
    us = {mode: statistics.median(got) * 1e6 for mode, got in per_tx.items()}
    for mode in PG_MODES:
        print(f"one read transaction, postgres, {mode:30s}: {us[mode]:6.0f} us (median)")
    print(
        f"row-level security adds {us[APP_ROLE] - us[NO_SCOPE]:.0f} us per transaction"
        f" ({us[APP_ROLE] / us[NO_SCOPE] - 1:+.0%}); the scope statement alone"
        f" {us[SUPERUSER] - us[NO_SCOPE]:.0f} us"
    )


async def _athlete_with_rides(container: Any, rides: int = 20) -> int:
    uid = int((await container.services.accounts.get_or_create(1)).id)
    day = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    async with container.uow() as w:
        await w.training.add_activities(uid, [{
            "content_hash": f"h{i}", "sport": "cycling", "start_time": day + timedelta(days=i),
            "local_date": (day + timedelta(days=i)).date(), "timer_s": 3600.0, "load": 60.0,
        } for i in range(rides)])  # fmt: skip
        await w.commit()
    return uid


async def _time_reads(container: Any, uid: int) -> float:
    """Seconds per read transaction, over TX_PER_ROUND of them."""
    uow = container.uow
    with user_scope(uid):
        start = time.perf_counter()
        for _ in range(TX_PER_ROUND):
            async with uow(readonly=True) as w:
                await w.training.recent_activities(uid, since=None, limit=10)
        return (time.perf_counter() - start) / TX_PER_ROUND


if __name__ == "__main__":
    asyncio.run(main())
