"""The pushes a Garmin sync sends: a card per new activity, one notice when the link breaks."""

from __future__ import annotations

from typing import Any

from core.services.activities import ActivityCard
from core.services.garmin_link import connect_button


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


def activity_push(user_id: int, card: ActivityCard) -> dict[str, Any]:
    """enqueue() arguments for a new activity's card."""
    when = card.local_date.isoformat()
    return {
        "kind": "activity",
        "dedup_key": f"activity:{user_id}:{card.id}",
        "text": f"<b>New from Garmin</b> ({when})\n{card_line(card)}\n/activities to see more.",
        "reply_markup": None,
    }


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
