"""Workout files: the FIT workout decodes back with Garmin's SDK, the .zwo parses back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
from garmin_fit_sdk import Decoder, Stream

from core.accounts.context import Profile
from core.errors import BadWorkout
from core.training.structured import parse_workout, workout_fit_bytes, workout_zwo

FULL = Profile(ftp=250, lthr=170, hr_max=190, threshold_pace_s_per_km=270)


def st(kind: str, seconds: float | None, target: tuple[str, float, float] | None = None,
       note: str | None = None, *, metres: float | None = None) -> dict[str, Any]:  # fmt: skip
    if metres is not None:
        duration = {"type": "distance", "value": metres}
    elif seconds is not None:
        duration = {"type": "time", "value": seconds}
    else:
        duration = {"type": "open", "value": None}
    kind_, low, high = target or ("none", None, None)
    return {
        "kind": kind,
        "duration": duration,
        "target": {"type": kind_, "low": low, "high": high},
        "note": note,
    }


def rep(count: int, *steps: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "repeat", "count": count, "steps": list(steps)}


def workout(sport: str, *steps: dict[str, Any], indoor: bool = True, name: str = "W") -> Any:
    return parse_workout({"name": name, "sport": sport, "indoor": indoor, "steps": list(steps)})


SWEET_SPOT = workout(
    "cycling",
    st("warmup", 600, ("power_pct_ftp", 55, 75)),
    rep(2, st("work", 1200, ("power_pct_ftp", 88, 94), "Seated"),
        st("recovery", 300, ("power_pct_ftp", 50, 50))),
    st("work", None, ("hr_zone", 2, 3), metres=2000),
    st("cooldown", None, ("hr_pct_lthr", 70, 80.5)),
    name="Sweet spot 2x20",
)  # fmt: skip
NESTED_RUN = workout(
    "running",
    rep(2, st("work", 60, ("pace_s_per_km", 265, 275)),
        rep(3, st("work", 30, ("hr_zone", 5, 5)), st("rest", 30))),
    indoor=False,
)  # fmt: skip


def W(watts: int) -> int:  # noqa: N802 - reads as a unit
    return watts + 1000


def BPM(bpm: int) -> int:  # noqa: N802
    return bpm + 100


FIT_CASES: list[tuple[str, Any, Any, list[Any]]] = [
    ("sweet spot, thresholds set", SWEET_SPOT, FULL, [
        ("warmup", "time", 600.0, "power", W(138), W(188), None),
        ("repeat", 2, [
            ("active", "time", 1200.0, "power", W(220), W(235), "Seated"),
            ("recovery", "time", 300.0, "power", W(125), W(125), None),
        ]),
        ("active", "distance", 2000.0, "heart_rate", BPM(114), BPM(152), None),
        ("cooldown", "open", None, "heart_rate", BPM(119), BPM(137), None),
    ]),
    # no thresholds: % of FTP, and % of HR max (zones; LTHR through 0.89 of HR max)
    ("sweet spot, no thresholds", SWEET_SPOT, None, [
        ("warmup", "time", 600.0, "power", 55, 75, None),
        ("repeat", 2, [
            ("active", "time", 1200.0, "power", 88, 94, "Seated"),
            ("recovery", "time", 300.0, "power", 50, 50, None),
        ]),
        ("active", "distance", 2000.0, "heart_rate", 60, 80, None),
        ("cooldown", "open", None, "heart_rate", 62, 72, None),
    ]),
    ("nested repeats and pace", NESTED_RUN, Profile(hr_max=200), [
        ("repeat", 2, [
            ("active", "time", 60.0, "speed", 3.636, 3.774, None),
            ("repeat", 3, [
                ("active", "time", 30.0, "heart_rate", BPM(180), BPM(200), None),
                ("rest", "time", 30.0, "open", None, None, None),
            ]),
        ]),
    ]),
]  # fmt: skip


def decode(data: bytes) -> dict[str, list[dict[str, Any]]]:
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def step_tree(steps: list[dict[str, Any]]) -> list[Any]:
    """The decoded workout_step messages as nested tuples, repeat blocks gathered."""
    nodes: list[tuple[int, Any]] = []
    for m in steps:
        if m["duration_type"] == "repeat_until_steps_cmplt":
            first = m["duration_step"]
            block = [node for start, node in nodes if start >= first]
            nodes = [(start, node) for start, node in nodes if start < first]
            nodes.append((first, ("repeat", m["repeat_steps"], block)))
            continue
        duration = m.get("duration_time", m.get("duration_distance"))
        prefix = {"power": "custom_target_power", "heart_rate": "custom_target_heart_rate",
                  "speed": "custom_target_speed"}.get(m["target_type"])  # fmt: skip
        low = m.get(f"{prefix}_low") if prefix else None
        high = m.get(f"{prefix}_high") if prefix else None
        node = (m["intensity"], m["duration_type"], duration, m["target_type"], low, high,
                m.get("notes"))  # fmt: skip
        nodes.append((m["message_index"], node))
    return [node for _, node in nodes]


@pytest.mark.parametrize(
    ("w", "profile", "expected"), [c[1:] for c in FIT_CASES], ids=[c[0] for c in FIT_CASES]
)
def test_workout_file_fit_decodes_to_the_same_steps(
    w: Any, profile: Any, expected: list[Any]
) -> None:
    messages = decode(workout_fit_bytes(w, profile))
    steps = messages["workout_step_mesgs"]
    assert [m["message_index"] for m in steps] == list(range(len(steps)))
    assert messages["workout_mesgs"][0]["num_valid_steps"] == len(steps)
    assert step_tree(steps) == expected


@pytest.mark.parametrize(
    ("sport", "indoor", "fit_sport", "sub_sport"),
    [("cycling", True, "cycling", "indoor_cycling"), ("running", True, "running", "treadmill"),
     ("running", False, "running", "generic"), ("swimming", False, "swimming", "generic"),
     ("other", True, "generic", "generic")],
)  # fmt: skip
def test_workout_file_fit_header(sport: str, indoor: bool, fit_sport: str, sub_sport: str) -> None:
    name = "Über <tempo> & 🚴 " + "long " * 20
    w = workout(sport, st("work", 60), indoor=indoor, name=name.strip()[:80])
    created = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    messages = decode(workout_fit_bytes(w, None, created=created))
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    assert messages["file_id_mesgs"][0]["time_created"] == created
    header = messages["workout_mesgs"][0]
    assert (header["sport"], header["sub_sport"]) == (fit_sport, sub_sport)
    assert header["wkt_name"] == name.strip()[:80]


def test_workout_file_fit_long_unicode_note_fits_a_field() -> None:
    note = "Держи каденс 90 и дыши ровно. " * 6  # 180 characters, over 300 bytes
    w = workout("cycling", st("work", 60, None, note.strip()))
    decoded = decode(workout_fit_bytes(w, None))["workout_step_mesgs"][0]["notes"]
    assert note.strip().startswith(decoded)
    assert 100 < len(decoded.encode()) <= 250


OVER_UNDERS = workout(
    "cycling",
    st("warmup", 600, ("power_pct_ftp", 50, 75)),
    rep(5, st("work", 300, ("power_pct_ftp", 105, 105)),
        st("recovery", 180, ("power_pct_ftp", 50, 60))),
    rep(2, st("work", 60, ("power_pct_ftp", 120, 120), "Over"),
        st("work", 60, ("power_pct_ftp", 90, 90)), st("rest", 120)),
    st("work", 600, ("hr_zone", 2, 2), "Easy"),
    st("cooldown", 600, ("power_pct_ftp", 40, 65)),
    name='Over/unders <5x5> & "more"',
)  # fmt: skip

ZWO_CASES: list[tuple[str, Any, Any, list[tuple[str, dict[str, str], str | None]]]] = [
    ("over-unders", OVER_UNDERS, FULL, [
        ("Warmup", {"Duration": "600", "PowerLow": "0.5", "PowerHigh": "0.75"}, None),
        ("IntervalsT", {"Repeat": "5", "OnDuration": "300", "OffDuration": "180",
                        "OnPower": "1.05", "OffPower": "0.55"}, None),
        *[row for _ in range(2) for row in (
            ("SteadyState", {"Duration": "60", "Power": "1.2"}, "Over"),
            ("SteadyState", {"Duration": "60", "Power": "0.9"}, None),
            ("FreeRide", {"Duration": "120"}, None),
        )],
        ("FreeRide", {"Duration": "600"}, "HR zone 2 (114-133 bpm). Easy"),
        ("Cooldown", {"Duration": "600", "PowerLow": "0.65", "PowerHigh": "0.4"}, None),
    ]),
    ("run with threshold pace", workout(
        "running",
        rep(3, st("work", 330, ("pace_s_per_km", 265, 275)), st("recovery", 90)),
        st("work", 600, ("pace_s_per_km", 300, 300)),
    ), FULL, [
        *[row for _ in range(3) for row in (
            ("SteadyState", {"Duration": "330", "Power": "1"}, None),
            ("FreeRide", {"Duration": "90"}, None),
        )],
        ("SteadyState", {"Duration": "600", "Power": "0.9"}, None),
    ]),
    ("nested: inner on/off stays IntervalsT", workout(
        "cycling",
        rep(2, rep(3, st("work", 30, ("power_pct_ftp", 150, 150)),
                   st("rest", 30, ("power_pct_ftp", 40, 50))),
            st("recovery", 300, ("power_pct_ftp", 50, 50), "Spin")),
    ), None, [
        *[row for _ in range(2) for row in (
            ("IntervalsT", {"Repeat": "3", "OnDuration": "30", "OffDuration": "30",
                            "OnPower": "1.5", "OffPower": "0.45"}, None),
            ("SteadyState", {"Duration": "300", "Power": "0.5"}, "Spin"),
        )],
    ]),
    ("run without threshold pace", workout(
        "running", st("work", 330, ("pace_s_per_km", 265, 275))
    ), Profile(), [("FreeRide", {"Duration": "330"}, "4:25-4:35 /km")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("w", "profile", "expected"), [c[1:] for c in ZWO_CASES], ids=[c[0] for c in ZWO_CASES]
)
def test_workout_file_zwo_parses_back(w: Any, profile: Any, expected: list[Any]) -> None:
    root = ET.fromstring(workout_zwo(w, profile, author="Coach"))
    assert root.tag == "workout_file"
    assert [c.tag for c in root] == ["author", "name", "description", "sportType", "workout"]
    assert root.findtext("author") == "Coach"
    assert root.findtext("name") == w.name
    assert root.findtext("sportType") == {"cycling": "bike", "running": "run"}[w.sport]
    assert (root.findtext("description") or "").startswith(w.name)
    got = [
        (
            el.tag,
            dict(el.attrib),
            " ".join(t.get("message", "") for t in el.iter("textevent")) or None,
        )
        for el in root.find("workout") or []
    ]
    assert got == expected


def test_workout_file_zwo_escapes_the_name() -> None:
    text = workout_zwo(OVER_UNDERS, FULL)
    assert "<5x5>" not in text and "&lt;5x5&gt; &amp;" in text


@pytest.mark.parametrize(
    ("w", "sentence"),
    [
        (workout("swimming", st("work", 60)), "Zwift takes rides and runs only."),
        (workout("other", st("work", 60)), "Zwift takes rides and runs only."),
        (SWEET_SPOT, "Zwift needs a time on every step, not a distance or the lap button."),
        (workout("running", rep(2, st("work", None))),
         "Zwift needs a time on every step, not a distance or the lap button."),
    ],
)  # fmt: skip
def test_workout_file_zwo_refusals(w: Any, sentence: str) -> None:
    with pytest.raises(BadWorkout) as caught:
        workout_zwo(w, FULL)
    assert caught.value.message == sentence
