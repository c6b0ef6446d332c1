"""Test databases: a migrated SQLite file per test, one migrated PostgreSQL database per run."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import migrate
from core.db.engine import make_engine
from core.db.models import Base

PG_ENV = "TEST_POSTGRES_URL"
PG_SKIP_REASON = (
    f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)"
)
KEEP_TABLES = {"subscription_plans", "alembic_version"}


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_pg_database(prefix: str = "trainbot_test") -> str:
    """A new empty database on the test server; its SQLAlchemy URL."""
    admin = pg_admin_url()
    assert admin is not None
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return (
        make_url(admin)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


async def drop_pg_database(url: str) -> None:
    admin = pg_admin_url()
    assert admin is not None
    name = make_url(url).database
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate_url(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def make_sqlite_template(directory: Path) -> Path:
    """Migrate one SQLite file; tests copy it instead of migrating again."""
    path = directory / "template.db"
    asyncio.run(migrate_url(f"sqlite+aiosqlite:///{path}"))
    return path


def copy_sqlite(template: Path, directory: Path) -> str:
    target = directory / "trainbot.db"
    shutil.copy(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table but the seeded plans, between PostgreSQL tests."""
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in KEEP_TABLES]
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
