"""The athlete's rating of perceived exertion (RPE 1-10) per activity, and Foster's session load.

Session RPE load (Foster 2001) = RPE (CR-10) x the session's moving minutes: an internal load
that needs neither heart rate nor power, so every activity can carry one.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.db.models import ActivityMetrics
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import N_, BadInput, NotFound

RPE_MIN = 1
RPE_MAX = 10
MAX_NOTE = 500
_MAX_ID = 2**31 - 1  # activity ids are 32-bit: a larger (forged) id names no activity


@dataclass(frozen=True, slots=True)
class Rating:
    """An activity's rating as stored: RPE, moving minutes, session load and the note."""

    activity_id: int
    rpe: int | None
    minutes: float
    srpe_load: float | None
    note: str | None


def moving_minutes(timer_s: float | None, elapsed_s: float | None) -> float:
    """The timer's minutes (moving time); the elapsed time when the file has no timer."""
    return (timer_s or elapsed_s or 0.0) / 60.0


def session_load(rpe: int, minutes: float) -> float:
    """Foster's session RPE load: RPE x minutes."""
    return round(rpe * minutes, 1)


def check_rpe(rpe: int) -> int:
    if not RPE_MIN <= rpe <= RPE_MAX:
        raise BadInput(N_("RPE is a number from {low} to {high}."), low=RPE_MIN, high=RPE_MAX)
    return rpe


def clean_note(text: str) -> str:
    """The note trimmed to one tidy block of at most MAX_NOTE characters."""
    note = text.strip()
    if not note:
        raise BadInput(N_("The note is empty: send it as text."))
    return note if len(note) <= MAX_NOTE else note[: MAX_NOTE - 1].rstrip() + "…"


class RpeService:
    """Rates the athlete's own activities and keeps a short note with them."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def rating(self, user_id: int, activity_id: int) -> Rating:
        """The activity's rating so far (NotFound unless it is this athlete's)."""
        async with self._uow(readonly=True) as uow:
            return _rating(await _own(uow, user_id, activity_id))

    async def rate(self, user_id: int, activity_id: int, rpe: int) -> Rating:
        """Store the RPE and its session load; a second rating replaces the first."""
        check_rpe(rpe)
        async with self._uow() as uow:
            row = await _own(uow, user_id, activity_id)
            row.rpe = rpe
            row.srpe_load = session_load(rpe, moving_minutes(row.timer_s, row.elapsed_s))
            rating = _rating(row)
            await uow.commit()
        return rating

    async def note(self, user_id: int, activity_id: int, text: str) -> Rating:
        """Store the athlete's note on the session (replacing an earlier one)."""
        note = clean_note(text)
        async with self._uow() as uow:
            row = await _own(uow, user_id, activity_id)
            row.rpe_note = note
            rating = _rating(row)
            await uow.commit()
        return rating


async def _own(uow: UnitOfWork, user_id: int, activity_id: int) -> ActivityMetrics:
    row = None
    if 0 < activity_id <= _MAX_ID:
        row = await uow.training.activity(user_id, activity_id)
    if row is None:
        raise NotFound(N_("Activity not found."))
    return row


def _rating(row: ActivityMetrics) -> Rating:
    return Rating(
        activity_id=row.id,
        rpe=row.rpe,
        minutes=moving_minutes(row.timer_s, row.elapsed_s),
        srpe_load=row.srpe_load,
        note=row.rpe_note,
    )
