"""The API's bearer tokens: JWTs (HS256) that name a session row, and the key they are signed with.

A token alone proves nothing: every call also finds its session live in the database, so a
revoked session stops working at once. Expiry is checked against the injected clock, here and
in the database, never against the machine's own time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jwt

from core.errors import ConfigError, NotSignedIn

logger = logging.getLogger(__name__)

SECRET_FILE_NAME = "session.key"
ALGORITHM = "HS256"
_INVALID = "Your session is not valid; sign in again."
_EXPIRED = "Your session has expired; sign in again."


@dataclass(frozen=True)
class Claims:
    user_id: int
    session_id: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """What the database keeps of a token or code: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_hex(16)


class SessionTokens:
    """Signs and reads tokens with one key; the key is read on first use."""

    def __init__(self, secret: str | None, *, app_env: str, data_dir: str) -> None:
        self._secret = secret
        self._app_env = app_env
        self._data_dir = data_dir

    def _key(self) -> str:
        if not self._secret:
            self._secret = load_session_secret(None, app_env=self._app_env, data_dir=self._data_dir)
        return self._secret

    def issue(self, *, user_id: int, session_id: str, expires_at: datetime) -> str:
        claims = {"sub": str(user_id), "sid": session_id, "exp": int(expires_at.timestamp())}
        return jwt.encode(claims, self._key(), algorithm=ALGORITHM)

    def read(self, token: str, *, now: datetime) -> Claims:
        """The claims of a token signed with our key (NotSignedIn otherwise or once expired)."""
        try:
            claims = jwt.decode(
                token,
                self._key(),
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sid", "sub"], "verify_exp": False},
            )
            user_id, session_id = int(claims["sub"]), str(claims["sid"])
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, OSError):
            raise NotSignedIn(_INVALID) from None
        if expires_at <= now:
            raise NotSignedIn(_EXPIRED)
        return Claims(user_id, session_id, expires_at)


def load_session_secret(setting: str | None, *, app_env: str, data_dir: str) -> str:
    """SESSION_SECRET; locally, a random key kept in a file under DATA_DIR when none is set."""
    if setting and setting.strip():
        return setting.strip()
    if app_env == "production":
        raise ConfigError("SESSION_SECRET is required in production.")
    path = Path(data_dir) / SECRET_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    secret = path.read_text().strip()
    if not secret:
        raise ConfigError(f"The session key file {path} is empty; delete it to make a new one.")
    return secret


def _create_key_file(path: Path) -> None:
    """Write a new key beside the file, then link it into place: a process that lost the race
    reads the winner's key, never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    try:
        os.link(temp, path)
    except FileExistsError:
        return
    finally:
        temp.unlink()
    logger.warning(
        "SESSION_SECRET is not set: created a local key file at %s. "
        "Deleting it signs everyone out of the web app.",
        path,
    )
