"""Web sessions: sign-in from the Mini App (initData) or a one-time link, checks, sign-out.

A session is a user_sessions row; the API's bearer token (a JWT) names it, and the row keeps
only the token's hash. Every call finds the row live (not revoked, not expired), so signing out
or "sign out everywhere" takes effect at once. Sign-in attempts are counted per client address
in the shared throttles, so every web instance sees the same numbers.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.accounts.context import AccountContext, AccountRef, read_account
from core.accounts.service import AccountService
from core.accounts.session_repository import live_session_count, session_row
from core.accounts.session_tokens import SessionTokens, new_session_id, token_hash
from core.accounts.webapp_auth import validate_init_data
from core.clock import Clock, utcnow
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import NotSignedIn, TooManyAttempts
from core.limits.throttle import Limit, ThrottleService

logger = logging.getLogger(__name__)

SIGN_IN_LIMIT = Limit(20, timedelta(minutes=10))  # per client address, both ways of signing in
CODE_TTL = timedelta(minutes=5)
MAX_CODE_CHARS = 128
MAX_USER_AGENT_CHARS = 256
_NO_CODE = "This sign-in link has expired or was already used; ask the bot for a new one."
_ENDED = "Your session has ended; sign in again."


@dataclass(frozen=True)
class IssuedSession:
    """A new session and its bearer token (shown once, never stored)."""

    access_token: str
    session_id: str
    user_id: int
    expires_at: datetime


@dataclass(frozen=True)
class SignInCode:
    """A one-time code for the sign-in link; only its hash is stored."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionInfo:
    """A live session as the settings screen lists it."""

    id: str
    created_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class ApiSession:
    """The session an API call runs under: its id and the account, resolved once."""

    id: str
    account: AccountContext


def _user_id(account: AccountRef) -> int:
    return account.id if isinstance(account, AccountContext) else account


class SessionService:
    """Signs athletes in to the web app, checks their sessions, signs them out."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        accounts: AccountService,
        tokens: SessionTokens,
        *,
        bot_token: str | None,
        clock: Clock = utcnow,
        ttl: timedelta = timedelta(days=7),
        init_data_max_age: timedelta = timedelta(days=1),
        throttle: ThrottleService | None = None,
    ) -> None:
        self._uow = uow
        self._accounts = accounts
        self._tokens = tokens
        self._bot_token = bot_token
        self._clock = clock
        self._ttl = ttl
        self._max_age = init_data_max_age
        self._throttle = throttle if throttle is not None else ThrottleService(uow, clock=clock)

    # -- signing in -------------------------------------------------------------------------

    async def sign_in_telegram(
        self, init_data: str, *, ip: str, user_agent: str | None
    ) -> IssuedSession:
        """A session for the Telegram user the Mini App's initData vouches for; their
        account is made on first contact, as the bot would."""
        await self._count_attempt(ip)
        if not self._bot_token:
            raise NotSignedIn("Signing in from Telegram is not set up on this server.")
        user = validate_init_data(
            init_data, bot_token=self._bot_token, now=self._clock(), max_age=self._max_age
        )
        account = await self._accounts.get_or_create(
            user.id,
            telegram_user_id=user.id,
            first_name=user.first_name,
            username=user.username,
            language=user.language,
        )
        async with self._uow() as uow:
            issued = await self._open(uow, account.id, ip=ip, user_agent=user_agent)
            await uow.commit()
        logger.info("user %s signed in to the web app from Telegram", account.id)
        return issued

    async def sign_in_code(self, code: str, *, ip: str, user_agent: str | None) -> IssuedSession:
        """A session for the one-time code of a sign-in link; the code is spent."""
        await self._count_attempt(ip)
        code = (code or "").strip()
        if not code or len(code) > MAX_CODE_CHARS:
            raise NotSignedIn(_NO_CODE)
        async with self._uow() as uow:
            user_id = await uow.web_sessions.use_code(token_hash(code), now=self._clock())
            if user_id is None:
                raise NotSignedIn(_NO_CODE)
            issued = await self._open(uow, user_id, ip=ip, user_agent=user_agent)
            await uow.commit()
        logger.info("user %s signed in to the web app with a link", user_id)
        return issued

    async def issue_code(self, account: AccountRef) -> SignInCode:
        """A code for a sign-in link, valid CODE_TTL and once."""
        code = secrets.token_urlsafe(24)
        now = self._clock()
        expires_at = now + CODE_TTL
        user_id = _user_id(account)
        async with self._uow() as uow:
            await uow.web_sessions.prune(user_id, now=now)  # the codes of earlier /web requests
            await uow.web_sessions.add_code(
                user_id, token_hash(code), created_at=now, expires_at=expires_at
            )
            await uow.commit()
        return SignInCode(code, expires_at)

    async def _count_attempt(self, ip: str) -> None:
        refusal = await self._throttle.take(f"web_sign_in:ip:{ip or 'unknown'}", SIGN_IN_LIMIT)
        if refusal is None:
            return
        now = self._clock()
        minutes = refusal.minutes_left(now)
        logger.info("web sign-in refused: too many attempts from one address")
        unit = "minute" if minutes == 1 else "minutes"
        raise TooManyAttempts(
            f"Too many sign-in attempts; try again in {minutes} {unit}.",
            refusal.retry_at,
            retry_after_s=max(1, math.ceil((refusal.retry_at - now).total_seconds())),
        )

    async def _open(
        self, uow: UnitOfWork, user_id: int, *, ip: str, user_agent: str | None
    ) -> IssuedSession:
        """Make the session row in the caller's transaction; its token."""
        now = self._clock()
        session_id = new_session_id()
        expires_at = now + self._ttl
        token = self._tokens.issue(user_id=user_id, session_id=session_id, expires_at=expires_at)
        await uow.web_sessions.prune(user_id, now=now)
        await uow.web_sessions.add(
            user_id,
            id=session_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expires_at,
            ip_address=ip[:45] or None,
            user_agent=(user_agent or "")[:MAX_USER_AGENT_CHARS] or None,
        )
        return IssuedSession(token, session_id, user_id, expires_at)

    # -- using and ending sessions --------------------------------------------------------

    async def authenticate(self, token: str) -> ApiSession:
        """The live session a bearer token names, with its account (NotSignedIn otherwise).

        Two single-statement reads, no unit of work: the session row, then the account.
        """
        now = self._clock()
        claims = self._tokens.read(token, now=now)
        reader = self._uow.reader
        row = await session_row(reader, claims.user_id, claims.session_id)
        if (
            row is None
            or row["revoked_at"] is not None
            or row["expires_at"] <= now
            or not hmac.compare_digest(row["token_hash"], token_hash(token))
        ):
            raise NotSignedIn(_ENDED)
        account = await read_account(reader, now=now, user_id=claims.user_id)
        if account is None:  # the account was deleted
            raise NotSignedIn(_ENDED)
        return ApiSession(claims.session_id, account)

    async def logout(self, session: ApiSession) -> None:
        """End this session."""
        async with self._uow() as uow:
            await uow.web_sessions.revoke(session.account.id, session.id, now=self._clock())
            await uow.commit()

    async def active(self, account: AccountRef) -> list[SessionInfo]:
        """The user's live sessions, newest first (for the settings screen)."""
        async with self._uow(readonly=True) as uow:
            rows = await uow.web_sessions.active(_user_id(account), now=self._clock())
        return [
            SessionInfo(r.id, r.created_at, r.expires_at, r.ip_address, r.user_agent) for r in rows
        ]

    async def count_active(self, account: AccountRef) -> int:
        """How many live sessions the user has (one single-statement read)."""
        return await live_session_count(self._uow.reader, _user_id(account), self._clock())

    async def revoke_all(self, account: AccountRef) -> int:
        """Sign the user out everywhere; how many sessions were ended."""
        user_id = _user_id(account)
        async with self._uow() as uow:
            count = await uow.web_sessions.revoke_all(user_id, now=self._clock())
            await uow.commit()
        logger.info("user %s signed out of %d web session(s)", user_id, count)
        return count
