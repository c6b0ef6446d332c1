"""RPE ratings and Foster's session load on both databases: own activities only, 1-10 only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from core.bootstrap import Container
from core.db.models import ActivityMetrics
from core.errors import BadInput, NotFound
from core.training.rpe import MAX_NOTE, Rating, moving_minutes, session_load


async def _activity(c: Container, chat_id: int, **fields: Any) -> tuple[int, int]:
    """(user id, activity id) of a new athlete's one activity."""
    uid = (await c.services.accounts.get_or_create(chat_id)).id
    row = {"content_hash": f"h{chat_id}", "sport": "running",
           "start_time": datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
           "local_date": date(2026, 11, 24), "load": 60.0, **fields}  # fmt: skip
    async with c.uow() as uow:
        [aid] = await uow.training.add_activities(uid, [row])
        await uow.commit()
    return uid, aid


async def _stored(c: Container, uid: int, aid: int) -> ActivityMetrics:
    async with c.uow(readonly=True) as uow:
        row = await uow.training.activity(uid, aid)
    assert row is not None
    return row


def test_rpe_session_load_is_rating_times_moving_minutes() -> None:
    assert session_load(7, moving_minutes(3600.0, 4000.0)) == 420.0
    assert moving_minutes(None, 1800.0) == 30.0  # no timer: the elapsed time
    assert moving_minutes(None, None) == 0.0
    assert session_load(3, 45.5) == 136.5


async def test_rpe_is_stored_with_its_session_load_and_rerating_replaces(
    container: Container,
) -> None:
    uid, aid = await _activity(container, 5101, timer_s=3600.0, elapsed_s=3900.0)
    rpe = container.services.rpe
    assert await rpe.rating(uid, aid) == Rating(aid, None, 60.0, None, None)

    first = await rpe.rate(uid, aid, 7)
    assert first == Rating(aid, 7, 60.0, 420.0, None)
    row = await _stored(container, uid, aid)
    assert (row.rpe, row.srpe_load) == (7, 420.0)

    again = await rpe.rate(uid, aid, 4)
    assert (again.rpe, again.srpe_load) == (4, 240.0)
    row = await _stored(container, uid, aid)
    assert (row.rpe, row.srpe_load) == (4, 240.0)
    card = await container.services.reports.activity(uid, aid)
    assert (card.rpe, card.srpe_load) == (4, 240.0)


async def test_rpe_falls_back_to_elapsed_time_without_a_timer(container: Container) -> None:
    uid, aid = await _activity(container, 5102, timer_s=None, elapsed_s=1800.0)
    assert (await container.services.rpe.rate(uid, aid, 10)).srpe_load == 300.0


async def test_rpe_refuses_another_athletes_activity_and_unknown_ids(
    container: Container,
) -> None:
    owner, aid = await _activity(container, 5103, timer_s=600.0)
    intruder = (await container.services.accounts.get_or_create(5104)).id
    rpe = container.services.rpe
    for user_id, activity_id in [(intruder, aid), (owner, aid + 1000), (owner, 0),
                                 (owner, -3), (owner, 2**40)]:  # fmt: skip
        with pytest.raises(NotFound, match="Activity not found"):
            await rpe.rate(user_id, activity_id, 5)
        with pytest.raises(NotFound):
            await rpe.note(user_id, activity_id, "mine now")
        with pytest.raises(NotFound):
            await rpe.rating(user_id, activity_id)
    row = await _stored(container, owner, aid)
    assert (row.rpe, row.srpe_load, row.rpe_note) == (None, None, None)


@pytest.mark.parametrize("value", [0, 11, -1, 100])
async def test_rpe_out_of_range_changes_nothing(container: Container, value: int) -> None:
    uid, aid = await _activity(container, 5105, timer_s=600.0)
    await container.services.rpe.rate(uid, aid, 6)
    with pytest.raises(BadInput, match="from 1 to 10"):
        await container.services.rpe.rate(uid, aid, value)
    row = await _stored(container, uid, aid)
    assert (row.rpe, row.srpe_load) == (6, 60.0)


async def test_rpe_note_is_trimmed_capped_and_replaced(container: Container) -> None:
    uid, aid = await _activity(container, 5106, timer_s=600.0)
    rpe = container.services.rpe
    assert (await rpe.note(uid, aid, "  legs heavy after the hills \n")).note == (
        "legs heavy after the hills"
    )
    long = await rpe.note(uid, aid, "x" * 2000)
    assert long.note is not None and len(long.note) == MAX_NOTE and long.note.endswith("…")
    with pytest.raises(BadInput):
        await rpe.note(uid, aid, "   ")
    row = await _stored(container, uid, aid)
    assert row.rpe_note == long.note and row.rpe is None  # a note needs no rating
