"""Any bytes at all: decode_activity either succeeds with sane sessions or raises BadFile."""

from __future__ import annotations

import math
import pickle

import pytest
from garmin_fit_sdk import CrcCalculator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import BadFile
from core.training.fit import DecodedFile, decode_activity
from core.training.load import activity_load
from core.training.thresholds import resolve_thresholds
from tests.fit_files import fit_bytes, needs_fit_files

SMALL_FILES = (
    "garmin-fenix-5-run.fit",
    "garmin-fenix-5-bike.fit",
    "activity-filecrc.fit",
    "WorkoutIndividualSteps.fit",
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THRESHOLDS = resolve_thresholds(
    hr_max=190, lthr=170, ftp=250, threshold_pace_s_per_km=300, sex="female"
)


def with_crc(body: bytes) -> bytes:
    return body + CrcCalculator.calculate_crc(body, 0, len(body)).to_bytes(2, "little")


def fit_envelope(records: bytes) -> bytes:
    """A valid 14-byte header and file CRC around arbitrary record bytes."""
    head = bytes([14, 0x20]) + (2132).to_bytes(2, "little") + len(records).to_bytes(4, "little")
    head += b".FIT"
    return with_crc(with_crc(head) + records)


def assert_decodes_or_refuses(data: bytes) -> None:
    try:
        decoded = decode_activity(data)
    except BadFile as exc:
        assert exc.message and exc.message.endswith(".")
        return
    assert isinstance(decoded, DecodedFile) and decoded.sessions
    for session in decoded.sessions:
        numbers = [session.timer_s, session.elapsed_s, session.avg_hr, session.normalized_power]
        numbers += [v for series in (session.hr, session.power, session.speed) for _, v in series]
        assert all(math.isfinite(v) for v in numbers if v is not None)
        load = activity_load(session, THRESHOLDS)
        assert math.isfinite(load.load) and load.load >= 0
    assert pickle.loads(pickle.dumps(decoded)) == decoded


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    assert_decodes_or_refuses(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_records_inside_a_valid_fit_envelope(records: bytes) -> None:
    assert_decodes_or_refuses(fit_envelope(records))


@needs_fit_files
@FUZZ
@given(
    name=st.sampled_from(SMALL_FILES),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.floats(0, 1),
    fix_crc=st.booleans(),
)
def test_mutated_real_files(
    name: str, edits: list[tuple[float, int]], cut: float | None, fix_crc: bool
) -> None:
    data = bytearray(fit_bytes(name))
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    if fix_crc and len(data) > 16:  # let the damage through to the message parser
        data = bytearray(with_crc(bytes(data[:-2])))
    assert_decodes_or_refuses(bytes(data))


@pytest.mark.parametrize("name", SMALL_FILES)
@needs_fit_files
def test_every_truncation_of_a_small_file(name: str) -> None:
    data = fit_bytes(name)
    for end in range(0, len(data), max(1, len(data) // 200)):
        assert_decodes_or_refuses(data[:end])
