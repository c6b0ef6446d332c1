"""Encryption of stored secrets: Fernet keys in a MultiFernet, so keys can rotate."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.errors import ConfigError

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "credentials.key"


class Cipher:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("CREDENTIALS_KEYS is empty.")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except (ValueError, TypeError):
            raise ConfigError(
                "CREDENTIALS_KEYS must be a comma list of Fernet keys "
                "(make one with: trainbot keys new)."
            ) from None
        self.key_count = len(keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "A stored secret cannot be decrypted with CREDENTIALS_KEYS "
                "(was a key removed before `trainbot keys rotate`?)."
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a stored secret with the first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "A stored secret cannot be decrypted with CREDENTIALS_KEYS."
            ) from None


def new_key() -> str:
    return Fernet.generate_key().decode()


def load_cipher(keys_setting: str | None, *, app_env: str, data_dir: str) -> Cipher:
    """The cipher from CREDENTIALS_KEYS; locally, a key file is made when none is set."""
    keys = [k for k in (keys_setting or "").split(",") if k.strip()]
    if keys:
        return Cipher(keys)
    if app_env == "production":
        raise ConfigError("CREDENTIALS_KEYS is required in production.")
    path = Path(data_dir) / KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new_key())
        logger.warning(
            "CREDENTIALS_KEYS is not set: created a local key file at %s. "
            "Back it up; without it stored Garmin logins cannot be read.",
            path,
        )
    return Cipher([path.read_text().strip()])
