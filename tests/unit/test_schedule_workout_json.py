"""Our structured workout as Garmin Connect's workout JSON (the upload behind schedule_workout)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from garminconnect import GarminConnectConnectionError

from bot.views.coach import garmin_calendar_line
from core.accounts.context import Profile
from core.errors import GarminAuthError, GarminRateLimited, GarminUnavailable
from core.garmin.calendar import CalendarOutcome
from core.gateways.garmin.client import (
    GarminConnectGateway,
    GarminConnectSession,
    schedule_id_of,
    workout_id_of,
)
from core.gateways.garmin.workouts import garmin_workout_json, speed_m_s
from core.training.structured.model import Duration, Repeat, Step, Target, Workout

PROFILE = Profile(ftp=250, lthr=170, hr_max=190)


def _steps(payload: dict[str, Any]) -> list[dict[str, Any]]:
    [segment] = payload["workoutSegments"]
    assert segment["segmentOrder"] == 1 and segment["sportType"] == payload["sportType"]
    return list(segment["workoutSteps"])


def _kind(step: dict[str, Any]) -> tuple[str, str, Any]:
    return (
        step["stepType"]["stepTypeKey"],
        step["endCondition"]["conditionTypeKey"],
        step["endConditionValue"],
    )


def _target(step: dict[str, Any]) -> tuple[Any, ...]:
    key = step["targetType"]["workoutTargetTypeKey"]
    return (key, step.get("targetValueOne"), step.get("targetValueTwo"), step.get("zoneNumber"))


def test_schedule_workout_json_ride_with_repeat_block_in_watts() -> None:
    ride = Workout(
        name="Sweet spot 3x8",
        sport="cycling",
        indoor=True,
        steps=(
            Step("warmup", Duration("time", 600), Target("power_pct_ftp", 45, 55)),
            Repeat(3, (
                Step("work", Duration("time", 480), Target("power_pct_ftp", 88, 93), "Seated"),
                Step("recovery", Duration("time", 180), Target("power_pct_ftp", 50, 55)),
            )),
            Step("cooldown", Duration("time", 600)),
        ),
    )  # fmt: skip
    payload = garmin_workout_json(ride, PROFILE)
    assert payload["workoutName"] == "Sweet spot 3x8"
    assert payload["sportType"] == {"sportTypeId": 2, "sportTypeKey": "cycling"}
    assert payload["estimatedDurationInSecs"] == 600 + 3 * 660 + 600
    warmup, repeat, cooldown = _steps(payload)
    assert (warmup["type"], warmup["stepOrder"]) == ("ExecutableStepDTO", 1)
    assert _kind(warmup) == ("warmup", "time", 600)
    assert _target(warmup) == ("power.zone", 113, 138, None)  # 45-55 % of 250 W
    assert warmup["targetType"]["workoutTargetTypeId"] == 2
    assert repeat["type"] == "RepeatGroupDTO"
    assert (repeat["stepOrder"], repeat["numberOfIterations"]) == (2, 3)
    assert repeat["stepType"] == {"stepTypeId": 6, "stepTypeKey": "repeat"}
    assert repeat["endCondition"] == {"conditionTypeId": 7, "conditionTypeKey": "iterations"}
    work, recovery = repeat["workoutSteps"]
    assert [s["stepOrder"] for s in (work, recovery)] == [3, 4]
    assert _kind(work) == ("interval", "time", 480)
    assert work["stepType"]["stepTypeId"] == 3
    assert _target(work) == ("power.zone", 220, 233, None)
    assert work["description"] == "Seated"
    assert _kind(recovery) == ("recovery", "time", 180)
    assert (cooldown["stepOrder"], _kind(cooldown)) == (5, ("cooldown", "time", 600))
    assert _target(cooldown) == ("no.target", None, None, None)
    assert "description" not in cooldown


def test_schedule_workout_json_run_pace_in_metres_per_second_slower_end_first() -> None:
    run = Workout(
        name="Threshold 2x2 km",
        sport="running",
        indoor=False,
        steps=(
            Step("warmup", Duration("time", 900), Target("hr_pct_lthr", 70, 80)),
            Repeat(2, (
                Step("work", Duration("distance", 2000), Target("pace_s_per_km", 265, 275)),
                Step("rest", Duration("time", 120)),
            )),
            Step("cooldown", Duration("open"), Target("hr_zone", 1, 2)),
        ),
    )  # fmt: skip
    payload = garmin_workout_json(run, PROFILE)
    assert payload["sportType"] == {"sportTypeId": 1, "sportTypeKey": "running"}
    assert "estimatedDurationInSecs" not in payload  # distance and open steps: Garmin estimates
    warmup, repeat, cooldown = _steps(payload)
    assert _target(warmup) == ("heart.rate.zone", 119, 136, None)  # 70-80 % of LTHR 170
    assert warmup["targetType"]["workoutTargetTypeId"] == 4
    work, rest = repeat["workoutSteps"]
    assert _kind(work) == ("interval", "distance", 2000)
    assert work["endCondition"]["conditionTypeId"] == 3
    assert work["preferredEndConditionUnit"] == {"unitKey": "kilometer"}
    # 4:35 /km is 3.636 m/s, 4:25 /km is 3.774 m/s
    assert _target(work) == ("pace.zone", 3.636, 3.774, None)
    assert work["targetType"]["workoutTargetTypeId"] == 6
    assert (_kind(rest), rest["stepType"]["stepTypeId"]) == (("rest", "time", 120), 5)
    assert _kind(cooldown) == ("cooldown", "lap.button", None)
    assert cooldown["endCondition"]["conditionTypeId"] == 1
    # zones 1-2 by % of HR max 190 (the zones the load figures use)
    low, high = _target(cooldown)[1:3]
    assert cooldown["targetType"]["workoutTargetTypeKey"] == "heart.rate.zone"
    assert 90 <= low < high <= 190


def test_schedule_workout_json_targets_without_thresholds() -> None:
    """No FTP or HR max: no target on the watch, the relative one in the step's text; a single
    HR zone becomes Garmin's own zone of that number."""
    workout = Workout(
        name="Mixed",
        sport="cycling",
        indoor=False,
        steps=(
            Step("work", Duration("time", 300), Target("power_pct_ftp", 90, 95), "Hard"),
            Step("recovery", Duration("time", 300), Target("hr_zone", 2, 2)),
            Step("work", Duration("time", 300), Target("hr_zone", 3, 4)),
        ),
    )
    hard, easy, zones = _steps(garmin_workout_json(workout, Profile()))
    assert _target(hard) == ("no.target", None, None, None)
    assert hard["description"] == "90-95% FTP. Hard"
    assert _target(easy) == ("heart.rate.zone", None, None, 2)
    assert _target(zones) == ("no.target", None, None, None)
    assert zones["description"] == "HR zones 3-4"


@pytest.mark.parametrize(
    ("sport", "type_id"), [("running", 1), ("cycling", 2), ("other", 3), ("swimming", 4)]
)
def test_schedule_workout_json_sport_types(sport: str, type_id: int) -> None:
    workout = Workout("Easy", sport, False, (Step("work", Duration("time", 1200)),))  # type: ignore[arg-type]
    payload = garmin_workout_json(workout, None)
    assert payload["sportType"]["sportTypeId"] == type_id
    assert payload["workoutSegments"][0]["sportType"]["sportTypeId"] == type_id


def test_schedule_workout_json_long_name_is_cut_for_garmin() -> None:
    workout = Workout("x" * 120, "running", False, (Step("work", Duration("time", 60)),))
    assert garmin_workout_json(workout, None)["workoutName"] == "x" * 80


def test_schedule_workout_json_pace_conversion() -> None:
    assert speed_m_s(300) == 3.333  # 5:00 /km
    assert speed_m_s(240) == 4.167  # 4:00 /km


def test_schedule_workout_garmin_answers_read_for_their_ids() -> None:
    assert workout_id_of({"workoutId": 1234, "workoutName": "x"}) == 1234
    assert schedule_id_of({"workoutScheduleId": 77, "calendarDate": "2026-12-02"}) == 77
    assert schedule_id_of({}) is None
    assert schedule_id_of(None) is None


# -- the adapter over garminconnect -------------------------------------------------------


class _Tokens:
    def dumps(self) -> str:
        return json.dumps({"di_token": "eyJ.di-1", "di_refresh_token": "rt-1"})


class _Garmin:
    """Plays garminconnect.Garmin for the workout calls: records them, answers as scripted."""

    def __init__(self, answers: dict[str, Any], **_: Any) -> None:
        self.client = _Tokens()
        self.answers = answers
        self.calls: list[tuple[Any, ...]] = []

    def login(self, tokenstore: str | None = None) -> tuple[Any, Any]:
        return None, None

    def _answer(self, name: str, *args: Any) -> Any:
        self.calls.append((name, *args))
        answer = self.answers.get(name)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def upload_workout(self, workout_json: dict[str, Any]) -> Any:
        return self._answer("upload_workout", workout_json)

    def schedule_workout(self, workout_id: int | str, date_str: str) -> Any:
        return self._answer("schedule_workout", workout_id, date_str)

    def delete_workout(self, workout_id: int | str) -> Any:
        return self._answer("delete_workout", workout_id)


def _adapter(answers: dict[str, Any]) -> tuple[GarminConnectSession, list[_Garmin]]:
    made: list[_Garmin] = []

    def factory(**kwargs: Any) -> Any:  # the workout calls of GarminClient only
        made.append(_Garmin(answers, **kwargs))
        return made[-1]

    gateway = GarminConnectGateway(client_factory=factory)
    return gateway.session(_Tokens().dumps()), made


async def test_schedule_workout_adapter_uploads_schedules_and_deletes() -> None:
    session, made = _adapter({
        "upload_workout": {"workoutId": 555, "workoutName": "Easy"},
        "schedule_workout": {"workoutScheduleId": 888, "calendarDate": "2026-12-02"},
        "delete_workout": {},
    })  # fmt: skip
    payload = {"workoutName": "Easy"}
    assert await session.upload_workout(payload) == 555
    assert await session.schedule_workout(555, date(2026, 12, 2)) == 888
    await session.delete_workout(555)
    assert made[0].calls == [
        ("upload_workout", payload),
        ("schedule_workout", 555, "2026-12-02"),
        ("delete_workout", 555),
    ]


async def test_schedule_workout_adapter_maps_garmin_errors() -> None:
    session, _ = _adapter({
        "upload_workout": GarminConnectConnectionError("API Error 401 - Unauthorized"),
        "schedule_workout": GarminConnectConnectionError("API Error 429 - Too Many Requests"),
        "delete_workout": GarminConnectConnectionError("API Error 500 - Server Error"),
    })  # fmt: skip
    with pytest.raises(GarminAuthError):
        await session.upload_workout({"workoutName": "Easy"})
    with pytest.raises(GarminRateLimited):
        await session.schedule_workout(1, date(2026, 12, 2))
    with pytest.raises(GarminUnavailable):
        await session.delete_workout(1)


async def test_schedule_workout_adapter_deleting_a_workout_already_gone_is_done() -> None:
    session, made = _adapter(
        {"delete_workout": GarminConnectConnectionError("API Error 404 - Not Found")}
    )
    await session.delete_workout(9)
    assert made[0].calls == [("delete_workout", 9)]


async def test_schedule_workout_adapter_upload_answer_without_id_is_an_error() -> None:
    session, _ = _adapter({"upload_workout": {"message": "ok?"}})
    with pytest.raises(GarminUnavailable):
        await session.upload_workout({"workoutName": "Easy"})


# -- the /workout line about the calendar -------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "line"),
    [
        ("link_broken", "Not on your Garmin calendar: Garmin refused the sign-in: /connect "
                        "links it again. The file above still works."),
        ("garmin_busy", "Not on your Garmin calendar: Garmin Connect is limiting requests "
                        "right now. The file above still works."),
        ("not_linked", None),
    ],
)  # fmt: skip
def test_schedule_workout_calendar_line(reason: Any, line: str | None) -> None:
    assert garmin_calendar_line(CalendarOutcome(date(2026, 12, 2), False, reason)) == line


def test_schedule_workout_calendar_line_when_scheduled() -> None:
    outcome = CalendarOutcome(date(2026, 12, 2), True, None, 555)
    assert garmin_calendar_line(outcome) == (
        "On your Garmin Connect calendar for Wed 2 Dec; it reaches your watch at its next sync."
    )
