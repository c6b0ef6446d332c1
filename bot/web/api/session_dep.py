"""The session of an API call, from its bearer token: checked live in the database each time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from bot.web.deps import get_services
from core.accounts.sessions import ApiSession
from core.bootstrap import Services
from core.db.scope import user_scope
from core.errors import NotSignedIn

MAX_TOKEN_CHARS = 4096
ServicesDep = Annotated[Services, Depends(get_services)]


async def current_session(request: Request, services: ServicesDep) -> AsyncIterator[ApiSession]:
    """The live session the Authorization header names (NotSignedIn: 401).

    The call then sees only its user's rows (row-level security on PostgreSQL)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        raise NotSignedIn("Sign in first: this needs an Authorization: Bearer token.")
    session = await services.web_sessions.authenticate(token)
    with user_scope(session.account.id):
        yield session


SessionDep = Annotated[ApiSession, Depends(current_session)]
