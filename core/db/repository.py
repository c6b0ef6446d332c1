"""What every repository shares: the session, and dialect-aware INSERT .. ON CONFLICT."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable


def dialect_insert(dialect: str) -> Callable[[Any], Any]:
    """The INSERT construct of a backend, with its ON CONFLICT clauses."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class Upsert:
    """An INSERT .. ON CONFLICT built once per backend, its values bind parameters.

    On the path of every coach message: built per call, a statement's construction and cache
    key cost more than the row it writes. `build` gets the backend's insert construct."""

    def __init__(self, build: Callable[[Callable[[Any], Any]], Executable]) -> None:
        self._build = build
        self._built: dict[str, Executable] = {}

    def on(self, dialect: str) -> Executable:
        found = self._built.get(dialect)
        if found is None:
            found = self._built[dialect] = self._build(dialect_insert(dialect))
        return found


class Repository:
    """Base class: holds the unit of work's session; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def insert(self, table: Table | Any) -> Any:
        """An INSERT that supports on_conflict_do_update/nothing on this backend."""
        return dialect_insert(self.dialect)(table)

    def for_backend(self, statement: Upsert) -> Executable:
        """`statement` as built for this backend."""
        return statement.on(self.dialect)
