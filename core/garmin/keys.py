"""Key rotation for stored secrets."""

from __future__ import annotations

from core.db.scope import system_scope
from core.db.uow import UnitOfWorkFactory
from core.gateways.cipher import Cipher


async def rotate_all(uow_factory: UnitOfWorkFactory, cipher: Cipher) -> int:
    """Re-encrypt every stored secret with the first key, in one transaction."""
    async with system_scope(), uow_factory() as uow:  # every user's secrets
        count = await uow.secrets.reencrypt_all(cipher.rotate)
        await uow.commit()
    return count
