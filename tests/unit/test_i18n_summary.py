"""The adaptive day's reasons travel as templates with figures and are worded per reader; Russian
plurals and notation in the summary and the weekly report."""

from __future__ import annotations

from datetime import date

from bot.i18n import ngettext, use_language
from bot.views.summary import plan_day_lines, reason_text
from bot.views.weekly import best_text
from core.notify.daily_summary import DayNote
from core.notify.outbox import from_data, to_data
from core.notify.weekly_figures import NewBest
from core.training.readiness import PlannedSession as Session
from core.training.readiness import ReadinessInputs, Yesterday, adapt_session, assess_readiness
from core.training.reasons import Reason


def test_a_reason_is_its_english_sentence_and_keeps_template_and_figures() -> None:
    overdone = Yesterday(Session("Tempo", "hard", 100.0), load=180.0, activities=1)
    ready = assess_readiness(ReadinessInputs(sleep_score=85))
    (reason, *_rest) = adapt_session(Session("Tempo", "hard", 100.0), ready, overdone).reasons
    assert reason == "Yesterday's load 180 was 1.8x the planned 100 (more than 1.5x)"
    assert reason.params == {"load": 180, "ratio": 1.8, "planned": 100, "limit": 1.5}
    assert Reason.from_json(reason.to_json()) == reason
    with use_language("ru"):
        assert reason_text(reason) == (
            "Вчерашняя нагрузка 180 — в 1,8 раза больше плановой 100 (больше чем в 1,5 раза)"
        )
    with use_language("de"):
        assert reason_text(reason).startswith("Die gestrige Belastung 180 war 1,8× die geplante")


def test_push_data_keeps_the_template_and_old_plain_reasons_still_read() -> None:
    why = (Reason("Sleep score {score} is poor (below {limit})", score=41, limit=60),)
    note = DayNote("soften", "Sweet spot", "Sweet spot", why, 10)
    data = to_data(note)
    assert data["why"] == [
        {
            "text": "Sleep score {score} is poor (below {limit})",
            "params": {"score": 41, "limit": 60},
        }
    ]
    again = from_data(DayNote, data)
    assert again.why == ("Sleep score 41 is poor (below 60)",)
    with use_language("es"):
        assert plan_day_lines(again) == [
            "Plan de hoy: <b>Sweet spot</b>, suavizado un 10% (objetivos más bajos).",
            "<i>Puntuación de sueño 41: mala (por debajo de 60).</i>",
        ]
    # A push stored when reasons were plain English sentences is shown as it was written.
    old = from_data(DayNote, {**data, "why": ["HRV low & falling"]})
    with use_language("de"):
        assert plan_day_lines(old)[1] == "<i>HRV low &amp; falling.</i>"


def test_russian_plurals_and_decimal_commas_in_the_weekly_bests() -> None:
    with use_language("ru"):
        forms = [
            ngettext("{n} day to your next race.", "{n} days to your next race.", n).format(n=n)
            for n in (1, 3, 5, 21)
        ]
        best = NewBest(date(2026, 11, 25), "cycling", "power", 300.0, 312.0, "all", 298.0)
        power = best_text(best)
    assert forms == [
        "До ближайшего старта 1 день.",
        "До ближайшего старта 3 дня.",
        "До ближайшего старта 5 дней.",
        "До ближайшего старта 21 день.",
    ]
    assert power == "Мощность за 5 мин: 312 Вт, лучший результат за всё время (был 298 Вт)"
