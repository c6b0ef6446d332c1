"""PostgreSQL row-level security, connected as the application's role (no superuser, no
BYPASSRLS): a user scope sees and writes only its own rows in every tenant table, the system
scope sees all, no scope sees nothing, and the bot and the API work as that role."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Table, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.notifier import Notifier
from bot.runtime.jobs import Scheduler
from bot.runtime.telegram import make_bot
from bot.web.stripe_webhook import STRIPE_WEBHOOK_PATH
from core.bootstrap import Container, build
from core.config import Settings
from core.db.engine import make_engine
from core.db.models import AIUsageLog, Base, Push, RaceGoal, User
from core.db.scope import current_scope, system_scope, user_scope
from core.gateways.cipher import Cipher, new_key
from core.limits.ai_usage_repository import AIUsageRepository
from tests import db
from tests.e2e.harness import running_bot, serving_web
from tests.fakes import stripe_events as ev
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.stripe_api import FakeStripeAPI
from tests.fakes.webapp import TOKEN as WEBAPP_TOKEN
from tests.integration.test_isolation import READS, _owner, _rows, _seed
from tests.integration.test_scheduler import _athlete
from tests.web_api import serving_api

MIGRATIONS = [
    importlib.import_module("migrations.versions.0005_row_level_security"),
    importlib.import_module("migrations.versions.0006_coach_acts"),
]
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def _tenant_tables() -> dict[str, str]:
    """Every table holding a user's rows, with the column naming its user."""
    tables = {t.name: "user_id" for t in Base.metadata.sorted_tables if "user_id" in t.c}
    return {"users": "id", **tables}


@pytest.fixture(scope="module")
def role_db() -> Iterator[str]:
    """A migrated database of its own and the URL connecting to it as a new app role."""
    if not db.pg_admin_url():
        pytest.skip(db.PG_SKIP_REASON)
    url = asyncio.run(db.create_pg_database("trainbot_rls"))
    asyncio.run(db.migrate_url(url))
    role_url = asyncio.run(db.create_app_role(url))
    yield role_url
    asyncio.run(db.drop_pg_database(url))
    asyncio.run(db.drop_app_role(role_url))


@pytest.fixture
async def role_url(role_db: str) -> str:
    """The role's URL, the database emptied first (by the superuser)."""
    admin = make_engine(db.admin_url_of(role_db))
    try:
        await db.truncate_all(admin)
    finally:
        await admin.dispose()
    return role_db


@pytest.fixture
async def engine(role_url: str) -> AsyncIterator[AsyncEngine]:
    e = make_engine(role_url)
    yield e
    await e.dispose()


@pytest.fixture
def role_settings(role_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=role_url,
        data_dir=str(tmp_path / "data"),
        credentials_keys=new_key(),
        telegram_bot_token=WEBAPP_TOKEN,
    )


@pytest.fixture
async def role_container(role_settings: Settings, clock: FakeClock) -> AsyncIterator[Container]:
    c = build(role_settings, clock=clock, cipher=Cipher([new_key()]))
    yield c
    await c.close()


# -- one row per user in every tenant table ---------------------------------------------------


def _value(table: Table, column: Any, n: int) -> Any:
    base = getattr(column.type, "impl", column.type)  # a TypeDecorator's own type
    if isinstance(base, JSON):
        return {}
    kind = base.python_type
    if kind is str:
        length = getattr(column.type, "length", None) or 64
        return f"{table.name}-{column.name}-{n}"[-length:]
    if kind is datetime:
        return NOW
    if kind is date:
        return date(2026, 11, 1 + n % 28)
    if kind is bool:
        return False
    if kind is int:
        return n
    if kind is float:
        return 1.0
    raise AssertionError(f"no test value for {table.name}.{column.name} ({kind})")


async def _seed_every_table(engine: AsyncEngine, users: list[int]) -> None:
    """Users `users` (ids as given) and one row of each in every tenant table."""
    tenant = _tenant_tables()
    async with system_scope(), engine.begin() as conn:
        plan_id = (await conn.execute(text("SELECT min(id) FROM subscription_plans"))).scalar()
        ids: dict[tuple[str, int], Any] = {}
        for table in Base.metadata.sorted_tables:
            if table.name not in tenant:
                continue
            for uid in users:
                row: dict[str, Any] = {}
                for column in table.c:
                    if column.name == "user_id" or (table.name == "users" and column.name == "id"):
                        row[column.name] = uid
                    elif column.foreign_keys:
                        (fk,) = column.foreign_keys
                        target = fk.column.table.name
                        row[column.name] = (
                            plan_id if target == "subscription_plans" else ids[(target, uid)]
                        )
                    elif column.primary_key and column.type.python_type is int:
                        continue  # the sequence gives it
                    elif (
                        not column.nullable
                        and column.default is None
                        and (column.server_default is None)
                    ):
                        row[column.name] = _value(table, column, uid)
                pk = list(table.primary_key.columns)
                result = await conn.execute(insert(table).values(row).returning(*pk))
                ids[(table.name, uid)] = result.scalar()


@pytest.fixture
async def seeded(engine: AsyncEngine) -> tuple[int, int]:
    a, b = 101, 202
    await _seed_every_table(engine, [a, b])
    return a, b


async def _owners(engine: AsyncEngine) -> dict[str, list[int | None]]:
    """Whose rows each tenant table shows in the current scope."""
    seen: dict[str, list[int | None]] = {}
    async with engine.connect() as conn:
        for table, column in _tenant_tables().items():
            rows = await conn.execute(text(f"SELECT {column} FROM {table} ORDER BY {column}"))
            seen[table] = [r[0] for r in rows]
    return seen


# -- the tests ----------------------------------------------------------------------------------


async def test_rls_is_forced_on_every_tenant_table_for_a_plain_role(engine: AsyncEngine) -> None:
    policed = {table for m in MIGRATIONS for table in m.TENANT_TABLES}
    assert policed | {"users"} == set(_tenant_tables())
    async with engine.connect() as conn:
        su, bypass = (
            await conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        flags = await conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                " (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        )
        secured = {name for name, on, forced, policies in flags if on and forced and policies}
    assert (su, bypass) == (False, False)
    assert secured == set(_tenant_tables())  # and no other table (plans, throttles) is


async def test_rls_user_scope_sees_only_its_rows_in_every_tenant_table(
    engine: AsyncEngine, seeded: tuple[int, int]
) -> None:
    a, b = seeded
    for uid in (a, b):
        with user_scope(uid):
            seen = await _owners(engine)
        assert seen == {table: [uid] for table in _tenant_tables()}


async def test_rls_system_scope_sees_every_row(
    engine: AsyncEngine, seeded: tuple[int, int]
) -> None:
    with system_scope():
        seen = await _owners(engine)
    assert seen == {table: sorted(seeded) for table in _tenant_tables()}


async def test_rls_no_scope_sees_nothing(engine: AsyncEngine, seeded: tuple[int, int]) -> None:
    assert current_scope() is None
    seen = await _owners(engine)
    assert seen == {table: [] for table in _tenant_tables()}
    async with engine.connect() as conn:  # the shared plans are no tenant's
        assert (await conn.execute(text("SELECT count(*) FROM subscription_plans"))).scalar()


async def test_rls_write_of_another_users_row_fails_the_check(
    engine: AsyncEngine, seeded: tuple[int, int]
) -> None:
    a, b = seeded
    goal = {"name": "Berlin", "race_date": date(2027, 9, 26)}
    with user_scope(a):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="row-level security"):
                await conn.execute(insert(RaceGoal).values(user_id=b, **goal))
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="row-level security"):
                await conn.execute(update(RaceGoal).where(RaceGoal.user_id == a).values(user_id=b))
        async with engine.begin() as conn:
            # B's rows are not there to change: nothing happens to them.
            moved = await conn.execute(
                update(RaceGoal).where(RaceGoal.user_id == b).values(name="x")
            )
            gone = await conn.execute(text("DELETE FROM race_goals WHERE user_id = :b"), {"b": b})
            assert (moved.rowcount, gone.rowcount) == (0, 0)
            await conn.execute(insert(RaceGoal).values(user_id=a, **goal))  # its own: fine
    with system_scope():
        async with engine.connect() as conn:
            per_user = select(RaceGoal.user_id, func.count()).group_by(RaceGoal.user_id)
            counts = {uid: n for uid, n in (await conn.execute(per_user)).all()}
            names = (await conn.execute(select(RaceGoal.name).where(RaceGoal.user_id == b))).all()
    assert counts == {a: 2, b: 1}
    assert names[0][0] != "x"


async def _leaky_for_user(self: AIUsageRepository, user_id: int, *, since: datetime) -> Any:
    """AIUsageRepository.for_user with its user filter forgotten."""
    stmt = select(AIUsageLog).where(AIUsageLog.created_at >= since).order_by(AIUsageLog.id)
    return list((await self.session.execute(stmt)).scalars())


async def _leaky_user_get(self: Any, user_id: int) -> Any:
    """UserRepository.get with its filter forgotten: the newest user."""
    return (await self.session.execute(select(User).order_by(User.id.desc()).limit(1))).scalar()


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a_rows=st.integers(0, 3), b_rows=st.integers(1, 4), chat_a=st.integers(1, 10**12))
async def test_rls_isolation_holds_with_a_repository_filter_removed(
    role_container: Container,
    monkeypatch: pytest.MonkeyPatch,
    a_rows: int,
    b_rows: int,
    chat_a: int,
) -> None:
    from core.accounts.repository import UserRepository

    monkeypatch.setattr(AIUsageRepository, "for_user", _leaky_for_user)
    monkeypatch.setattr(UserRepository, "get", _leaky_user_get)
    c = role_container
    with system_scope():  # the test's own set-up spans both users
        a = await _seed(c, chat_a, a_rows)
        b = await _seed(c, chat_a + 1, b_rows)
        # The filters are really gone: across users, the leaky reads return B's rows.
        async with c.uow() as uow:
            assert b in {_owner(r) for r in _rows(await READS["ai_usage.for_user"](uow, a))}
            assert _owner(await READS["users.get"](uow, a)) == b
    with user_scope(a):
        async with c.uow() as uow:
            for name, read in READS.items():
                for row in _rows(await read(uow, a)):
                    assert _owner(row) in (a, None), f"{name} returned a row of user {b}"
    with system_scope():
        await c.services.accounts.delete_everything(a)
        await c.services.accounts.delete_everything(b)


async def test_rls_bot_answers_as_the_app_role(role_settings: Settings, clock: FakeClock) -> None:
    async with FakeBotAPI() as api:
        wired = role_settings.model_copy(
            update={"telegram_api_base": api.base_url, "telegram_bot_token": api.token}
        )
        c = build(wired, clock=clock, cipher=Cipher([new_key()]))
        try:
            async with running_bot(c, api) as h:
                # First contact makes the account (system scope), then the update's work
                # runs in the new user's scope; the second update finds the account.
                first = await h.texts_after(u.command("today"))
                again = await h.texts_after(u.command("today"))
                added = await h.texts_after(
                    u.command("goal", "add Berlin Marathon 2099-09-26 42.2")
                )
                listed = await h.texts_after(u.command("goal"))
            with system_scope():
                account = await c.services.accounts.by_chat(u.DEFAULT_USER_ID)
                assert account is not None
                async with c.uow() as uow:
                    goals = await uow.goals.list(account.id)
        finally:
            await c.close()
        assert api.violations == [], api.violations
    assert "No training data yet" in first[0] and "No training data yet" in again[0]
    assert "Berlin Marathon" in added[0] and "Berlin Marathon" in listed[0]
    assert [g.name for g in goals] == ["Berlin Marathon"]


async def test_rls_api_answers_as_the_app_role(role_container: Container, clock: FakeClock) -> None:
    c = role_container
    async with serving_api(c) as api:
        token = await api.sign_in(4242, at=clock(), bot_token=c.settings.telegram_bot_token)
        status, me = await api.get("/api/me", token)
        assert status == 200, me
        status, rides = await api.get("/api/activities", token)
        assert status == 200, rides
    with system_scope():
        account = await c.services.accounts.by_chat(4242)
    assert account is not None and me["id"] == account.id


async def test_rls_scheduler_tick_sends_the_morning_summary_as_the_app_role(
    role_settings: Settings, clock: FakeClock
) -> None:
    """No scope around the tick: the scheduler and the sender set their own (system)."""
    async with FakeBotAPI() as api:
        wired = role_settings.model_copy(
            update={"telegram_api_base": api.base_url, "telegram_bot_token": api.token}
        )
        c = build(wired, clock=clock, cipher=Cipher([new_key()]))
        bot = make_bot(wired, token=api.token)
        scheduler = Scheduler(c, bot, clock=clock)
        try:
            with system_scope():
                berlin = await _athlete(c, 1, "Europe/Berlin")
                await _athlete(c, 2, "America/New_York")
            clock.set(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # 07:00 in Berlin
            assert current_scope() is None
            result = await scheduler.tick(clock())
            with system_scope():
                async with c.uow() as uow:
                    pushes = (await uow.session.execute(select(Push))).scalars().all()
        finally:
            await scheduler.stop()
            await bot.session.close()
            await c.close()
        sent = api.sent_texts(1)
        assert api.violations == [], api.violations
    assert (result.active, result.summaries_enqueued) == (True, 1)
    assert [(p.user_id, p.kind, p.status) for p in pushes] == [(berlin, "summary", "sent")]
    assert len(sent) == 1 and api.sent_texts(2) == []


async def test_rls_stripe_event_makes_pro_and_tells_the_user_as_the_app_role(
    role_settings: Settings, clock: FakeClock
) -> None:
    """No scope around the webhook: it sets its own (system), as the sender does."""
    async with FakeBotAPI() as api, FakeStripeAPI() as stripe_api:
        wired = role_settings.model_copy(
            update={
                "telegram_api_base": api.base_url,
                "telegram_bot_token": api.token,
                "stripe_api_key": stripe_api.api_key,
                "stripe_api_base": stripe_api.base_url,
                "stripe_price_id": ev.PRICE_ID,
                "stripe_webhook_secret": ev.WEBHOOK_SECRET,
            }
        )
        c = build(wired, clock=clock, cipher=Cipher([new_key()]))
        try:
            with system_scope():
                user_id = (await c.services.accounts.get_or_create(u.DEFAULT_USER_ID)).id
            sub = stripe_api.add_subscription(user_id=user_id)
            evt = ev.checkout_completed(
                user_id=user_id, customer=sub["customer"], subscription=sub["id"]
            )
            body, signature = ev.signed(evt, ev.WEBHOOK_SECRET)
            async with serving_web(c, api) as client:
                assert current_scope() is None
                resp = await client.post(
                    STRIPE_WEBHOOK_PATH,
                    data=body,
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                )
                assert resp.status == 200
                app = client.app
                await Notifier(app.state.bot, c.services.pushes, rate_per_s=50).flush()
            with user_scope(user_id):
                plan = (await c.services.gate.plan_for(user_id)).code
        finally:
            await c.close()
        texts = api.sent_texts(u.DEFAULT_USER_ID)
    assert plan == "pro"
    assert len(texts) == 1 and texts[0].startswith("🎉 Welcome to Pro until")
