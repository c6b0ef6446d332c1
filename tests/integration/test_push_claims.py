"""Pushes claimed row by row on both backends (one sender per push, leases that lapse), and
the push rate every sender shares through Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import insert, select

from bot.delivery.notifier import RATE_KEY, RedisRateLimiter
from core.bootstrap import Container
from core.db.models import Push, User
from core.notify.outbox import PushService
from tests.fakes.clock import FakeClock

LEASE_S = 30.0


def _sender(c: Container, clock: FakeClock, name: str) -> PushService:
    return PushService(c.uow, clock, lease_s=LEASE_S, sender_id=name)


async def _seed(c: Container, users: int) -> list[int]:
    """`users` athletes with one pending push each; the push ids."""
    async with c.uow() as uow:
        await uow.session.execute(insert(User), [{"chat_id": 5000 + i} for i in range(users)])
        ids = list((await uow.session.execute(select(User.id).order_by(User.id))).scalars())
        await uow.session.execute(
            insert(Push),
            [{"user_id": u, "kind": "k", "dedup_key": f"k:{u}", "payload": {"data": {}}}
             for u in ids],
        )  # fmt: skip
        await uow.commit()
        return list((await uow.session.execute(select(Push.id).order_by(Push.id))).scalars())


async def _row(c: Container, push_id: int) -> Push:
    async with c.uow() as uow:
        push = await uow.pushes.get(push_id)
        assert push is not None
        return push


async def test_two_claimers_never_get_the_same_row(container: Container, clock: FakeClock) -> None:
    push_ids = await _seed(container, 300)
    senders = [_sender(container, clock, f"w{i}") for i in range(4)]
    taken: dict[str, list[int]] = {s.sender_id: [] for s in senders}

    async def drain(sender: PushService) -> None:
        while page := await sender.claim(7):
            taken[sender.sender_id] += [p.id for p in page]

    await asyncio.gather(*(drain(s) for s in senders))
    everything = [i for ids in taken.values() for i in ids]
    assert sorted(everything) == push_ids  # every push once: none twice, none left out
    async with container.uow() as uow:
        holders = dict((await uow.session.execute(select(Push.id, Push.claimed_by))).all())
    assert all(holders[i] == name for name, ids in taken.items() for i in ids)


async def test_an_expired_claim_is_retaken_and_a_live_one_is_not(
    container: Container, clock: FakeClock
) -> None:
    push_ids = await _seed(container, 5)
    a, b = _sender(container, clock, "a"), _sender(container, clock, "b")
    assert [p.id for p in await a.claim(10)] == push_ids
    assert await b.claim(10) == []  # a holds them all
    clock.advance(seconds=LEASE_S * 2 / 3)
    assert await a.renew_claims() == 5  # a is alive: another lease from now
    clock.advance(seconds=LEASE_S * 2 / 3)
    assert await b.claim(10) == []  # past the first lease, inside the renewed one
    clock.advance(seconds=LEASE_S)  # a died: no renewal
    assert [p.id for p in await b.claim(10)] == push_ids
    assert {(await _row(container, i)).claimed_by for i in push_ids} == {"b"}


async def test_a_sender_that_lost_its_claim_does_not_mark_the_push(
    container: Container, clock: FakeClock
) -> None:
    [push_id] = await _seed(container, 1)
    a, b = _sender(container, clock, "a"), _sender(container, clock, "b")
    assert [p.id for p in await a.claim(1)] == [push_id]
    clock.advance(seconds=LEASE_S + 1)  # a stalled past its lease
    assert [p.id for p in await b.claim(1)] == [push_id]
    # a's late answers count for nothing: the push is b's now
    assert await a.mark_sent(push_id) is False
    assert await a.mark_failed(push_id, "TelegramNetworkError: timeout") is False
    await a.mark_progress(push_id, 2)
    row = await _row(container, push_id)
    assert (row.status, row.attempts, row.payload) == ("pending", 0, {"data": {}})
    clock.advance(seconds=5)
    marked_at = clock()
    assert await b.mark_sent(push_id) is True
    assert await a.mark_sent(push_id) is False  # never marked twice
    assert await b.mark_sent(push_id) is False
    row = await _row(container, push_id)
    assert (row.status, row.sent_at, row.claimed_by) == ("sent", marked_at, "b")
    assert await a.claim(1) == [] and await b.claim(1) == []  # sent: nobody claims it


async def test_a_lapsed_claim_nobody_took_is_still_marked_by_its_sender(
    container: Container, clock: FakeClock
) -> None:
    [push_id] = await _seed(container, 1)
    a = _sender(container, clock, "a")
    await a.claim(1)
    clock.advance(seconds=LEASE_S + 1)  # lapsed, but no other sender took it: a's mark counts
    assert await a.mark_sent(push_id) is True
    assert (await _row(container, push_id)).status == "sent"


async def test_released_claims_go_to_the_next_sender_at_once(
    container: Container, clock: FakeClock
) -> None:
    push_ids = await _seed(container, 3)
    a, b = _sender(container, clock, "a"), _sender(container, clock, "b")
    await a.claim(3)
    assert await a.mark_sent(push_ids[0]) is True
    assert await a.mark_failed(push_ids[1], "TelegramServerError: 502") is False  # to retry
    assert await a.release_claims() == 2  # the sent one is not a claim any more
    assert [p.id for p in await b.claim(10)] == push_ids[1:]


async def test_claims_keep_the_outbox_order_and_skip_blocked_users(
    container: Container, clock: FakeClock
) -> None:
    push_ids = await _seed(container, 4)
    users = [(await _row(container, i)).user_id for i in push_ids]
    async with container.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(users[2], plan_id=pro.id, provider="stripe",
                                       status="active")  # fmt: skip
        await uow.commit()
    await container.services.accounts.set_blocked(users[1], True)
    a = _sender(container, clock, "a")
    claimed = await a.claim(10)
    assert [p.id for p in claimed] == [push_ids[2], push_ids[0], push_ids[3]]
    assert [p.priority for p in claimed] == [True, False, False]
    assert claimed[0].chat_id == 5002


async def test_a_user_another_sender_serves_is_left_to_it_claim(
    container: Container, clock: FakeClock
) -> None:
    [first] = await _seed(container, 1)
    user_id = (await _row(container, first)).user_id
    async with container.uow() as uow:
        second = await uow.pushes.add(user_id, kind="k", dedup_key="second", payload={})
        await uow.commit()
    a, b = _sender(container, clock, "a"), _sender(container, clock, "b")
    assert [p.id for p in await a.claim(1)] == [first]
    assert await b.claim(10) == []  # a serves this chat: its next push waits for a
    assert [p.id for p in await a.claim(10)] == [second]


@pytest.fixture
async def rate_key() -> AsyncIterator[tuple[str, str]]:
    """The test Redis and a key of this test's own (deleted after)."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("the shared push rate needs TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    key = f"test-push-rate-{uuid.uuid4().hex[:8]}:{RATE_KEY}"
    yield url, key
    redis = Redis.from_url(url)
    await redis.delete(key, key + ":pause")
    await redis.aclose()


async def test_the_push_rate_is_one_budget_for_every_sender_claim(
    rate_key: tuple[str, str],
) -> None:
    url, key = rate_key
    rate, sends = 20.0, 21
    limiters = [RedisRateLimiter(url, rate, burst=1, key=key) for _ in range(2)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Each limiter alone would allow its share in half the time: together they take turns.
    await asyncio.gather(*(limiters[i % 2].acquire() for i in range(sends)))
    assert loop.time() - started >= (sends - 1) / rate * 0.95
    # A flood wait one sender met holds back the other as well.
    limiters[0].pause(1.0)
    await asyncio.sleep(0)  # the pause is written to Redis in the background
    paused_at = loop.time()
    await limiters[0].close()  # waits for the pause to be written
    await limiters[1].acquire()
    assert loop.time() - paused_at >= 0.9
    await limiters[1].close()
