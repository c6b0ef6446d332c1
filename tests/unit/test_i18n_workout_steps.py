"""A structured workout's steps in the athlete's language and units: German decimal commas,
a Spanish runner's pace per mile, a Russian repeat block; English exactly as core writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.i18n import use_language
from bot.views.coach import workout_outline, workout_parts
from bot.views.workout_steps import workout_lines
from core.coach.plans import WorkoutResult
from core.training.structured import Duration, Repeat, Step, Target, Workout, parse_workout
from core.training.structured.describe import describe_workout
from tests.fakes.openai_server import SAMPLE_RUN, SAMPLE_WORKOUT


@dataclass(frozen=True)
class Thresholds:
    ftp: float | None = None
    lthr: float | None = None
    hr_max: float | None = None
    threshold_pace_s_per_km: float | None = None


RUNNER = Thresholds(lthr=170, hr_max=190)
RIDER = Thresholds(ftp=260)

INTERVALS = Workout(
    name="Intervals 4x1.5 km",
    sport="running",
    indoor=False,
    steps=(
        Step("warmup", Duration("time", 900), Target("hr_zone", 1, 2), "Easy jog"),
        Repeat(4, (
            Step("work", Duration("distance", 1500), Target("pace_s_per_km", 265, 275)),
            Step("recovery", Duration("time", 90)),
        )),
        Step("work", Duration("time", 600), Target("hr_pct_lthr", 87.5, 92)),
        Step("cooldown", Duration("open")),
    ),
)  # fmt: skip

MILE_REPEATS = Workout(
    name="Mile repeats",
    sport="running",
    indoor=False,
    steps=(
        Step("warmup", Duration("distance", 400), Target("hr_zone", 2, 2)),
        Repeat(3, (
            Step("work", Duration("distance", 1609.344), Target("pace_s_per_km", 300, 310)),
            Step("rest", Duration("time", 120)),
        )),
    ),
)  # fmt: skip

VO2 = Workout(
    name="VO2 5x3",
    sport="cycling",
    indoor=True,
    steps=(
        Step("warmup", Duration("time", 900), Target("power_pct_ftp", 50, 65)),
        Repeat(5, (
            Step("work", Duration("time", 180), Target("power_pct_ftp", 105, 110)),
            Step("recovery", Duration("time", 180), Target("power_pct_ftp", 50, 50)),
        )),
        Step("cooldown", Duration("time", 3930)),
    ),
)  # fmt: skip


def test_a_german_athletes_interval_workout_reads_german_with_decimal_commas() -> None:
    with use_language("de"):
        lines = workout_lines(INTERVALS, RUNNER, "metric")
    assert lines == [
        "Intervals 4x1.5 km (Laufen): 31:00 + 6,00 km + offene Schritte",
        "1. Aufwärmen 15 min @ HF-Zonen 1-2 (95-133 bpm). Easy jog",
        "2. 4×:",
        "   2.1. Belastung 1,50 km @ 4:25-4:35 /km",
        "   2.2. Erholung 1 min 30 s",
        "3. Belastung 10 min @ 87,5-92 % LTHR (149-156 bpm)",
        "4. Abwärmen bis zur Runden-Taste",
    ]


def test_the_workout_message_is_built_from_the_steps_not_cores_english_text() -> None:
    result = WorkoutResult(
        id=1, day=date(2026, 11, 25), title=INTERVALS.name, sport="running", duration_min=31,
        description=describe_workout(INTERVALS, RUNNER), steps=(), workout=INTERVALS,
    )  # fmt: skip
    with use_language("de"):
        [text] = workout_parts(result, profile=RUNNER, units="metric")
    assert text.startswith(
        "Training für 25. Nov.:\n<b>Intervals 4x1.5 km (Laufen): 31:00 + 6,00 km + offene "
        "Schritte</b>\n\n1. Aufwärmen 15 min @ HF-Zonen 1-2 (95-133 bpm). Easy jog\n2. 4×:\n"
    )
    assert "Warm-up" not in text and "until you press lap" not in text
    # English stays as core describes it, word for word.
    [english] = workout_parts(result, profile=RUNNER)
    assert english.endswith(f"<b>{result.description.replace(chr(10), '</b>' + chr(10) * 2, 1)}")


def test_an_imperial_spanish_runner_gets_pace_per_mile_and_miles() -> None:
    with use_language("es"):
        lines = workout_lines(MILE_REPEATS, None, "imperial")
        outline = workout_outline(MILE_REPEATS, "imperial")
    assert lines == [
        "Mile repeats (carrera): 6:00 + 3,25 mi",
        "1. Calentamiento 437 yd @ zona de FC 2",
        "2. 3×:",
        "   2.1. Trabajo 1,00 mi @ 8:03-8:19 /mi",
        "   2.2. Descanso 2 min",
        "No has indicado tu FC máx., así que esos objetivos se quedan en valores relativos.",
    ]
    assert outline == (
        "Calentamiento 437 yd @ zona de FC 2 · 3× (Trabajo 1,00 mi @ 8:03-8:19 /mi, Descanso 2 min)"
    )
    with use_language("es"):
        assert workout_lines(MILE_REPEATS, None, "metric")[3] == (
            "   2.1. Trabajo 1,61 km @ 5:00-5:10 /km"
        )


def test_a_russian_riders_repeat_block_in_watts() -> None:
    with use_language("ru"):
        lines = workout_lines(VO2, RIDER, "metric")
        missing = workout_lines(VO2, None, "metric")[-1]
    assert lines == [
        "VO2 5x3 (велоспорт, в помещении): 1:50:30",
        "1. Разминка 15 мин @ 50-65% FTP (130-169 Вт)",
        "2. 5×:",
        "   2.1. Работа 3 мин @ 105-110% FTP (273-286 Вт)",
        "   2.2. Восстановление 3 мин @ 50% FTP (130 Вт)",
        "3. Заминка 1 ч 5 мин 30 с",
    ]
    assert (
        missing == "Не указан показатель FTP, поэтому эти целевые значения остаются относительными."
    )


@pytest.mark.parametrize(
    "workout",
    [parse_workout(SAMPLE_RUN), parse_workout(SAMPLE_WORKOUT), INTERVALS, MILE_REPEATS, VO2],
    ids=["sample run", "sample ride", "intervals", "mile repeats", "vo2"],
)
@pytest.mark.parametrize("profile", [None, RUNNER, RIDER], ids=["none", "runner", "rider"])
def test_english_metric_lines_are_cores_description(
    workout: Workout, profile: Thresholds | None
) -> None:
    assert "\n".join(workout_lines(workout, profile)) == describe_workout(workout, profile)


def test_several_missing_thresholds_are_named_in_one_sentence() -> None:
    both = Workout("Mixed", "running", False, (
        Step("work", Duration("time", 600), Target("hr_zone", 3, 3)),
        Step("work", Duration("time", 600), Target("hr_pct_lthr", 90, 95)),
    ))  # fmt: skip
    assert workout_lines(both, None)[-1] == describe_workout(both, None).splitlines()[-1]
    with use_language("de"):
        assert workout_lines(both, None)[-1] == (
            "Keine HF max oder LTHR eingetragen, daher bleiben diese Zielwerte relativ."
        )
