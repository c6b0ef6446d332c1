"""Power curve texts: new-best lines on the card, the FTP proposal, the /curve table."""

from __future__ import annotations

from datetime import date

from bot.views.bests import acceptance_text, best_lines, curve_text, ftp_offer_text
from core.training.best_efforts import BestEffort
from core.training.bests import BestsOverview, FtpAcceptance, FtpOffer
from core.training.new_bests import BestMark, marks_of
from core.training.power_curve import CurvePoint, PowerCurve


def test_power_curve_best_lines_say_window_and_previous() -> None:
    marks = [
        BestMark("power", 300, 312.4, "90d", 298.0),
        BestMark("run", 5000, 1294.0, "90d", 1330.0),
        BestMark("run", 5000, 1294.0, "all", 1310.0),  # shown once, over the longer window
        BestMark("run", 21097, 5400.0, "all", None),
    ]
    assert best_lines(marks) == [
        "🏆 New best: 5 km 21:34 (all history; was 21:50)",
        "🏆 New best: Half marathon 1:30:00 (all history; first)",
        "🏆 New best: 5 min 312 W (90 days; was 298 W)",
    ]


def test_power_curve_card_lists_six_bests_and_points_to_curve() -> None:
    marks = [BestMark("power", d, 300.0, "90d", 200.0)
             for d in (1, 5, 10, 30, 60, 120, 300, 600, 1200)]  # fmt: skip
    lines = best_lines(marks)
    assert len(lines) == 7 and lines[-1] == "… and 3 more new bests: see /curve"
    assert [ln.split(":")[1].split(" 300 W")[0].strip() for ln in lines[:-1]] == [
        "5 s", "1 min", "2 min", "5 min", "10 min", "20 min"
    ]  # fmt: skip


def test_power_curve_stored_marks_survive_bad_entries() -> None:
    stored = [
        {"kind": "power", "key": 60, "value": 400.0, "window": "all", "previous": None},
        {"kind": "power", "key": "x"},
        {"kind": "swim", "key": 100, "value": 90.0, "window": "all", "previous": None},
        "nonsense",
    ]
    assert marks_of(stored) == (BestMark("power", 60, 400.0, "all", None),)
    assert marks_of(None) == () and marks_of({"a": 1}) == ()


def test_power_curve_ftp_texts() -> None:
    offer = FtpOffer(268, "20min", 282.1, 5, date(2026, 11, 24), 250)
    assert ftp_offer_text(offer) == (
        "Your power curve suggests FTP <b>268 W</b> (95% of 20-min best 282 W); current 250 W."
    )
    hour = FtpOffer(270, "60min", 270.2, 5, date(2026, 11, 24), None)
    assert "(your 60-min best 270 W); no FTP set yet." in ftp_offer_text(hour)
    accepted = acceptance_text(FtpAcceptance("accepted", 268, 250, offer))
    assert accepted.startswith("FTP set to <b>268 W</b> (was 250 W).")
    changed = acceptance_text(FtpAcceptance("changed", 250, 250, offer))
    assert changed.startswith("Your power curve has changed since: Your power curve suggests")


def test_power_curve_table_has_both_windows() -> None:
    day = date(2026, 11, 24)
    recent = PowerCurve((CurvePoint(1200, 280.0, 0, 2, day),))
    whole = PowerCurve((CurvePoint(1200, 300.4, 0, 1, date(2026, 7, 1)),
                        CurvePoint(3600, 250.0, 0, 1, date(2026, 7, 1))))  # fmt: skip
    runs = (BestEffort(5000.0, 1294.0, 0.0, 3, day),)
    text = curve_text(BestsOverview(day, None, recent, whole, runs, runs, None))
    assert "last 90 days and all your history" in text
    assert " 20 min   280 W   300 W  01 Jul 2026" in text
    assert " 60 min       -   250 W  01 Jul 2026" in text
    assert "         5 km    21:34    21:34  24 Nov 2026" in text
    assert text.count("<pre>") == text.count("</pre>") == 2
