"""Structured workouts: the JSON shape, strict parsing, repairs, limits, the schema, targets."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from core.accounts.context import Profile
from core.errors import BadInput, BadWorkout
from core.training.structured import (
    WORKOUT_JSON_SCHEMA,
    WORKOUT_RESPONSE_FORMAT,
    Absolute,
    Target,
    describe_workout,
    parse_workout,
    repair_workout,
    resolve_targets,
)
from core.training.structured.resolve import absolute_target
from core.training.thresholds import resolve_thresholds


def step(kind: str = "work", seconds: float | None = 300, target: Any = None, note: Any = None):
    duration = {"type": "time", "value": seconds} if seconds is not None else None
    return {
        "kind": kind,
        "duration": duration or {"type": "open", "value": None},
        "target": target or {"type": "none", "low": None, "high": None},
        "note": note,
    }


def power(low: float, high: float) -> dict[str, Any]:
    return {"type": "power_pct_ftp", "low": low, "high": high}


def sample() -> dict[str, Any]:
    return {
        "name": "Sweet spot 2x20",
        "sport": "cycling",
        "indoor": True,
        "steps": [
            step("warmup", 600, power(55, 75)),
            {
                "kind": "repeat",
                "count": 2,
                "steps": [
                    step("work", 1200, power(88, 94), "Seated, smooth cadence"),
                    step("recovery", 300, power(50, 50)),
                ],
            },
            {
                "kind": "work",
                "duration": {"type": "distance", "value": 2000},
                "target": {"type": "hr_zone", "low": 2, "high": 3},
                "note": None,
            },
            step("cooldown", None, {"type": "hr_pct_lthr", "low": 70, "high": 80.5}),
        ],
    }


def edited(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = sample()
    change(data)
    return data


def s(i: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: d["steps"][i]


def test_workout_file_json_round_trips() -> None:
    data = sample()
    workout = parse_workout(data)
    assert workout.to_json() == data
    assert parse_workout(json.loads(json.dumps(workout.to_json()))) == workout
    assert workout.total_time_s == 600 + 2 * 1500
    assert workout.total_distance_m == 2000
    assert workout.has_open_steps
    assert [x.kind for x in workout.expanded()] == [
        "warmup", "work", "recovery", "work", "recovery", "work", "cooldown",
    ]  # fmt: skip


REFUSALS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("not an object", lambda d: d.clear(), "The workout lacks 'indoor', 'name', 'sport', 'steps'."),
    ("no name", lambda d: d.update(name="  "), "The workout has no name."),
    ("unknown sport", lambda d: d.update(sport="bike"),
     "Sport must be one of cycling, running, swimming, other, not 'bike'."),
    ("indoor as text", lambda d: d.update(indoor="yes"), "'indoor' must be true or false."),
    ("no steps", lambda d: d.update(steps=[]), "The workout has no steps."),
    ("extra field", lambda d: d.update(date="2026-12-01"),
     "The workout has unknown fields: 'date'."),
    ("unknown kind", lambda d: s(0)(d).update(kind="sprint"),
     "Step 1: kind must be one of warmup, work, recovery, cooldown, rest, repeat, not 'sprint'."),
    ("missing note", lambda d: s(0)(d).pop("note"), "Step 1 lacks 'note'."),
    ("note not text", lambda d: s(0)(d).update(note=5), "Step 1: the note must be text or null."),
    ("low above high", lambda d: s(0)(d)["target"].update(low=80),
     "Step 1: the target's low (80) is above its high (75)."),
    ("fraction of FTP", lambda d: s(0)(d)["target"].update(low=0.55, high=0.75),
     "Step 1: power targets are 1 to 300 % of FTP, not 0.55."),
    ("HR zone 6", lambda d: s(2)(d)["target"].update(high=6),
     "Step 3: HR zones are whole numbers 1 to 5, not 6."),
    ("HR zone 2.5", lambda d: s(2)(d)["target"].update(low=2.5),
     "Step 3: HR zones are whole numbers 1 to 5, not 2.5."),
    ("null bound", lambda d: s(0)(d)["target"].update(high=None),
     "Step 1: power targets are 1 to 300 % of FTP, not null."),
    ("no target with a value", lambda d: s(0)(d).update(target={"type": "none", "low": 1,
     "high": None}), "Step 1: a step without a target has null low and high."),
    ("unknown target", lambda d: s(0)(d)["target"].update(type="rpe"),
     "Step 1: target type must be one of power_pct_ftp, hr_pct_lthr, hr_zone, pace_s_per_km, "
     "none, not 'rpe'."),
    ("duration as text", lambda d: s(0)(d)["duration"].update(value="600"),
     "Step 1: a timed step lasts 1 s to 6 h, not '600'."),
    ("zero seconds", lambda d: s(0)(d)["duration"].update(value=0),
     "Step 1: a timed step lasts 1 s to 6 h, not 0."),
    ("over six hours", lambda d: s(0)(d)["duration"].update(value=6 * 3600 + 1),
     "Step 1: a timed step lasts 1 s to 6 h, not 21601."),
    ("distance over 100 km", lambda d: s(2)(d)["duration"].update(value=100_001),
     "Step 3: a distance step covers 1 m to 100 km, not 100001."),
    ("open with a value", lambda d: s(3)(d)["duration"].update(value=60),
     "Step 4: an open duration has no value (null)."),
    ("unknown duration", lambda d: s(0)(d)["duration"].update(type="calories"),
     "Step 1: duration type must be one of time, distance, open, not 'calories'."),
    ("nan duration", lambda d: s(0)(d)["duration"].update(value=float("nan")),
     "Step 1: a timed step lasts 1 s to 6 h, not nan."),
    ("bool as number", lambda d: s(0)(d)["duration"].update(value=True),
     "Step 1: a timed step lasts 1 s to 6 h, not True."),
    ("repeat 31 times", lambda d: s(1)(d).update(count=31),
     "Step 2: a repeat runs 1 to 30 times, not 31."),
    ("repeat 0 times", lambda d: s(1)(d).update(count=0),
     "Step 2: a repeat runs 1 to 30 times, not 0."),
    ("repeat count text", lambda d: s(1)(d).update(count="2"),
     "Step 2: a repeat's count must be a whole number."),
    ("empty repeat", lambda d: s(1)(d).update(steps=[]), "Step 2: the repeat has no steps."),
    ("bad nested step", lambda d: s(1)(d)["steps"][1]["duration"].update(value=-5),
     "Step 2.2: a timed step lasts 1 s to 6 h, not -5."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "sentence"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_workout_file_refusals_say_why(change: Callable[..., object], sentence: str) -> None:
    with pytest.raises(BadWorkout) as caught:
        parse_workout(edited(change))
    assert caught.value.message == sentence
    assert isinstance(caught.value, BadInput)


@pytest.mark.parametrize("data", [None, [], "workout", 42])
def test_workout_file_refuses_what_is_not_an_object(data: object) -> None:
    with pytest.raises(BadWorkout, match=r"^The workout must be a JSON object\.$"):
        parse_workout(data)


def nest(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = step()
    for _ in range(depth):
        inner = {"kind": "repeat", "count": 1, "steps": [inner]}
    return inner


def repeated(count: int, steps: int) -> dict[str, Any]:
    return {"kind": "repeat", "count": count, "steps": [step() for _ in range(steps)]}


LIMITS: list[tuple[str, list[Any], str | None]] = [
    ("50 steps", [repeated(25, 2)], None),
    ("51 steps", [repeated(25, 2), step()],
     "The workout has 51 steps once repeats are unrolled; the most is 50."),
    ("30x2 steps", [repeated(30, 2)],
     "The workout has 60 steps once repeats are unrolled; the most is 50."),
    ("nested 5x(2x3)", [{"kind": "repeat", "count": 5, "steps": [repeated(2, 3)]}], None),
    ("nested 9x(2x3) + warm-up", [step("warmup"), {"kind": "repeat", "count": 9, "steps": [
        repeated(2, 3)]}], "The workout has 55 steps once repeats are unrolled; the most is 50."),
    ("depth 2", [nest(2)], None),
    ("depth 3", [nest(3)], "Step 1.1.1: repeats nest at most 2 deep."),
    ("1 s", [step(seconds=1)], None),
    ("6 h", [step(seconds=6 * 3600)], None),
    ("1.5 s", [step(seconds=1.5)], None),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "sentence"), [r[1:] for r in LIMITS], ids=[r[0] for r in LIMITS])
def test_workout_file_limits(steps: list[Any], sentence: str | None) -> None:
    data = {"name": "Limits", "sport": "other", "indoor": False, "steps": steps}
    if sentence is None:
        assert parse_workout(data).to_json() == data
    else:
        with pytest.raises(BadWorkout) as caught:
            parse_workout(data)
        assert caught.value.message == sentence


def test_workout_file_name_and_note_lengths() -> None:
    with pytest.raises(BadWorkout, match="longer than 80 characters"):
        parse_workout(edited(lambda d: d.update(name="x" * 81)))
    with pytest.raises(BadWorkout, match="^Step 1: the note is longer than 200 characters.$"):
        parse_workout(edited(lambda d: s(0)(d).update(note="x" * 201)))


# (what the model sent, where to look in the repaired JSON, what it must be)
Change = Callable[[dict[str, Any]], object]
Look = Callable[[dict[str, Any]], Any]
REPAIRS: list[tuple[str, Change, Look, Any]] = [
    ("swapped range", lambda d: s(0)(d)["target"].update(low=75, high=55),
     lambda j: j["steps"][0]["target"], power(55, 75)),
    ("fractions of FTP", lambda d: s(0)(d)["target"].update(low=0.55, high=0.755),
     lambda j: j["steps"][0]["target"], power(55, 75.5)),
    ("fractions, swapped", lambda d: s(0)(d)["target"].update(low=0.75, high=0.55),
     lambda j: j["steps"][0]["target"], power(55, 75)),
    ("fraction of LTHR", lambda d: s(3)(d)["target"].update(low=0.7, high=0.8),
     lambda j: j["steps"][3]["target"], {"type": "hr_pct_lthr", "low": 70, "high": 80}),
    ("one bound", lambda d: s(0)(d)["target"].update(high=None),
     lambda j: j["steps"][0]["target"], power(55, 55)),
    ("percent text", lambda d: s(0)(d)["target"].update(low="55%", high="75 %"),
     lambda j: j["steps"][0]["target"], power(55, 75)),
    ("zone text", lambda d: s(2)(d)["target"].update(low="Z2", high=3.0),
     lambda j: j["steps"][2]["target"], {"type": "hr_zone", "low": 2, "high": 3}),
    ("target type synonym", lambda d: s(0)(d)["target"].update(type="Power"),
     lambda j: j["steps"][0]["target"]["type"], "power_pct_ftp"),
    ("no target", lambda d: s(0)(d).pop("target"),
     lambda j: j["steps"][0]["target"], {"type": "none", "low": None, "high": None}),
    ("none with values", lambda d: s(0)(d)["target"].update(type="open"),
     lambda j: j["steps"][0]["target"], {"type": "none", "low": None, "high": None}),
    ("missing note", lambda d: s(0)(d).pop("note"), lambda j: j["steps"][0]["note"], None),
    ("empty note", lambda d: s(0)(d).update(note="  "), lambda j: j["steps"][0]["note"], None),
    ("notes", lambda d: s(0)(d).update(notes="Easy\nspin"), lambda j: j["steps"][0]["note"],
     "Easy spin"),
    ("long note", lambda d: s(0)(d).update(note="x" * 300),
     lambda j: len(j["steps"][0]["note"]), 200),
    ("extra step field", lambda d: s(0)(d).update(cadence=90), lambda j: sorted(j["steps"][0]),
     ["duration", "kind", "note", "target"]),
    ("duration text", lambda d: s(0)(d)["duration"].update(value="600"),
     lambda j: j["steps"][0]["duration"], {"type": "time", "value": 600}),
    ("duration 90.5 text", lambda d: s(0)(d)["duration"].update(value="90.5"),
     lambda j: j["steps"][0]["duration"], {"type": "time", "value": 90.5}),
    ("open with value", lambda d: s(3)(d)["duration"].update(type="lap_button", value=60),
     lambda j: j["steps"][3]["duration"], {"type": "open", "value": None}),
    ("duration in meters", lambda d: s(2)(d)["duration"].update(type="Meters"),
     lambda j: j["steps"][2]["duration"]["type"], "distance"),
    ("kind synonyms", lambda d: (s(0)(d).update(kind="Warm-up"), s(3)(d).update(kind="cool down")),
     lambda j: [j["steps"][0]["kind"], j["steps"][3]["kind"]], ["warmup", "cooldown"]),
    ("interval", lambda d: s(2)(d).update(kind="interval"), lambda j: j["steps"][2]["kind"],
     "work"),
    ("repeat count text", lambda d: s(1)(d).update(count="2"), lambda j: j["steps"][1]["count"], 2),
    ("repeat without kind", lambda d: s(1)(d).pop("kind"), lambda j: j["steps"][1]["kind"],
     "repeat"),
    ("bike", lambda d: d.update(sport="Bike"), lambda j: j["sport"], "cycling"),
    ("run", lambda d: d.update(sport="run"), lambda j: j["sport"], "running"),
    ("swim", lambda d: d.update(sport="swim"), lambda j: j["sport"], "swimming"),
    ("rowing", lambda d: d.update(sport="rowing"), lambda j: j["sport"], "other"),
    ("no name", lambda d: d.pop("name"), lambda j: j["name"], "Cycling workout"),
    ("padded name", lambda d: d.update(name="  Tempo  "), lambda j: j["name"], "Tempo"),
    ("long name", lambda d: d.update(name="y" * 120), lambda j: len(j["name"]), 80),
    ("no indoor", lambda d: d.pop("indoor"), lambda j: j["indoor"], False),
    ("indoor text", lambda d: d.update(indoor="true"), lambda j: j["indoor"], True),
    ("extra field", lambda d: d.update(date="2026-12-01"), lambda j: sorted(j),
     ["indoor", "name", "sport", "steps"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "look", "expected"), [r[1:] for r in REPAIRS], ids=[r[0] for r in REPAIRS]
)
def test_workout_file_repairs(
    change: Callable[..., object], look: Callable[..., Any], expected: Any
) -> None:
    data = edited(change)
    before = copy.deepcopy(data)
    assert look(repair_workout(data).to_json()) == expected
    assert data == before  # the input is left as it was


def test_workout_file_repair_keeps_a_valid_workout_and_unwraps() -> None:
    assert repair_workout(sample()).to_json() == sample()
    assert repair_workout({"workout": sample()}).to_json() == sample()


UNREPAIRABLE: list[tuple[str, Any, str]] = [
    ("no duration", edited(lambda d: s(0)(d).pop("duration")),
     "Step 1: the duration must be a JSON object."),
    ("zero seconds", edited(lambda d: s(0)(d)["duration"].update(value="0")),
     "Step 1: a timed step lasts 1 s to 6 h, not 0."),
    ("words for seconds", edited(lambda d: s(0)(d)["duration"].update(value="ten minutes")),
     "Step 1: a timed step lasts 1 s to 6 h, not 'ten minutes'."),
    ("mixed fraction and percent", edited(lambda d: s(0)(d)["target"].update(low=0.5, high=75)),
     "Step 1: power targets are 1 to 300 % of FTP, not 0.5."),
    ("unknown kind", edited(lambda d: s(0)(d).update(kind="sprint")),
     "Step 1: kind must be one of warmup, work, recovery, cooldown, rest, repeat, not 'sprint'."),
    ("no steps", edited(lambda d: d.pop("steps")), "The workout has no steps."),
    ("too many", {"name": "x", "sport": "run", "indoor": False, "steps": [repeated(30, 2)]},
     "The workout has 60 steps once repeats are unrolled; the most is 50."),
    ("a list", [sample()], "The workout must be a JSON object."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "sentence"), [r[1:] for r in UNREPAIRABLE], ids=[r[0] for r in UNREPAIRABLE]
)
def test_workout_file_repair_refuses_what_it_cannot_fix(data: Any, sentence: str) -> None:
    with pytest.raises(BadWorkout) as caught:
        repair_workout(data)
    assert caught.value.message == sentence


def _walk(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema]
    for value in schema.values():
        if isinstance(value, dict):
            found += _walk(value)
    return found


def test_workout_file_schema_is_strict_mode_shaped() -> None:
    objects = [n for n in _walk(WORKOUT_JSON_SCHEMA) if n.get("type") == "object"]
    assert len(objects) >= 6
    for node in objects:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
    assert WORKOUT_RESPONSE_FORMAT["json_schema"]["strict"] is True
    assert WORKOUT_RESPONSE_FORMAT["json_schema"]["schema"] is WORKOUT_JSON_SCHEMA
    json.dumps(WORKOUT_RESPONSE_FORMAT)


def _valid(schema: dict[str, Any], value: Any, root: dict[str, Any]) -> bool:
    """The JSON Schema subset the workout schema uses: $ref, anyOf, type, enum, objects, arrays."""
    if "$ref" in schema:
        return _valid(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], value, root)
    if "anyOf" in schema:
        return any(_valid(option, value, root) for option in schema["anyOf"])
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    checks = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    ok = any(
        (k == "integer" and isinstance(value, int) and not isinstance(value, bool))
        or (k == "number" and isinstance(value, int | float) and not isinstance(value, bool))
        or (k in checks and isinstance(value, checks[k]))
        for k in kinds
    )
    if not ok or ("enum" in schema and value not in schema["enum"]):
        return False
    if isinstance(value, dict):
        props = schema["properties"]
        return set(value) == set(props) and all(_valid(props[k], v, root) for k, v in value.items())
    if isinstance(value, list):
        return all(_valid(schema["items"], v, root) for v in value)
    return True


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        (sample(), True),
        ({"name": "n", "sport": "other", "indoor": False, "steps": [nest(2)]}, True),
        ({"name": "n", "sport": "other", "indoor": False, "steps": [nest(3)]}, False),
        (edited(lambda d: s(0)(d).pop("note")), False),
        (edited(lambda d: d.update(sport="bike")), False),
        (edited(lambda d: s(0)(d).update(extra=1)), False),
    ],
    ids=["sample", "depth 2", "depth 3", "missing note", "bad sport", "extra field"],
)
def test_workout_file_schema_matches_the_parser(data: dict[str, Any], valid: bool) -> None:
    assert _valid(WORKOUT_JSON_SCHEMA, data, WORKOUT_JSON_SCHEMA) is valid
    if valid:
        parse_workout(data)


FULL = Profile(ftp=250, lthr=170, hr_max=190, threshold_pace_s_per_km=270)

TARGETS: list[tuple[Target, Any, Absolute | None]] = [
    (Target("power_pct_ftp", 88, 94), FULL, Absolute("W", 220, 235)),
    (Target("power_pct_ftp", 88, 94), Profile(), None),
    (Target("hr_pct_lthr", 80, 90), FULL, Absolute("bpm", 136, 153)),
    (Target("hr_pct_lthr", 80, 90), Profile(hr_max=190), None),
    (Target("hr_zone", 2, 2), FULL, Absolute("bpm", 114, 133)),
    (Target("hr_zone", 1, 5), FULL, Absolute("bpm", 95, 190)),
    (Target("hr_zone", 4, 5), Profile(lthr=170), None),
    (Target("pace_s_per_km", 265, 275), Profile(), Absolute("s/km", 265, 275)),
    (Target("none"), FULL, None),
    (Target("power_pct_ftp", 100, 100), None, None),
    # thresholds estimated from data count as set
    (Target("hr_pct_lthr", 100, 100), resolve_thresholds(max_hr_seen=200),
     Absolute("bpm", 178, 178)),
]  # fmt: skip


@pytest.mark.parametrize(("target", "profile", "expected"), TARGETS)
def test_workout_file_absolute_targets(
    target: Target, profile: Any, expected: Absolute | None
) -> None:
    assert absolute_target(target, profile) == expected


@pytest.mark.parametrize(
    ("profile", "missing"),
    [(FULL, ()), (Profile(ftp=250), ("HR max", "LTHR")), (None, ("FTP", "HR max", "LTHR"))],
)
def test_workout_file_resolve_names_missing_thresholds(
    profile: Any, missing: tuple[str, ...]
) -> None:
    resolved = resolve_targets(parse_workout(sample()), profile)
    assert resolved.missing == missing
    assert len(resolved.steps) == 4


def test_workout_file_describe_with_thresholds() -> None:
    text = describe_workout(parse_workout(sample()), FULL)
    assert text == (
        "Sweet spot 2x20 (cycling, indoor): 1:00:00 + 2.00 km + open steps\n"
        "1. Warm-up 10 min @ 55-75% FTP (138-188 W)\n"
        "2. 2×:\n"
        "   2.1. Work 20 min @ 88-94% FTP (220-235 W). Seated, smooth cadence\n"
        "   2.2. Recovery 5 min @ 50% FTP (125 W)\n"
        "3. Work 2.00 km @ HR zones 2-3 (114-152 bpm)\n"
        "4. Cool-down until you press lap @ 70-80.5% LTHR (119-137 bpm)"
    )


def test_workout_file_describe_without_thresholds() -> None:
    run = {
        "name": "Threshold run", "sport": "running", "indoor": False,
        "steps": [
            step("warmup", 900, {"type": "hr_zone", "low": 2, "high": 2}),
            {"kind": "repeat", "count": 3, "steps": [
                step("work", 5 * 60 + 30, {"type": "pace_s_per_km", "low": 265, "high": 275}),
                step("rest", 90),
            ]},
            step("cooldown", 3600 + 90, power(50, 60)),
        ],
    }  # fmt: skip
    assert describe_workout(parse_workout(run), None) == (
        "Threshold run (running): 1:37:30\n"
        "1. Warm-up 15 min @ HR zone 2\n"
        "2. 3×:\n"
        "   2.1. Work 5 min 30 s @ 4:25-4:35 /km\n"
        "   2.2. Rest 1 min 30 s\n"
        "3. Cool-down 1 h 1 min 30 s @ 50-60% FTP\n"
        "No FTP or HR max set, so those targets stay relative."
    )


JUNK: list[Any] = [
    {"name": 5, "sport": [], "indoor": {}, "steps": {}},
    edited(lambda d: d.update(steps=[None, 3, "warmup"])),
    edited(lambda d: s(0)(d).update(duration=300)),
    edited(lambda d: s(0)(d).update(duration={"type": ["time"], "value": {}})),
    edited(lambda d: s(0)(d)["duration"].update(value=10**400)),
    edited(lambda d: s(0)(d)["duration"].update(value="1" * 500)),
    edited(lambda d: s(0)(d)["target"].update(low=[1], high={"a": 1})),
    edited(lambda d: s(0)(d)["target"].update(type=None)),
    edited(lambda d: s(1)(d).update(count=2.5)),
    edited(lambda d: s(1)(d).update(count=float("inf"))),
    edited(lambda d: s(1)(d).update(steps="work")),
    edited(lambda d: s(0)(d).update(kind={"x": 1})),
    {"name": "x", "sport": "run", "indoor": False, "steps": [nest(40)]},
]


@pytest.mark.parametrize("data", JUNK, ids=range(len(JUNK)))
def test_workout_file_junk_gets_a_sentence_not_a_crash(data: Any) -> None:
    for read in (parse_workout, repair_workout):
        with pytest.raises(BadWorkout) as caught:
            read(copy.deepcopy(data))
        assert caught.value.message.endswith(".") and "\n" not in caught.value.message
