"""The fitness chart is a phone-sized PNG, with or without data."""

from __future__ import annotations

import struct
from datetime import date, timedelta

from core.training.charts import fitness_chart_png
from core.training.fitness import compute_fitness

PNG = b"\x89PNG\r\n\x1a\n"


def size_of(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_a_chart_of_200_days_is_a_phone_sized_png() -> None:
    start = date(2025, 1, 1)
    loads = {start + timedelta(days=i): float(i % 5 * 30) for i in range(200)}
    rows = compute_fitness(loads, start=start, end=start + timedelta(days=199))

    png = fitness_chart_png(rows, title="Fitness and form")

    assert png.startswith(PNG)
    assert size_of(png) == (1000, 600)
    assert 20_000 < len(png) < 500_000


def test_no_data_gives_a_chart_that_says_so() -> None:
    png = fitness_chart_png([], title="Fitness and form")

    assert png.startswith(PNG) and size_of(png) == (1000, 600)


def test_a_single_day_draws() -> None:
    rows = compute_fitness({date(2025, 1, 1): 50.0}, start=date(2025, 1, 1), end=date(2025, 1, 1))
    assert fitness_chart_png(rows, title="x").startswith(PNG)
