"""The answer to one imported file: one message, whatever the number of sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.views.common import MAX_TEXT
from bot.views.training import import_text
from core.training.activities import ActivityCard
from core.training.imports import FIT_MAX_SESSIONS, ImportResult


def _card(i: int) -> ActivityCard:
    start = datetime(2026, 5, 3, 7, tzinfo=UTC) + timedelta(minutes=40 * i)
    return ActivityCard(
        id=i, sport="cycling", sub_sport="road", start_time=start, timezone="Europe/Berlin",
        local_date=date(2026, 5, 3), timer_s=1800.0, elapsed_s=1800.0, distance_m=15000.0,
        ascent_m=None, calories=None, avg_hr=150.0, max_hr=170.0, avg_power=None,
        normalized_power=None, avg_cadence=None, lap_count=1, load=40.0, load_method="hrtss",
        load_estimated=True, intensity_factor=None, trimp=None, hr_zone_seconds=(),
        estimates=("HR max",),
    )  # fmt: skip


def test_a_file_with_the_most_sessions_we_take_still_fits_one_message() -> None:
    cards = [_card(i) for i in range(FIT_MAX_SESSIONS)]
    text = import_text(ImportResult(cards, 0, False), "metric")
    assert len(text) <= MAX_TEXT
    assert text.startswith(f"Saved {FIT_MAX_SESSIONS} sessions.")
    shown = text.count("• ")
    assert 10 < shown < FIT_MAX_SESSIONS
    assert f"… and {FIT_MAX_SESSIONS - shown} more: see /activities" in text
    assert f"Total 25:00:00 · {15 * FIT_MAX_SESSIONS:.2f} km · load <b>2000</b>" in text


def test_a_few_sessions_get_a_line_each_and_one_total() -> None:
    text = import_text(ImportResult([_card(i) for i in range(3)], 1, False), "imperial")
    lines = text.splitlines()
    assert lines[0] == "Saved 3 sessions. 1 session(s) I already had."
    assert lines[2] == "• 03 May 09:00 <b>Cycling (road)</b> · 9.32 mi · 30:00 · " \
        "Speed 18.6 mph · HR 150 · load 40*"  # fmt: skip
    assert "Total 1:30:00 · 27.96 mi · load <b>120</b>" in text
    assert "* estimated" in text
