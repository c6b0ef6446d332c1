"""Async engines for SQLite (default) and PostgreSQL, with the pragmas SQLite needs."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from core.db.scope import SET_SCOPE_SQL, scope_settings
from core.errors import ConfigError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
SWITCH_INTERVAL_S = 0.0001
READERS = 3


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the engine for DATABASE_URL, or say clearly why it cannot be used."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, echo=echo)
    if parsed.get_backend_name() == "postgresql":
        engine = create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)
        event.listen(engine.sync_engine, "begin", apply_scope)
        return engine
    raise ConfigError(f"DATABASE_URL names an unsupported database: {parsed.get_backend_name()}")


def apply_scope(conn: Any) -> None:
    # Row-level security (core/db/scope.py): the current scope, local to the transaction this
    # begins. Straight on the driver's cursor: part of BEGIN, not a statement of the unit of
    # work (asyncpg's adapter opens the transaction on this first statement).
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(SET_SCOPE_SQL, scope_settings())
    finally:
        cursor.close()


def _sqlite_engine(url: str, database: str | None, *, echo: bool) -> AsyncEngine:
    # aiosqlite runs every statement on a worker thread; with CPython's default 5 ms GIL
    # switch interval each hand-off waits far longer than the query itself (measured here:
    # 1.2 ms -> 0.19 ms per statement at 100 us).
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # One connection: SQLite has one writer anyway, and queueing in the pool is cheaper and
    # fairer than SQLite's sleeping busy handler. Services never hold a unit of work across
    # an outside call, so one connection is never held for long.
    # reset_on_return=None: SQLAlchemy's Connection.close() already rolls back the transaction
    # it began; a second ROLLBACK on return would cost one more thread hop per unit of work.
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        pool_reset_on_return=None,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a read-then-write transaction can then
        # never fail with SQLITE_BUSY half-way when another process (web + worker) writes.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_read_engine(url: str) -> AsyncEngine | None:
    """SQLite only: a few read-only connections beside the single writer.

    WAL lets readers run while the writer writes, so lookups (the account of every update)
    no longer queue behind writes on the one write connection. PostgreSQL needs none: None.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    engine = create_async_engine(
        url, pool_size=READERS, max_overflow=0, pool_timeout=60, pool_reset_on_return=None
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")  # a write here is a bug: fail loudly
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")  # deferred: one consistent snapshot, no write lock

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
