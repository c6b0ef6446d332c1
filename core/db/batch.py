"""Several reads in one trip to the database, inside the caller's transaction.

On SQLite, aiosqlite runs every statement on its connection's own thread, and SQLAlchemy's
adapter crosses to that thread four times per statement (cursor, execute, fetch, close): a
crossing costs more than an indexed read, and the ORM's execution machinery more again
(measured on the coach's context: seven reads, 28 crossings, about half of a chat message's
own cost). Here the statements, compiled once by SQLAlchemy with their bind and result
conversions, run together on that thread in one crossing, in the transaction the session
has open. Elsewhere (PostgreSQL) they run one after the other on the session: asyncpg is
one round trip per statement already.

Both paths answer plain dicts keyed by the selected columns' names, with the same values;
a test compares them. The engine's statement listeners are told of every statement, as
they would be on the usual path.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from core.db.compiled import CompiledCache

Read = tuple[Executable, Mapping[str, Any]]
Rows = list[dict[str, Any]]

_caches: weakref.WeakKeyDictionary[Dialect, CompiledCache] = weakref.WeakKeyDictionary()


async def fetch_all(session: AsyncSession, reads: Sequence[Read]) -> list[Rows]:
    """The rows of each read, in order, from the session's transaction (begun if need be).

    The statements must be built once (module constants with bind parameters): their
    compiled form is kept per statement object."""
    conn = await session.connection()
    dialect = conn.dialect
    if dialect.driver == "aiosqlite":
        raw: Any = (await conn.get_raw_connection()).driver_connection
        if hasattr(raw, "_execute"):  # aiosqlite's own queue to its thread
            cache = _caches.get(dialect)
            if cache is None:
                cache = _caches[dialect] = CompiledCache(dialect)
            compiled = [(cache.get(statement), params) for statement, params in reads]
            jobs = [(c, c.args(params)) for c, params in compiled]
            sync = conn.sync_connection
            assert sync is not None
            for c, args in jobs:
                sync.dispatch.before_cursor_execute(sync, None, c.sql, args, None, False)
            try:
                return await raw._execute(_run_all, raw, jobs)
            except sqlite3.Error as err:
                raise exc.DBAPIError.instance(
                    "; ".join(c.sql for c, _ in jobs), None, err, sqlite3.Error, dialect=dialect
                ) from err
    return [
        [dict(row) for row in (await session.execute(statement, dict(params))).mappings()]
        for statement, params in reads
    ]


def _run_all(raw: Any, jobs: list[tuple[Any, list[Any]]]) -> list[Rows]:
    """On aiosqlite's thread: each statement's rows, converted as SQLAlchemy would."""
    db: sqlite3.Connection = raw._conn
    return [[c.row(r) for r in db.execute(c.sql, args).fetchall()] for c, args in jobs]
