"""Garmin's rotated session tokens, stored as soon as a session used them."""

from __future__ import annotations

import logging

from core.db.uow import UnitOfWorkFactory
from core.gateways.cipher import Cipher
from core.gateways.garmin.client import GarminSession

logger = logging.getLogger(__name__)


async def keep_rotated_tokens(
    uow: UnitOfWorkFactory, cipher: Cipher, user_id: int, session: GarminSession
) -> None:
    """Garmin may already have retired the old refresh token: store the new one at once. A
    failure is logged (never the tokens); the next call signs in again with what is stored."""
    try:
        if not session.token_bundle_changed():
            return
        async with uow() as work:
            enc = cipher.encrypt(session.token_bundle())
            await work.garmin.update_credentials(user_id, tokens_enc=enc)
            await work.commit()
        logger.info("user %s: stored Garmin's rotated tokens", user_id)
    except Exception:
        logger.exception("user %s: could not store rotated Garmin tokens", user_id)
