"""FIT file -> activity sessions, with Garmin's official decoder; pure and picklable."""

from __future__ import annotations

import bisect
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from garmin_fit_sdk import Decoder, Stream

from core.errors import N_, BadFile
from core.training.best_efforts import best_efforts, efforts_json
from core.training.load import POWER_SPORTS, Series, normalized_power
from core.training.power_curve import curve_json, power_curve

logger = logging.getLogger(__name__)

# A record's time (epoch s), then hr, power, speed, altitude, distance, each None if absent.
_Row = tuple[float, float | None, float | None, float | None, float | None, float | None]

MAX_FIT_BYTES = 20 * 1024 * 1024

# Plausible ranges: a value outside is a glitch or a damaged field and is dropped.
_HR_RANGE = (20.0, 250.0)
_POWER_RANGE = (0.0, 3000.0)
_SPEED_RANGE = (0.0, 60.0)
_ALTITUDE_RANGE = (-500.0, 9000.0)
_MAX_DISTANCE_M = 10_000_000.0
_MAX_DURATION_S = 30 * 86400.0
_MAX_ASCENT_M = 50_000.0
_MAX_CALORIES = 100_000.0
_MAX_CADENCE = 300.0
# FIT times below 0x10000000 are device-relative, not dates; anything before 2000 is one.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_SERIES = ("hr", "power", "speed", "altitude", "distance")
_EFFORT_SPORTS = frozenset({"running"})  # road and trail runs, treadmill included
_ACTIVITY_TYPES = (None, "activity", "activity_summary")
_NOT_ACTIVITY = {
    "settings": N_("This is a device settings file, not an activity."),
    "sport": N_("This is a sport settings file, not an activity."),
    "workout": N_("This is a planned workout, not a recorded activity."),
    "schedules": N_("This is a workout schedule, not a recorded activity."),
    "course": N_("This is a course (a planned route), not a recorded activity."),
    "weight": N_("This is a weight scale file, not an activity."),
    "monitoring_a": N_("This is a daily monitoring file, not an activity."),
    "monitoring_b": N_("This is a daily monitoring file, not an activity."),
    "monitoring_daily": N_("This is a daily monitoring file, not an activity."),
}


@dataclass(frozen=True, slots=True)
class Lap:
    """One lap of a session."""

    start: datetime
    timer_s: float
    distance_m: float | None
    avg_hr: float | None
    avg_power: float | None


@dataclass(frozen=True, slots=True)
class SessionData:
    """One sport session of an activity file; series are (seconds since start, value)."""

    index: int
    sport: str
    sub_sport: str
    start_time: datetime
    timer_s: float
    elapsed_s: float
    distance_m: float | None
    ascent_m: float | None
    calories: float | None
    avg_hr: float | None
    max_hr: float | None
    avg_power: float | None
    normalized_power: float | None
    avg_cadence: float | None
    lap_count: int
    laps: tuple[Lap, ...] = ()
    hr: Series = ()
    power: Series = ()
    speed: Series = ()
    altitude: Series = ()
    distance: Series = ()
    # Computed here, where the 1 Hz series exist: {"<seconds>": watts}, {"<metres>": seconds}.
    power_curve: dict[str, float] | None = None
    best_efforts: dict[str, float] | None = None


@dataclass(frozen=True, slots=True)
class DecodedFile:
    """A decoded activity upload; recovered means the file was damaged but sessions survived."""

    file_type: str
    device_serial: int | None
    device: str | None
    content_hash: str
    sessions: tuple[SessionData, ...]
    recovered: bool


def decode_activity(data: bytes) -> DecodedFile:
    """Decode FIT bytes into sessions, or raise BadFile with one sentence for the athlete."""
    truncated = _check_envelope(data)
    messages, errors = _read(data)
    file_ids = _dicts(messages.get("file_id_mesgs"))
    file_type = _file_type(file_ids)
    if file_type not in _ACTIVITY_TYPES:
        raise BadFile(_not_activity_sentence(file_type), kind=str(file_type).replace("_", " "))
    sessions = _sessions(messages)
    if not sessions:
        raise BadFile(_no_session_sentence(truncated, errors))
    if errors:
        logger.info("FIT damaged, %d session(s) recovered: %s", len(sessions), errors[0])
    first = file_ids[0] if file_ids else {}
    return DecodedFile(
        file_type=file_type or "activity",
        device_serial=_integer(first.get("serial_number")),
        device=_device_name(first),
        content_hash=hashlib.sha256(data).hexdigest(),
        sessions=tuple(sessions),
        recovered=bool(errors),
    )


def _read(data: bytes) -> tuple[dict[str, Any], list[Exception]]:
    try:
        messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    except Exception as exc:  # the SDK catches its own errors; this is a last guard
        return {}, [exc]
    return (dict(messages) if isinstance(messages, dict) else {}), list(errors)


def _sessions(messages: dict[str, Any]) -> list[SessionData]:
    records = _Records(_dicts(messages.get("record_mesgs")))
    lap_mesgs = _dicts(messages.get("lap_mesgs"))
    laps = [_lap(m) for m in lap_mesgs]  # aligned with lap_mesgs: sessions index into it
    raw = _dicts(messages.get("session_mesgs"))
    if not raw:
        synthetic = _synthetic_session(lap_mesgs, _dicts(messages.get("sport_mesgs")), records)
        raw = [synthetic] if synthetic else []
    out: list[SessionData] = []
    for mesg in raw:
        session = _session(len(out), mesg, records, laps)
        if session is not None:
            out.append(session)
    return out


def _lap(mesg: dict[str, Any]) -> Lap | None:
    start = _when(mesg.get("start_time"))
    if start is None:
        return None
    return Lap(
        start=start,
        timer_s=_number(mesg.get("total_timer_time"), 0, _MAX_DURATION_S) or 0.0,
        distance_m=_number(mesg.get("total_distance"), 0, _MAX_DISTANCE_M),
        avg_hr=_number(mesg.get("avg_heart_rate"), *_HR_RANGE),
        avg_power=_number(mesg.get("avg_power"), *_POWER_RANGE),
    )


def _session(
    index: int, mesg: dict[str, Any], records: _Records, laps: list[Lap | None]
) -> SessionData | None:
    start = _when(mesg.get("start_time"))
    if start is None:
        return None
    timer = _number(mesg.get("total_timer_time"), 0, _MAX_DURATION_S)
    elapsed = _number(mesg.get("total_elapsed_time"), 0, _MAX_DURATION_S)
    end_ts = start.timestamp() + max(timer or 0.0, elapsed or 0.0)
    stamp = _when(mesg.get("timestamp"))
    if stamp is not None and stamp > start:
        end_ts = max(end_ts, stamp.timestamp())
    series = records.window(start.timestamp(), end_ts)
    hr, power = series["hr"], series["power"]
    own_laps = _laps_of(mesg, laps, start, end_ts)
    num_laps = _integer(mesg.get("num_laps"))
    sport = _label(mesg.get("sport"))
    return SessionData(
        index=index,
        sport=sport,
        sub_sport=_label(mesg.get("sub_sport")),
        start_time=start,
        timer_s=timer if timer is not None else (elapsed or 0.0),
        elapsed_s=elapsed if elapsed is not None else (timer or 0.0),
        distance_m=_number(mesg.get("total_distance"), 0, _MAX_DISTANCE_M),
        ascent_m=_number(mesg.get("total_ascent"), 0, _MAX_ASCENT_M),
        calories=_number(mesg.get("total_calories"), 0, _MAX_CALORIES),
        avg_hr=_number(mesg.get("avg_heart_rate"), *_HR_RANGE) or _mean(hr),
        max_hr=_number(mesg.get("max_heart_rate"), *_HR_RANGE) or _peak(hr),
        avg_power=_number(mesg.get("avg_power"), *_POWER_RANGE) or _mean(power),
        normalized_power=normalized_power(power)
        or _number(mesg.get("normalized_power"), *_POWER_RANGE),
        avg_cadence=_number(mesg.get("avg_cadence"), 0, _MAX_CADENCE),
        lap_count=len(own_laps) or (num_laps if num_laps and num_laps < 10_000 else 0),
        laps=own_laps,
        **series,
        power_curve=_curve(sport, power),
        best_efforts=_efforts(sport, series["distance"]),
    )


def _curve(sport: str, power: Series) -> dict[str, float] | None:
    """Rides only: running power (other meters, other scale) would spoil a cycling curve."""
    if sport not in POWER_SPORTS or not any(w > 0 for _, w in power):
        return None
    return curve_json(power_curve(power)) or None


def _efforts(sport: str, distance: Series) -> dict[str, float] | None:
    if sport not in _EFFORT_SPORTS or not distance:
        return None
    return efforts_json(best_efforts(distance)) or None


def _laps_of(
    mesg: dict[str, Any], laps: list[Lap | None], start: datetime, end_ts: float
) -> tuple[Lap, ...]:
    """The session's laps: by its lap indexes when given, else by time."""
    first = _integer(mesg.get("first_lap_index"))
    count = _integer(mesg.get("num_laps"))
    if first is not None and count and first + count <= len(laps):
        return tuple(lap for lap in laps[first : first + count] if lap is not None)
    start_ts = start.timestamp()
    return tuple(lap for lap in laps if lap and start_ts <= lap.start.timestamp() < end_ts)


def _check_envelope(data: bytes) -> bool:
    """Refuse what is plainly not a readable FIT file; return whether it is cut short."""
    if not data:
        raise BadFile(N_("The file is empty."))
    if len(data) > MAX_FIT_BYTES:
        raise BadFile(N_("The file is larger than 20 MB, far more than any activity needs."))
    if data[:4] == b"PK\x03\x04":
        raise BadFile(N_("This is a ZIP archive: unzip it and send the .fit file inside."))
    if len(data) < 12 or data[8:12] != b".FIT":
        if data.lstrip()[:1] == b"<":
            raise BadFile(N_("This is a GPX or TCX file: please send the activity as a .fit file."))
        raise BadFile(N_("This is not a FIT file: please send the activity's .fit file."))
    if data[0] not in (12, 14):
        raise BadFile(N_("The FIT file's header is damaged, so the file cannot be read."))
    return data[0] + int.from_bytes(data[4:8], "little") + 2 > len(data)


def _not_activity_sentence(file_type: str | None) -> str:
    default = N_("This FIT file holds {kind} data, not an activity.")
    return _NOT_ACTIVITY.get(str(file_type), default)


def _no_session_sentence(truncated: bool, errors: list[Exception]) -> str:
    if not errors:
        return N_("This activity file holds no recorded session.")
    if truncated:
        return N_("The FIT file is cut short and no session could be recovered from it.")
    if any("CRC" in str(e) for e in errors):
        return N_("The FIT file is damaged (bad checksum) and holds no readable session.")
    return N_("The FIT file is damaged and no session could be recovered from it.")


def _file_type(file_ids: list[dict[str, Any]]) -> str | None:
    """The file's type; a chained file with any activity part counts as an activity."""
    types = [t for t in (m.get("type") for m in file_ids) if isinstance(t, str)]
    if "activity" in types:
        return "activity"
    return types[0] if types else None


def _device_name(file_id: dict[str, Any]) -> str | None:
    parts = [file_id.get("manufacturer"), file_id.get("garmin_product") or file_id.get("product")]
    words = [p for p in parts if isinstance(p, str)]
    return " ".join(words) or None


def _number(value: object, lo: float, hi: float) -> float | None:
    # Exact types: bool (an int) is not a number here; NaN fails both comparisons.
    if type(value) is float or type(value) is int:
        return float(value) if lo <= value <= hi else None
    return None


def _integer(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _label(value: object) -> str:
    return value if isinstance(value, str) and value else "generic"


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime) and value.tzinfo is not None and value >= _EARLIEST:
        return value
    return None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


def _mean(series: Series) -> float | None:
    return sum(v for _, v in series) / len(series) if series else None


def _peak(series: Series) -> float | None:
    return max(v for _, v in series) if series else None


class _Records:
    """Record samples sorted by time, cut into per-session series."""

    def __init__(self, mesgs: list[dict[str, Any]]) -> None:
        rows = [row for row in map(_record_row, mesgs) if row is not None]
        rows.sort(key=lambda row: row[0])
        self.rows = rows
        self.times = [row[0] for row in rows]

    def window(self, start: float, end: float) -> dict[str, Series]:
        """Series of the records from start to end, timed from start."""
        lo = bisect.bisect_left(self.times, start)
        hi = bisect.bisect_right(self.times, end)
        cols: list[list[tuple[float, float]]] = [[] for _ in _SERIES]
        for row in self.rows[lo:hi]:
            rel = row[0] - start
            for col, value in zip(cols, row[1:], strict=True):
                if value is not None:
                    col.append((rel, value))
        return {name: tuple(col) for name, col in zip(_SERIES, cols, strict=True)}


def _record_row(mesg: dict[str, Any]) -> _Row | None:
    when = _when(mesg.get("timestamp"))
    if when is None:
        return None
    speed = mesg.get("enhanced_speed", mesg.get("speed"))
    altitude = mesg.get("enhanced_altitude", mesg.get("altitude"))
    return (
        when.timestamp(),
        _number(mesg.get("heart_rate"), *_HR_RANGE),
        _number(mesg.get("power"), *_POWER_RANGE),
        _number(speed, *_SPEED_RANGE),
        _number(altitude, *_ALTITUDE_RANGE),
        _number(mesg.get("distance"), 0, _MAX_DISTANCE_M),
    )


def _synthetic_session(
    lap_mesgs: list[dict[str, Any]], sport_mesgs: list[dict[str, Any]], records: _Records
) -> dict[str, Any] | None:
    """A session message built from laps and records, for files that lack one."""
    spans = [span for span in map(_lap_span, lap_mesgs) if span is not None]
    laps = [m for m in lap_mesgs if _when(m.get("start_time"))]
    if records.times:
        spans.append((records.times[0], records.times[-1]))
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if end <= start:
        return None
    sports = [m.get("sport") for m in laps + sport_mesgs]
    return {
        "sport": next((s for s in sports if isinstance(s, str)), None),
        "start_time": datetime.fromtimestamp(start, UTC),
        "timestamp": datetime.fromtimestamp(end, UTC),
        "total_elapsed_time": end - start,
        "total_timer_time": _lap_sum(laps, "total_timer_time") or end - start,
        "total_distance": _lap_sum(laps, "total_distance") or _last_distance(records),
        "total_ascent": _lap_sum(laps, "total_ascent"),
        "total_calories": _lap_sum(laps, "total_calories"),
    }


def _lap_span(mesg: dict[str, Any]) -> tuple[float, float] | None:
    start = _when(mesg.get("start_time"))
    if start is None:
        return None
    length = _number(mesg.get("total_elapsed_time"), 0, _MAX_DURATION_S) or 0.0
    end = _when(mesg.get("timestamp"))
    return start.timestamp(), max(start.timestamp() + length, end.timestamp() if end else 0.0)


def _lap_sum(laps: list[dict[str, Any]], field: str) -> float | None:
    values = [v for v in (_number(m.get(field), 0, _MAX_DISTANCE_M) for m in laps) if v]
    return sum(values) if values else None


def _last_distance(records: _Records) -> float | None:
    distances = [row[5] for row in records.rows if row[5] is not None]
    return max(distances) if distances else None
