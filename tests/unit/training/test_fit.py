"""decode_activity against the real FIT files and the sessions their devices wrote."""

from __future__ import annotations

import csv
import hashlib
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import BadFile
from core.training.fit import MAX_FIT_BYTES, DecodedFile, SessionData, decode_activity
from core.training.load import normalized_power
from tests.fit_files import ACTIVITY_FILES, FIT_DIR, encode_fit, fit_bytes, needs_fit_files

# file -> per session: sport, timer s, distance m, avg HR, max HR, avg W (README table)
Row = tuple[str, float, float, int | str | None, int | str | None, int | None]
EXPECTED: dict[str, list[Row]] = {
    "2013-02-06-12-11-14.fit": [("running", 2625, 4835, 147, 171, None)],
    "Edge810-Vector-2013-08-16-15-35-10.fit": [("cycling", 4700, 41339, 154, 176, 276)],
    "sample-activity.fit": [("cycling", 10699, 88797, 166, 191, None)],
    "activity-small-fenix2-run.fit": [("running", 2832, 9008, "records", "records", None)],
    "sample-activity-indoor-trainer.fit": [("cycling", 2262, 0, 148, 176, 201)],
    "event_timestamp.fit": [("swimming", 4372, 2606, 142, 161, None)],
    "garmin-fenix-5-run.fit": [("running", 57, 158, 90, 112, None)],
    "garmin-fenix-5-bike.fit": [("cycling", 60, 460, 101, 114, None)],
    "sample_mulitple_header.fit": [
        ("swimming", 1988, 1645, 165, 175, None),
        ("transition", 170, 142, 176, 184, None),
        ("cycling", 4422, 40909, 172, 183, None),
        ("transition", 61, 32, 164, 169, None),
        ("running", 2851, 9806, 176, 187, None),
    ],
}

pytestmark = needs_fit_files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sessions_match_what_the_device_wrote(name: str) -> None:
    decoded = decode_activity(fit_bytes(name))

    assert decoded.file_type == "activity"
    assert decoded.recovered is False
    assert len(decoded.sessions) == len(EXPECTED[name])
    for session, (sport, timer, dist, avg_hr, max_hr, watts) in zip(
        decoded.sessions, EXPECTED[name], strict=True
    ):
        assert session.sport == sport
        assert session.timer_s == pytest.approx(timer, abs=0.5)
        assert session.distance_m == pytest.approx(dist, abs=0.5)
        if avg_hr == "records":  # the session lacks HR; it comes from the HR records
            values = [v for _, v in session.hr]
            assert session.avg_hr == pytest.approx(sum(values) / len(values))
            assert session.max_hr == max(values)
        else:
            assert session.avg_hr == avg_hr
            assert session.max_hr == max_hr
        assert session.avg_power == watts
        assert session.start_time.tzinfo is UTC


def test_multisport_sessions_follow_each_other_and_split_the_records() -> None:
    sessions = decode_activity(fit_bytes("sample_mulitple_header.fit")).sessions

    assert [s.index for s in sessions] == [0, 1, 2, 3, 4]
    assert sessions[0].sub_sport == "open_water"
    for before, after in zip(sessions, sessions[1:], strict=False):
        assert before.start_time < after.start_time
        assert before.hr[-1][0] <= before.elapsed_s + 1
    assert all(s.lap_count == 1 for s in sessions)
    assert sum(len(s.hr) for s in sessions) >= 1773  # boundary records may count twice


def test_device_identity_hash_and_laps() -> None:
    data = fit_bytes("Edge810-Vector-2013-08-16-15-35-10.fit")

    decoded = decode_activity(data)
    session = decoded.sessions[0]

    assert decoded.device_serial == 3866465233
    assert decoded.device == "garmin edge810"
    assert decoded.content_hash == hashlib.sha256(data).hexdigest()
    assert session.lap_count == len(session.laps) == 8
    assert sum(lap.timer_s for lap in session.laps) == pytest.approx(session.timer_s, abs=1)
    assert session.laps[0].avg_power == 252
    assert session.start_time == datetime(2013, 8, 16, 18, 5, 10, tzinfo=UTC)


def test_normalized_power_from_records_matches_the_device() -> None:
    for name, device_np in [
        ("Edge810-Vector-2013-08-16-15-35-10.fit", 301),
        ("sample-activity-indoor-trainer.fit", 228),
    ]:
        session = decode_activity(fit_bytes(name)).sessions[0]
        assert session.normalized_power == pytest.approx(device_np, abs=2)
        assert session.normalized_power == normalized_power(session.power)


@pytest.mark.parametrize("name", ["garmin-fenix-5-run", "garmin-fenix-5-bike"])
def test_record_series_match_the_records_csv(name: str) -> None:
    session = decode_activity(fit_bytes(f"{name}.fit")).sessions[0]
    with (FIT_DIR / f"{name}-records.csv").open() as fh:
        rows = list(csv.DictReader(fh))

    def rel(stamp: str) -> float:  # "Sun Jun 11 07:34:09 PDT 2017"; PDT is UTC-7
        local = datetime.strptime(stamp.replace(" PDT", ""), "%a %b %d %H:%M:%S %Y")
        when = (local + timedelta(hours=7)).replace(tzinfo=UTC)
        return (when - session.start_time).total_seconds()

    assert [(rel(r["timestamp"]), float(r["heart_rate"])) for r in rows] == list(session.hr)
    assert [(rel(r["timestamp"]), float(r["distance"])) for r in rows] == list(session.distance)
    expected_speed = [pytest.approx((rel(r["timestamp"]), float(r["speed"]))) for r in rows]
    assert list(session.speed) == expected_speed
    assert [a for _, a in session.altitude] == pytest.approx([float(r["altitude"]) for r in rows])


def test_results_survive_pickling_for_a_process_pool() -> None:
    decoded = decode_activity(fit_bytes("garmin-fenix-5-run.fit"))

    again = pickle.loads(pickle.dumps(decoded))

    assert again == decoded
    assert isinstance(again.sessions[0], SessionData)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("activity-filecrc.fit", "bad file CRC"),
        ("activity-unexpected-eof.fit", "truncated"),
        # a complete activity followed by a chained file whose header is corrupt
        ("activity-settings-corruptheader.fit", "corrupt chained header"),
    ],
)
def test_damaged_files_with_a_session_are_recovered_and_say_so(name: str, reason: str) -> None:
    decoded = decode_activity(fit_bytes(name))

    assert decoded.recovered is True, reason
    assert [(s.sport, round(s.timer_s), round(s.distance_m or 0)) for s in decoded.sessions] == [
        ("running", 14, 6)
    ]


@pytest.mark.parametrize(
    ("name", "words"),
    [("Settings.fit", "settings file"), ("WorkoutIndividualSteps.fit", "planned workout")],
)
def test_files_that_are_not_activities_are_refused(name: str, words: str) -> None:
    with pytest.raises(BadFile, match=words):
        decode_activity(fit_bytes(name))


def test_damaged_files_without_a_session_are_refused() -> None:
    good = fit_bytes("garmin-fenix-5-run.fit")
    crc_broken = good[:-2] + bytes([good[-2] ^ 0xFF, good[-1]])
    session_gone = good[:200]  # cut long before the session and before most records

    assert decode_activity(crc_broken).recovered is True
    with pytest.raises(BadFile, match="cut short"):
        decode_activity(session_gone)
    with pytest.raises(BadFile, match="header is damaged"):
        decode_activity(bytes([13]) + good[1:])


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"hello", "not a FIT file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a FIT file"),
        (b"PK\x03\x04" + bytes(200), "ZIP"),
        (b'<?xml version="1.0"?><gpx></gpx>', "GPX or TCX"),
    ],
)
def test_non_fit_uploads_are_refused_with_one_sentence(data: bytes, words: str) -> None:
    with pytest.raises(BadFile, match=words) as info:
        decode_activity(data)
    message = info.value.message
    assert message[0].isupper() and message.endswith(".") and ". " not in message


def test_oversized_uploads_are_refused_before_decoding() -> None:
    with pytest.raises(BadFile, match="20 MB"):
        decode_activity(b"\x0e" + bytes(MAX_FIT_BYTES))


START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_a_file_without_session_message_gets_one_from_laps_and_records() -> None:
    records = [{"t": t, "heart_rate": 140 + t % 3, "power": 200, "distance": 8.0 * t}
               for t in range(0, 1201)]  # fmt: skip
    laps = [{"start_time": START, "timestamp": START + timedelta(seconds=1200),
             "total_timer_time": 1150.0, "total_elapsed_time": 1200.0,
             "total_distance": 9600.0, "sport": "cycling"}]  # fmt: skip

    decoded = decode_activity(encode_fit(start=START, records=records, laps=laps))
    (session,) = decoded.sessions

    assert decoded.recovered is False
    assert (session.sport, session.start_time) == ("cycling", START)
    assert (session.timer_s, session.elapsed_s, session.distance_m) == (1150.0, 1200.0, 9600.0)
    assert session.avg_power == 200 and session.max_hr == 142
    assert session.lap_count == 1 and len(session.power) == 1201


def test_a_file_with_records_only_gets_a_session_from_them() -> None:
    records = [{"t": t, "heart_rate": 120, "distance": 3.0 * t} for t in range(0, 601, 2)]

    (session,) = decode_activity(encode_fit(start=START, records=records)).sessions

    assert (session.sport, session.timer_s, session.distance_m) == ("generic", 600.0, 1800.0)
    assert session.avg_hr == 120 and session.lap_count == 0


def test_an_activity_file_with_nothing_recorded_is_refused() -> None:
    with pytest.raises(BadFile, match="no recorded session"):
        decode_activity(encode_fit(start=START))


def test_non_activity_types_are_refused_even_with_records() -> None:
    records = [{"t": t, "distance": 10.0 * t} for t in range(10)]
    with pytest.raises(BadFile, match="course"):
        decode_activity(encode_fit(start=START, records=records, file_type="course"))


def test_implausible_samples_are_dropped() -> None:
    records = [
        {"t": 0, "heart_rate": 120, "power": 200},
        {"t": 1, "heart_rate": 254, "power": 65000},
        {"t": 2, "heart_rate": 121, "power": 210},
    ]
    sessions = [{"start_time": START, "timestamp": START + timedelta(seconds=2),
                 "total_timer_time": 2.0, "sport": "cycling"}]  # fmt: skip

    decoded: DecodedFile = decode_activity(
        encode_fit(start=START, records=records, sessions=sessions)
    )

    assert decoded.sessions[0].hr == ((0.0, 120.0), (2.0, 121.0))
    assert decoded.sessions[0].power == ((0.0, 200.0), (2.0, 210.0))


def test_every_real_activity_file_decodes() -> None:
    for name in ACTIVITY_FILES:
        assert decode_activity(fit_bytes(name)).sessions


def test_decoding_runs_in_a_process_pool_and_refusals_cross_back() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        decoded = pool.submit(decode_activity, fit_bytes("garmin-fenix-5-bike.fit")).result()
        refused = pool.submit(decode_activity, fit_bytes("Settings.fit"))
        with pytest.raises(BadFile, match="settings file"):
            refused.result()

    assert decoded == decode_activity(fit_bytes("garmin-fenix-5-bike.fit"))
