"""Web sessions over HTTP on both backends: Mini App sign-in, one-time links, expiry,
revocation and the per-address limit on sign-in attempts."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jwt
import pytest
from sqlalchemy import select

from core.bootstrap import Container
from core.config import Settings
from core.db.models import LoginCode, UserSession
from tests.fakes.clock import FakeClock
from tests.fakes.webapp import OTHER_BOT_TOKEN, TOKEN, init_data
from tests.web_api import ApiClient, serving_api

ANN = 4242
PROXY_HEADERS = {"X-Forwarded-For": "203.0.113.7", "User-Agent": "Mozilla/5.0 (Ann's phone)"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # 127.0.0.1 is the trusted proxy: tests pick the client address with X-Forwarded-For.
    return settings.model_copy(update={"telegram_bot_token": TOKEN, "trusted_proxies": "127.0.0.1"})


@pytest.fixture
async def api(container: Container) -> AsyncIterator[ApiClient]:
    async with serving_api(container) as client:
        yield client


async def _sessions(c: Container) -> list[UserSession]:
    async with c.uow() as uow:
        return list((await uow.session.execute(select(UserSession))).scalars())


async def _telegram(api: ApiClient, data: str, ip: str = "198.51.100.1") -> tuple[int, Any]:
    return await api.call(
        "POST", "/api/auth/telegram", json={"init_data": data}, headers={"X-Forwarded-For": ip}
    )


async def test_mini_app_sign_in_makes_the_account_and_a_session(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    data = init_data(ANN, auth_date=clock() - timedelta(minutes=2), first_name="Ann")
    status, body = await api.call(
        "POST", "/api/auth/telegram", json={"init_data": data}, headers=PROXY_HEADERS
    )

    assert status == 200, body
    assert body["token_type"] == "bearer"
    assert body["expires_at"] == (clock() + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    account = await container.services.accounts.by_chat(ANN)
    assert account is not None and account.first_name == "Ann"
    status, me = await api.get("/api/me", body["access_token"])
    assert status == 200 and me["id"] == account.id and me["first_name"] == "Ann"
    (row,) = await _sessions(container)
    token = body["access_token"]
    assert row.user_id == account.id and row.revoked_at is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert (row.ip_address, row.user_agent) == ("203.0.113.7", "Mozilla/5.0 (Ann's phone)")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sid"] == row.id and claims["sub"] == str(account.id)


@pytest.mark.parametrize("case", ["forged", "other_bot", "stale", "future", "garbage"])
async def test_bad_init_data_gets_401_and_creates_nothing(
    api: ApiClient, container: Container, clock: FakeClock, case: str
) -> None:
    now = clock()
    if case == "forged":
        pairs = dict(parse_qsl(init_data(ANN, auth_date=now)))
        pairs["user"] = pairs["user"].replace(str(ANN), "777")
        data = urlencode(pairs)
    elif case == "other_bot":
        data = init_data(ANN, auth_date=now, bot_token=OTHER_BOT_TOKEN)
    elif case == "stale":
        data = init_data(ANN, auth_date=now - timedelta(days=1, minutes=1))
    elif case == "future":
        data = init_data(ANN, auth_date=now + timedelta(hours=1))
    else:
        data = "user=%7B%22id%22%3A4242%7D&auth_date=1&hash=00"

    status, body = await _telegram(api, data)

    assert status == 401 and isinstance(body["error"], str) and body["error"]
    assert api.last_headers["WWW-Authenticate"] == "Bearer"
    assert await container.services.accounts.by_chat(ANN) is None
    assert await container.services.accounts.by_chat(777) is None
    assert await _sessions(container) == []


async def test_api_calls_without_a_live_session_get_401(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    token = await api.sign_in(ANN, at=clock())
    (row,) = await _sessions(container)
    other_key = jwt.encode({"sub": "1", "sid": row.id, "exp": 4102444800}, "x" * 48, "HS256")
    for headers in (
        {},
        {"Authorization": "Basic YW5uOnB3"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": f"Bearer {other_key}"},
        {"Authorization": f"Bearer {token}x"},
    ):
        status, body = await api.call("GET", "/api/me", headers=headers)
        assert status == 401 and body["error"], headers
    assert (await api.get("/api/me", token))[0] == 200


async def test_a_session_ends_after_its_lifetime(api: ApiClient, clock: FakeClock) -> None:
    token = await api.sign_in(ANN, at=clock())
    clock.advance(days=7, seconds=-1)
    assert (await api.get("/api/me", token))[0] == 200
    clock.advance(seconds=1)
    status, body = await api.get("/api/me", token)
    assert status == 401 and "expired" in body["error"]


async def test_logout_revokes_that_session_only(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    phone = await api.sign_in(ANN, at=clock())
    laptop = await api.sign_in(ANN, at=clock())

    status, body = await api.call("POST", "/api/auth/logout", token=phone)

    assert (status, body) == (200, {"ok": True})
    assert (await api.get("/api/me", phone))[0] == 401
    assert (await api.get("/api/me", laptop))[0] == 200
    assert (await api.call("POST", "/api/auth/logout", token=phone))[0] == 401
    revoked = [s for s in await _sessions(container) if s.revoked_at is not None]
    assert len(revoked) == 1 and revoked[0].revoked_at == clock()


async def test_settings_list_live_sessions_and_revoke_them_all(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    sessions = container.services.web_sessions
    first = await api.sign_in(ANN, at=clock(), ip="192.0.2.10")
    clock.advance(minutes=1)
    second = await api.sign_in(ANN, at=clock(), ip="192.0.2.11")
    bob = await api.sign_in(5151, at=clock(), first_name="Bob")
    account = await container.services.accounts.by_chat(ANN)
    assert account is not None

    listed = await sessions.active(account)
    assert [s.ip_address for s in listed] == ["192.0.2.11", "192.0.2.10"]
    assert listed[0].expires_at == clock() + timedelta(days=7)

    assert await sessions.revoke_all(account) == 2
    assert (await api.get("/api/me", first))[0] == 401
    assert (await api.get("/api/me", second))[0] == 401
    assert (await api.get("/api/me", bob))[0] == 200
    assert await sessions.active(account) == []
    assert await sessions.revoke_all(account.id) == 0


async def test_a_deleted_account_loses_its_sessions(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    token = await api.sign_in(ANN, at=clock())
    account = await container.services.accounts.by_chat(ANN)
    assert account is not None
    await container.services.accounts.delete_everything(account.id)
    assert (await api.get("/api/me", token))[0] == 401
    assert await _sessions(container) == []


# -- one-time sign-in links ---------------------------------------------------------------------


async def _code_sign_in(api: ApiClient, code: str, ip: str = "198.51.100.2") -> tuple[int, Any]:
    return await api.call(
        "POST", "/api/auth/code", json={"code": code}, headers={"X-Forwarded-For": ip}
    )


async def test_a_link_code_signs_in_once(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    account = await container.services.accounts.get_or_create(ANN, first_name="Ann")
    issued = await container.services.web_sessions.issue_code(account)
    assert issued.expires_at == clock() + timedelta(minutes=5)
    async with container.uow() as uow:
        (row,) = (await uow.session.execute(select(LoginCode))).scalars()
    assert row.code_hash == hashlib.sha256(issued.code.encode()).hexdigest() != issued.code

    status, body = await _code_sign_in(api, issued.code)
    assert status == 200, body
    status, me = await api.get("/api/me", body["access_token"])
    assert status == 200 and me["id"] == account.id

    status, again = await _code_sign_in(api, issued.code)
    assert status == 401 and "expired or was already used" in again["error"]


async def test_a_link_code_expires_after_five_minutes(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    account = await container.services.accounts.get_or_create(ANN)
    stale = await container.services.web_sessions.issue_code(account)
    fresh = await container.services.web_sessions.issue_code(account)
    clock.advance(minutes=5)
    assert (await _code_sign_in(api, stale.code))[0] == 401
    assert (await _code_sign_in(api, "no-such-code"))[0] == 401
    clock.advance(seconds=-1)
    assert (await _code_sign_in(api, fresh.code))[0] == 200


async def test_two_browsers_racing_for_one_code_get_one_session(
    api: ApiClient, container: Container
) -> None:
    account = await container.services.accounts.get_or_create(ANN)
    issued = await container.services.web_sessions.issue_code(account)
    results = await asyncio.gather(*(_code_sign_in(api, issued.code) for _ in range(4)))
    assert sorted(status for status, _ in results) == [200, 401, 401, 401]
    assert len(await _sessions(container)) == 1


# -- the limit on sign-in attempts -----------------------------------------------------------------


async def test_sign_in_attempts_are_limited_per_client_address(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    account = await container.services.accounts.get_or_create(ANN)
    code = (await container.services.web_sessions.issue_code(account)).code
    forged = init_data(ANN, auth_date=clock(), bot_token=OTHER_BOT_TOKEN)
    for _ in range(10):
        assert (await _telegram(api, forged, ip="203.0.113.50"))[0] == 401
        assert (await _code_sign_in(api, "guess", ip="203.0.113.50"))[0] == 401

    status, body = await _code_sign_in(api, code, ip="203.0.113.50")  # even a good code
    assert status == 429 and "Too many sign-in attempts" in body["error"]
    assert body["retry_after"] == 600 and api.last_headers["Retry-After"] == "600"
    good = init_data(ANN, auth_date=clock())
    assert (await _telegram(api, good, ip="203.0.113.50"))[0] == 429
    assert (await _telegram(api, good, ip="203.0.113.51"))[0] == 200  # another address

    clock.advance(minutes=10)  # the window is over (and the first code has expired)
    code = (await container.services.web_sessions.issue_code(account)).code
    assert (await _code_sign_in(api, code, ip="203.0.113.50"))[0] == 200
