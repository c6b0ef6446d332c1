"""One active scheduler: a PostgreSQL advisory lock, or a file lock next to a SQLite database.

A second worker keeps trying on every tick and takes over when the first one goes away (its
connection closes, or its process exits and the kernel drops the file lock).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

ADVISORY_KEY = 0x7472_6169_6E62  # "trainb": any constant shared by every worker
LOCK_FILE = "scheduler.lock"


class SchedulerLock(Protocol):
    async def acquire(self) -> bool: ...
    async def release(self) -> None: ...


class PgAdvisoryLock:
    """pg_try_advisory_lock on a dedicated connection held while this worker is active."""

    def __init__(self, engine: AsyncEngine, key: int = ADVISORY_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection dropped: so did the lock
                logger.warning("scheduler lock connection lost; trying to take it again")
                await self._close()
        conn = await (await self._engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
            ).scalar()
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        logger.info("this worker holds the scheduler lock")
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        finally:
            await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                logger.debug("closing the lock connection failed", exc_info=True)


class FileLock:
    """fcntl.flock on data_dir/scheduler.lock (SQLite: one machine, one database file)."""

    def __init__(self, data_dir: str | Path) -> None:
        self._path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        logger.info("this worker holds the scheduler lock (%s)", self._path)
        return True

    async def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def make_lock(engine: AsyncEngine, data_dir: str) -> SchedulerLock:
    """The lock that fits the database backend."""
    if engine.dialect.name == "postgresql":
        return PgAdvisoryLock(engine)
    return FileLock(data_dir)
