"""A parse function for the decoding workers that hangs, crashes or waits on cue.

It runs in the worker processes, so the test and the worker talk through files: the test
puts an instruction line before the FIT bytes, the worker leaves a file when it starts and,
for HOLD, waits for the test's release file. Plain FIT bytes decode as usual.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from core.training.activities import ParsedFile, ThresholdEvidence, parse_fit

RELEASE_CEILING_S = 120.0


def hang(marker: Path) -> bytes:
    """Never returns: the worker must be killed at the deadline."""
    return b"HANG " + str(marker).encode() + b"\n"


def crash(marker: Path) -> bytes:
    """The worker process exits at once, as if the OOM killer took it."""
    return b"CRASH " + str(marker).encode() + b"\n"


def hold(marker: Path, fit: bytes) -> bytes:
    """Decode `fit` once `marker`.go exists; `marker`.started says the worker took the file."""
    return b"HOLD " + str(marker).encode() + b"\n" + fit


def release(marker: Path) -> None:
    Path(f"{marker}.go").touch()


def started(marker: Path) -> bool:
    return Path(f"{marker}.started").exists()


def worker_pid(marker: Path) -> int:
    return int(Path(f"{marker}.started").read_text())


async def wait_started(marker: Path, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until a worker took the file (the ceiling is generous: CI machines are slow)."""
    deadline = time.monotonic() + timeout
    while not started(marker):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{marker} did not start within {timeout} s")
        await asyncio.sleep(0.02)


def parse_on_cue(data: bytes, evidence: ThresholdEvidence) -> ParsedFile:
    """parse_fit, after the instruction at the head of `data` (if any)."""
    verb, _, rest = data.partition(b" ")
    if verb not in (b"HANG", b"CRASH", b"HOLD"):
        return parse_fit(data, evidence)
    path, _, fit = rest.partition(b"\n")
    marker = path.decode()
    Path(f"{marker}.pid").write_text(str(os.getpid()))
    os.replace(f"{marker}.pid", f"{marker}.started")  # the test never reads a half-written file
    if verb == b"CRASH":
        os._exit(3)
    deadline = time.monotonic() + (3600 if verb == b"HANG" else RELEASE_CEILING_S)
    while not Path(f"{marker}.go").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{marker} was never released")
        time.sleep(0.01)  # a worker process has no event to wait on but the file
    return parse_fit(fit, evidence)
