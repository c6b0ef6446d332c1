"""The planned session as the readiness rules see it: kind, expected load, softened, recovery."""

from __future__ import annotations

from datetime import date

import pytest

from core.coach.day_rules import AdaptedDay, planned_session
from core.coach.plans import PlanSession, PlanWeek
from core.training.adapted_session import expected_load, kind_of, recovery_workout, softened
from core.training.structured import Duration, Repeat, Step, Target, Workout

WARMUP = Step("warmup", Duration("time", 600), Target("power_pct_ftp", 50, 70))
INTERVALS = Workout("VO2 5x3", "cycling", True, (
    WARMUP,
    Repeat(5, (Step("work", Duration("time", 180), Target("power_pct_ftp", 110, 120)),
               Step("recovery", Duration("time", 180)))),
))  # fmt: skip
TEMPO_RUN = Workout("Tempo 3x2 km", "running", False, (
    Repeat(3, (Step("work", Duration("distance", 2000), Target("pace_s_per_km", 240, 250)),)),
    Step("work", Duration("time", 600), Target("hr_zone", 3, 4)),
))  # fmt: skip


@pytest.mark.parametrize(
    ("intensity", "title", "workout", "kind"),
    [
        ("key", "Anything", None, "key"),
        ("", "Recovery spin", None, "recovery"),
        ("threshold", "Intervals", None, "hard"),
        ("Zone 2", "Long run", None, "easy"),
        ("", "Session", INTERVALS, "hard"),  # no word: the hardest work step (115% FTP)
        ("", "Session", None, "easy"),
    ],
)
def test_kind_from_words_then_the_workout(
    intensity: str, title: str, workout: Workout | None, kind: str
) -> None:
    assert kind_of(intensity, title, workout) == kind


def test_expected_load_counts_timed_steps_and_paced_distances() -> None:
    # TSS-like, h x IF^2 x 100: 10 min @ 0.6, then 5 x (3 min @ 1.15, 3 min untargeted @ 0.5).
    expected = (600 * 0.36 + 5 * 180 * 1.15**2 + 5 * 180 * 0.25) / 3600 * 100
    assert expected_load("hard", 60, INTERVALS) == pytest.approx(expected, abs=0.1)
    # 3 x 2 km at 4:05/km = 1470 s @ 0.85 (work without an IF target) + 10 min HR zone 4.
    run = (3 * 2 * 245 * 0.85**2 + 600 * 0.9**2) / 3600 * 100
    assert expected_load("hard", 60, TEMPO_RUN) == pytest.approx(run, abs=0.1)
    assert expected_load("easy", 60, None) == pytest.approx(0.65**2 * 100, abs=0.1)


def test_softened_lowers_only_the_work_targets() -> None:
    soft = softened(TEMPO_RUN, 10)
    assert soft.name == "Tempo 3x2 km -10%"
    repeat, zone = soft.steps
    assert isinstance(repeat, Repeat) and isinstance(zone, Step)
    assert len(soft.expanded()) == 4
    assert soft.expanded()[0].target == Target("pace_s_per_km", 267, 278)  # 10% slower
    assert zone.target == Target("hr_zone", 2, 3)
    ride = softened(INTERVALS, 10)
    assert ride.steps[0] == WARMUP
    work = ride.expanded()[1]
    assert work.target == Target("power_pct_ftp", 99, 108)


def test_recovery_is_below_55_pct_ftp_on_the_bike_and_zone_1_otherwise() -> None:
    bike = recovery_workout("cycling", indoor=True)
    run = recovery_workout("running", indoor=False)
    assert (bike.total_time_s, bike.indoor) == (1800, True)
    assert bike.expanded()[0].target == Target("power_pct_ftp", 40, 55)
    assert run.expanded()[0].target == Target("hr_zone", 1, 1)


def _session(title: str, intensity: str, minutes: int, day: int) -> PlanSession:
    d = date(2026, 11, day)
    return PlanSession(d, "Mon", "running", title, minutes, intensity, "")


def test_a_week_without_a_key_session_has_its_biggest_hard_one_as_key() -> None:
    short = _session("Short intervals", "hard", 45, 23)
    long = _session("Long threshold", "hard", 90, 25)
    easy = _session("Easy", "easy", 60, 24)
    week = PlanWeek(1, date(2026, 11, 23), "", (short, easy, long))
    assert [planned_session(s, week).kind for s in (short, easy, long)] == ["hard", "easy", "key"]
    marked = PlanWeek(1, date(2026, 11, 23), "", (short, _session("Race", "key", 30, 26), long))
    assert planned_session(long, marked).kind == "hard"


def test_why_leaves_out_the_sentence_naming_the_change() -> None:
    day = AdaptedDay(date(2026, 11, 25), 1, "soften", ("HRV low", "'X' targets lowered by 10%"),
                     "X", "X", 10)  # fmt: skip
    assert day.why == ("HRV low",)
    kept = AdaptedDay(date(2026, 11, 25), 1, "keep", ("Readiness is ready: 'X' as planned",),
                      "X", "X")  # fmt: skip
    assert kept.why == kept.reasons and not kept.changed
