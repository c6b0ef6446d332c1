"""The pushes a Garmin sync sends: one per run for its new activities, one if the link breaks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.garmin.link import connect_button
from core.training.activities import ActivityCard

MAX_LISTED = 5  # activities named in a merged push; the rest are only counted


def fmt_duration(seconds: float) -> str:
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def card_line(card: ActivityCard) -> str:
    """Sport, duration, distance and load on one line (plain text, safe as HTML)."""
    parts = [card.sport.replace("_", " ").capitalize(), fmt_duration(card.timer_s)]
    if card.distance_m:
        parts.append(f"{card.distance_m / 1000:.2f} km")
    if card.avg_hr:
        parts.append(f"avg HR {card.avg_hr:.0f}")
    parts.append(f"load {card.load:.0f}" + (" (est.)" if card.load_estimated else ""))
    return " · ".join(parts)


def activities_push(user_id: int, run_id: int, cards: Sequence[ActivityCard]) -> dict[str, Any]:
    """enqueue() arguments for one sync run's new activities: a single message, newest first."""
    if len(cards) == 1:
        card = cards[0]
        when = card.local_date.isoformat()
        text = f"<b>New from Garmin</b> ({when})\n{card_line(card)}\n/activities to see more."
    else:
        text = _summary_text(cards)
    return {
        "kind": "activity",
        "dedup_key": f"activities:{user_id}:{run_id}",
        "text": text,
        "reply_markup": None,
    }


def _summary_text(cards: Sequence[ActivityCard]) -> str:
    """A headline, the newest few activities and how many more: short lines, far below 4096."""
    newest = sorted(cards, key=lambda c: c.start_time, reverse=True)
    lines = [f"{c.local_date.isoformat()}: {card_line(c)}" for c in newest[:MAX_LISTED]]
    more = len(cards) - len(lines)
    tail = f"...and {more} more: /activities" if more else "/activities to see more."
    return "\n".join([f"<b>{len(cards)} new activities from Garmin</b>", *lines, tail])


def auth_failed_push(user_id: int, credentials_id: int) -> dict[str, Any]:
    """enqueue() arguments for the one notice that Garmin no longer accepts the link."""
    return {
        "kind": "garmin_auth",
        "dedup_key": f"garmin_auth:{user_id}:{credentials_id}",
        "text": (
            "Garmin Connect no longer accepts my sign-in for your account (password changed "
            "or access revoked), so automatic sync is paused. Link it again to resume."
        ),
        "reply_markup": connect_button(),
    }
