"""Whose rows the current work may see: one user's, or every user's (system work).

On PostgreSQL every tenant table has a forced row-level security policy (migration
0005_row_level_security): a row is visible and writable only when `app.user_id` names its
user, or when `app.scope` is 'system'. Both settings are set transaction-locally (SET LOCAL
semantics) at the start of every transaction from the scope below, so a query that forgot its
`user_id` filter sees nothing of another athlete's. With no scope at all a transaction sees
no tenant row (fail closed). SQLite has no row-level security: there the scope changes nothing.

Where the scope comes from: the bot's account middleware (the update's user), the API's
session dependency (the session's user), and `system_scope()` around work that spans users
(scheduler ticks, sync/summary/push jobs, Stripe events, operator counts, migrations, copies).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass

SYSTEM = "system"
USER = "user"

# asyncpg's placeholders: the engine runs it on the driver's cursor at the start of a transaction.
SET_SCOPE_SQL = "SELECT set_config('app.user_id', $1, true), set_config('app.scope', $2, true)"


@dataclass(frozen=True, slots=True)
class Scope:
    """`system=True`: every user's rows; otherwise the rows of `user_id` only."""

    user_id: int | None = None
    system: bool = False

    def settings(self) -> tuple[str, str]:
        """The values of app.user_id and app.scope for this scope."""
        return ("", SYSTEM) if self.system else (str(self.user_id), USER)


NO_SCOPE = ("", "")  # app.user_id and app.scope of work without a scope: no tenant row

_current: ContextVar[Scope | None] = ContextVar("db_scope", default=None)


def current_scope() -> Scope | None:
    """The scope of the running task, or None (sees no tenant row on PostgreSQL)."""
    return _current.get()


def scope_settings() -> tuple[str, str]:
    """The parameters of SET_SCOPE_SQL for the current scope."""
    scope = _current.get()
    return NO_SCOPE if scope is None else scope.settings()


class _Entered:
    """`with` or `async with`: the scope holds inside the block, then the one before it."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._token: Token[Scope | None] | None = None

    def __enter__(self) -> Scope:
        self._token = _current.set(self._scope)
        return self._scope

    def __exit__(self, *_exc: object) -> None:
        assert self._token is not None
        _current.reset(self._token)
        self._token = None

    async def __aenter__(self) -> Scope:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


def user_scope(user_id: int) -> _Entered:
    """Transactions begun inside see only this user's rows."""
    return _Entered(Scope(user_id=int(user_id)))


def system_scope() -> _Entered:
    """Transactions begun inside see every user's rows (work that spans users)."""
    return _Entered(Scope(system=True))
