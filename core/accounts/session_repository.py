"""Web sessions and one-time sign-in codes of one user; never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, or_, select, update

from core.db.models import LoginCode, UserSession
from core.db.repository import Repository

if TYPE_CHECKING:
    from core.db.reader import RowReader

_SESSION = UserSession.__table__.c
_LIVE_SESSION = select(_SESSION.token_hash, _SESSION.expires_at, _SESSION.revoked_at).where(
    _SESSION.id == bindparam("sid"), _SESSION.user_id == bindparam("uid")
)


_LIVE_COUNT = select(func.count()).where(
    _SESSION.user_id == bindparam("uid"),
    _SESSION.revoked_at.is_(None),
    _SESSION.expires_at > bindparam("now"),
)


async def live_session_count(reader: RowReader, user_id: int, now: datetime) -> int:
    """How many web sessions of the user are live: one statement, for /settings."""
    row = await reader.first(_LIVE_COUNT, {"uid": user_id, "now": now})
    return int(next(iter(row.values()))) if row else 0


async def session_row(reader: RowReader, user_id: int, session_id: str) -> Mapping[str, Any] | None:
    """The session's token hash, expiry and revocation: the one read before every API call."""
    return await reader.first(_LIVE_SESSION, {"sid": session_id, "uid": user_id})


class SessionRepository(Repository):
    """user_sessions and login_codes rows; every per-user method takes the user's id."""

    async def add(self, user_id: int, **fields: object) -> None:
        self.session.add(UserSession(user_id=user_id, **fields))
        await self.session.flush()

    async def active(self, user_id: int, *, now: datetime) -> list[UserSession]:
        """Sessions not revoked and not expired, newest first."""
        stmt = (
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
            .order_by(UserSession.created_at.desc(), UserSession.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def revoke(self, user_id: int, session_id: str, *, now: datetime) -> bool:
        stmt = (
            update(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.id == session_id,
                UserSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def revoke_all(self, user_id: int, *, now: datetime) -> int:
        stmt = (
            update(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
            .values(revoked_at=now)
        )
        return int((await self.session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]

    async def prune(self, user_id: int, *, now: datetime) -> None:
        """Forget this user's ended sessions and spent codes (kept only while they matter)."""
        await self.session.execute(
            delete(UserSession).where(
                UserSession.user_id == user_id,
                or_(UserSession.expires_at <= now, UserSession.revoked_at.is_not(None)),
            )
        )
        await self.session.execute(
            delete(LoginCode).where(
                LoginCode.user_id == user_id,
                or_(LoginCode.expires_at <= now, LoginCode.used_at.is_not(None)),
            )
        )

    async def add_code(
        self, user_id: int, code_hash: str, *, created_at: datetime, expires_at: datetime
    ) -> None:
        row = LoginCode(
            user_id=user_id, code_hash=code_hash, created_at=created_at, expires_at=expires_at
        )
        self.session.add(row)
        await self.session.flush()

    async def use_code(self, code_hash: str, *, now: datetime) -> int | None:
        """Spend a live code, atomically: the user it signs in, or None (unknown, expired or
        already used; of two concurrent uses exactly one gets the user)."""
        stmt = (
            update(LoginCode)
            .where(
                LoginCode.code_hash == code_hash,
                LoginCode.used_at.is_(None),
                LoginCode.expires_at > now,
            )
            .values(used_at=now)
            .returning(LoginCode.user_id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
