"""The RPE buttons, words and card line as pure functions of the domain data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.views.common import MAX_TEXT
from bot.views.rpe import (
    ASK_NEWEST,
    ASK_ONE,
    BORG,
    RpeCb,
    import_rating,
    push_keyboard,
    rate_keyboard,
    rated_text,
    rpe_line,
)
from bot.views.training import card_text
from core.garmin.notices import new_activities
from core.training.activities import ActivityCard
from core.training.imports import ImportResult
from core.training.rpe import Rating


def _card(activity_id: int, hour: int) -> ActivityCard:
    return ActivityCard(
        id=activity_id, sport="running", sub_sport="generic",
        start_time=datetime(2026, 11, 25, hour, 0, tzinfo=UTC), timezone="UTC",
        local_date=date(2026, 11, 25), timer_s=3600.0, elapsed_s=3700.0, distance_m=10_000.0,
        ascent_m=None, calories=None, avg_hr=140.0, max_hr=160.0, avg_power=None,
        normalized_power=None, avg_cadence=None, lap_count=1, load=60.0, load_method="hrtss",
        load_estimated=False, intensity_factor=None, trimp=None, hr_zone_seconds=(),
    )  # fmt: skip


def test_rpe_keyboard_has_rows_of_five_and_a_note_button() -> None:
    rows = rate_keyboard(42).inline_keyboard
    assert [[b.text for b in row] for row in rows] == [
        ["1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"], ["📝 Add a note"],
    ]  # fmt: skip
    assert RpeCb.unpack(rows[1][1].callback_data or "") == RpeCb(id=42, rpe=7)
    assert rows[2][0].callback_data == "rpenote:42"
    assert all(len((b.callback_data or "").encode()) <= 64 for row in rows for b in row)


def test_rpe_buttons_go_to_the_newest_new_activity_only() -> None:
    late, early = _card(8, 18), _card(9, 6)  # the later session has the lower id
    text, markup = import_rating("Saved 2 sessions.", ImportResult([early, late], 0, False))
    assert text == f"Saved 2 sessions.\n\n{ASK_NEWEST}"
    assert markup is not None and markup.inline_keyboard[0][0].callback_data == "rpe:8:1"
    one_text, _ = import_rating("Saved.", ImportResult([early], 0, False))
    assert one_text == f"Saved.\n\n{ASK_ONE}"
    nothing = ImportResult([], 1, False, existing=[late])
    assert import_rating("I already have this activity.", nothing) == (
        "I already have this activity.",
        None,
    )


def test_rpe_question_is_left_out_when_it_would_not_fit() -> None:
    full = "x" * (MAX_TEXT - 10)
    text, markup = import_rating(full, ImportResult([_card(1, 6)], 0, False))
    assert text == full and markup is not None


def test_rpe_buttons_of_a_garmin_push_rate_its_newest_activity() -> None:
    assert push_keyboard(new_activities([])) is None
    push = new_activities([_card(5, 6), _card(3, 19), _card(4, 12)])
    markup = push_keyboard(push)
    assert markup is not None and markup.inline_keyboard[1][4].callback_data == "rpe:3:10"


def test_rpe_answer_and_card_line() -> None:
    assert rated_text(Rating(1, 7, 60.0, 420.0, None)) == (
        "RPE 7 (very hard) saved: session load 420 (7 x 60 min)."
    )
    assert (BORG[1], BORG[10]) == ("very easy", "maximal")
    assert rpe_line(None, None) is None
    assert rpe_line(7, 420.0) == "RPE 7 · session load 420"
    card = _card(1, 6)
    assert "RPE" not in card_text(card, "metric")
    assert "RPE 7 · session load 420" in card_text(replace(card, rpe=7, srpe_load=420.0),
                                                   "metric").split("\n")  # fmt: skip
