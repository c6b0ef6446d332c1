"""Transactions and statements per update, through the real dispatcher and the fake Bot API.

Every transaction the bot begins on either engine is recorded with the statements it ran, so
the tests can say: the account of a known chat is one statement (its plan included), and the
services after it never read the user again and stay within their transaction budget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from core.gateways.llm import build_llm
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAIServer


class Transactions:
    """The statements of each transaction begun on the watched engines, in order."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def begin(self, _conn: Any) -> None:
        self.seen.append([])

    def statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):  # SQLite's own BEGIN (IMMEDIATE)
            return
        if not self.seen:  # a statement outside any transaction would be a bug of its own
            self.seen.append([])
        self.seen[-1].append(" ".join(statement.split()).lower())

    def read(self, statement: str) -> None:
        self.seen.append([" ".join(statement.split()).lower()])

    def clear(self) -> None:
        self.seen.clear()


@contextmanager
def recording(container: Container) -> Iterator[Transactions]:
    """Every statement the container runs: the writer's and SQLite's readers' through their
    engine events, the single-statement reader's (inline on SQLite, asyncpg on PostgreSQL)
    through its observers, each read a transaction of its own."""
    record = Transactions()
    engines = [container.engine, container.read_engine]
    watched = list({id(e): e.sync_engine for e in engines if e is not None}.values())
    reader = container.uow.reader
    for engine in watched:
        event.listen(engine, "begin", record.begin)
        event.listen(engine, "before_cursor_execute", record.statement)
    reader.observers.append(record.read)
    try:
        yield record
    finally:
        reader.observers.remove(record.read)
        for engine in watched:
            event.remove(engine, "begin", record.begin)
            event.remove(engine, "before_cursor_execute", record.statement)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api
        assert api.violations == [], api.violations


@pytest.fixture
async def container(
    settings: Settings, clock: FakeClock, bot_api: FakeBotAPI, openai: FakeOpenAIServer
) -> AsyncIterator[Container]:
    wired = settings.model_copy(
        update={"telegram_api_base": bot_api.base_url, "telegram_bot_token": bot_api.token}
    )
    llm = build_llm(api_key="sk-test", base_url=openai.base_url, model="gpt-4o-mini", timeout_s=30)
    c = build(wired, clock=clock, cipher=Cipher([new_key()]), llm=llm)
    try:
        yield c
    finally:
        await llm.aclose()
        await c.close()


@pytest.fixture
async def harness(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    # A known chat: the account exists and has its zone before anything is counted.
    accounts = container.services.accounts
    account = await accounts.get_or_create(u.DEFAULT_USER_ID, first_name="Alex")
    await accounts.set_timezone(account.id, "Europe/Berlin")
    async with running_bot(container, bot_api) as h:
        yield h


async def _transactions(h: BotHarness, update: dict[str, Any]) -> list[list[str]]:
    """The transactions (each its statements) the bot ran to answer one update."""
    with recording(h.container) as record:
        await h.texts_after(update)
        return list(record.seen)


def _reads_users(statement: str) -> bool:
    return " from users" in statement or " join users" in statement


def _check_account_first(seen: list[list[str]]) -> list[list[str]]:
    """The first transaction resolves the account and its plan in one statement; the rest
    (returned) never read the user again."""
    assert seen, "no transaction at all"
    account, *rest = seen
    assert len(account) == 1, account
    assert _reads_users(account[0]) and "subscription_plans" in account[0], account[0]
    assert not [s for t in rest for s in t if _reads_users(s)], rest
    return rest


async def test_known_chat_resolves_in_one_statement_with_its_plan(harness: BotHarness) -> None:
    seen = await _transactions(harness, u.command("help"))
    assert _check_account_first(seen) == []


async def test_settings_costs_nothing_after_the_account(harness: BotHarness) -> None:
    # Profile and dashboard sessions come with the account's one statement.
    seen = await _transactions(harness, u.command("settings"))
    assert _check_account_first(seen) == []
    assert "user_sessions" in seen[0][0]


async def test_today_costs_one_transaction_after_the_account(harness: BotHarness) -> None:
    seen = await _transactions(harness, u.command("today"))
    rest = _check_account_first(seen)
    assert len(rest) <= 1, rest


async def test_coach_message_costs_two_transactions_after_the_account(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    seen = await _transactions(harness, u.text_message("How is my form?"))
    rest = _check_account_first(seen)
    assert len(openai.chat_requests) == 1
    # One takes the unit and reads the context, one stores the exchange and logs usage.
    assert len(rest) <= 2, rest
    taken, stored = rest
    assert any("user_usage" in s for s in taken) and any("chat_messages" in s for s in taken)
    assert any("insert into chat_messages" in s for s in stored)
    assert any("insert into ai_usage_logs" in s for s in stored)
