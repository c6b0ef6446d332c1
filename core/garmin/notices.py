"""What a Garmin sync tells the athlete, as data: its new activities, or that the link broke.

The outbox stores these (kinds in core.notify.kinds); bot.views.garmin renders them when sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from core.training.activities import ActivityCard

MAX_LISTED = 5  # activities named in a merged push; the rest are only counted


class PushQueue(Protocol):
    """The push outbox (core.notify.outbox.PushService): stored once per dedup_key."""

    async def enqueue(self, user_id: int, *, kind: str, dedup_key: str, data: object) -> Any: ...


@dataclass(frozen=True)
class ActivityLine:
    """One new activity, as far as its line in the push names it."""

    id: int
    local_date: date
    sport: str
    sub_sport: str
    timer_s: float
    distance_m: float | None
    avg_hr: float | None
    load: float
    load_estimated: bool


@dataclass(frozen=True)
class NewActivities:
    """One sync run's new activities (kind "activity"): the newest few and how many in all."""

    total: int
    newest: tuple[ActivityLine, ...]  # newest first, at most MAX_LISTED


@dataclass(frozen=True)
class LinkBroken:
    """Garmin no longer accepts the link (kind "garmin_auth"): sync is paused until relinked."""


def new_activities(cards: Sequence[ActivityCard]) -> NewActivities:
    """The push of a run that brought `cards`: a first sync may bring dozens, one message."""
    newest = sorted(cards, key=lambda c: c.start_time, reverse=True)[:MAX_LISTED]
    return NewActivities(total=len(cards), newest=tuple(_line(c) for c in newest))


def activities_key(user_id: int, run_id: int) -> str:
    return f"activities:{user_id}:{run_id}"


def link_broken_key(user_id: int, credentials_id: int) -> str:
    """Told once per link: a new link has new credentials."""
    return f"garmin_auth:{user_id}:{credentials_id}"


def _line(c: ActivityCard) -> ActivityLine:
    return ActivityLine(
        id=c.id, local_date=c.local_date, sport=c.sport, sub_sport=c.sub_sport,
        timer_s=c.timer_s, distance_m=c.distance_m, avg_hr=c.avg_hr, load=c.load,
        load_estimated=c.load_estimated,
    )  # fmt: skip
