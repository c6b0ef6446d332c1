"""An athlete's training thresholds: from the profile where set, else estimated from data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.training.load import Sample, resample_1hz, rolling_means

DEFAULT_HR_REST = 60.0
LTHR_FRACTION_OF_MAX = 0.89
FTP_FRACTION_OF_20MIN = 0.95
# A "highest HR seen" outside this range is a sensor glitch, not a maximum.
PLAUSIBLE_HR_MAX = (120.0, 230.0)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """HR, power and pace thresholds; each *_estimated flag says the value was not set."""

    hr_max: float | None
    hr_rest: float
    lthr: float | None
    ftp: float | None
    threshold_pace_s_per_km: float | None
    sex: str | None  # "male" | "female" | None
    hr_max_estimated: bool = False
    hr_rest_estimated: bool = False
    lthr_estimated: bool = False
    ftp_estimated: bool = False

    @property
    def estimated_fields(self) -> tuple[str, ...]:
        """Names of the thresholds that are estimates, for telling the athlete."""
        flags = {
            "hr_max": self.hr_max_estimated and self.hr_max is not None,
            "hr_rest": self.hr_rest_estimated,
            "lthr": self.lthr_estimated and self.lthr is not None,
            "ftp": self.ftp_estimated and self.ftp is not None,
        }
        return tuple(name for name, on in flags.items() if on)


def resolve_thresholds(
    *,
    hr_max: float | None = None,
    hr_rest: float | None = None,
    lthr: float | None = None,
    ftp: float | None = None,
    threshold_pace_s_per_km: float | None = None,
    sex: str | None = None,
    max_hr_seen: float | None = None,
    best_20min_power: float | None = None,
    garmin_rest_hr: float | None = None,
) -> Thresholds:
    """Profile values win; otherwise estimate from the data seen, and flag every estimate."""
    max_est = hr_max is None
    if max_est and max_hr_seen is not None:
        lo, hi = PLAUSIBLE_HR_MAX
        hr_max = max_hr_seen if lo <= max_hr_seen <= hi else None
    rest_est = hr_rest is None
    rest = hr_rest if hr_rest is not None else garmin_rest_hr or DEFAULT_HR_REST
    lthr_est = lthr is None
    if lthr_est and hr_max is not None:
        lthr = round(LTHR_FRACTION_OF_MAX * hr_max, 1)
    ftp_est = ftp is None
    if ftp_est and best_20min_power:
        ftp = round(FTP_FRACTION_OF_20MIN * best_20min_power, 1)
    return Thresholds(
        hr_max=hr_max,
        hr_rest=float(rest),
        lthr=lthr,
        ftp=ftp,
        threshold_pace_s_per_km=threshold_pace_s_per_km,
        sex=sex if sex in ("male", "female") else None,
        hr_max_estimated=max_est,
        hr_rest_estimated=rest_est,
        lthr_estimated=lthr_est,
        ftp_estimated=ftp_est,
    )


def best_mean_power(samples: Sequence[Sample], window_s: int) -> float | None:
    """Best average power over any `window_s` seconds of recorded time, None if shorter."""
    values = resample_1hz(samples)
    if window_s <= 0 or len(values) < window_s:
        return None
    return max(rolling_means(values, window_s))
