"""A workout as a FIT workout file (file_id, workout, workout_step), via Garmin's FIT SDK.

Units are the FIT profile's: time in ms, distance in cm, speed in mm/s. Custom power values
above 1000 are watts + 1000 (0-1000 is % of FTP); custom HR values above 100 are bpm + 100
(0-100 is % of HR max). A repeat is a step after its block: repeat_until_steps_cmplt, with
the index of the block's first step and the count.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from garmin_fit_sdk import Encoder, Profile

from core.training.structured.model import Item, Repeat, Step, Workout
from core.training.structured.resolve import AthleteThresholds, absolute_target, zone_bounds
from core.training.thresholds import LTHR_FRACTION_OF_MAX

_MESG = Profile["mesg_num"]
INTENSITY = {
    "warmup": "warmup",
    "work": "active",
    "recovery": "recovery",
    "cooldown": "cooldown",
    "rest": "rest",
}
SPORT = {"cycling": "cycling", "running": "running", "swimming": "swimming", "other": "generic"}
INDOOR_SUB_SPORT = {"cycling": "indoor_cycling", "running": "treadmill"}
POWER_OFFSET = 1000
HR_OFFSET = 100
MAX_TEXT_BYTES = 250  # a FIT string field holds at most 255 bytes with its terminator


def workout_fit_bytes(
    workout: Workout, profile: AthleteThresholds | None, *, created: datetime | None = None
) -> bytes:
    """The FIT workout file of `workout`, targets in the athlete's numbers where known."""
    steps: list[dict[str, Any]] = []
    _append(workout.steps, steps, profile)
    enc = Encoder()
    file_id: dict[str, Any] = {"type": "workout", "manufacturer": "development", "product": 1}
    if created is not None:
        file_id["time_created"] = created
    enc.on_mesg(_MESG["FILE_ID"], file_id)
    sub_sport = INDOOR_SUB_SPORT.get(workout.sport, "generic") if workout.indoor else "generic"
    enc.on_mesg(
        _MESG["WORKOUT"],
        {
            "sport": SPORT[workout.sport],
            "sub_sport": sub_sport,
            "num_valid_steps": len(steps),
            "wkt_name": fit_text(workout.name),
        },
    )
    for index, step in enumerate(steps):
        enc.on_mesg(_MESG["WORKOUT_STEP"], {"message_index": index, **step})
    return bytes(enc.close())


def fit_text(text: str) -> str:
    """`text` cut at a character boundary to fit a FIT string field."""
    return text.encode()[:MAX_TEXT_BYTES].decode(errors="ignore")


def _append(
    items: tuple[Item, ...], out: list[dict[str, Any]], profile: AthleteThresholds | None
) -> None:
    for item in items:
        if isinstance(item, Repeat):
            first = len(out)
            _append(item.steps, out, profile)
            out.append(
                {
                    "duration_type": "repeat_until_steps_cmplt",
                    "duration_value": first,
                    "target_type": "open",
                    "target_value": item.count,
                }
            )
        else:
            out.append(step_fields(item, profile))


def step_fields(step: Step, profile: AthleteThresholds | None) -> dict[str, Any]:
    """One workout_step message's fields (without its index)."""
    fields: dict[str, Any] = {"intensity": INTENSITY[step.kind], **_duration(step)}
    fields.update(_target(step, profile))
    if step.note:
        fields["notes"] = fit_text(step.note)
    return fields


def _duration(step: Step) -> dict[str, Any]:
    value = step.duration.value
    if step.duration.type == "open" or value is None:
        return {"duration_type": "open"}
    scale = 1000 if step.duration.type == "time" else 100  # ms, cm
    return {"duration_type": step.duration.type, "duration_value": round(value * scale)}


def _target(step: Step, profile: AthleteThresholds | None) -> dict[str, Any]:
    target = step.target
    if target.type == "none" or target.low is None or target.high is None:
        return {"target_type": "open"}
    if target.type == "pace_s_per_km":  # slower pace, lower speed
        low, high = 1_000_000 / target.high, 1_000_000 / target.low
        return _custom("speed", low, high)
    absolute = absolute_target(target, profile)
    if target.type == "power_pct_ftp":
        if absolute is not None:
            return _custom("power", absolute.low + POWER_OFFSET, absolute.high + POWER_OFFSET)
        return _custom("power", target.low, target.high)  # % of FTP, the watch's own FTP
    if absolute is not None:
        return _custom("heart_rate", absolute.low + HR_OFFSET, absolute.high + HR_OFFSET)
    if target.type == "hr_zone":
        low, high = zone_bounds(int(target.low), int(target.high))
        return _custom("heart_rate", low * 100, high * 100)
    # % of LTHR without an LTHR: as % of the watch's HR max, through the usual LTHR estimate.
    low, high = target.low * LTHR_FRACTION_OF_MAX, target.high * LTHR_FRACTION_OF_MAX
    return _custom("heart_rate", min(low, HR_OFFSET), min(high, HR_OFFSET))


def _custom(kind: str, low: float, high: float) -> dict[str, Any]:
    return {
        "target_type": kind,
        "target_value": 0,
        "custom_target_value_low": round(low),
        "custom_target_value_high": round(high),
    }
