"""FIT import speed: decode_activity + activity_load against the bare garmin-fit-sdk decode,
and the share of it that the power curve and run best efforts (computed inside decode) take.

Run: .venv/bin/python bench/fit_decode.py [target MB, default 10]
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from garmin_fit_sdk import Decoder, Stream  # noqa: E402

from core.errors import BadFile  # noqa: E402
from core.training.fit import SessionData, _curve, _efforts, decode_activity  # noqa: E402
from core.training.load import activity_load  # noqa: E402
from core.training.thresholds import resolve_thresholds  # noqa: E402

FIT_DIR = ROOT.parent / "shared" / "data" / "fit"
BUDGET_S = 90.0  # stop repeating early on a slow machine
THRESHOLDS = resolve_thresholds(
    hr_max=190, hr_rest=50, lthr=170, ftp=250, threshold_pace_s_per_km=300
)


def activity_files() -> list[bytes]:
    """Every file in the data dir that decodes as an undamaged activity."""
    out = []
    for path in sorted(FIT_DIR.glob("*.fit")):
        data = path.read_bytes()
        try:
            if not decode_activity(data).recovered:
                out.append(data)
        except BadFile:
            continue
    return out


def bare(data: bytes) -> None:
    Decoder(Stream.from_byte_array(bytearray(data))).read()


def ours(data: bytes) -> None:
    for session in decode_activity(data).sessions:
        activity_load(session, THRESHOLDS)


def bests(data: bytes) -> None:
    """Only what the curve and efforts add: on series already decoded (cached per file)."""
    for s in _SESSIONS[data]:
        _curve(s.sport, s.power)
        _efforts(s.sport, s.distance)


_SESSIONS: dict[bytes, tuple[SessionData, ...]] = {}


def main() -> None:
    target_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    files = activity_files()
    if not files:
        sys.exit(f"no activity files in {FIT_DIR}")
    once = sum(map(len, files))
    repeats = max(1, math.ceil(target_mb * 1e6 / once))
    spent = {"bare": 0.0, "ours": 0.0, "bests": 0.0}
    _SESSIONS.update({data: decode_activity(data).sessions for data in files})
    done = 0
    while done < repeats and sum(spent.values()) < BUDGET_S:
        done += 1
        for data in files:  # alternate per file so load on the machine hits both alike
            for name, fn in (("bare", bare), ("ours", ours), ("bests", bests)):
                t0 = time.perf_counter()
                fn(data)
                spent[name] += time.perf_counter() - t0
    mb = once * done / 1e6
    print(f"{len(files)} activity files, {once / 1e6:.2f} MB, x{done} = {mb:.1f} MB each way")
    print(f"garmin-fit-sdk decode only:        {mb / spent['bare']:.3f} MB/s")
    print(f"decode_activity + activity_load:   {mb / spent['ours']:.3f} MB/s")
    print(f"ours / bare throughput:            {spent['bare'] / spent['ours']:.3f}")
    share = spent["bests"] / spent["ours"]
    print(f"power curve + best efforts:        {share:.1%} of decode_activity + activity_load")


if __name__ == "__main__":
    main()
