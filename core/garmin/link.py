"""Linking a Garmin Connect account: sign-in (with its one-time code), storage, unlinking.

Only ciphertext reaches the database: the token bundle, the email, and the password only when
the athlete asked for unattended re-login. Nothing secret is ever logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from core.clock import Clock, utcnow
from core.db.scope import user_scope
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import (
    AppError,
    ConfigError,
    GarminMfaExpired,
    GarminMfaRequired,
    GarminRateLimited,
    GarminSignInsThrottled,
    ngettext,
)
from core.gateways.cipher import Cipher
from core.gateways.garmin.client import GarminGateway
from core.gateways.garmin.pending import HERE, LocalRelay, MfaRelay, PendingLogins
from core.limits.throttle import Limit, Refusal, ThrottleService

logger = logging.getLogger(__name__)

PASSWORD_WAIT = timedelta(minutes=10)  # how long a chat owes us its password after the prompt
# Sign-ins are throttled per user, and for everyone once Garmin answers 429, so the bot is no
# oracle for trying stolen passwords and does not get the whole service blocked by Garmin.
ALL_SIGN_INS = "garmin_login:all"


def _sign_in_key(user_id: int) -> str:
    return f"garmin_login:user:{user_id}"


@dataclass(frozen=True)
class LinkStatus:
    linked: bool
    valid: bool
    keeps_password: bool
    auto_sync: bool
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    paused_reason: str | None


@dataclass(frozen=True)
class _Pending:
    email: str
    password: str | None  # kept only when the athlete agreed to unattended re-login

    def __repr__(self) -> str:  # never print the secrets held here
        return "_Pending(...)"


class GarminLinkService:
    """Signs athletes in to Garmin Connect and keeps their encrypted link."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: GarminGateway,
        cipher: Cipher,
        *,
        clock: Clock = utcnow,
        pending: PendingLogins[_Pending] | None = None,
        relay: MfaRelay | None = None,
        throttle: ThrottleService | None = None,
        logins_per_hour: int = 5,
        login_backoff_minutes: int = 30,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._cipher = cipher
        self._clock = clock
        self._pending: PendingLogins[_Pending] = pending if pending is not None else PendingLogins()
        self._relay: MfaRelay = relay if relay is not None else LocalRelay()
        self._waiting_elsewhere: set[str] = set()  # logins held by another process, still waiting
        self._throttle = throttle if throttle is not None else ThrottleService(uow, clock=clock)
        self._limit = Limit(logins_per_hour, timedelta(hours=1))
        self._backoff = timedelta(minutes=login_backoff_minutes)

    def use_relay(self, relay: MfaRelay) -> None:
        """Serve codes for logins held by other processes (several processes, one Redis)."""
        self._relay = relay

    async def await_password(self, user_id: int) -> None:
        """Mark that this chat owes us its password: its next text goes to the sign-in only.

        Kept with the account, not in the dialog state, which may live in memory and be lost.
        """
        await self._set_password_due(user_id, self._clock() + PASSWORD_WAIT)

    async def stop_awaiting_password(self, user_id: int) -> None:
        """The password arrived, or the athlete left the dialog."""
        await self._set_password_due(user_id, None)

    def awaits_password(self, due_until: datetime | None) -> bool:
        """Whether the marker read with the account (Account.secret_due_until) still runs."""
        return due_until is not None and due_until > self._clock()

    async def _set_password_due(self, user_id: int, due_until: datetime | None) -> None:
        async with self._uow() as uow:
            await uow.users.update_fields(user_id, secret_due_until=due_until)
            await uow.commit()

    async def start(
        self, user_id: int, email: str, password: str, *, keep_password: bool = False
    ) -> None:
        """Sign in; GarminMfaRequired when Garmin sent a code (then call submit_code)."""
        email = email.strip()
        key = str(user_id)
        self._pending.discard(key)
        self._waiting_elsewhere.discard(key)
        await self.stop_awaiting_password(user_id)
        await self._take_sign_in(user_id)
        try:
            result = await self._gateway.login(email, password, pending_key=key)
        except GarminMfaRequired:
            self._pending.put(key, _Pending(email, password if keep_password else None))
            await self._relay.hold(key, self._pending.ttl_s, partial(self._finish_here, user_id))
            logger.info("user %s: Garmin asked for a one-time code", user_id)
            raise
        except GarminRateLimited as exc:
            raise await self._pause_sign_ins() from exc
        await self._store(user_id, email, password if keep_password else None, result.token_bundle)

    async def submit_code(self, user_id: int, code: str) -> None:
        """Finish a sign-in with the one-time code (GarminMfaExpired after 5 minutes); the
        process that started the sign-in finishes it, wherever the code arrived."""
        key = str(user_id)
        holder = await self._relay.holder(key)
        if holder is None or holder == HERE:
            await self._finish_here(user_id, code)
            return
        self._pending.discard(key)  # a login started here earlier was replaced by that one
        waiting, error = await self._relay.forward(key, code, holder)
        if waiting:
            self._waiting_elsewhere.add(key)
        else:
            self._waiting_elsewhere.discard(key)
        if error is not None:
            raise error
        logger.info("user %s: Garmin code finished by the process holding the sign-in", user_id)

    async def _finish_here(self, user_id: int, code: str) -> None:
        key = str(user_id)
        try:
            with user_scope(user_id):  # may run on the relay's reader task, for any athlete
                await self._finish_pending(user_id, code)
        finally:
            if key not in self._pending:  # linked, expired or out of attempts
                await self._relay.release(key)

    async def _finish_pending(self, user_id: int, code: str) -> None:
        key = str(user_id)
        held = self._pending.pop(key)  # raises GarminMfaExpired when gone
        try:
            result = await self._gateway.submit_mfa(key, code)
        except GarminMfaExpired:
            raise
        except GarminRateLimited as exc:
            self._pending.put(key, held)  # the gateway keeps its login when Garmin is busy
            raise await self._pause_sign_ins() from exc
        except AppError:
            # A wrong code or a busy Garmin: the gateway keeps its login (up to its attempt
            # limit and expiry), so keep ours; a stale one fails there as expired.
            self._pending.put(key, held)
            raise
        await self._store(user_id, held.email, held.password, result.token_bundle)

    def waiting_for_code(self, user_id: int) -> bool:
        """After a failed code: whether the sign-in still takes another one."""
        key = str(user_id)
        return key in self._pending or key in self._waiting_elsewhere

    async def _take_sign_in(self, user_id: int) -> None:
        """Count this sign-in against the user's hourly allowance and the shared back-off."""
        refusal = await self._throttle.take(
            _sign_in_key(user_id), self._limit, unless_blocked=ALL_SIGN_INS
        )
        if refusal is None:
            return
        logger.info("user %s: Garmin sign-in refused by throttle %s", user_id, refusal.key)
        if refusal.key == ALL_SIGN_INS:
            raise self._paused(refusal)
        raise GarminSignInsThrottled(
            ngettext(
                "Too many Garmin sign-in attempts; try again in {n} minute.",
                "Too many Garmin sign-in attempts; try again in {n} minutes.",
                self._minutes(refusal),
            ),
            refusal.retry_at,
            n=self._minutes(refusal),
        )

    async def _pause_sign_ins(self) -> GarminSignInsThrottled:
        """Garmin answered 429 to a sign-in: nobody signs in until the back-off ends."""
        until = await self._throttle.block(ALL_SIGN_INS, self._backoff)
        logger.warning("Garmin answered 429 to a sign-in; sign-ins paused until %s", until)
        return self._paused(Refusal(ALL_SIGN_INS, until))

    def _paused(self, refusal: Refusal) -> GarminSignInsThrottled:
        return GarminSignInsThrottled(
            ngettext(
                "Garmin Connect is limiting sign-ins; try again in {n} minute.",
                "Garmin Connect is limiting sign-ins; try again in {n} minutes.",
                self._minutes(refusal),
            ),
            refusal.retry_at,
            n=self._minutes(refusal),
        )

    def _minutes(self, refusal: Refusal) -> int:
        return refusal.minutes_left(self._clock())

    async def _store(
        self, user_id: int, email: str, password: str | None, token_bundle: str
    ) -> None:
        now = self._clock()
        async with self._uow() as uow:
            if await self._other_account(uow, user_id, email):
                await uow.garmin_workouts.forget_all(user_id)
            await uow.garmin.replace_credentials(
                user_id,
                email_enc=self._cipher.encrypt(email),
                password_enc=self._cipher.encrypt(password) if password else None,
                tokens_enc=self._cipher.encrypt(token_bundle),
            )
            await uow.garmin.upsert_config(
                user_id, enabled=True, paused_reason=None, backoff_minutes=0, next_sync_at=now
            )
            await uow.commit()
        logger.info("user %s linked Garmin Connect (password kept: %s)", user_id, bool(password))

    async def _other_account(self, uow: UnitOfWork, user_id: int, email: str) -> bool:
        """Whether a link exists to a Garmin account other than `email`: the workouts we put on
        the old one's calendar cannot be replaced from the new one."""
        old = await uow.garmin.credentials(user_id)
        if old is None:
            return False
        try:
            before = self._cipher.decrypt(old.email_enc)
        except ConfigError:  # unreadable: nothing can tell it is the same account
            return True
        return before.strip().lower() != email.strip().lower()

    async def disconnect(self, user_id: int) -> bool:
        """Forget the link and stop syncing; False if there was none."""
        key = str(user_id)
        self._pending.discard(key)
        self._waiting_elsewhere.discard(key)
        await self._relay.release(key)
        async with self._uow() as uow:
            had = await uow.garmin.delete_credentials(user_id)
            # The workouts stay on the athlete's Garmin calendar; without the link they are
            # no longer ours to replace.
            await uow.garmin_workouts.forget_all(user_id)
            await uow.garmin.update_config(user_id, enabled=False, next_sync_at=None)
            await uow.commit()
        logger.info("user %s unlinked Garmin Connect", user_id)
        return had

    async def status(self, user_id: int) -> LinkStatus:
        async with self._uow() as uow:
            cred = await uow.garmin.credentials(user_id)
            cfg = await uow.garmin.config(user_id)
        return LinkStatus(
            linked=cred is not None,
            valid=bool(cred and cred.is_valid),
            keeps_password=bool(cred and cred.password_enc),
            auto_sync=bool(cfg and cfg.enabled and cfg.paused_reason is None and cred),
            last_sync_at=cfg.last_sync_at if cfg else None,
            next_sync_at=cfg.next_sync_at if cfg else None,
            paused_reason=cfg.paused_reason if cfg else None,
        )
