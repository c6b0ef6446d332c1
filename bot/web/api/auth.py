"""Signing in (Mini App initData or a one-time link's code) and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from bot.web.api.errors import ApiRoute
from bot.web.api.schemas import CodeSignIn, OkOut, TelegramSignIn, TokenOut
from bot.web.api.session_dep import ServicesDep, SessionDep
from bot.web.deps import client_ip
from core.accounts.sessions import IssuedSession
from core.db.scope import system_scope

router = APIRouter(prefix="/auth", route_class=ApiRoute, tags=["sessions"])
ClientIp = Annotated[str, Depends(client_ip)]


def _token(issued: IssuedSession) -> TokenOut:
    return TokenOut(access_token=issued.access_token, expires_at=issued.expires_at)


def _agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


@router.post("/telegram", response_model=TokenOut)
async def sign_in_telegram(
    body: TelegramSignIn, request: Request, services: ServicesDep, ip: ClientIp
) -> TokenOut:
    """A session for the Telegram user of the Mini App's initData."""
    with system_scope():  # finds or makes the account: its user is not known yet
        issued = await services.web_sessions.sign_in_telegram(
            body.init_data, ip=ip, user_agent=_agent(request)
        )
    return _token(issued)


@router.post("/code", response_model=TokenOut)
async def sign_in_code(
    body: CodeSignIn, request: Request, services: ServicesDep, ip: ClientIp
) -> TokenOut:
    """A session for the one-time code of a sign-in link (sent by /web)."""
    with system_scope():  # the code names the user
        issued = await services.web_sessions.sign_in_code(
            body.code, ip=ip, user_agent=_agent(request)
        )
    return _token(issued)


@router.post("/logout", response_model=OkOut)
async def logout(session: SessionDep, services: ServicesDep) -> OkOut:
    """End this session."""
    await services.web_sessions.logout(session)
    return OkOut()
