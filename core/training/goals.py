"""Race goals: list, add (from a dialog or one line), delete by number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.clock import Clock, local_today, utcnow
from core.db.models import RaceGoal
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import N_, BadInput, NoSuchGoal, TooManyGoals, UnknownUser
from core.training.typed_units import DISTANCE_UNIT_PATTERN, parse_distance_km

MAX_GOALS = 20
MAX_NAME = 200
# "<name> <YYYY-MM-DD> [<distance> [km|mi]] [<h:mm:ss>]"
_LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<date>\d{4}-\d{2}-\d{2})"
    rf"(?:\s+(?P<distance>\d+(?:[.,]\d+)?(?:\s*(?:{DISTANCE_UNIT_PATTERN}))?))?"
    r"(?:\s+(?P<time>\d{1,3}(?::\d{2}){1,2}))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Goal:
    """A race goal with its number in the athlete's list and the days left."""

    id: int
    number: int
    name: str
    race_date: date
    distance_m: float | None
    target_time_s: int | None
    days_left: int


@dataclass(frozen=True)
class GoalInput:
    name: str
    race_date: date
    distance_km: float | None = None
    target_time_s: int | None = None


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(N_("Give the race date as YYYY-MM-DD, for example 2027-09-26.")) from None


def parse_time(text: str) -> int:
    """Seconds from h:mm:ss or mm:ss."""
    parts = text.strip().split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise BadInput(N_("Give the target time as h:mm:ss, for example 3:15:00."))
    values = [int(p) for p in parts]
    if any(v >= 60 for v in values[1:]):
        raise BadInput(N_("Minutes and seconds of the target time must be under 60."))
    seconds = sum(v * 60**i for i, v in enumerate(reversed(values)))
    if not 0 < seconds <= 100 * 3600:
        raise BadInput(N_("The target time must be between 1 second and 100 hours."))
    return seconds


def parse_goal_line(text: str, units: str = "metric") -> GoalInput:
    """'Berlin Marathon 2027-09-26 42.2 3:15:00' (distance and time optional; a bare distance
    is in the athlete's units, '26.2 mi' or '42.2 km' in the one written)."""
    m = _LINE.match(text.strip())
    if m is None:
        if units == "imperial":
            raise BadInput(
                N_("Write it as: name date [miles] [target time], e.g. "
                   "Chicago Marathon 2027-10-10 26.2 3:15:00")
            )  # fmt: skip
        raise BadInput(
            N_("Write it as: name date [km] [target time], e.g. "
               "Berlin Marathon 2027-09-26 42.2 3:15:00")
        )  # fmt: skip
    return GoalInput(
        name=m["name"].strip(),
        race_date=parse_date(m["date"]),
        distance_km=parse_distance_km(m["distance"], units) if m["distance"] else None,
        target_time_s=parse_time(m["time"]) if m["time"] else None,
    )


class GoalService:
    """The athlete's race goals."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    async def _today(self, uow: UnitOfWork, user_id: int) -> date:
        user = await uow.users.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        return local_today(self._clock(), user.timezone)

    async def list(self, user_id: int) -> list[Goal]:
        """Every goal, soonest first, numbered for /goal delete."""
        async with self._uow() as uow:
            today = await self._today(uow, user_id)
            rows = await uow.goals.list(user_id)
        return [_goal(r, n, today) for n, r in enumerate(rows, 1)]

    async def add(self, user_id: int, goal: GoalInput) -> Goal:
        """Store a goal after checking its name and date."""
        name = " ".join(goal.name.split())
        if not name or len(name) > MAX_NAME:
            raise BadInput(N_("The race name must be 1 to {max} characters."), max=MAX_NAME)
        async with self._uow() as uow:
            today = await self._today(uow, user_id)
            if goal.race_date < today:
                raise BadInput(N_("That date has passed: give the date of an upcoming race."))
            if await uow.goals.count(user_id) >= MAX_GOALS:
                raise TooManyGoals(MAX_GOALS)
            row = await uow.goals.add(
                user_id, name=name, race_date=goal.race_date,
                distance_m=None if goal.distance_km is None else goal.distance_km * 1000,
                target_time_s=goal.target_time_s,
            )  # fmt: skip
            await uow.commit()
            rows = await uow.goals.list(user_id)
        number = next(n for n, r in enumerate(rows, 1) if r.id == row.id)
        return _goal(row, number, today)

    async def add_line(self, user_id: int, text: str, units: str = "metric") -> Goal:
        return await self.add(user_id, parse_goal_line(text, units))

    async def delete(self, user_id: int, number: int) -> Goal:
        """Delete the goal with this number in the list."""
        async with self._uow() as uow:
            today = await self._today(uow, user_id)
            rows = await uow.goals.list(user_id)
            if not 1 <= number <= len(rows):
                raise NoSuchGoal(number)
            row = rows[number - 1]
            await uow.goals.delete(user_id, row.id)
            await uow.commit()
        return _goal(row, number, today)


def _goal(row: RaceGoal, number: int, today: date) -> Goal:
    return Goal(
        id=row.id, number=number, name=row.name, race_date=row.race_date,
        distance_m=row.distance_m, target_time_s=row.target_time_s,
        days_left=(row.race_date - today).days,
    )  # fmt: skip
