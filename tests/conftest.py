"""Shared fixtures: both database backends, a container wired to them, a fake clock."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.bootstrap import Container, build
from core.config import Settings
from core.db.engine import make_engine
from core.db.scope import system_scope
from core.gateways.cipher import Cipher, new_key
from core.gateways.llm import build_llm
from tests import db
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fakes.openai_server import FakeOpenAIServer

BACKENDS = ["sqlite", "postgres"]
# Set: the PostgreSQL tests connect as a plain role under row-level security (as the bot does
# in production) instead of the superuser, each test in system scope unless it sets its own.
APP_ROLE_ENV = "TEST_POSTGRES_AS_APP_ROLE"


def as_app_role() -> bool:
    return bool(os.environ.get(APP_ROLE_ENV))


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI_REQUIRE_POSTGRES") and not db.pg_admin_url():
        raise pytest.UsageError(f"CI_REQUIRE_POSTGRES is set but {db.PG_ENV} is not")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return db.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str | None]:
    """One migrated PostgreSQL database for the whole run (tables emptied per test)."""
    if not db.pg_admin_url():
        yield None
        return
    url = asyncio.run(db.create_pg_database())
    asyncio.run(db.migrate_url(url))
    if not as_app_role():
        yield url
        asyncio.run(db.drop_pg_database(url))
        return
    role_url = asyncio.run(db.create_app_role(url))
    yield role_url
    asyncio.run(db.drop_pg_database(url))
    asyncio.run(db.drop_app_role(role_url))


@pytest.fixture(autouse=True)
def _system_scope_as_app_role(request: pytest.FixtureRequest) -> Iterator[None]:
    """With APP_ROLE_ENV, a test's own set-up and checks span users: system scope (the RLS
    tests set their scopes themselves)."""
    if not as_app_role() or "rls" in request.node.name:
        yield
        return
    with system_scope():
        yield


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not db.pg_admin_url():
        pytest.skip(db.PG_SKIP_REASON)
    return str(request.param)


@pytest.fixture
async def db_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg_session_url: str | None
) -> str:
    if backend == "sqlite":
        return db.copy_sqlite(sqlite_template, tmp_path)
    assert pg_session_url is not None
    engine = make_engine(db.admin_url_of(pg_session_url))
    try:
        await db.truncate_all(engine)
    finally:
        await engine.dispose()
    return pg_session_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        data_dir=str(tmp_path / "data"),
        credentials_keys=new_key(),
    )


@pytest.fixture
async def container(settings: Settings, clock: FakeClock) -> AsyncIterator[Container]:
    c = build(settings, clock=clock, cipher=Cipher([settings.credentials_keys or new_key()]))
    yield c
    await c.close()


@pytest.fixture
def fake() -> FakeGarmin:
    """The Garmin gateway of `garmin_container`: tests script it and read what it was sent."""
    return FakeGarmin()


@pytest.fixture
async def garmin_container(
    settings: Settings, clock: FakeClock, fake: FakeGarmin
) -> AsyncIterator[Container]:
    """The product wired to the fake Garmin gateway."""
    c = build(settings, clock=clock, cipher=Cipher([settings.credentials_keys or new_key()]),
              garmin=fake)  # fmt: skip
    yield c
    await c.close()


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAIServer]:
    """A fake OpenAI-compatible server on 127.0.0.1: tests script its answers."""
    async with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
async def coach_container(
    settings: Settings, clock: FakeClock, openai: FakeOpenAIServer
) -> AsyncIterator[Container]:
    """The product with its coach talking to the fake OpenAI server over HTTP."""
    llm = build_llm(api_key="sk-test", base_url=openai.base_url, model="gpt-4o-mini", timeout_s=30)
    c = build(
        settings, clock=clock, cipher=Cipher([settings.credentials_keys or new_key()]), llm=llm
    )
    try:
        yield c
    finally:
        await llm.aclose()
        await c.close()
