"""Alembic builds exactly the models, and goes down and up again, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from core.db import migrate
from core.db.engine import make_engine
from core.db.models import Base, SubscriptionPlan
from tests import db


@pytest.fixture
async def empty_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    url = await db.create_pg_database("trainbot_migr")
    yield url
    await db.drop_pg_database(url)


def _diff(conn) -> list:  # type: ignore[no-untyped-def]
    ctx = MigrationContext.configure(
        conn, opts={"compare_type": True, "render_as_batch": conn.dialect.name == "sqlite"}
    )
    return compare_metadata(ctx, Base.metadata)


async def test_upgrade_matches_models_and_round_trips(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            plans = (await conn.execute(select(SubscriptionPlan.code))).scalars().all()
        assert sorted(plans) == ["free", "pro"]

        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}

        await migrate.upgrade(engine)
        assert await migrate.current(engine) is not None
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            count = (await conn.execute(text("select count(*) from subscription_plans"))).scalar()
        assert count == 2
    finally:
        await engine.dispose()


async def test_every_tenant_table_has_indexed_user_fk() -> None:
    for table in Base.metadata.sorted_tables:
        if "user_id" not in table.c or table.name in ("users",):
            continue
        col = table.c.user_id
        assert col.foreign_keys, f"{table.name}.user_id has no foreign key"
        indexed = (
            col.index
            or col.primary_key
            or any(list(ix.columns)[0] is col for ix in table.indexes)
            or any(
                list(uq.columns)[0] is col
                for uq in table.constraints
                if uq.__class__.__name__ == "UniqueConstraint"
            )
        )
        assert indexed, f"{table.name}.user_id is not indexed"


async def test_upgrade_keeps_users_and_their_rows(empty_url: str) -> None:
    """0002 rebuilds `users` on SQLite: no cascade may reach the rows that reference it."""
    engine = make_engine(empty_url)
    try:
        await migrate.upgrade(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "insert into users (id, chat_id, timezone, timezone_set, units, summary_time,"
                    " summary_enabled, is_active, is_blocked) values"
                    " (7, 700, 'UTC', false, 'metric', '07:00:00', true, true, false)"
                )
            )
            await conn.execute(text("insert into athlete_profiles (user_id, ftp) values (7, 250)"))
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            users = (await conn.execute(text("select id, chat_id from users"))).all()
            ftp = (await conn.execute(text("select ftp from athlete_profiles"))).scalar()
            assert await conn.run_sync(_diff) == []
        assert [tuple(u) for u in users] == [(7, 700)] and ftp == 250
    finally:
        await engine.dispose()


async def test_user_ids_are_never_reused(container) -> None:  # type: ignore[no-untyped-def]
    """A deleted account's id never goes to the next sign-up (late payment events name it)."""
    first = await container.services.accounts.get_or_create(1001)
    await container.services.accounts.delete_everything(first.id)
    second = await container.services.accounts.get_or_create(1002)
    assert second.id > first.id
