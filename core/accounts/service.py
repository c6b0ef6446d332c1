"""Accounts: one per Telegram chat, with settings and the athlete profile."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.accounts.context import AccountContext, Profile, load_account, read_account
from core.accounts.timezones import resolve_timezone
from core.clock import Clock, utcnow
from core.db.models import User
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import N_, BadInput, UnknownUser

# The handlers' `account` is the request's AccountContext; the old name stays for them.
Account = AccountContext


# Plausible human ranges: a typo (e.g. FTP 2500) is refused with the range it must be in.
PROFILE_RANGES: dict[str, tuple[float, float, str]] = {
    # The sentence a value out of range gets, with its bounds.
    "hr_max": (100, 230, N_("HR max must be between {lo} and {hi}.")),
    "hr_rest": (25, 120, N_("Resting HR must be between {lo} and {hi}.")),
    "lthr": (80, 220, N_("LTHR must be between {lo} and {hi}.")),
    "ftp": (30, 700, N_("FTP must be between {lo} and {hi}.")),
    "threshold_pace_s_per_km": (
        120,
        900,
        N_("Threshold pace (seconds per km) must be between {lo} and {hi}."),
    ),
    "weight_kg": (25, 250, N_("Weight must be between {lo} and {hi}.")),
    "birth_year": (1900, 2025, N_("Birth year must be between {lo} and {hi}.")),
}
UNITS = ("metric", "imperial")


def summary_day_done(now: datetime, zone: str, summary_time: time) -> date | None:
    """The local date to count as summed up when the summary time has already passed there.

    Someone who arrives (or moves to a zone) after their summary time gets the first "Good
    morning" the next morning, not on the spot in the afternoon.
    """
    local = now.astimezone(ZoneInfo(zone))
    return local.date() if local.time() >= summary_time else None


def validate_profile(fields: dict[str, object]) -> dict[str, object]:
    """Check each given profile value; None clears a value."""
    clean: dict[str, object] = {}
    for key, value in fields.items():
        if key == "sex":
            if value not in (None, "male", "female"):
                raise BadInput(N_("Sex must be male or female."))
        elif key in PROFILE_RANGES:
            lo, hi, out_of_range = PROFILE_RANGES[key]
            if value is not None and not (
                isinstance(value, int | float) and lo <= float(value) <= hi
            ):
                raise BadInput(out_of_range, lo=f"{lo:g}", hi=f"{hi:g}")
        else:
            raise BadInput(N_("Unknown profile field '{key}'."), key=key)
        clean[key] = value
    return clean


class AccountService:
    """Get-or-create accounts and change their settings."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        clock: Clock = utcnow,
        default_summary_time: time = time(7, 0),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._default_summary_time = default_summary_time

    async def get_or_create(
        self,
        chat_id: int,
        *,
        telegram_user_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
        language: str | None = None,
    ) -> AccountContext:
        """The account of this chat; created on first contact, unblocked when they write.

        A known chat costs one statement on a read connection. Nothing is cached between
        updates: plan changes (Stripe webhooks), deletion and the Garmin password marker may
        be written by another instance, and the lookup is cheap enough that a cache would buy
        little against the risk of a stale plan or a missed password marker.
        """
        # The path of nearly every update: one statement, no unit of work.
        found = await read_account(self._uow.reader, now=self._clock(), chat_id=chat_id)
        if found is not None and not found.is_blocked:
            return found
        async with self._uow() as uow:
            now = self._clock()
            found = await load_account(uow, now=now, chat_id=chat_id)
            if found is not None and not found.is_blocked:
                return found
            if found is not None:
                await uow.users.update_fields(found.id, is_blocked=False, is_active=True)
                await uow.commit()
                return replace(found, is_blocked=False)
            created = await uow.users.create_for_chat(
                chat_id,
                telegram_user_id=telegram_user_id,
                first_name=(first_name or "")[:128] or None,
                username=(username or "")[:64] or None,
                language=(language or "")[:16] or None,
                summary_time=self._default_summary_time,
                # A new account is in UTC until its owner sets a zone.
                last_summary_on=summary_day_done(now, "UTC", self._default_summary_time),
                last_seen_at=now,
            )
            account = await load_account(uow, now=now, chat_id=chat_id)
            await uow.commit()
        # None: another update of the same chat created it first.
        assert account is not None
        return account if created is None else replace(account, is_new=True)

    async def get(self, user_id: int) -> AccountContext:
        """The context of a user by id (UnknownUser if there is none)."""
        found = await read_account(self._uow.reader, now=self._clock(), user_id=user_id)
        if found is None:
            raise UnknownUser(user_id)
        return found

    async def by_chat(self, chat_id: int) -> AccountContext | None:
        return await read_account(self._uow.reader, now=self._clock(), chat_id=chat_id)

    async def _user(self, uow: UnitOfWork, user_id: int) -> User:
        user = await uow.users.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        return user

    async def _updated(self, uow: UnitOfWork, user_id: int) -> AccountContext:
        """The context as the caller's transaction now sees it, then committed."""
        found = await load_account(uow, now=self._clock(), user_id=user_id)
        if found is None:
            raise UnknownUser(user_id)
        await uow.commit()
        return found

    async def _update(self, user_id: int, **fields: object) -> AccountContext:
        async with self._uow() as uow:
            await uow.users.update_fields(user_id, **fields)
            return await self._updated(uow, user_id)

    async def set_timezone(self, user_id: int, typed: str) -> AccountContext:
        """Set the timezone from an IANA name, a city or a UTC offset (else BadTimezone)."""
        zone = resolve_timezone(typed)
        async with self._uow() as uow:
            user = await self._user(uow, user_id)
            fields: dict[str, object] = {"timezone": zone, "timezone_set": True}
            done = summary_day_done(self._clock(), zone, user.summary_time)
            if done is not None and (user.last_summary_on is None or user.last_summary_on < done):
                fields["last_summary_on"] = done
            await uow.users.update_fields(user_id, **fields)
            uow.session.expunge(user)  # the context is read fresh, not from this object
            return await self._updated(uow, user_id)

    async def set_units(self, user_id: int, units: str) -> AccountContext:
        if units not in UNITS:
            raise BadInput(N_("Units must be metric or imperial."))
        return await self._update(user_id, units=units)

    async def set_language(
        self, user_id: int, language: str, *, supported: Collection[str]
    ) -> AccountContext:
        """The language the bot writes in: one of `supported` (the bot's languages), else
        BadInput and nothing is stored."""
        if language not in supported:
            raise BadInput(N_("Unknown language."))
        return await self._update(user_id, language=language)

    async def set_summary_time(self, user_id: int, value: str | time) -> AccountContext:
        """Daily summary time, local; accepts 'HH:MM'."""
        if isinstance(value, str):
            try:
                value = time.fromisoformat(value.strip().zfill(5))
            except ValueError:
                raise BadInput(N_("Give the time as HH:MM, for example 07:00.")) from None
        return await self._update(user_id, summary_time=value.replace(second=0, microsecond=0))

    async def set_summary_enabled(self, user_id: int, enabled: bool) -> AccountContext:
        return await self._update(user_id, summary_enabled=enabled)

    async def set_weekly_report_enabled(self, user_id: int, enabled: bool) -> AccountContext:
        """The Monday report of the week just ended: on or off."""
        return await self._update(user_id, weekly_report_enabled=enabled)

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Blocked users get no pushes until they write again."""
        await self._update(user_id, is_blocked=blocked)

    async def profile(self, user_id: int) -> Profile:
        """The athlete profile of a resolved account (one statement; empty when none is set)."""
        async with self._uow(readonly=True) as uow:
            return Profile.of(await uow.profiles.get(user_id))

    async def update_profile(self, user_id: int, **fields: object) -> Profile:
        """Set athlete profile values (validated; None clears one)."""
        clean = validate_profile(fields)
        async with self._uow() as uow:
            await self._user(uow, user_id)
            await uow.profiles.upsert(user_id, **clean)
            await uow.commit()
            row = await uow.profiles.get(user_id)
            if row is not None:
                await uow.session.refresh(row)
            return Profile.of(row)

    async def delete_everything(self, user_id: int) -> dict[str, int]:
        """Delete the account and every row of it, in one transaction."""
        async with self._uow() as uow:
            await self._user(uow, user_id)
            counts = await uow.users.delete_everything(user_id)
            await uow.commit()
            return counts
