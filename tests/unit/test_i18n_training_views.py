"""Training views in German, Spanish and Russian: plurals, units, dates, sport names, charts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.i18n import use_language
from bot.views import bests, goals, rpe, training
from bot.views.sports import sport_label
from core.training.activities import ActivityCard
from core.training.bests import BestsOverview
from core.training.charts import fitness_chart_png
from core.training.curve_chart import power_curve_png
from core.training.fitness import compute_fitness
from core.training.goals import Goal
from core.training.new_bests import BestMark
from core.training.power_curve import CurvePoint, PowerCurve
from core.training.rpe import Rating

PNG = b"\x89PNG\r\n\x1a\n"


def _ride() -> ActivityCard:
    return ActivityCard(
        id=1, sport="cycling", sub_sport="indoor_cycling",
        start_time=datetime(2026, 11, 3, 6, 5, tzinfo=UTC), timezone="Europe/Berlin",
        local_date=date(2026, 11, 3), timer_s=3600.0, elapsed_s=3600.0, distance_m=32_190.0,
        ascent_m=None, calories=None, avg_hr=141.0, max_hr=170.0, avg_power=212.0,
        normalized_power=225.0, avg_cadence=None, lap_count=1, load=1234.0, load_method="tss",
        load_estimated=False, intensity_factor=None, trimp=None, hr_zone_seconds=(),
    )  # fmt: skip


def test_russian_plurals_take_all_three_forms() -> None:
    with use_language("ru"):
        assert [training.activities_csv_caption(n) for n in (1, 3, 5, 21)] == [
            "1 активность", "3 активности", "5 активностей", "21 активность",
        ]  # fmt: skip
        marks = [BestMark("power", d, 300.0, "90d", 200.0) for d in (1, 5, 10, 30, 60, 120,
                                                                       300, 600, 1200)]  # fmt: skip
        assert bests.best_lines(marks)[-1] == "… и ещё 3 рекорда: см. /curve"
        assert bests.best_lines(marks)[0] == "🏆 Новый рекорд: 5 с 300 Вт (90 дней; было 200 Вт)"


def test_an_imperial_card_gives_miles_and_mph_in_the_language() -> None:
    with use_language("de"):
        text = training.card_text(_ride(), "imperial")
    lines = text.split("\n")
    # 32.19 km in 1 h are 20.00 miles at 20.0 mph; a load of 1234 keeps its figure.
    assert lines[0] == "<b>Indoor-Radfahren</b> · Di., 3. Nov. 2026, 07:05"
    assert lines[1:4] == [
        "Distanz 20,00 mi · Zeit 1:00:00", "Tempo 20,0 mph", "HF 141 Ø, max. 170",
    ]  # fmt: skip
    assert lines[4:] == ["Leistung 212 W Ø, NP 225 W", "Belastung <b>1234</b> (TSS)"]
    with use_language("en"):
        assert "Speed 32.2 km/h" in training.card_text(_ride(), "metric")


def test_sport_names_follow_the_language_and_fall_back_for_new_sports() -> None:
    with use_language("es"):
        assert sport_label("running") == "Carrera"
        assert sport_label("cycling", "road") == "Ciclismo (carretera)"
        assert sport_label("swimming", "lap_swimming") == "Natación en piscina"
        assert sport_label("kitesurfing", "generic") == "Kitesurfing"
    assert sport_label("cycling", "indoor_cycling") == "Indoor cycling"


def test_german_rpe_today_goals_and_week_words() -> None:
    with use_language("de"):
        assert rpe.rated_text(Rating(1, 7, 60.0, 420.0, None)) == (
            "RPE 7 (sehr schwer) gespeichert: Einheitsbelastung 420 (7 x 60 min)."
        )
        assert rpe.rpe_line(7, 420.0) == "RPE 7 · Einheitsbelastung 420"
        assert rpe.note_question().startswith("Schick deine Notiz zu dieser Einheit")
        goal = Goal(1, 1, "Berlin Marathon", date(2027, 9, 26), 42_195.0, 11_700, 1)
        assert goals.goal_line(goal, "metric") == (
            "1. <b>Berlin Marathon</b> 26. Sept. 2027 · 42,20 km · Ziel 3:15:00 · in 1 Tag"
        )
        assert goals.is_skip("Überspringen") and goals.is_skip("skip")
    with use_language("ru"):
        assert goals.goal_line(replace(goal, days_left=5), "metric").endswith("через 5 дней")


def test_charts_take_the_views_labels() -> None:
    day = date(2026, 11, 24)
    recent = PowerCurve((CurvePoint(60, 400.0, 0, 1, day),))
    whole = PowerCurve((CurvePoint(60, 410.0, 0, 1, day),))
    overview = BestsOverview(day, 180, recent, whole, (), (), None)
    with use_language("de"):
        labels = bests.curve_chart_labels(overview)
        fitness = training.fitness_chart_labels()
        png = power_curve_png(overview.power_recent, overview.power_all, labels=labels)
        loads = {date(2026, 11, d): 50.0 for d in range(1, 25)}
        days = compute_fitness(loads, start=date(2026, 11, 1), end=date(2026, 11, 24))
        chart = fitness_chart_png(days, labels=fitness)
    assert (labels.title, labels.history, labels.watts) == (
        "Leistungskurve: beste Durchschnittsleistung", "Letzte 180 Tage", "Watt",
    )  # fmt: skip
    assert (fitness.fatigue, fitness.daily_load) == ("Ermüdung (ATL)", "Tagesbelastung")
    assert fitness.day is not None and fitness.day(date(2026, 11, 1)) == "1. Nov."
    assert png.startswith(PNG) and chart.startswith(PNG)
