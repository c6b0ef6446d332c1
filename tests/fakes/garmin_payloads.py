"""Builders of Garmin Connect JSON in the shapes garminconnect returns (trimmed to the
fields that matter, plus a few neighbours so parsing is tested among realistic noise)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

_FMT = "%Y-%m-%d %H:%M:%S"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def activity_item(
    *,
    activity_id: int,
    start: datetime,
    utc_offset: timedelta = timedelta(hours=1),
    sport: str = "running",
    name: str | None = "Morning Run",
    duration_s: float | None = 2625.0,
    distance_m: float | None = 4835.0,
    manual: bool = False,
) -> dict[str, Any]:
    """One item of get_activities_by_date."""
    start_utc = start.astimezone(UTC)
    return {
        "activityId": activity_id,
        "activityName": name,
        "startTimeLocal": (start_utc + utc_offset).strftime(_FMT),
        "startTimeGMT": start_utc.strftime(_FMT),
        "activityType": {
            "typeId": 1,
            "typeKey": sport,
            "parentTypeId": 17,
            "isHidden": False,
            "restricted": False,
            "trimmable": True,
        },
        "eventType": {"typeId": 9, "typeKey": "uncategorized", "sortOrder": 10},
        "distance": distance_m,
        "duration": duration_s,
        "elapsedDuration": duration_s,
        "movingDuration": duration_s,
        "averageHR": 147.0,
        "maxHR": 171.0,
        "calories": 512.0,
        "beginTimestamp": _ms(start_utc),
        "sportTypeId": 1,
        "deviceId": 3312345678,
        "ownerId": 81234567,
        "manualActivity": manual,
        "hasPolyline": not manual,
    }


def stats_payload(
    day: date,
    *,
    resting_hr: int | None = 48,
    stress_avg: int | None = 31,
    body_battery_high: int | None = 95,
    body_battery_low: int | None = 22,
    sleep_seconds: int | None = 26580,
) -> dict[str, Any]:
    """get_stats (usersummary daily); Garmin writes -1 for a stress level it lacks."""
    return {
        "userProfileId": 81234567,
        "calendarDate": day.isoformat(),
        "totalSteps": 9412,
        "totalKilocalories": 2480.0,
        "minHeartRate": 44,
        "maxHeartRate": 171,
        "restingHeartRate": resting_hr,
        "lastSevenDaysAvgRestingHeartRate": 49,
        "averageStressLevel": stress_avg if stress_avg is not None else -1,
        "maxStressLevel": 86,
        "bodyBatteryHighestValue": body_battery_high,
        "bodyBatteryLowestValue": body_battery_low,
        "bodyBatteryMostRecentValue": 41,
        "sleepingSeconds": sleep_seconds,
        "privacyProtected": False,
    }


def hrv_payload(day: date, *, last_night_avg: int | None = 62) -> dict[str, Any]:
    """get_hrv_data; an empty dict when the watch recorded none (HTTP 204)."""
    if last_night_avg is None:
        return {}
    return {
        "userProfilePk": 81234567,
        "hrvSummary": {
            "calendarDate": day.isoformat(),
            "weeklyAvg": 58,
            "lastNightAvg": last_night_avg,
            "lastNight5MinHigh": 84,
            "baseline": {"lowUpper": 50, "balancedLow": 53, "balancedUpper": 68},
            "status": "BALANCED",
            "feedbackPhrase": "HRV_BALANCED_2",
        },
        "hrvReadings": [{"hrvValue": 60, "readingTimeGMT": f"{day.isoformat()}T01:02:03.0"}],
    }


def sleep_payload(
    day: date,
    *,
    sleep_seconds: int | None = 26580,
    score: int | None = 82,
    resting_hr: int | None = 47,
    avg_hrv: float | None = 61.0,
) -> dict[str, Any]:
    """get_sleep_data."""
    scores = {"overall": {"value": score, "qualifierKey": "GOOD"}} if score is not None else {}
    return {
        "dailySleepDTO": {
            "id": 1763590000000,
            "userProfilePK": 81234567,
            "calendarDate": day.isoformat(),
            "sleepTimeSeconds": sleep_seconds,
            "napTimeSeconds": 0,
            "deepSleepSeconds": 5400,
            "lightSleepSeconds": 14400,
            "remSleepSeconds": 6780,
            "awakeSleepSeconds": 600,
            "sleepScores": scores,
        },
        "sleepMovement": [],
        "remSleepData": True,
        "restingHeartRate": resting_hr,
        "avgOvernightHrv": avg_hrv,
        "hrvStatus": "BALANCED",
        "bodyBatteryChange": 55,
    }


def readiness_payload(day: date, *, score: int | None = 78) -> list[dict[str, Any]]:
    """get_training_readiness: a list, the morning entry plus a later one."""
    if score is None:
        return []
    stamp = f"{day.isoformat()}T06:05:12.0"
    later = f"{day.isoformat()}T15:40:00.0"
    return [
        {"calendarDate": day.isoformat(), "timestamp": later, "score": max(score - 20, 1),
         "level": "MODERATE", "inputContext": "UPDATE_REALTIME_VARIABLES"},
        {"calendarDate": day.isoformat(), "timestamp": stamp, "score": score,
         "level": "HIGH", "inputContext": "AFTER_WAKEUP_RESET", "sleepScore": 82,
         "recoveryTime": 120, "acuteLoad": 450, "hrvWeeklyAverage": 58},
    ]  # fmt: skip


def max_metrics_payload(day: date, *, vo2max: float | None = 52.4) -> list[dict[str, Any]]:
    """get_max_metrics."""
    if vo2max is None:
        return []
    generic = {
        "calendarDate": day.isoformat(),
        "vo2MaxPreciseValue": vo2max,
        "vo2MaxValue": round(vo2max),
        "fitnessAge": None,
        "maxMetCategory": 0,
    }
    return [{"userId": 81234567, "generic": generic, "cycling": None}]


def rhr_payload(day: date, *, value: float | None = 48.0) -> dict[str, Any]:
    """get_rhr_day."""
    values = [{"value": value, "calendarDate": day.isoformat()}] if value is not None else []
    return {
        "userProfileId": 81234567,
        "statisticsStartDate": day.isoformat(),
        "statisticsEndDate": day.isoformat(),
        "allMetrics": {"metricsMap": {"WELLNESS_RESTING_HEART_RATE": values}},
        "groupedMetrics": None,
    }


def _descriptor(index: int, key: str) -> dict[str, Any]:
    return {"bodyBatteryValueDescriptorIndex": index, "bodyBatteryValueDescriptorKey": key}


def body_battery_payload(day: date, *, levels: list[int | None]) -> list[dict[str, Any]]:
    """get_body_battery: one entry per day, rows [timestamp_ms, level]."""
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    rows = [[_ms(midnight + timedelta(minutes=15 * i)), level] for i, level in enumerate(levels)]
    return [
        {
            "date": day.isoformat(),
            "charged": 62,
            "drained": 58,
            "bodyBatteryValuesArray": rows,
            "bodyBatteryValueDescriptorDTOList": [
                _descriptor(0, "timestamp"),
                _descriptor(1, "bodyBatteryLevel"),
            ],
        }
    ]


def stress_payload(day: date, *, avg: int | None = 31) -> dict[str, Any]:
    """get_stress_data."""
    return {
        "calendarDate": day.isoformat(),
        "maxStressLevel": 86,
        "avgStressLevel": avg if avg is not None else -1,
        "stressValuesArray": [],
    }


def wellness_payloads(
    day: date,
    *,
    resting_hr: int | None = 48,
    hrv_ms: int | None = 62,
    sleep_score: int | None = 82,
    sleep_seconds: int | None = 26580,
    body_battery_high: int | None = 95,
    body_battery_low: int | None = 22,
    stress_avg: int | None = 31,
    training_readiness: int | None = 78,
    vo2max: float | None = 52.4,
) -> dict[str, Any]:
    """Every payload the gateway may ask for on day, keyed by metric name."""
    return {
        "stats": stats_payload(
            day,
            resting_hr=resting_hr,
            stress_avg=stress_avg,
            body_battery_high=body_battery_high,
            body_battery_low=body_battery_low,
            sleep_seconds=sleep_seconds,
        ),
        "hrv": hrv_payload(day, last_night_avg=hrv_ms),
        "sleep": sleep_payload(
            day, sleep_seconds=sleep_seconds, score=sleep_score, resting_hr=None, avg_hrv=None
        ),
        "readiness": readiness_payload(day, score=training_readiness),
        "max_metrics": max_metrics_payload(day, vo2max=vo2max),
        "rhr": rhr_payload(day, value=resting_hr),
        "body_battery": body_battery_payload(
            day, levels=[v for v in (body_battery_low, body_battery_high) if v is not None]
        ),
        "stress": stress_payload(day, avg=stress_avg),
    }
