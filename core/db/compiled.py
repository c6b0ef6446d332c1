"""A statement compiled once by SQLAlchemy and run straight on the sqlite3 driver.

SQLAlchemy's execution machinery costs more than the indexed reads on the hot paths (the
account of every update, the coach's context); compiling once and keeping the statement's
bind and result conversions gives the same rows for a fraction of the work. Tests compare
those rows with a unit of work's, column by column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """SQL text, its positional parameter names and defaults, and the type conversions."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binds: dict[str, Callable[[Any], Any]]
    keys: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect) -> CompiledStatement:
        compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        columns = compiled._result_columns  # (key, name, objects, type) per selected column
        return cls(
            sql=str(compiled),
            names=tuple(compiled.positiontup or ()),
            defaults=dict(compiled.params),
            binds=dict(compiled._bind_processors),
            keys=tuple(c[0] for c in columns),
            results=tuple(c[3]._cached_result_processor(dialect, None) for c in columns),
        )

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = {**self.defaults, **params}
        out = []
        for name in self.names:
            bind = self.binds.get(name)
            out.append(values[name] if bind is None else bind(values[name]))
        return out

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        return {
            key: value if convert is None or value is None else convert(value)
            for key, convert, value in zip(self.keys, self.results, raw, strict=True)
        }


class CompiledCache:
    """Statements compiled per dialect, keyed by the statement object (module constants)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._compiled: dict[Executable, CompiledStatement] = {}

    def get(self, statement: Executable) -> CompiledStatement:
        found = self._compiled.get(statement)
        if found is None:
            found = self._compiled[statement] = CompiledStatement.of(statement, self.dialect)
        return found
