"""Apply Alembic migrations from code (start-up, `trainbot db upgrade`, tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db.scope import system_scope

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config from pyproject.toml; a given connection is used instead of a URL."""
    cfg = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def run_migrations(engine: AsyncEngine, fn: Callable[[Connection], None]) -> None:
    """Run `fn` in one transaction; on SQLite with foreign keys off around it.

    SQLite changes a table by copying it, and dropping the old copy would cascade deletes
    into every table that references it. Its documented way is to turn foreign keys off
    outside the transaction, rebuild, and check the keys before committing.
    """
    async with system_scope(), engine.connect() as conn:  # a data step sees every user's rows
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            await _sqlite_foreign_keys(conn, on=False)
        try:
            async with conn.begin():
                await conn.run_sync(fn)
                if sqlite:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                await _sqlite_foreign_keys(conn, on=True)


async def _sqlite_foreign_keys(conn: AsyncConnection, *, on: bool) -> None:
    def switch(sync_conn: Connection) -> None:
        # Straight on the driver's connection: through SQLAlchemy it would open a transaction
        # first, and inside one SQLite ignores this pragma.
        cursor = sync_conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        cursor.close()

    await conn.run_sync(switch)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    await run_migrations(engine, lambda c: command.upgrade(alembic_config(c), revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Take the schema down to `revision`."""
    await run_migrations(engine, lambda c: command.downgrade(alembic_config(c), revision))


async def current(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it is empty."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
