"""Linking a Garmin Connect account: sign-in (with its one-time code), storage, unlinking.

Only ciphertext reaches the database: the token bundle, the email, and the password only when
the athlete asked for unattended re-login. Nothing secret is ever logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.clock import Clock, utcnow
from core.db.uow import UnitOfWorkFactory
from core.errors import AppError, GarminMfaExpired, GarminMfaRequired
from core.gateways.cipher import Cipher
from core.gateways.garmin import GarminGateway
from core.gateways.garmin_pending import PendingLogins

logger = logging.getLogger(__name__)

CONNECT_CALLBACK = "garmin:connect"  # the bot's GarminCb(action="connect"), packed


class PushQueue(Protocol):
    """The push outbox (core.services.pushes.PushService): stored once per dedup_key."""

    async def enqueue(
        self,
        user_id: int,
        *,
        kind: str,
        dedup_key: str,
        text: str,
        reply_markup: dict[str, Any] | None = None,
    ) -> Any: ...


def connect_button() -> dict[str, Any]:
    """An inline keyboard (Bot API JSON) with one button that starts /connect."""
    return {"inline_keyboard": [[{"text": "Link Garmin again", "callback_data": CONNECT_CALLBACK}]]}


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
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._cipher = cipher
        self._clock = clock
        self._pending: PendingLogins[_Pending] = pending if pending is not None else PendingLogins()

    async def start(
        self, user_id: int, email: str, password: str, *, keep_password: bool = False
    ) -> None:
        """Sign in; GarminMfaRequired when Garmin sent a code (then call submit_code)."""
        email = email.strip()
        key = str(user_id)
        self._pending.discard(key)
        try:
            result = await self._gateway.login(email, password, pending_key=key)
        except GarminMfaRequired:
            self._pending.put(key, _Pending(email, password if keep_password else None))
            logger.info("user %s: Garmin asked for a one-time code", user_id)
            raise
        await self._store(user_id, email, password if keep_password else None, result.token_bundle)

    async def submit_code(self, user_id: int, code: str) -> None:
        """Finish a sign-in with the one-time code (GarminMfaExpired after 5 minutes)."""
        key = str(user_id)
        held = self._pending.pop(key)  # raises GarminMfaExpired when gone
        try:
            result = await self._gateway.submit_mfa(key, code)
        except GarminMfaExpired:
            raise
        except AppError:
            # A wrong code or a busy Garmin: the gateway keeps its login (up to its attempt
            # limit and expiry), so keep ours; a stale one fails there as expired.
            self._pending.put(key, held)
            raise
        await self._store(user_id, held.email, held.password, result.token_bundle)

    def waiting_for_code(self, user_id: int) -> bool:
        return str(user_id) in self._pending

    async def _store(
        self, user_id: int, email: str, password: str | None, token_bundle: str
    ) -> None:
        now = self._clock()
        async with self._uow() as uow:
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

    async def disconnect(self, user_id: int) -> bool:
        """Forget the link and stop syncing; False if there was none."""
        self._pending.discard(str(user_id))
        async with self._uow() as uow:
            had = await uow.garmin.delete_credentials(user_id)
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
