"""Real FIT files from ../shared/data/fit, and a small encoder for made-up activities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from garmin_fit_sdk import Encoder, Profile

FIT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fit"

needs_fit_files = pytest.mark.skipif(not FIT_DIR.is_dir(), reason=f"no FIT files at {FIT_DIR}")

ACTIVITY_FILES = (
    "2013-02-06-12-11-14.fit",
    "Edge810-Vector-2013-08-16-15-35-10.fit",
    "sample-activity.fit",
    "activity-small-fenix2-run.fit",
    "sample-activity-indoor-trainer.fit",
    "event_timestamp.fit",
    "garmin-fenix-5-run.fit",
    "garmin-fenix-5-bike.fit",
    "sample_mulitple_header.fit",
)

_MESG = Profile["mesg_num"]


def fit_bytes(name: str) -> bytes:
    """The bytes of one real FIT file."""
    return (FIT_DIR / name).read_bytes()


def encode_fit(
    *,
    start: datetime,
    records: Iterable[Mapping[str, Any]] = (),
    laps: Iterable[Mapping[str, Any]] = (),
    sessions: Iterable[Mapping[str, Any]] = (),
    file_type: str = "activity",
) -> bytes:
    """A FIT file with the given messages; record 't' is seconds after start."""
    enc = Encoder()
    enc.on_mesg(
        _MESG["FILE_ID"],
        {"type": file_type, "manufacturer": "development", "product": 1,
         "serial_number": 42, "time_created": start},
    )  # fmt: skip
    for rec in records:
        fields = {k: v for k, v in rec.items() if k != "t"}
        enc.on_mesg(_MESG["RECORD"], {"timestamp": start + timedelta(seconds=rec["t"]), **fields})
    for lap in laps:
        enc.on_mesg(_MESG["LAP"], dict(lap))
    for session in sessions:
        enc.on_mesg(_MESG["SESSION"], dict(session))
    return bytes(enc.close())
