"""Every encrypted column, for key rotation only (an operator task across all users)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update

from core.db.models import GarminCredentials
from core.db.repository import Repository

ENCRYPTED_COLUMNS = ("email_enc", "password_enc", "tokens_enc")


class SecretsRepository(Repository):
    """Re-encrypts stored secrets in place; never returns them to a caller."""

    async def reencrypt_all(self, transform: Callable[[str], str]) -> int:
        """Apply `transform` to every encrypted value; the number of values rewritten."""
        rows = (await self.session.execute(select(GarminCredentials))).scalars().all()
        count = 0
        for row in rows:
            values: dict[str, str] = {}
            for column in ENCRYPTED_COLUMNS:
                token = getattr(row, column)
                if token:
                    values[column] = transform(token)
            if values:
                await self.session.execute(
                    update(GarminCredentials).where(GarminCredentials.id == row.id).values(**values)
                )
                count += len(values)
        return count
