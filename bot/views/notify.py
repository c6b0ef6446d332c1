"""Pushes as messages: each kind's data rendered when it is sent, in the reader's units, zone
and language.

Rows stored before pushes carried data hold their finished message (text, Bot API keyboard,
PNG); they are sent as stored.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _, use_language
from bot.views.billing import change_text
from bot.views.garmin import LINK_BROKEN_TEXT, connect_keyboard, new_activities_text
from bot.views.rpe import ask_text, push_keyboard
from bot.views.summary import summary_text
from bot.views.weekly import weekly_chart_png, weekly_text
from core.billing.rules import Change
from core.garmin.notices import LinkBroken, NewActivities
from core.notify.daily_summary import MorningSummary
from core.notify.kinds import (
    GARMIN_LINK_BROKEN,
    NEW_ACTIVITIES,
    PLAN_CHANGE,
    SUMMARY,
    WEEKLY_REPORT,
)
from core.notify.outbox import PendingPush, from_data
from core.notify.weekly_figures import WeeklyReport

LEGACY_PHOTO_KEY = "photo_png_b64"

T = TypeVar("T")


@dataclass(frozen=True)
class Reader:
    """What rendering needs to know of the recipient."""

    units: str
    timezone: str


@dataclass(frozen=True)
class Rendered:
    """A push as Telegram gets it: HTML text, an optional keyboard, an optional PNG."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: bytes | None = None


@dataclass(frozen=True)
class _View(Generic[T]):
    data: type[T]
    render: Callable[[T, Reader], Rendered]

    def __call__(self, data: Mapping[str, Any], reader: Reader) -> Rendered:
        return self.render(from_data(self.data, data), reader)


def _summary(s: MorningSummary, _reader: Reader) -> Rendered:
    return Rendered(summary_text(s))


def _new_activities(n: NewActivities, reader: Reader) -> Rendered:
    keyboard = push_keyboard(n)
    text = new_activities_text(n, reader.units)
    if keyboard is not None:  # the buttons rate the newest: say so above them
        text = ask_text(text, several=n.total > 1)
    return Rendered(text, keyboard)


def _link_broken(_notice: LinkBroken, _reader: Reader) -> Rendered:
    return Rendered(_(LINK_BROKEN_TEXT), connect_keyboard())


def _plan_change(change: Change, reader: Reader) -> Rendered:
    return Rendered(change_text(change, reader.timezone) or "")  # no words: nothing is sent


def _weekly(r: WeeklyReport, reader: Reader) -> Rendered:
    # The chart is drawn here, when sent: the outbox holds only the week's figures.
    return Rendered(weekly_text(r, reader.units), photo=weekly_chart_png(r))


VIEWS: dict[str, _View[Any]] = {
    SUMMARY: _View(MorningSummary, _summary),
    NEW_ACTIVITIES: _View(NewActivities, _new_activities),
    GARMIN_LINK_BROKEN: _View(LinkBroken, _link_broken),
    PLAN_CHANGE: _View(Change, _plan_change),
    WEEKLY_REPORT: _View(WeeklyReport, _weekly),
}
# Kinds whose rendering draws a chart (a tenth of a second): the sender renders them on a
# thread so the loop keeps sending; the others take microseconds and are rendered in place.
DRAWN_KINDS = frozenset({WEEKLY_REPORT})


def render_push(push: PendingPush) -> Rendered:
    """The message of a push; ValueError for a kind without a view, ValidationError for data
    that no longer fits its kind."""
    if push.is_legacy:
        return _legacy(push.payload)
    view = VIEWS.get(push.kind)
    if view is None:
        raise ValueError(push.kind)  # logged by the sender: a kind this build has no view for
    with use_language(push.language):
        return view(push.data, Reader(units=push.units, timezone=push.timezone))


def _legacy(payload: Mapping[str, Any]) -> Rendered:
    markup = payload.get("reply_markup")
    photo = payload.get(LEGACY_PHOTO_KEY)
    return Rendered(
        text=str(payload.get("text") or ""),
        markup=InlineKeyboardMarkup.model_validate(markup)
        if isinstance(markup, dict) and "inline_keyboard" in markup
        else None,
        photo=base64.b64decode(photo) if isinstance(photo, str) else None,
    )
