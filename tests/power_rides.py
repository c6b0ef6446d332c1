"""Real rides re-dated: a shared FIT file's power series recorded again from a given start."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.training.fit import SessionData, decode_activity
from tests.fit_files import encode_fit, fit_bytes

EDGE = "Edge810-Vector-2013-08-16-15-35-10.fit"  # 4700 s with power, 20-min best 312 W
TRAINER = "sample-activity-indoor-trainer.fit"  # 2262 s with power, weaker at every duration


def only_session(name: str) -> SessionData:
    (session,) = decode_activity(fit_bytes(name)).sessions
    return session


def redated_ride(name: str, start: datetime) -> bytes:
    """The real ride's power series as a cycling session starting at `start`."""
    s = only_session(name)
    records = [{"t": t, "power": int(w)} for t, w in s.power]
    end = start + timedelta(seconds=s.power[-1][0])
    session = {"start_time": start, "timestamp": end, "sport": "cycling",
               "total_timer_time": s.timer_s, "total_elapsed_time": s.elapsed_s}  # fmt: skip
    return encode_fit(start=start, records=records, sessions=[session])
