"""RPE: the 1-10 buttons under a new activity, the note dialog's words, the card's RPE line."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _
from bot.views.common import MAX_TEXT
from core.garmin.notices import NewActivities
from core.training.imports import ImportResult
from core.training.rpe import MAX_NOTE, RPE_MAX, RPE_MIN, Rating

# Foster's session-RPE wording of Borg's CR-10 scale (the in-between values named alike).
BORG = {
    1: N_("very easy"), 2: N_("easy"), 3: N_("moderate"), 4: N_("somewhat hard"), 5: N_("hard"),
    6: N_("harder"), 7: N_("very hard"), 8: N_("very, very hard"), 9: N_("near maximal"),
    10: N_("maximal"),
}  # fmt: skip
ROW = 5  # buttons per row: 1-5 and 6-10

ASK_ONE = N_("How hard did it feel? Tap 1 (very easy) to 10 (maximal).")
ASK_NEWEST = N_("How hard did the newest session feel? Tap 1 (very easy) to 10 (maximal).")
NOTE_BUTTON = N_("📝 Add a note")
NOTE_QUESTION = N_(
    "Send your note on this session in one message (up to {limit} characters), or /cancel."
)
NOTE_SAVED = N_("Note saved.")


class RpeCb(CallbackData, prefix="rpe"):
    """A rating button: activity id and the RPE it gives."""

    id: int
    rpe: int


class RpeNoteCb(CallbackData, prefix="rpenote"):
    """The note button of an activity."""

    id: int


def rate_keyboard(activity_id: int) -> InlineKeyboardMarkup:
    """Two rows of ratings, 1-5 and 6-10, and the note button."""
    values = range(RPE_MIN, RPE_MAX + 1)
    buttons = [
        InlineKeyboardButton(text=str(v), callback_data=RpeCb(id=activity_id, rpe=v).pack())
        for v in values
    ]
    rows = [buttons[i : i + ROW] for i in range(0, len(buttons), ROW)]
    return InlineKeyboardMarkup(
        inline_keyboard=[*rows, *note_keyboard(activity_id).inline_keyboard]
    )


def note_question() -> str:
    """The note dialog's question, with the note's length limit."""
    return _(NOTE_QUESTION).format(limit=MAX_NOTE)


def note_keyboard(activity_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_(NOTE_BUTTON), callback_data=RpeNoteCb(id=activity_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def ask_text(text: str, *, several: bool) -> str:
    """The message followed by the question, when both fit one message."""
    question = _(ASK_NEWEST if several else ASK_ONE)
    joined = f"{text}\n\n{question}"
    return joined if len(joined) <= MAX_TEXT else text


def import_rating(text: str, result: ImportResult) -> tuple[str, InlineKeyboardMarkup | None]:
    """An import's answer with the rating buttons for its newest new activity (none when the
    file brought nothing new)."""
    if not result.activities:
        return text, None
    newest = max(result.activities, key=lambda c: (c.start_time, c.id))
    return ask_text(text, several=len(result.activities) > 1), rate_keyboard(newest.id)


def push_keyboard(n: NewActivities) -> InlineKeyboardMarkup | None:
    """The rating buttons under a Garmin push, for its newest activity."""
    return rate_keyboard(n.newest[0].id) if n.newest else None


def rated_text(r: Rating) -> str:
    """'RPE 7 (very hard) saved: session load 420 (7 x 60 min).'"""
    rpe = r.rpe or 0
    load = r.srpe_load or 0.0
    word = _(BORG[rpe]) if rpe in BORG else "?"
    return _("RPE {rpe} ({word}) saved: session load {load} ({rpe} x {minutes} min).").format(
        rpe=rpe, word=word, load=f"{load:.0f}", minutes=f"{r.minutes:.0f}"
    )


def rpe_line(rpe: int | None, srpe_load: float | None) -> str | None:
    """The card's line, 'RPE 7 · session load 420', when the activity is rated."""
    if rpe is None:
        return None
    if srpe_load is None:
        return f"RPE {rpe}"
    return _("RPE {rpe} · session load {load}").format(rpe=rpe, load=f"{srpe_load:.0f}")
