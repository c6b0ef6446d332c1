"""The push outbox on both backends: stored once per key, what is pending, how pushes end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from core.bootstrap import Container
from core.notify.outbox import PushService, from_data
from tests.fakes.clock import FakeClock


@pytest.fixture
def pushes(container: Container, clock: FakeClock) -> PushService:
    return PushService(container.uow, clock)


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id


async def _make_pro(c: Container, user_id: int) -> None:
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(user_id, plan_id=pro.id, provider="stripe", status="active")
        await uow.commit()


async def test_the_same_key_enqueued_twice_is_stored_once(
    container: Container, pushes: PushService
) -> None:
    uid = await _user(container, 100)
    key = "summary:1:2026-11-25"
    first = await pushes.enqueue(uid, kind="summary", dedup_key=key, data={"v": "a"})
    again = await pushes.enqueue(uid, kind="summary", dedup_key=key, data={"v": "b"})
    assert (first, again) == (True, False)
    [push] = await pushes.pending(10)
    assert (push.user_id, push.chat_id, push.kind, push.data) == (uid, 100, "summary", {"v": "a"})
    assert await pushes.counts() == {"pending": 1}


@dataclass(frozen=True)
class _Leg:
    sport: str
    seconds: float


@dataclass(frozen=True)
class _Day:
    day: date
    at: datetime
    legs: tuple[_Leg, ...]
    note: str | None = None


async def test_a_push_stores_its_kind_and_plain_data(
    container: Container, pushes: PushService
) -> None:
    uid = await _user(container, 100)
    async with container.uow() as uow:
        await uow.users.update_fields(uid, units="imperial", timezone="Europe/Berlin")
        await uow.commit()
    day = _Day(date(2026, 11, 25), datetime(2026, 11, 25, 6, 30, tzinfo=UTC),
               (_Leg("swim", 1800.0), _Leg("bike", 3600.0)))  # fmt: skip
    await pushes.enqueue(uid, kind="day", dedup_key="k", data=day)
    async with container.uow() as uow:
        row = await uow.pushes.by_key("k")
    assert row is not None and row.kind == "day"
    assert row.payload == {"data": {
        "day": "2026-11-25", "at": "2026-11-25T06:30:00Z", "note": None,
        "legs": [{"sport": "swim", "seconds": 1800.0}, {"sport": "bike", "seconds": 3600.0}],
    }}  # fmt: skip
    [push] = await pushes.pending(10)
    assert not push.is_legacy and from_data(_Day, push.data) == day
    assert (push.units, push.timezone) == ("imperial", "Europe/Berlin")  # read when rendered


async def test_pending_skips_sent_failed_and_blocked_users(
    container: Container, pushes: PushService
) -> None:
    a, b, c = [await _user(container, chat) for chat in (1, 2, 3)]
    for uid in (a, b, c):
        await pushes.enqueue(uid, kind="k", dedup_key=f"one:{uid}", data={"v": "x"})
    by_user = {p.user_id: p for p in await pushes.pending(10)}
    assert await pushes.mark_sent(by_user[a].id) is True
    assert await pushes.mark_sent(by_user[a].id) is False  # sent once, never again
    await container.services.accounts.set_blocked(b, True)
    await pushes.mark_failed(by_user[c].id, "BadRequest: chat not found", permanent=True)
    assert await pushes.pending(10) == []
    assert await pushes.status(f"one:{a}") == "sent"
    assert await pushes.status(f"one:{b}") == "pending"
    assert await pushes.status(f"one:{c}") == "failed"


async def test_mark_blocked_flags_user_and_stops_their_pushes(
    container: Container, pushes: PushService
) -> None:
    uid = await _user(container, 7)
    other = await _user(container, 8)
    await pushes.enqueue(uid, kind="k", dedup_key="a", data={"v": "x"})
    await pushes.enqueue(uid, kind="k", dedup_key="b", data={"v": "y"})
    await pushes.enqueue(other, kind="k", dedup_key="c", data={"v": "z"})
    first = next(p for p in await pushes.pending(10) if p.user_id == uid)
    await pushes.mark_blocked(first.id, uid)
    assert (await container.services.accounts.get(uid)).is_blocked is True
    assert (await container.services.accounts.get(other)).is_blocked is False
    assert [await pushes.status(k) for k in "abc"] == ["blocked", "blocked", "pending"]
    await pushes.enqueue(uid, kind="k", dedup_key="d", data={"v": "later"})  # stored, never sent
    assert [p.user_id for p in await pushes.pending(10)] == [other]


async def test_block_chat_from_a_direct_send(container: Container, pushes: PushService) -> None:
    uid = await _user(container, 9)
    await pushes.enqueue(uid, kind="k", dedup_key="a", data={"v": "x"})
    await pushes.block_chat(9)
    await pushes.block_chat(999)  # no such chat: nothing happens
    assert (await container.services.accounts.get(uid)).is_blocked is True
    assert await pushes.status("a") == "blocked"


async def test_failed_delivery_gives_up_after_max_attempts(
    container: Container, clock: FakeClock
) -> None:
    pushes = PushService(container.uow, clock, max_attempts=3)
    uid = await _user(container, 5)
    await pushes.enqueue(uid, kind="k", dedup_key="a", data={"v": "x"})
    [push] = await pushes.pending(10)
    assert await pushes.mark_failed(push.id, "TelegramNetworkError: timeout") is False
    assert await pushes.mark_failed(push.id, "TelegramServerError: 502") is False
    assert await pushes.status("a") == "pending"
    assert await pushes.mark_failed(push.id, "TelegramServerError: 502") is True
    assert await pushes.status("a") == "failed"
    assert await pushes.pending(10) == []


async def test_progress_of_a_long_push_survives(container: Container, pushes: PushService) -> None:
    uid = await _user(container, 5)
    await pushes.enqueue(uid, kind="k", dedup_key="a", data={"v": "x" * 9000})
    [push] = await pushes.pending(10)
    assert push.parts_sent == 0
    await pushes.mark_progress(push.id, 2)
    [again] = await pushes.pending(10)
    assert again.parts_sent == 2
    assert again.data == {"v": "x" * 9000}


async def test_pro_users_first_then_oldest_and_pages_continue(
    container: Container, pushes: PushService
) -> None:
    ids = [await _user(container, chat) for chat in range(1, 7)]
    for uid in ids:
        await pushes.enqueue(uid, kind="k", dedup_key=f"k:{uid}", data={"v": "x"})
    pro = [ids[4], ids[1]]
    for uid in pro:
        await _make_pro(container, uid)
    expected = sorted(pro) + [u for u in ids if u not in pro]
    everyone = await pushes.pending(100)
    assert [p.user_id for p in everyone] == expected
    assert [p.priority for p in everyone] == [True, True, False, False, False, False]
    paged, after = [], None
    while page := await pushes.pending(2, after=after):
        paged += [p.user_id for p in page]
        after = page[-1].cursor
    assert paged == expected
