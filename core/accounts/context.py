"""Who is asking: the account, its settings, its plan and profile, resolved once per request.

The bot's middleware resolves an AccountContext for each update with one statement (the user
row joined with its subscription, the subscribed plan, the Free plan and the athlete profile)
and hands it to the services, which then need not read the user again. Callers that only hold
an id (the worker, the console, tests) may pass the id: the service resolves it in its own
unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from core.accounts.repository import CONTEXT_SUB_COLUMNS, CONTEXT_USER_COLUMNS, account_row
from core.db.models import AthleteProfile, UserSubscription
from core.errors import UnknownUser
from core.limits.plans import PlanLimits, subscription_grants_plan

if TYPE_CHECKING:
    from core.db.reader import RowReader
    from core.db.uow import UnitOfWork


@dataclass(frozen=True)
class Profile:
    """The athlete's own thresholds (unset ones are estimated from their data)."""

    sex: str | None = None
    birth_year: int | None = None
    hr_max: int | None = None
    hr_rest: int | None = None
    lthr: int | None = None
    ftp: int | None = None
    threshold_pace_s_per_km: float | None = None
    weight_kg: float | None = None

    @classmethod
    def of(cls, row: AthleteProfile | None) -> Profile:
        if row is None:
            return cls()
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class AccountContext:
    """One account as a request sees it: identity, settings and the plan in force."""

    id: int
    chat_id: int
    first_name: str | None
    language: str | None
    timezone: str  # IANA name: the user's local day decides windows, reports and the coach
    timezone_set: bool
    units: str
    summary_time: time
    summary_enabled: bool
    weekly_report_enabled: bool
    is_blocked: bool
    plan: PlanLimits
    profile: Profile = Profile()
    is_new: bool = False
    secret_due_until: datetime | None = None  # the Garmin link flow waits for a password
    dashboard_sessions: int = 0  # web sessions signed in when the context was read

    @classmethod
    def of(cls, row: Mapping[Any, Any], *, now: datetime, is_new: bool = False) -> AccountContext:
        """From `UserRepository.account_rows`: the subscribed plan while it applies, else Free."""
        sub = None
        if row["sub_status"] is not None:
            sub = UserSubscription(**{name: row[f"sub_{name}"] for name in CONTEXT_SUB_COLUMNS})
        granted = row["plan_code"] is not None and subscription_grants_plan(sub, now)
        return cls(
            **{name: row[name] for name in CONTEXT_USER_COLUMNS},
            dashboard_sessions=int(row["dashboard_sessions"] or 0),
            plan=_prefixed(PlanLimits, row, "plan_" if granted else "free_"),
            profile=_prefixed(Profile, row, "profile_") if row["profile_user_id"] else Profile(),
            is_new=is_new,
        )


T = TypeVar("T")


def _prefixed(kind: type[T], row: Mapping[Any, Any], prefix: str) -> T:
    """A dataclass from the row's columns of one table, whose names its fields share."""
    return kind(**{f.name: row[prefix + f.name] for f in fields(kind)})  # type: ignore[arg-type]


AccountRef = AccountContext | int
"""What a service is told about who asks: the resolved context, or only the user's id."""


async def load_account(
    uow: UnitOfWork, *, now: datetime, user_id: int | None = None, chat_id: int | None = None
) -> AccountContext | None:
    """The context of a user by id or by chat, in the caller's unit of work; None: no such user."""
    rows = await uow.users.account_rows(now=now, user_id=user_id, chat_id=chat_id)
    return None if rows is None else AccountContext.of(rows, now=now)


async def read_account(
    reader: RowReader, *, now: datetime, user_id: int | None = None, chat_id: int | None = None
) -> AccountContext | None:
    """The context of a user by id or by chat, read outside a unit of work; None: no such user."""
    row = await account_row(reader, now=now, user_id=user_id, chat_id=chat_id)
    return None if row is None else AccountContext.of(row, now=now)


async def resolve(uow: UnitOfWork, account: AccountRef, *, now: datetime) -> AccountContext:
    """The context as given, or read by id (UnknownUser when there is no such user)."""
    if isinstance(account, AccountContext):
        return account
    found = await load_account(uow, now=now, user_id=account)
    if found is None:
        raise UnknownUser(account)
    return found
