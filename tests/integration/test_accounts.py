"""Accounts on both backends: get-or-create, settings, profile, delete everything."""

from __future__ import annotations

import asyncio
from datetime import time

import pytest
from sqlalchemy import func, select

from core.bootstrap import Container
from core.db.models import Base
from core.errors import BadInput, BadTimezone, UnknownUser
from core.limits.feature_gate import Feature


async def test_get_or_create_is_idempotent_under_concurrency(container: Container) -> None:
    accounts = await asyncio.gather(
        *(container.services.accounts.get_or_create(42, first_name="Bo") for _ in range(20))
    )
    assert len({a.id for a in accounts}) == 1
    assert sum(a.is_new for a in accounts) == 1
    again = await container.services.accounts.get_or_create(42)
    assert not again.is_new and again.first_name == "Bo" and again.timezone == "UTC"


async def test_blocked_user_is_active_again_when_they_write(container: Container) -> None:
    acc = await container.services.accounts.get_or_create(7)
    await container.services.accounts.set_blocked(acc.id, True)
    assert (await container.services.accounts.get(acc.id)).is_blocked
    back = await container.services.accounts.get_or_create(7)
    assert not back.is_blocked


async def test_settings_are_validated(container: Container) -> None:
    acc = await container.services.accounts.get_or_create(1)
    updated = await container.services.accounts.set_timezone(acc.id, "America/Sao_Paulo")
    assert updated.timezone == "America/Sao_Paulo" and updated.timezone_set
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin; drop"):
        with pytest.raises(BadTimezone):
            await container.services.accounts.set_timezone(acc.id, bad)
    assert (await container.services.accounts.get(acc.id)).timezone == "America/Sao_Paulo"
    accounts = container.services.accounts
    assert (await accounts.set_summary_time(acc.id, "6:30")).summary_time == time(6, 30)
    with pytest.raises(BadInput, match="HH:MM"):
        await container.services.accounts.set_summary_time(acc.id, "25:99")
    with pytest.raises(BadInput):
        await container.services.accounts.set_units(acc.id, "furlongs")
    with pytest.raises(UnknownUser):
        await container.services.accounts.set_units(acc.id + 100, "metric")


async def test_profile_values_have_plausible_ranges(container: Container) -> None:
    acc = await container.services.accounts.get_or_create(1)
    accounts = container.services.accounts
    profile = await accounts.update_profile(acc.id, hr_max=190, ftp=250, sex="female")
    assert (profile.hr_max, profile.ftp, profile.sex) == (190, 250, "female")
    with pytest.raises(BadInput, match="FTP must be between"):
        await container.services.accounts.update_profile(acc.id, ftp=2500)
    assert (await container.services.accounts.profile(acc.id)).ftp == 250
    cleared = await container.services.accounts.update_profile(acc.id, ftp=None)
    assert cleared.ftp is None and cleared.hr_max == 190


async def test_delete_everything_touches_every_table_of_that_user_only(
    container: Container,
) -> None:
    a = await container.services.accounts.get_or_create(1)
    b = await container.services.accounts.get_or_create(2)
    for uid in (a.id, b.id):
        await container.services.accounts.update_profile(uid, hr_max=180)
        await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
        await container.services.ai_usage.log_usage(
            request_id=f"r{uid}",
            user_id=uid,
            model_id="gpt-4o-mini",
            input_tokens=10,
            output_tokens=5,
            analysis_type="chat",
            latency_ms=3,
            status="ok",
        )
    await container.services.accounts.delete_everything(a.id)
    async with container.uow() as uow:
        for table in Base.metadata.sorted_tables:
            if "user_id" in table.c:
                left = await uow.session.scalar(
                    select(func.count()).select_from(table).where(table.c.user_id == a.id)
                )
                assert left == 0, table.name
        assert await uow.users.get(a.id) is None
        assert await uow.users.get(b.id) is not None
        assert await uow.ai_usage.count_for_user(b.id) == 1
