"""Single-statement reads outside a unit of work, as cheap as each backend allows.

The account of every update is one indexed row. Through a unit of work that row costs far
more than the query: on SQLite five hand-offs to aiosqlite's thread (~500 us against ~25 us
for the read itself), on PostgreSQL a pool ping, BEGIN and ROLLBACK around the SELECT, and
SQLAlchemy's async plumbing on top. So:

- SQLite (a file): the statement runs right on the caller's thread, on a read-only
  connection in autocommit that never waits (busy_timeout 0). WAL readers do not wait on the
  writer; in the rare case the file is busy anyway (recovery), the read goes the async way.
- PostgreSQL: the statement, compiled once by SQLAlchemy, runs on asyncpg's own small pool in
  one round trip (asyncpg prepares and caches it per connection). A connection found dead
  (the server restarted) is dropped by the pool and the read, which changes nothing, is tried
  once more.
- Otherwise (SQLite in memory): a plain connection of the given engine.

Observers (tests, metrics) are told the SQL of every read that bypasses SQLAlchemy's engine
events; reads that go through an engine are seen by that engine's events.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

from core.db.compiled import CompiledCache
from core.db.scope import SYSTEM, system_scope

logger = logging.getLogger(__name__)

PG_POOL_SIZE = 5
READER_SCOPE = {"app.scope": SYSTEM}

Row = Mapping[Any, Any]


class RowReader:
    """`first(statement, params)`: the first row as a mapping of its labelled columns, or None.

    The base reads through an async engine; subclasses take faster paths."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.observers: list[Callable[[str], None]] = []

    async def first(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        with system_scope():  # identity and session lookups, as AsyncpgReader's pool
            async with self._engine.connect() as conn:
                return (await conn.execute(statement, params)).mappings().first()

    async def dispose(self) -> None:
        """Close what this reader opened itself (not the engine it was given)."""

    def _observed(self, sql: str) -> None:
        for observe in self.observers:
            observe(sql)


class SqliteInlineReader(RowReader):
    """SQLite file: reads on the caller's thread; a busy file falls back to `fallback`.

    SQLAlchemy compiles each statement once, with its parameter and column conversions; the
    read itself goes straight to the sqlite3 connection: the engine's execution machinery cost
    more than the indexed read it wrapped (a test compares the rows with a unit of work's)."""

    def __init__(self, url: str, fallback: AsyncEngine) -> None:
        super().__init__(fallback)
        # One connection for the life of the process, used only by the event loop's thread.
        self._inline = create_engine(
            make_url(url).set(drivername="sqlite"),
            poolclass=StaticPool,
            pool_reset_on_return=None,
        )
        event.listen(self._inline, "connect", _inline_pragmas)
        self._raw: Any = None
        self._compiled = CompiledCache(self._inline.dialect)

    async def first(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        plan = self._compiled.get(statement)
        if self._raw is None:
            self._raw = self._inline.raw_connection().driver_connection
        try:
            found = self._raw.execute(plan.sql, plan.args(params)).fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return await super().first(statement, params)
        self._observed(plan.sql)
        return None if found is None else plan.row(found)

    async def dispose(self) -> None:
        self._raw = None
        self._inline.dispose()


def _inline_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # autocommit: each SELECT its own snapshot
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")  # never make the event loop wait
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


class AsyncpgReader(RowReader):
    """PostgreSQL: SQLAlchemy compiles, asyncpg runs (one round trip, no transaction).

    Values pass as asyncpg gives them, without SQLAlchemy's type conversions: fit for
    statements over plain columns (timestamptz comes back aware in UTC, as UTCDateTime gives
    it); a test compares its rows with the unit of work's."""

    def __init__(self, url: str, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._pool: Any = None
        self._pool_lock = asyncio.Lock()
        self._compiled: dict[Executable, SQLCompiler] = {}

    async def first(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        import asyncpg

        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = statement.compile(dialect=self._engine.dialect)  # type: ignore[attr-defined]
            self._compiled[statement] = compiled
        values = {**compiled.params, **params}
        args = [values[name] for name in compiled.positiontup or ()]
        sql = str(compiled)
        for attempt in (1, 2):
            pool = await self._get_pool()
            try:
                record = await pool.fetchrow(sql, *args)
            except (
                asyncpg.PostgresConnectionError,
                asyncpg.InterfaceError,
                asyncpg.InternalClientError,  # the server ended it in the middle of the read
                OSError,
            ):
                if attempt == 2:
                    raise
                logger.info("a PostgreSQL read connection was lost; reading again")
                continue
            self._observed(sql)
            return None if record is None else dict(record.items())
        raise AssertionError("unreachable")

    async def _get_pool(self) -> Any:
        # Made on first use (an asyncpg pool belongs to the event loop that created it), once:
        # the first burst of updates all arrive here together.
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    import asyncpg

                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=PG_POOL_SIZE,
                        max_inactive_connection_lifetime=300,
                        # Row-level security: these connections read in system scope for
                        # their whole session. They serve only identity and session lookups
                        # (the account of a chat before its user is known, a bearer token's
                        # session), each keyed by its own chat, user or session id. A startup
                        # setting, so the pool's RESET ALL on release keeps it.
                        server_settings=READER_SCOPE,
                    )
        return self._pool

    async def dispose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def make_reader(url: str, engine: AsyncEngine, read_engine: AsyncEngine | None) -> RowReader:
    """The fastest reader DATABASE_URL allows; `read_engine` (SQLite's readers) is the
    fallback of the inline path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return AsyncpgReader(url, engine)
    if parsed.database in (None, "", ":memory:"):
        return RowReader(read_engine or engine)
    return SqliteInlineReader(url, read_engine or engine)
