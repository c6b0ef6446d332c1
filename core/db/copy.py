"""Move a bot's database to another server (SQLite -> PostgreSQL): every table, checked.

Tables go in foreign-key order, in batches, inside one transaction on the target, after which
each table is read back and its row count and checksum compared with the source's; only then
is it committed. A copy that fails or does not verify leaves the target as it was (migrated,
nothing more). The source is read in one snapshot and never written.

The bot must be stopped first: a row the bot writes to the source during the copy is not in
the target. This code cannot tell whether it is running, so the command says so up front.
The copy works in the system scope (core/db/scope.py): under PostgreSQL's row-level security
it must see, delete and write every athlete's rows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Column, Float, String, Table, Text, bindparam, cast, func, select, text
from sqlalchemy.engine import URL, Row, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement, FromClause, Insert, Select

from core.db import migrate
from core.db.engine import make_engine, make_read_engine
from core.db.models import Base, User
from core.db.scope import system_scope
from core.errors import AppError

DEFAULT_BATCH = 1000
# Run at the start of every transaction the copy opens, on both databases (inside the system
# scope the copy runs in): for whatever else a deployment needs there, e.g. `SET LOCAL ROLE`.
SessionSetup = Callable[[AsyncConnection], Awaitable[None]]
Normaliser = Callable[[Any], Any]


class CopyError(AppError):
    """The copy cannot start, or did not verify; the target's rows were not changed."""


@dataclass(frozen=True)
class TableSum:
    """A table's row count and the SHA-256 of its rows in primary-key order."""

    rows: int
    checksum: str


@dataclass(frozen=True)
class TableCopy:
    """One table copied: its rows arrived and read back with the source's checksum."""

    table: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class CopyReport:
    source: str  # URLs as shown: passwords hidden
    target: str
    revision: str
    tables: list[TableCopy]
    replaced_users: int  # users the target held before (--force)
    next_ids: dict[str, int]  # table -> the id its sequence hands out next
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True)
class _Side:
    role: str  # "source" or "target"
    url: URL

    @property
    def shown(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def dsn(self) -> str:
        return self.url.render_as_string(hide_password=False)


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH,
    on_table: Callable[[TableCopy], None] | None = None,
    session_setup: SessionSetup | None = None,
) -> CopyReport:
    """Copy every table of the source bot database into the target, migrating it first."""
    if batch_size < 1:
        raise CopyError("The batch size must be at least 1.")
    source, target = _side("source", source_url), _side("target", target_url)
    if _same_database(source.url, target.url):
        raise CopyError("The source and the target are the same database.")
    started = time.monotonic()
    src_engine, tgt_engine = _source_engine(source), make_engine(target.dsn)
    try:
        with system_scope():  # every user's rows, where row-level security would hide them
            revision, users = await _prepare(
                src_engine, tgt_engine, source, target, session_setup, force=force
            )
            async with (
                _transaction(src_engine, session_setup, snapshot=True) as src,
                _transaction(tgt_engine, session_setup) as tgt,
            ):
                await _clear(tgt, force=force)
                tables = [await _copy_table(src, tgt, t, batch_size, on_table) for t in _tables()]
                next_ids = await _reset_sequences(src, tgt)
    except (OSError, SQLAlchemyError) as exc:
        raise CopyError(f"The copy failed and nothing was committed: {_reason(exc)}.") from exc
    finally:
        await src_engine.dispose()
        await tgt_engine.dispose()
    seconds = time.monotonic() - started
    return CopyReport(source.shown, target.shown, revision, tables, users, next_ids, seconds)


async def database_sums(
    url: str, *, session_setup: SessionSetup | None = None
) -> dict[str, TableSum]:
    """Every table's row count and checksum, from one snapshot (what the copy compares)."""
    engine = _source_engine(_side("source", url))
    try:
        with system_scope():
            async with _transaction(engine, session_setup, snapshot=True) as conn:
                return {t.name: await table_sum(conn, t) for t in _tables()}
    finally:
        await engine.dispose()


async def table_sum(
    conn: AsyncConnection, table: Table, batch_size: int = DEFAULT_BATCH
) -> TableSum:
    """Count and checksum one table as `conn` sees it."""
    digest, norms, rows = _digest(table), _normalisers(table), 0
    result = await conn.stream(_read(table, conn.dialect.name))
    async for part in result.partitions(batch_size):
        for row in part:
            digest.update(_line(norms, row))
        rows += len(part)
    return TableSum(rows, digest.hexdigest())


# -- before the copy: reachable, same revision, nobody's data overwritten ------------------


async def _prepare(
    src: AsyncEngine,
    tgt: AsyncEngine,
    source: _Side,
    target: _Side,
    setup: SessionSetup | None,
    *,
    force: bool,
) -> tuple[str, int]:
    """Check both databases and migrate the target; the revision and the target's users."""
    head = _head()
    src_rev, tgt_rev = await _revision(src, source), await _revision(tgt, target)
    if src_rev is None:
        raise CopyError(f"The source {source.shown} holds no bot schema (no Alembic revision).")
    if src_rev != head:
        raise CopyError(
            f"The source database is at revision {src_rev} but the target is "
            f"{'at ' + tgt_rev if tgt_rev else 'empty'} and will be migrated to {head}: "
            "upgrade the source first (`trainbot db upgrade` with DATABASE_URL set to it)."
        )
    users = 0
    if tgt_rev is not None:
        async with _transaction(tgt, setup) as conn:
            users = await _count(conn, User.__table__)
        if users and not force:
            raise CopyError(
                f"The target database already holds {users} users: pass --force to replace "
                "everything in it, or copy into an empty database."
            )
    if tgt_rev != head:
        await _upgrade(tgt, target, tgt_rev, head)
    return head, users


async def _revision(engine: AsyncEngine, side: _Side) -> str | None:
    try:
        return await migrate.current(engine)
    except (OSError, SQLAlchemyError) as exc:
        raise CopyError(
            f"Cannot reach the {side.role} database {side.shown}: {_reason(exc)}."
        ) from None


async def _upgrade(engine: AsyncEngine, side: _Side, current: str | None, head: str) -> None:
    try:
        await migrate.upgrade(engine)
    except Exception as exc:  # alembic raises its own errors for an unknown revision
        raise CopyError(
            f"The target database could not be migrated from revision {current or 'none'} to "
            f"{head}: {_reason(exc)}."
        ) from exc


def _head() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert head is not None, "no migrations"
    return head


# -- the copy ------------------------------------------------------------------------------


async def _clear(tgt: AsyncConnection, *, force: bool) -> None:
    """Empty the target, children first: the seeded plans give way to the source's."""
    users = await _count(tgt, User.__table__)
    if users and not force:  # a user signed up since the check
        raise CopyError(f"The target database now holds {users} users: nothing was copied.")
    for table in reversed(_tables()):
        await tgt.execute(table.delete())


async def _copy_table(
    src: AsyncConnection,
    tgt: AsyncConnection,
    table: Table,
    batch_size: int,
    on_table: Callable[[TableCopy], None] | None,
) -> TableCopy:
    insert, norms = _insert(table, tgt.dialect.name), _normalisers(table)
    digest, rows = _digest(table), 0
    result = await src.stream(_read(table, src.dialect.name))
    async for part in result.partitions(batch_size):
        await tgt.execute(insert, [{f"p{i}": v for i, v in enumerate(row)} for row in part])
        for row in part:
            digest.update(_line(norms, row))
        rows += len(part)
    sent, arrived = TableSum(rows, digest.hexdigest()), await table_sum(tgt, table, batch_size)
    if arrived != sent:
        raise CopyError(
            f"Table {table.name} did not arrive intact ({sent.rows} rows sent, {arrived.rows} "
            f"read back{', checksums differ' if arrived.rows == sent.rows else ''}); "
            "nothing was committed."
        )
    done = TableCopy(table.name, rows, sent.checksum)
    if on_table is not None:
        on_table(done)
    return done


def _read(table: Table, dialect: str) -> Select[Any]:
    """Every column in table order, by primary key (bytewise for text on both databases).

    JSON is read as its text, so SQL NULL and JSON null stay apart and the text is kept.
    """
    columns = [cast(c, Text).label(c.name) if _is_json(c) else c for c in table.columns]
    order = [
        c.collate("C") if dialect == "postgresql" and isinstance(c.type, String) else c
        for c in table.primary_key.columns
    ]
    return select(*columns).order_by(*order)


def _insert(table: Table, dialect: str) -> Insert:
    """INSERT of every column from parameters p0, p1, ... in table order (rows of `_read`)."""
    values: dict[str, ColumnElement[Any]] = {}
    for i, c in enumerate(table.columns):
        if _is_json(c):
            param = bindparam(f"p{i}", type_=Text)
            values[c.name] = cast(param, c.type) if dialect == "postgresql" else param
        else:
            values[c.name] = bindparam(f"p{i}", type_=c.type)
    return table.insert().values(values)


async def _reset_sequences(src: AsyncConnection, tgt: AsyncConnection) -> dict[str, int]:
    """Each id sequence continues after the source's: max(id), or the source's own counter
    where it is higher (SQLite AUTOINCREMENT never reuses a deleted user's id; neither will
    the target)."""
    next_ids: dict[str, int] = {}
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        top = await tgt.scalar(select(func.coalesce(func.max(column), 0)))
        high = max(int(top or 0), await _counter(src, table, column))
        await _set_counter(tgt, table, column, high)
        next_ids[table.name] = high + 1
    return next_ids


async def _counter(conn: AsyncConnection, table: Table, column: Column[Any]) -> int:
    """The last id the database handed out for this table, as far as it remembers one."""
    if conn.dialect.name == "postgresql":
        value = await conn.scalar(
            text("SELECT pg_sequence_last_value(pg_get_serial_sequence(:t, :c))"),
            {"t": table.name, "c": column.name},
        )
    elif table.dialect_options["sqlite"]["autoincrement"]:
        value = await conn.scalar(
            text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
        )
    else:
        value = None
    return int(value or 0)


async def _set_counter(conn: AsyncConnection, table: Table, column: Column[Any], high: int) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, :called)"),
            {"t": table.name, "c": column.name, "v": max(high, 1), "called": high > 0},
        )
    elif table.dialect_options["sqlite"]["autoincrement"]:
        await conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name})
        if high > 0:
            await conn.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :v)"),
                {"t": table.name, "v": high},
            )


# -- checksums: the same figure from SQLite and PostgreSQL ---------------------------------


def _digest(table: Table) -> Any:
    digest = hashlib.sha256()
    digest.update(json.dumps([table.name, [c.name for c in table.columns]]).encode() + b"\n")
    return digest


def _line(norms: Sequence[Normaliser], row: Row[Any]) -> bytes:
    values = [None if v is None else norm(v) for norm, v in zip(norms, row, strict=True)]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _normalisers(table: Table) -> list[Normaliser]:
    return [_normaliser(c) for c in table.columns]


def _normaliser(column: Column[Any]) -> Normaliser:
    """How one column's values are written into the checksum (None stays None)."""
    if _is_json(column):  # the text as read: parsed, so spacing and key order do not count
        return lambda v: json.dumps(json.loads(v), sort_keys=True, separators=(",", ":"))
    if isinstance(column.type, Float):
        return lambda v: format(float(v), ".12g")
    python_type = column.type.python_type
    if python_type is datetime:
        return lambda v: v.astimezone(UTC).isoformat()
    if python_type in (date, time_of_day):
        return lambda v: v.isoformat()
    if python_type is bool:
        return lambda v: int(bool(v))
    if python_type is int:
        return int
    return str


# -- small helpers -------------------------------------------------------------------------


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


async def _count(conn: AsyncConnection, table: FromClause) -> int:
    return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


@asynccontextmanager
async def _transaction(
    engine: AsyncEngine, setup: SessionSetup | None, *, snapshot: bool = False
) -> AsyncIterator[AsyncConnection]:
    """One transaction; a snapshot reads one consistent, read-only view of the database."""
    async with engine.connect() as conn:
        if snapshot and engine.dialect.name == "postgresql":
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with conn.begin():
            if setup is not None:
                await setup(conn)
            yield conn


def _side(role: str, raw: str) -> _Side:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise CopyError(f"The {role} is not a database URL.") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _Side(role, url.set(drivername="sqlite+aiosqlite"))
    if backend == "postgresql":
        return _Side(role, url.set(drivername="postgresql+asyncpg"))
    raise CopyError(
        f"The {role} names an unsupported database ({backend}): use SQLite or PostgreSQL."
    )


def _source_engine(side: _Side) -> AsyncEngine:
    """The source is only read: SQLite through read-only connections, never created."""
    if side.url.get_backend_name() != "sqlite":
        return make_engine(side.dsn)
    path = side.url.database
    if not path or path == ":memory:" or not Path(path).is_file():
        raise CopyError(f"The {side.role} database file {path or '(none)'} does not exist.")
    engine = make_read_engine(side.dsn)
    assert engine is not None
    return engine


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return Path(a.database or "").resolve() == Path(b.database or "").resolve()
    return (a.host, a.port, a.database) == (b.host, b.port, b.database)


def _reason(exc: BaseException) -> str:
    """The driver's own sentence, first line only (never the URL or the statement)."""
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if message.startswith("<class '") and "'>: " in message:  # asyncpg through SQLAlchemy
        message = message.split("'>: ", 1)[1]
    return message.rstrip(".")[:300]
