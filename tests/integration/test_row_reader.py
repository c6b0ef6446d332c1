"""The single-statement reader gives the same account as a unit of work, on both databases,
and survives a PostgreSQL connection that died under it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from core.accounts.context import load_account, read_account
from core.bootstrap import Container
from core.db.reader import AsyncpgReader
from tests.fakes.clock import FakeClock


async def _pro_athlete(container: Container, clock: FakeClock) -> int:
    """An account with every kind of column set: zone, times, a subscription, a profile."""
    accounts = container.services.accounts
    account = await accounts.get_or_create(4242, first_name="Ana", language="es")
    await accounts.set_timezone(account.id, "Europe/Madrid")
    await accounts.set_summary_time(account.id, "06:45")
    await accounts.update_profile(account.id, ftp=265, threshold_pace_s_per_km=262.5, sex="female")
    async with container.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.billing.save_subscription(
            account.id,
            plan_id=pro.id,
            status="active",
            provider="stripe",
            current_period_end=clock() + timedelta(days=20),
        )
        await uow.users.update_fields(account.id, secret_due_until=clock() + timedelta(minutes=5))
        await uow.commit()
    return account.id


async def test_the_reader_reads_what_a_unit_of_work_reads(
    container: Container, clock: FakeClock
) -> None:
    user_id = await _pro_athlete(container, clock)
    async with container.uow(readonly=True) as uow:
        expected = await load_account(uow, now=clock(), user_id=user_id)
    reader = container.uow.reader
    by_id = await read_account(reader, now=clock(), user_id=user_id)
    by_chat = await read_account(reader, now=clock(), chat_id=4242)
    assert expected is not None and expected.plan.code == "pro"
    assert expected.secret_due_until is not None and expected.profile.ftp == 265
    assert by_id == expected and by_chat == expected
    assert await read_account(reader, now=clock(), chat_id=999_999) is None


async def test_a_postgres_connection_killed_under_the_reader_is_replaced(
    container: Container, clock: FakeClock
) -> None:
    reader = container.uow.reader
    if not isinstance(reader, AsyncpgReader):
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    user_id = await _pro_athlete(container, clock)
    assert await read_account(reader, now=clock(), user_id=user_id) is not None
    url = make_url(container.settings.database_url)
    admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        pids = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            url.database,
        )
        assert pids
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid",
                            [p["pid"] for p in pids])  # fmt: skip
        for _ in range(300):  # termination is asynchronous: wait until they are gone
            left = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])",
                [p["pid"] for p in pids],
            )
            if not left:
                break
            await asyncio.sleep(0.1)
        assert not left
    finally:
        await admin.close()
    again = await read_account(reader, now=clock(), user_id=user_id)
    assert again is not None and again.id == user_id
