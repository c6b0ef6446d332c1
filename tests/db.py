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


# The application's role in production: a login role with data rights only (no superuser, no
# BYPASSRLS, owns no table), so PostgreSQL's row-level security applies to it.
APP_ROLE_PASSWORD = "trainbot-test-role"
APP_ROLE_GRANTS = (
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
)


async def create_app_role(url: str) -> str:
    """A new NOSUPERUSER NOBYPASSRLS login role with the app's grants on the (migrated)
    database of `url`; the URL of that database connecting as the role."""
    admin = pg_admin_url()
    assert admin is not None
    role = f"trainbot_app_{uuid.uuid4().hex[:10]}"
    database = make_url(url).database
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(
            f"CREATE ROLE {role} LOGIN PASSWORD '{APP_ROLE_PASSWORD}'"
            " NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        )
        await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
    finally:
        await conn.close()
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for grant in APP_ROLE_GRANTS:
            await conn.execute(grant.format(role=role))
    finally:
        await conn.close()
    return (
        make_url(url)
        .set(username=role, password=APP_ROLE_PASSWORD)
        .render_as_string(hide_password=False)
    )


def admin_url_of(role_url: str) -> str:
    """The same database, connecting as the test server's superuser."""
    admin = pg_admin_url()
    assert admin is not None
    return (
        make_url(admin)
        .set(drivername="postgresql+asyncpg", database=make_url(role_url).database)
        .render_as_string(hide_password=False)
    )


async def drop_app_role(role_url: str) -> None:
    """Drop a role made by create_app_role (its grants first, if its database still exists)."""
    role = make_url(role_url).username
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(admin_url_of(role_url)))
    except asyncpg.InvalidCatalogNameError:
        pass  # the database is gone, and its grants with it
    else:
        try:
            await conn.execute(f"DROP OWNED BY {role}")
        finally:
            await conn.close()
    admin = pg_admin_url()
    assert admin is not None
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
    finally:
        await conn.close()
