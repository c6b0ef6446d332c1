"""CTL/ATL/TSB, ramp and ACWR."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.training.fitness import compute_fitness, form_reading

D0 = date(2025, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def test_ctl_after_42_days_of_constant_load() -> None:
    rows = compute_fitness({day(i): 100.0 for i in range(42)}, start=D0, end=day(41))

    assert len(rows) == 42
    assert rows[-1].ctl == pytest.approx(100 * (1 - (41 / 42) ** 42))
    assert rows[6].atl == pytest.approx(100 * (1 - (6 / 7) ** 7))


def test_form_is_yesterdays_fitness_minus_yesterdays_fatigue() -> None:
    rows = compute_fitness({day(0): 90.0, day(3): 50.0}, start=D0, end=day(5))

    assert rows[0].tsb == 0
    for before, today in zip(rows, rows[1:], strict=False):
        assert today.tsb == pytest.approx(before.ctl - before.atl)
    assert [r.load for r in rows] == [90.0, 0.0, 0.0, 50.0, 0.0, 0.0]


def test_ramp_is_the_ctl_change_over_seven_days() -> None:
    rows = compute_fitness({day(i): 60.0 + i for i in range(30)}, start=D0, end=day(29))

    assert rows[3].ramp == pytest.approx(rows[3].ctl)  # before the first day CTL was 0
    for i in range(7, 30):
        assert rows[i].ramp == pytest.approx(rows[i].ctl - rows[i - 7].ctl)


def test_acwr_uses_ewma_with_lambda_2_over_n_plus_1() -> None:
    rows = compute_fitness({day(0): 80.0}, start=day(-1), end=day(0))

    assert rows[0].acwr is None  # nothing yet: no division by zero
    assert rows[1].ewma7 == pytest.approx(80 * 2 / 8)
    assert rows[1].ewma28 == pytest.approx(80 * 2 / 29)
    assert rows[1].acwr == pytest.approx((2 / 8) / (2 / 29))


def test_incremental_recompute_equals_the_full_one() -> None:
    loads = {day(i): float((i * 37) % 120) for i in range(0, 200, 3)}
    full = compute_fitness(loads, start=D0, end=day(199))

    for k in (1, 5, 100, 199):
        again = compute_fitness(loads, start=day(k), end=day(199), history=full[:k])
        assert again == full[k:]
        short = compute_fitness(loads, start=day(k), end=day(199), history=full[max(0, k - 7) : k])
        assert short == full[k:]


def test_history_must_end_the_day_before_start() -> None:
    rows = compute_fitness({}, start=D0, end=day(3))
    with pytest.raises(ValueError, match="day before start"):
        compute_fitness({}, start=day(6), end=day(9), history=rows)


def test_loads_outside_the_range_are_ignored() -> None:
    rows = compute_fitness({day(-5): 500.0, day(20): 500.0}, start=D0, end=day(2))
    assert all(r.ctl == 0 and r.load == 0 for r in rows)


@pytest.mark.parametrize(
    ("tsb", "start"),
    [(30, "Transition"), (25.1, "Transition"), (10, "Fresh"), (0, "Grey zone"),
     (-10, "Grey zone"), (-20, "Optimal"), (-30, "Optimal"), (-45, "High risk")],
)  # fmt: skip
def test_form_reading_bands(tsb: float, start: str) -> None:
    assert form_reading(tsb).startswith(start)
