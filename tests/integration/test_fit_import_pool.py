"""FIT imports under load: deadlines, crashed workers, one file per athlete, fair turns, caps.

The workers run tests.decoders.parse_on_cue, which hangs, crashes or waits for a release file
on cue: every ordering below is observed through those files, never through the clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.bootstrap import Container
from core.db.models import ActivityMetrics
from core.errors import DecodeCrashed, DecodeTimeout, ImportQueueFull, TooManySessions
from core.training.import_queue import MAX_WAITING_PER_USER
from core.training.imports import ImportResult, TrainingService
from tests.decoders import crash, hang, hold, parse_on_cue, release, started, wait_started
from tests.decoders import worker_pid as pid_of
from tests.fakes.clock import FakeClock
from tests.fit_files import fit_bytes, needs_fit_files

pytestmark = needs_fit_files

CEILING_S = 60.0  # an import that should finish; far above its real duration
# Small real activities from 2017 and 2018 (the clock is set just after: short fitness runs).
SMALL = ("garmin-fenix-5-run.fit", "garmin-fenix-5-bike.fit", "event_timestamp.fit")
TODAY = datetime(2018, 6, 1, 12, tzinfo=UTC)

Factory = Callable[..., TrainingService]


@pytest.fixture
async def make_training(container: Container, clock: FakeClock) -> AsyncIterator[Factory]:
    clock.set(TODAY)
    made: list[TrainingService] = []

    def make(**options: object) -> TrainingService:
        service = TrainingService(container.uow, clock=clock, parse=parse_on_cue, **options)  # type: ignore[arg-type]
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id


async def _stored(c: Container, user_id: int) -> int:
    async with c.uow() as uow:
        stmt = select(func.count()).select_from(ActivityMetrics)
        stmt = stmt.where(ActivityMetrics.user_id == user_id)
        return int((await uow.session.execute(stmt)).scalar_one())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _finish(task: asyncio.Task[ImportResult]) -> ImportResult:
    return await asyncio.wait_for(task, CEILING_S)


async def test_a_file_past_the_deadline_kills_its_worker_and_the_next_file_imports(
    container: Container, make_training: Factory, tmp_path: Path
) -> None:
    training = make_training(workers=1, timeout_s=2)
    uid = await _user(container, 1)
    marker = tmp_path / "hang"
    with pytest.raises(DecodeTimeout) as info:
        await asyncio.wait_for(training.import_fit(uid, hang(marker)), CEILING_S)
    assert (
        info.value.message == "That file took over 2 s to read, so I stopped and did not import it."
    )
    assert not _alive(pid_of(marker))
    result = await asyncio.wait_for(training.import_fit(uid, fit_bytes(SMALL[0])), CEILING_S)
    assert len(result.activities) == 1
    assert await _stored(container, uid) == 1


async def test_a_crashed_worker_is_reported_and_replaced(
    container: Container, make_training: Factory, tmp_path: Path
) -> None:
    training = make_training(workers=1)
    uid = await _user(container, 1)
    with pytest.raises(DecodeCrashed) as info:
        await asyncio.wait_for(training.import_fit(uid, crash(tmp_path / "crash")), CEILING_S)
    assert "crashed, so I did not import it" in info.value.message
    release(tmp_path / "a")  # at once: the worker only leaves its pid behind
    first = await asyncio.wait_for(
        training.import_fit(uid, hold(tmp_path / "a", fit_bytes(SMALL[0]))), CEILING_S
    )
    assert len(first.activities) == 1
    # The OOM killer may also take a worker between two files: the next file gets a new one.
    os.kill(pid_of(tmp_path / "a"), signal.SIGKILL)
    second = await asyncio.wait_for(training.import_fit(uid, fit_bytes(SMALL[1])), CEILING_S)
    assert len(second.activities) == 1
    assert await _stored(container, uid) == 2


async def test_one_worker_per_athlete_and_the_other_athlete_gets_the_free_one(
    container: Container, make_training: Factory, tmp_path: Path
) -> None:
    training = make_training(workers=2)
    a, b = await _user(container, 1), await _user(container, 2)
    told: list[int] = []
    queued = asyncio.Event()

    async def on_wait(ahead: int) -> None:
        told.append(ahead)
        queued.set()

    a1 = asyncio.create_task(training.import_fit(a, hold(tmp_path / "a1", fit_bytes(SMALL[0]))))
    await wait_started(tmp_path / "a1")
    a2 = asyncio.create_task(
        training.import_fit(a, hold(tmp_path / "a2", fit_bytes(SMALL[1])), on_wait=on_wait)
    )
    await asyncio.wait_for(queued.wait(), CEILING_S)
    assert told == [1]
    # Were a2 given the free worker, b1 would wait for a1 and this would time out.
    b1 = asyncio.create_task(training.import_fit(b, hold(tmp_path / "b1", fit_bytes(SMALL[2]))))
    await wait_started(tmp_path / "b1")
    assert not started(tmp_path / "a2")
    release(tmp_path / "a1")
    assert len((await _finish(a1)).activities) == 1
    await wait_started(tmp_path / "a2")
    release(tmp_path / "a2")
    release(tmp_path / "b1")
    assert len((await _finish(a2)).activities) == 1
    assert len((await _finish(b1)).activities) == 1
    assert (await _stored(container, a), await _stored(container, b)) == (2, 1)


async def test_with_one_worker_athletes_take_turns(
    container: Container,
    make_training: Factory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="core.training.decode_pool")
    training = make_training(workers=1)
    a, b = await _user(container, 1), await _user(container, 2)
    waits: list[int] = []
    told = asyncio.Semaphore(0)

    async def on_wait(ahead: int) -> None:
        waits.append(ahead)
        told.release()

    def upload(user: int, name: str, fit: str) -> asyncio.Task[ImportResult]:
        data = hold(tmp_path / name, fit_bytes(fit))
        return asyncio.create_task(training.import_fit(user, data, on_wait=on_wait))

    a1 = upload(a, "a1", SMALL[0])
    await wait_started(tmp_path / "a1")
    a2, a3 = upload(a, "a2", SMALL[1]), upload(a, "a3", SMALL[2])
    for _ in range(2):
        await asyncio.wait_for(told.acquire(), CEILING_S)
    b1 = upload(b, "b1", SMALL[0])
    await _wait_for_log(caplog, "decoding workers are busy")  # b1 waits for the worker
    assert waits == [1, 2]  # b1 has none of its own ahead: no waiting message
    release(tmp_path / "a1")
    # Athlete A's next file arrived before B's, but B's turn comes first.
    await wait_started(tmp_path / "b1")
    assert not started(tmp_path / "a2")
    release(tmp_path / "b1")
    await wait_started(tmp_path / "a2")
    release(tmp_path / "a2")
    release(tmp_path / "a3")
    results = [await _finish(t) for t in (a1, a2, a3, b1)]
    assert [len(r.activities) for r in results] == [1, 1, 1, 1]


async def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str) -> None:
    for _ in range(int(CEILING_S / 0.02)):
        if any(text in r.getMessage() for r in caplog.records):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no log record with {text!r}")


async def test_a_full_queue_refuses_the_file_in_one_sentence(
    container: Container, make_training: Factory, tmp_path: Path
) -> None:
    training = make_training(workers=1)
    uid = await _user(container, 1)
    waiting = asyncio.Semaphore(0)

    async def on_wait(ahead: int) -> None:
        waiting.release()

    def upload(name: str) -> asyncio.Task[ImportResult]:
        data = hold(tmp_path / name, fit_bytes(SMALL[0]))  # distinct bytes, one activity
        return asyncio.create_task(training.import_fit(uid, data, on_wait=on_wait))

    first = upload("first")
    await wait_started(tmp_path / "first")
    queued = [upload(f"q{i}") for i in range(MAX_WAITING_PER_USER)]
    for _ in queued:
        await asyncio.wait_for(waiting.acquire(), CEILING_S)
    with pytest.raises(ImportQueueFull) as info:
        await training.import_fit(uid, fit_bytes(SMALL[1]))
    assert info.value.message == (
        "I am still reading 6 of your files: send this one again once I have answered them."
    )
    for name in ["first", *(f"q{i}" for i in range(MAX_WAITING_PER_USER))]:
        release(tmp_path / name)
    results = [await _finish(t) for t in (first, *queued)]
    assert [len(r.activities) for r in results] == [1] + [0] * MAX_WAITING_PER_USER
    assert all(r.duplicates == 1 for r in results[1:])
    last = await asyncio.wait_for(training.import_fit(uid, fit_bytes(SMALL[1])), CEILING_S)
    assert len(last.activities) == 1
    assert await _stored(container, uid) == 2


async def test_a_file_with_more_sessions_than_the_cap_is_refused_whole(
    container: Container, make_training: Factory
) -> None:
    uid = await _user(container, 1)
    multisport = fit_bytes("sample_mulitple_header.fit")  # 5 sessions
    with pytest.raises(TooManySessions) as info:
        await asyncio.wait_for(make_training(max_sessions=4).import_fit(uid, multisport), CEILING_S)
    assert info.value.message == (
        "That file holds 5 sessions, more than the 4 I import from one file: export the "
        "activities one by one and send those."
    )
    assert await _stored(container, uid) == 0
    result = await asyncio.wait_for(make_training(max_sessions=5).import_fit(uid, multisport),
                                    CEILING_S)  # fmt: skip
    assert len(result.activities) == 5
