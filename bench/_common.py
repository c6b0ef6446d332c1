"""Shared bench helpers: a migrated SQLite file or PostgreSQL database, percentiles."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.db import migrate  # noqa: E402
from core.db.engine import make_engine  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("BENCH_POSTGRES_URL")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[str]:
    """A migrated empty database URL for `backend` ('sqlite' or 'postgres'), removed after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await _migrate(url)
            yield url
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    assert PG_URL, "set TEST_POSTGRES_URL for the PostgreSQL run"
    admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"trainbot_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = make_url(PG_URL).set(drivername="postgresql+asyncpg", database=name)
    url_s = url.render_as_string(hide_password=False)
    try:
        await _migrate(url_s)
        yield url_s
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()


def backends() -> list[str]:
    return ["sqlite", "postgres"] if PG_URL else ["sqlite"]


async def on_each_backend(run: Callable[[str, str, str], Awaitable[None]]) -> None:
    """run(label, database URL, scratch dir) on a fresh database of each backend."""
    for backend in backends():
        async with database(backend) as url:
            with tempfile.TemporaryDirectory() as tmp:
                await run({"sqlite": "SQLite", "postgres": "PostgreSQL"}[backend], url, tmp)
    if backends() == ["sqlite"]:
        print("PostgreSQL: skipped (set TEST_POSTGRES_URL)")
