"""The power curve PNG: drawn for one or both windows."""

from __future__ import annotations

import io
from datetime import date

from matplotlib.image import imread

from core.training.curve_chart import power_curve_png
from core.training.power_curve import CurvePoint, PowerCurve


def test_power_curve_chart_is_a_png_of_the_usual_size() -> None:
    day = date(2026, 11, 24)
    whole = PowerCurve(tuple(CurvePoint(d, 600 - d / 20, 0, 1, day) for d in (1, 60, 1200, 3600)))
    for recent in (whole, PowerCurve()):
        png = power_curve_png(recent, whole, history_label="Last 180 days")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert imread(io.BytesIO(png)).shape[:2] == (600, 1000)
