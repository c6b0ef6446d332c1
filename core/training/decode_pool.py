"""A few worker processes for file decoding, each call with a deadline.

ProcessPoolExecutor cannot stop a running call, and one dead worker breaks the whole executor
until the process restarts. Here each worker is one process with its own pipe: a call past its
deadline, or a worker that died (the OOM killer, a crash inside a C extension), costs only that
process, which is killed and replaced by a fresh one on the next call.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # a fresh worker imports the decoder; generous for a loaded machine
_READY = "ready"


class CallTimedOut(Exception):
    """The call ran past the deadline; its worker was killed."""


class WorkerDied(Exception):
    """The worker process ended during the call (killed or crashed)."""


def _serve(conn: Connection, fn: Callable[..., Any]) -> None:
    """A worker's loop: one call at a time, its result or its exception sent back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bot, which stops us
    conn.send(_READY)  # after `fn` was unpickled: imports do not count against a deadline
    while True:
        try:
            args = conn.recv()
        except EOFError:  # the pool closed its end
            return
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except OSError:  # the pool is gone
            return
        except Exception:  # the result or the error does not pickle (nothing was written)
            conn.send((False, RuntimeError(f"unpicklable {type(reply[1]).__name__}")))


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection


class DecodePool:
    """Runs `fn` in up to `workers` processes, one call per process at a time."""

    def __init__(self, fn: Callable[..., Any], *, workers: int, timeout_s: float) -> None:
        self._fn = fn
        self._timeout_s = timeout_s
        self._workers = workers
        self._slots = asyncio.Semaphore(workers)  # first come, first served
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded event loop

    async def run(self, *args: Any) -> Any:
        """fn(*args) in a worker; CallTimedOut past the deadline, WorkerDied if it crashed."""
        if self._slots.locked():  # tells the operator when FIT_WORKERS is too small
            logger.info("all %d decoding workers are busy: a file waits", self._workers)
        async with self._slots:
            worker, reused = await self._take()
            try:
                ok, value = await self._call_once(worker, args)
            except WorkerDied:
                if not reused:
                    raise
                # A worker that sat idle may have been killed (the OOM killer) a moment ago,
                # too recently to show as dead when it was taken: the file gets a fresh one.
                logger.warning("an idle decoding worker had died; trying a new one")
                worker = await self._start()
                ok, value = await self._call_once(worker, args)
            self._idle.append(worker)
        if not ok:
            raise value
        return value

    async def _call_once(self, worker: _Worker, args: tuple[Any, ...]) -> tuple[bool, Any]:
        try:
            return await asyncio.wait_for(self._call(worker, args), self._timeout_s)
        except TimeoutError:
            self._stop(worker)
            raise CallTimedOut from None
        except WorkerDied:
            self._stop(worker)  # reaped: now its exit code is known (-9: killed)
            raise WorkerDied(f"exit code {worker.process.exitcode}") from None
        except BaseException:  # the caller was cancelled mid-call
            self._stop(worker)
            raise

    async def close(self) -> None:
        """Kill every worker; a call under way ends with WorkerDied, the next starts afresh."""
        idle, self._idle = self._idle, []
        for worker in idle:
            self._stop(worker)
        for worker in self._all:  # busy: their calls see the death and clean up
            _kill(worker.process)

    async def _take(self) -> tuple[_Worker, bool]:
        """An idle worker (True: reused) or a new one."""
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker, True
            logger.warning("an idle decoding worker died (exit code %s)", worker.process.exitcode)
            self._stop(worker)
        return await self._start(), False

    async def _start(self) -> _Worker:
        mine, theirs = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(theirs, self._fn), daemon=True)
        process.start()
        theirs.close()  # only the child holds this end now, so its death reads as EOF here
        worker = _Worker(process, mine)
        self._all.add(worker)
        try:
            await asyncio.wait_for(_readable(mine), START_TIMEOUT_S)
            if mine.recv() != _READY:
                raise EOFError
        except (EOFError, OSError, TimeoutError):
            self._stop(worker)
            raise WorkerDied(f"a new worker did not start (exit code {process.exitcode})") from None
        except BaseException:
            self._stop(worker)
            raise
        return worker

    async def _call(self, worker: _Worker, args: tuple[Any, ...]) -> tuple[bool, Any]:
        try:
            worker.conn.send(args)
            await _readable(worker.conn)
            reply: tuple[bool, Any] = worker.conn.recv()
        except (EOFError, OSError):
            raise WorkerDied from None
        return reply

    def _stop(self, worker: _Worker) -> None:
        self._all.discard(worker)
        _kill(worker.process)
        worker.conn.close()


def _kill(process: BaseProcess) -> None:
    if process.is_alive():
        process.kill()
    process.join(5)  # SIGKILL is immediate: this only reaps the process


async def _readable(conn: Connection) -> None:
    """Wait until the pipe has data or was closed, without a thread."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fd = conn.fileno()
    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
