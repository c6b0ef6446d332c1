"""The push outbox on both backends: stored once per key, what is pending, how pushes end."""

from __future__ import annotations

import pytest

from core.bootstrap import Container
from core.notify.outbox import PushService
from tests.fakes.clock import FakeClock


@pytest.fixture
def pushes(container: Container, clock: FakeClock) -> PushService:
    return PushService(container.uow, clock)


async def _user(c: Container, chat_id: int) -> int:
    return (await c.accounts.get_or_create(chat_id, first_name="Ann")).id


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
    first = await pushes.enqueue(uid, kind="summary", dedup_key="summary:1:2026-11-25", text="a")
    again = await pushes.enqueue(uid, kind="summary", dedup_key="summary:1:2026-11-25", text="b")
    assert (first, again) == (True, False)
    [push] = await pushes.pending(10)
    assert (push.user_id, push.chat_id, push.kind, push.text) == (uid, 100, "summary", "a")
    assert await pushes.counts() == {"pending": 1}


async def test_payload_keeps_keyboard_and_photo(container: Container, pushes: PushService) -> None:
    uid = await _user(container, 100)
    markup = {"inline_keyboard": [[{"text": "Link", "callback_data": "garmin:connect"}]]}
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    await pushes.enqueue(uid, kind="chart", dedup_key="k", text="t", reply_markup=markup,
                         photo_png=png)  # fmt: skip
    [push] = await pushes.pending(10)
    assert push.reply_markup == markup
    assert push.photo_png == png


async def test_pending_skips_sent_failed_and_blocked_users(
    container: Container, pushes: PushService
) -> None:
    a, b, c = [await _user(container, chat) for chat in (1, 2, 3)]
    for uid in (a, b, c):
        await pushes.enqueue(uid, kind="k", dedup_key=f"one:{uid}", text="x")
    by_user = {p.user_id: p for p in await pushes.pending(10)}
    assert await pushes.mark_sent(by_user[a].id) is True
    assert await pushes.mark_sent(by_user[a].id) is False  # sent once, never again
    await container.accounts.set_blocked(b, True)
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
    await pushes.enqueue(uid, kind="k", dedup_key="a", text="x")
    await pushes.enqueue(uid, kind="k", dedup_key="b", text="y")
    await pushes.enqueue(other, kind="k", dedup_key="c", text="z")
    first = next(p for p in await pushes.pending(10) if p.user_id == uid)
    await pushes.mark_blocked(first.id, uid)
    assert (await container.accounts.get(uid)).is_blocked is True
    assert (await container.accounts.get(other)).is_blocked is False
    assert [await pushes.status(k) for k in "abc"] == ["blocked", "blocked", "pending"]
    await pushes.enqueue(uid, kind="k", dedup_key="d", text="later")  # stored, never sent
    assert [p.user_id for p in await pushes.pending(10)] == [other]


async def test_block_chat_from_a_direct_send(container: Container, pushes: PushService) -> None:
    uid = await _user(container, 9)
    await pushes.enqueue(uid, kind="k", dedup_key="a", text="x")
    await pushes.block_chat(9)
    await pushes.block_chat(999)  # no such chat: nothing happens
    assert (await container.accounts.get(uid)).is_blocked is True
    assert await pushes.status("a") == "blocked"


async def test_failed_delivery_gives_up_after_max_attempts(
    container: Container, clock: FakeClock
) -> None:
    pushes = PushService(container.uow, clock, max_attempts=3)
    uid = await _user(container, 5)
    await pushes.enqueue(uid, kind="k", dedup_key="a", text="x")
    [push] = await pushes.pending(10)
    assert await pushes.mark_failed(push.id, "TelegramNetworkError: timeout") is False
    assert await pushes.mark_failed(push.id, "TelegramServerError: 502") is False
    assert await pushes.status("a") == "pending"
    assert await pushes.mark_failed(push.id, "TelegramServerError: 502") is True
    assert await pushes.status("a") == "failed"
    assert await pushes.pending(10) == []


async def test_progress_of_a_long_push_survives(container: Container, pushes: PushService) -> None:
    uid = await _user(container, 5)
    await pushes.enqueue(uid, kind="k", dedup_key="a", text="x" * 9000)
    [push] = await pushes.pending(10)
    assert push.parts_sent == 0
    await pushes.mark_progress(push.id, 2)
    [again] = await pushes.pending(10)
    assert again.parts_sent == 2
    assert again.text == "x" * 9000


async def test_pro_users_first_then_oldest_and_pages_continue(
    container: Container, pushes: PushService
) -> None:
    ids = [await _user(container, chat) for chat in range(1, 7)]
    for uid in ids:
        await pushes.enqueue(uid, kind="k", dedup_key=f"k:{uid}", text="x")
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
