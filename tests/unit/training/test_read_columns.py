"""The list reads build core's dataclasses from plain rows: their column order is the contract."""

from __future__ import annotations

from dataclasses import fields

from core.training.fitness import DayFitness
from core.training.queries import ActivityItem
from core.training.read_repository import FITNESS_COLUMNS, LIST_COLUMNS


def test_list_columns_follow_activity_item_then_the_owner() -> None:
    assert [c.key for c in LIST_COLUMNS] == [f.name for f in fields(ActivityItem)] + ["user_id"]


def test_fitness_columns_follow_day_fitness_then_the_owner() -> None:
    names = ["day" if f.name == "date" else f.name for f in fields(DayFitness)]
    assert [c.key for c in FITNESS_COLUMNS] == names + ["user_id"]
