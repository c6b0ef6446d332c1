"""Power curve of a 6-hour 1 Hz ride: resampling with gaps, then every duration.

Run: .venv/bin/python bench/power_curve.py [runs, default 20]
The ride is synthetic (seeded): 21 600 samples around 200 W with sprints, efforts, a few
dropouts and a café stop, so the resampler has gaps to fill. Target: < 50 ms per curve.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.training.power_curve import curve_of_values, power_curve, resample_power  # noqa: E402

RIDE_S = 6 * 3600
TARGET_MS = 50.0


def ride(seed: int = 1) -> list[tuple[float, float]]:
    """(seconds, watts) samples of a 6-hour ride with dropouts and one 20-minute stop."""
    rng = random.Random(seed)
    samples: list[tuple[float, float]] = []
    level = 200.0
    for t in range(RIDE_S):
        if 3 * 3600 <= t < 3 * 3600 + 1200 or rng.random() < 0.002:
            continue  # café stop, or a dropped sample
        if t % 600 == 0:
            level = rng.choice([150.0, 200.0, 220.0, 280.0, 320.0])
        sprint = 700.0 if t % 1800 < 10 else 0.0
        samples.append((float(t), max(0.0, rng.gauss(level, 25.0) + sprint)))
    return samples


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    samples = ride()
    values = resample_power(samples)
    curve = power_curve(samples)
    print(f"ride: {len(samples):,} samples over {values.size:,} s, {len(curve.points)} durations")
    print("  " + ", ".join(f"{p.duration_s} s {p.watts:.0f} W" for p in curve.points))
    whole = timed(lambda: power_curve(samples), runs)
    only = timed(lambda: curve_of_values(values), runs)
    print(
        f"power_curve (resample + curve): median {statistics.median(whole):.2f} ms, "
        f"max {max(whole):.2f} ms over {runs} runs (target < {TARGET_MS:.0f} ms)"
    )
    print(f"curve of a 1 Hz array only: median {statistics.median(only):.2f} ms")


if __name__ == "__main__":
    main()
