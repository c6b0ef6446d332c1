"""The FeatureGate on both backends: exact limits under concurrency, local windows, refunds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.bootstrap import Container
from core.errors import LimitReached, ProOnly, UnknownFeature, UnknownUser
from core.limits.feature_gate import Feature, release_active_plans
from tests.fakes.clock import FakeClock


async def _user(c: Container, chat_id: int = 1, tz: str = "UTC") -> int:
    acc = await c.services.accounts.get_or_create(chat_id, first_name="Ann")
    await c.services.accounts.set_timezone(acc.id, tz)
    return acc.id


async def _make_pro(c: Container, user_id: int, *, status: str = "active") -> None:
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(user_id, plan_id=pro.id, provider="stripe", status=status)
        await uow.commit()


async def test_200_concurrent_chat_requests_grant_exactly_10(container: Container) -> None:
    uid = await _user(container)

    async def one() -> bool:
        try:
            await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
            return True
        except LimitReached:
            return False

    results = await asyncio.gather(*(one() for _ in range(200)))
    assert results.count(True) == 10
    assert results.count(False) == 190
    report = await container.services.gate.remaining(uid)
    chat = next(f for f in report.features if f.feature == Feature.AI_CHAT)
    assert (chat.used, chat.limit) == (10, 10)


async def test_limit_reached_names_feature_limit_and_local_reset(
    container: Container, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 10, 20, 0, tzinfo=UTC))  # 21:00 in Berlin
    uid = await _user(container, tz="Europe/Berlin")
    for _ in range(10):
        await container.services.gate.check_and_increment(uid, "ai_chat")
    with pytest.raises(LimitReached) as info:
        await container.services.gate.check_and_increment(uid, "ai_chat")
    assert info.value.feature == "ai_chat"
    assert info.value.limit == 10
    assert info.value.resets_at == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


async def test_day_window_turns_at_each_users_local_midnight(
    container: Container, clock: FakeClock
) -> None:
    # 22:30 UTC: already the next day in Tokyo, still the same day in New York.
    clock.set(datetime(2026, 6, 1, 14, 0, tzinfo=UTC))
    tokyo = await _user(container, 1, "Asia/Tokyo")
    new_york = await _user(container, 2, "America/New_York")
    for uid in (tokyo, new_york):
        for _ in range(10):
            await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
        with pytest.raises(LimitReached):
            await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)

    clock.set(datetime(2026, 6, 1, 15, 30, tzinfo=UTC))  # 00:30 in Tokyo, 11:30 in New York
    await container.services.gate.check_and_increment(tokyo, Feature.AI_CHAT)
    with pytest.raises(LimitReached):
        await container.services.gate.check_and_increment(new_york, Feature.AI_CHAT)

    clock.set(datetime(2026, 6, 2, 4, 0, tzinfo=UTC))  # 00:00 in New York
    await container.services.gate.check_and_increment(new_york, Feature.AI_CHAT)


async def test_month_window_and_refund(container: Container, clock: FakeClock) -> None:
    clock.set(datetime(2026, 1, 31, 12, 0, tzinfo=UTC))
    uid = await _user(container)
    gate = container.services.gate
    grants = [await gate.check_and_increment(uid, Feature.AI_ANALYSIS) for _ in range(5)]
    with pytest.raises(LimitReached) as info:
        await container.services.gate.check_and_increment(uid, Feature.AI_ANALYSIS)
    assert info.value.resets_at == datetime(2026, 2, 1, tzinfo=UTC)
    await container.services.gate.refund(grants[-1])
    await container.services.gate.check_and_increment(uid, Feature.AI_ANALYSIS)
    clock.advance(days=1)
    await container.services.gate.check_and_increment(uid, Feature.AI_ANALYSIS)


async def test_active_plans_count_until_released(container: Container, clock: FakeClock) -> None:
    uid = await _user(container)
    await container.services.gate.check_and_increment(uid, Feature.AI_PLAN)
    clock.advance(days=400)
    with pytest.raises(LimitReached) as info:
        await container.services.gate.check_and_increment(uid, Feature.AI_PLAN)
    assert info.value.resets_at is None
    async with container.uow() as uow:
        await release_active_plans(uow, uid, 1)
        await uow.commit()
    await container.services.gate.check_and_increment(uid, Feature.AI_PLAN)


async def test_pro_is_unlimited_and_exports(container: Container, clock: FakeClock) -> None:
    uid = await _user(container)
    with pytest.raises(ProOnly):
        await container.services.gate.require_export(uid)
    assert await container.services.gate.history_start(uid) == clock().date() - timedelta(days=180)
    await _make_pro(container, uid)
    for _ in range(30):
        await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
    await container.services.gate.require_export(uid)
    assert await container.services.gate.has_priority_sync(uid)
    assert await container.services.gate.history_start(uid) is None


async def test_canceled_subscription_falls_back_to_free(container: Container) -> None:
    uid = await _user(container)
    await _make_pro(container, uid, status="canceled")
    plan = await container.services.gate.plan_for(uid)
    assert plan.code == "free"


async def test_unknown_feature_and_user_write_nothing(container: Container) -> None:
    uid = await _user(container)
    with pytest.raises(UnknownFeature, match="ai_teleport"):
        await container.services.gate.check_and_increment(uid, "ai_teleport")
    with pytest.raises(UnknownUser):
        await container.services.gate.check_and_increment(uid + 999, Feature.AI_CHAT)
    report = await container.services.gate.remaining(uid)
    assert all(f.used == 0 for f in report.features)
