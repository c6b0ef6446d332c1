"""Single-statement reads outside a unit of work, as cheap as each backend allows.

The account of every update is one indexed row. Through a unit of work that row costs far
more than the query: on SQLite five hand-offs to aiosqlite's thread (~500 us against ~25 us
for the read itself), on PostgreSQL a pool ping, BEGIN and ROLLBACK around the SELECT. So:

- SQLite (a file): the statement runs right on the caller's thread, on a read-only
  connection in autocommit that never waits (busy_timeout 0). WAL readers do not wait on the
  writer; in the rare case the file is busy anyway (recovery), the read goes the async way.
- PostgreSQL: one round trip on an autocommit connection; a connection found dead (the
  server restarted) is replaced and the read, which changes nothing, is tried once more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, RowMapping, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable

READ_POOL_SIZE = 5


class RowReader:
    """`first(statement, params)`: the first row as a mapping, or None."""

    def __init__(
        self, engine: AsyncEngine, inline: Engine | None = None, *, owns_engine: bool = False
    ) -> None:
        self._engine = engine
        self._inline = inline
        self._owns_engine = owns_engine

    @property
    def sync_engines(self) -> list[Engine]:
        """Every engine a read may run on (for event listeners)."""
        return [self._engine.sync_engine, *([self._inline] if self._inline else [])]

    async def first(self, statement: Executable, params: dict[str, Any]) -> RowMapping | None:
        if self._inline is not None:
            try:
                with self._inline.connect() as conn:
                    return conn.execute(statement, params).mappings().first()
            except OperationalError as exc:
                if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                    raise
        for attempt in (1, 2):
            try:
                async with self._engine.connect() as conn:
                    return (await conn.execute(statement, params)).mappings().first()
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    async def dispose(self) -> None:
        if self._inline is not None:
            self._inline.dispose()
        if self._owns_engine:
            await self._engine.dispose()


def make_reader(url: str, engine: AsyncEngine, read_engine: AsyncEngine | None) -> RowReader:
    """The reader for DATABASE_URL; `read_engine` (SQLite's readers) is the fallback path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # Its own small pool: autocommit and no pre-ping (a dead connection is retried above).
        return RowReader(
            create_async_engine(url, pool_size=READ_POOL_SIZE, isolation_level="AUTOCOMMIT"),
            owns_engine=True,
        )
    if parsed.database in (None, "", ":memory:"):
        return RowReader(read_engine or engine)
    # One connection for the life of the process, used only by the event loop's thread.
    inline = create_engine(
        parsed.set(drivername="sqlite"), poolclass=StaticPool, pool_reset_on_return=None
    )

    @event.listens_for(inline, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # autocommit: each SELECT its own snapshot
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")  # never make the event loop wait
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return RowReader(read_engine or engine, inline)
