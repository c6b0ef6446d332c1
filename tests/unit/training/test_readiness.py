"""Readiness rules and the adaptive day: a table of cases, each threshold at its edge."""

from __future__ import annotations

import pytest

from core.training.readiness import (
    FACTORS,
    PlannedSession,
    Readiness,
    ReadinessInputs,
    Yesterday,
    adapt_session,
    assess_readiness,
)

# Mean 55, sample SD exactly 2 (deviations -2,-2,-2,0,2,2,2: 24 / 6 = 4).
HRV_WEEK = (53.0, 53.0, 53.0, 55.0, 57.0, 57.0, 57.0)
RHR_WEEK = (50.0, 52.0, 54.0)  # mean 52


@pytest.mark.parametrize(
    ("inputs", "factor", "warning", "text"),
    [
        # HRV: below baseline by more than 1 SD warns; exactly 1 SD does not.
        (ReadinessInputs(hrv_ms=53.0, hrv_baseline=HRV_WEEK), "hrv", False,
         "HRV 53 ms is 1.0 SD below your 7-day baseline of 55 ms"),
        (ReadinessInputs(hrv_ms=52.9, hrv_baseline=HRV_WEEK), "hrv", True,
         "HRV 53 ms is 1.1 SD below your 7-day baseline of 55 ms: below by more than 1 SD,"
         " a sign to train easy"),
        (ReadinessInputs(hrv_ms=55.0, hrv_baseline=HRV_WEEK), "hrv", False,
         "HRV 55 ms is at your 7-day baseline of 55 ms"),
        (ReadinessInputs(hrv_ms=60.0, hrv_baseline=HRV_WEEK), "hrv", False,
         "HRV 60 ms is 2.5 SD above your 7-day baseline of 55 ms"),
        # A flat week: the SD floor of 1 ms keeps a 1 ms dip from warning.
        (ReadinessInputs(hrv_ms=49.0, hrv_baseline=(50.0, 50.0, 50.0)), "hrv", False,
         "HRV 49 ms is 1.0 SD below your 7-day baseline of 50 ms"),
        # Sleep: Garmin's poor band is below 60.
        (ReadinessInputs(sleep_score=60), "sleep", False, "Sleep score 60 is fair"),
        (ReadinessInputs(sleep_score=59), "sleep", True, "Sleep score 59 is poor (below 60)"),
        (ReadinessInputs(sleep_score=85), "sleep", False, "Sleep score 85 is good"),
        (ReadinessInputs(sleep_score=90), "sleep", False, "Sleep score 90 is excellent"),
        # Body battery: 25 or less is very low.
        (ReadinessInputs(body_battery=26), "body_battery", False,
         "Body battery 26 this morning is low"),
        (ReadinessInputs(body_battery=25), "body_battery", True,
         "Body battery 25 this morning is very low (25 or less)"),
        (ReadinessInputs(body_battery=80), "body_battery", False,
         "Body battery 80 this morning is high"),
        # Resting HR: 5 bpm or more above the 7-day mean warns.
        (ReadinessInputs(resting_hr=57, resting_hr_baseline=RHR_WEEK), "resting_hr", True,
         "Resting HR 57 bpm is 5 bpm above your 7-day mean of 52 bpm: 5 bpm or more above is"
         " a warning sign"),
        (ReadinessInputs(resting_hr=56.9, resting_hr_baseline=RHR_WEEK), "resting_hr", False,
         "Resting HR 57 bpm is 5 bpm above your 7-day mean of 52 bpm"),
        (ReadinessInputs(resting_hr=50, resting_hr_baseline=RHR_WEEK), "resting_hr", False,
         "Resting HR 50 bpm is 2 bpm below your 7-day mean of 52 bpm"),
        # Form: below -30 is the high-risk band; -30 itself is not.
        (ReadinessInputs(tsb=-30.0), "tsb", False, "Form (TSB) -30 is in the building range"),
        (ReadinessInputs(tsb=-30.5), "tsb", True,
         "Form (TSB) -30 is below -30: high risk of overreaching"),
        (ReadinessInputs(tsb=0.0), "tsb", False, "Form (TSB) +0 is neutral"),
        (ReadinessInputs(tsb=12.0), "tsb", False, "Form (TSB) +12 is fresh"),
    ],
)  # fmt: skip
def test_readiness_rule_thresholds(
    inputs: ReadinessInputs, factor: str, warning: bool, text: str
) -> None:
    result = assess_readiness(inputs)
    (part,) = result.contributions
    assert (part.factor, part.warning, part.text) == (factor, warning, text)
    assert result.level == ("caution" if warning else "ready")
    assert result.missing == tuple(f for f in FACTORS if f != factor)
    assert 0 <= part.score <= 100


def test_readiness_hrv_explanation_in_the_documented_form() -> None:
    week = (50.0, 52.0, 55.0, 55.0, 58.0, 60.0, 55.0)  # mean 55, SD 3.27
    part = assess_readiness(ReadinessInputs(hrv_ms=50.0, hrv_baseline=week)).contributions[0]
    assert part.text.startswith("HRV 50 ms is 1.5 SD below your 7-day baseline of 55 ms")
    assert part.warning


@pytest.mark.parametrize(
    ("inputs", "missing"),
    [
        (ReadinessInputs(), FACTORS),
        # Baselines need 3 days; without them the factor does not count.
        (ReadinessInputs(hrv_ms=40.0, hrv_baseline=(55.0, 56.0)), FACTORS),
        (ReadinessInputs(resting_hr=70, resting_hr_baseline=(50.0, 50.0)), FACTORS),
        (ReadinessInputs(hrv_baseline=HRV_WEEK, resting_hr_baseline=RHR_WEEK), FACTORS),
    ],
)
def test_readiness_missing_inputs_do_not_count(
    inputs: ReadinessInputs, missing: tuple[str, ...]
) -> None:
    result = assess_readiness(inputs)
    assert (result.level, result.score, result.contributions) == ("unknown", None, ())
    assert result.missing == missing


@pytest.mark.parametrize(
    ("inputs", "level"),
    [
        (ReadinessInputs(sleep_score=85, body_battery=80, tsb=-5), "ready"),
        (ReadinessInputs(sleep_score=50, body_battery=80, tsb=-5), "caution"),
        (ReadinessInputs(sleep_score=50, body_battery=20, tsb=-5), "strained"),
        (ReadinessInputs(hrv_ms=45, hrv_baseline=HRV_WEEK, resting_hr=60,
                         resting_hr_baseline=RHR_WEEK, sleep_score=88), "strained"),
        (ReadinessInputs(hrv_ms=45, hrv_baseline=HRV_WEEK, sleep_score=50, body_battery=10,
                         resting_hr=60, resting_hr_baseline=RHR_WEEK, tsb=-40), "strained"),
    ],
)  # fmt: skip
def test_readiness_level_counts_warnings(inputs: ReadinessInputs, level: str) -> None:
    assert assess_readiness(inputs).level == level


def test_readiness_score_is_the_weighted_mean_of_present_factors() -> None:
    # Sleep 80 (weight 0.20) and body battery 40 (0.15): (16 + 6) / 0.35 = 62.86.
    result = assess_readiness(ReadinessInputs(sleep_score=80, body_battery=40))
    assert result.score == 63
    best = assess_readiness(
        ReadinessInputs(hrv_ms=60, hrv_baseline=HRV_WEEK, sleep_score=100, body_battery=100,
                        resting_hr=48, resting_hr_baseline=RHR_WEEK, tsb=10)
    )  # fmt: skip
    worst = assess_readiness(
        ReadinessInputs(hrv_ms=40, hrv_baseline=HRV_WEEK, sleep_score=0, body_battery=0,
                        resting_hr=70, resting_hr_baseline=RHR_WEEK, tsb=-60)
    )  # fmt: skip
    assert (best.score, worst.score) == (100, 0)
    assert len(worst.warnings) == 5 and not best.warnings


# The adaptive day ---------------------------------------------------------------------------

READY = assess_readiness(ReadinessInputs(sleep_score=85))
CAUTION = assess_readiness(ReadinessInputs(sleep_score=50))
STRAINED = assess_readiness(ReadinessInputs(sleep_score=50, body_battery=20))
UNKNOWN = assess_readiness(ReadinessInputs())
INTERVALS = PlannedSession("5x5 min VO2max", "key", 110.0)
TEMPO = PlannedSession("Tempo 40 min", "hard", 80.0)
EASY = PlannedSession("Easy ride 60 min", "easy", 45.0)
RECOVERY = PlannedSession("Spin 30 min", "recovery", 20.0)
REST_YESTERDAY = Yesterday(planned=None, load=0.0, activities=0)


def overdone(load: float) -> Yesterday:
    return Yesterday(planned=PlannedSession("Long ride", "easy", 100.0), load=load, activities=1)


@pytest.mark.parametrize(
    ("planned", "readiness", "yesterday", "action", "cut", "moved"),
    [
        (INTERVALS, READY, REST_YESTERDAY, "keep", 0, None),
        (INTERVALS, CAUTION, REST_YESTERDAY, "soften", 10, None),
        (INTERVALS, STRAINED, REST_YESTERDAY, "move", 0, "later"),
        (TEMPO, CAUTION, None, "soften", 10, None),
        (TEMPO, STRAINED, None, "recovery", 0, None),
        (EASY, CAUTION, None, "keep", 0, None),
        (EASY, STRAINED, None, "recovery", 0, None),
        (RECOVERY, STRAINED, None, "keep", 0, None),
        (INTERVALS, UNKNOWN, None, "keep", 0, None),
        # Overdone yesterday (more than 1.5x planned) is one more step of strain; 1.5x is not.
        (INTERVALS, READY, overdone(150.0), "keep", 0, None),
        (INTERVALS, READY, overdone(151.0), "soften", 10, None),
        (INTERVALS, CAUTION, overdone(151.0), "move", 0, "later"),
        (TEMPO, CAUTION, overdone(151.0), "recovery", 0, None),
        (EASY, READY, overdone(200.0), "keep", 0, None),
        (INTERVALS, UNKNOWN, overdone(200.0), "soften", 10, None),
    ],
)
def test_readiness_adapt_session_table(
    planned: PlannedSession,
    readiness: Readiness,
    yesterday: Yesterday | None,
    action: str,
    cut: int,
    moved: str | None,
) -> None:
    result = adapt_session(planned, readiness, yesterday)
    assert (result.action, result.target_cut_pct, result.moved) == (action, cut, moved)
    assert result.reasons
    if action in ("recovery", "move"):
        assert result.session.kind == "recovery"
    else:
        assert result.session == planned


def test_readiness_adapt_session_reasons_name_the_causes() -> None:
    result = adapt_session(INTERVALS, CAUTION, overdone(180.0))
    assert result.reasons == (
        "Sleep score 50 is poor (below 60)",
        "Yesterday's load 180 was 1.8x the planned 100 (more than 1.5x)",
        "'5x5 min VO2max' moves to a later day; today is recovery",
    )
    assert adapt_session(TEMPO, CAUTION).reasons == (
        "Sleep score 50 is poor (below 60)",
        "'Tempo 40 min' targets lowered by 10%",
    )
    assert adapt_session(INTERVALS, READY).reasons == (
        "Readiness is ready: '5x5 min VO2max' as planned",
    )
    assert adapt_session(INTERVALS, UNKNOWN).reasons == (
        "No readiness data this morning: the plan stands",
    )


def test_readiness_missed_key_session_takes_todays_easy_slot_when_ready() -> None:
    missed_key = Yesterday(planned=INTERVALS, load=0.0, activities=0)
    result = adapt_session(EASY, READY, missed_key)
    assert (result.action, result.moved, result.session) == ("move", "today", INTERVALS)
    assert result.reasons == (
        "Yesterday's key session '5x5 min VO2max' was missed and you are ready: it takes the"
        " place of today's 'Easy ride 60 min'",
    )
    # Not ready, or today already hard: the missed session is not made up.
    for planned, readiness in ((EASY, CAUTION), (TEMPO, READY)):
        kept = adapt_session(planned, readiness, missed_key)
        assert kept.action in ("keep", "soften")
        assert kept.session == planned
    assert adapt_session(TEMPO, READY, missed_key).reasons == (
        "Yesterday's '5x5 min VO2max' was missed; it is not made up",
    )
    # A missed easy session is never made up; a day with activity is not missed.
    assert adapt_session(EASY, READY, Yesterday(EASY, 0.0, 0)).action == "keep"
    assert not Yesterday(INTERVALS, 90.0, 1).missed
    assert not Yesterday(None, 0.0, 0).missed
