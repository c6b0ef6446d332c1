"""A new athlete's first morning summary comes the next morning, never in the afternoon."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.bootstrap import Container
from tests.fakes.clock import FakeClock


async def _newcomer(c: Container, chat_id: int) -> int:
    """An account made now (the fake clock), with an activity so a summary has content."""
    uid = (await c.services.accounts.get_or_create(chat_id)).id
    async with c.uow() as uow:
        await uow.training.add_activities(uid, [{
            "content_hash": f"first{chat_id}", "sport": "running",
            "start_time": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
            "local_date": date(2026, 11, 24), "timer_s": 3600.0, "load": 60.0,
        }])  # fmt: skip
        await uow.commit()
    return uid


async def _due(c: Container, clock: FakeClock) -> set[int]:
    return {item.user_id for item in await c.services.daily_summary.due(clock())}


async def test_arriving_after_summary_time_waits_for_the_next_morning(
    container: Container, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 25, 5, 0, tzinfo=UTC))
    early = await _newcomer(container, 1)
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))  # 07:00 UTC has passed
    late = await _newcomer(container, 2)
    assert await _due(container, clock) == {early}  # who came before 07:00 has it today
    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    assert await _due(container, clock) == {early, late}


async def test_setting_a_zone_where_it_is_afternoon_waits_for_the_next_morning(
    container: Container, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 25, 5, 0, tzinfo=UTC))  # 05:00 in UTC: not yet due there
    uid = await _newcomer(container, 1)
    clock.set(datetime(2026, 11, 25, 5, 30, tzinfo=UTC))  # 14:30 in Tokyo
    account = await container.services.accounts.set_timezone(uid, "Tokyo")
    assert account.timezone == "Asia/Tokyo"
    assert uid not in await _due(container, clock)
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))  # 07:00 UTC means nothing to Tokyo
    assert uid not in await _due(container, clock)
    clock.set(datetime(2026, 11, 25, 22, 0, tzinfo=UTC))  # 07:00 on the 26th in Tokyo
    assert uid in await _due(container, clock)
