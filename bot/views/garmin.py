"""Garmin texts and keyboards: the link dialog, /sync and /disconnect, the sync's pushes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _, ngettext
from bot.i18n.format import number
from bot.views.common import esc
from bot.views.training import distance
from core.garmin.notices import ActivityLine, NewActivities
from core.garmin.sync import SyncReport
from core.training.formatting import format_duration, sport_name

LINK_BROKEN_TEXT = N_(
    "Garmin Connect no longer accepts my sign-in for your account (password changed "
    "or access revoked), so automatic sync is paused. Link it again to resume."
)

ASK_EMAIL = N_(
    "Let's link Garmin Connect. Send the email of your Garmin account.\n/cancel to stop."
)
NOT_AN_EMAIL = N_("That does not look like an email address. Send it again.")
ASK_PASSWORD = N_(
    "Now send your Garmin password. I delete your message at once and store only an "
    "encrypted sign-in token. Tap the button if I may also keep the password (encrypted) "
    "to sign in again by myself when Garmin ends the session."
)
ASK_CODE = N_("Garmin sent you a one-time code by email or app. Send it here.")
LINKED = N_(
    "Garmin Connect is linked. Your last 30 days come in with the first sync, within a "
    "minute; after that I sync by myself. /sync pulls new data now, /disconnect unlinks."
)
UNLINKED = N_(
    "Garmin Connect is unlinked and its sign-in deleted; syncing stopped. "
    "Your activities stay. /connect links it again."
)
NOT_LINKED = N_("Garmin Connect was not linked. /connect links it.")
SYNCING = N_("Syncing with Garmin Connect...")
RELOGGED = N_("Garmin had ended the session; I signed in again and will sync within a minute.")
SYNC_WORDS = {
    "rate_limited": N_("Garmin Connect is limiting requests right now; I will try again later."),
    "network_error": N_("Garmin Connect could not be reached; I will try again at the next sync."),
    "auth_failed": N_("Garmin no longer accepts the link. Send /connect to link again."),
    "error": N_("The sync failed on my side; I will try again at the next sync."),
}


CONNECT = "connect"  # GarminCb action: the button under the broken-link push
KEEP = "keep"  # GarminCb action: the consent to keep the password


class GarminCb(CallbackData, prefix="garmin"):
    action: str  # CONNECT or KEEP


def keep_keyboard(keep: bool) -> InlineKeyboardMarkup:
    label = (
        _("Keep password for automatic re-login: yes")
        if keep
        else _("Keep password for automatic re-login: no")
    )
    button = InlineKeyboardButton(text=label, callback_data=GarminCb(action=KEEP).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def keep_answer(keep: bool) -> str:
    """The short note when the keep-password button is tapped."""
    return _("I will keep it encrypted.") if keep else _("I will not keep it.")


def connect_keyboard() -> InlineKeyboardMarkup:
    """One button that starts /connect."""
    button = InlineKeyboardButton(
        text=_("Link Garmin again"), callback_data=GarminCb(action=CONNECT).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def activity_line(a: ActivityLine, units: str) -> str:
    """Sport, duration, distance, heart rate and load on one line."""
    parts = [esc(sport_name(a.sport, a.sub_sport)), format_duration(a.timer_s)]
    if a.distance_m:
        parts.append(distance(a.distance_m, units))
    if a.avg_hr:
        parts.append(_("avg HR {hr}").format(hr=number(a.avg_hr)))
    load = number(a.load)
    parts.append(
        _("load {load} (est.)").format(load=load)
        if a.load_estimated
        else _("load {load}").format(load=load)
    )
    return " · ".join(parts)


def new_activities_text(n: NewActivities, units: str) -> str:
    """One message per sync run: the card line of a single activity, else a short list."""
    if n.total == 1 and n.newest:
        a = n.newest[0]
        return _("<b>New from Garmin</b> ({date})\n{activity}\n/activities to see more.").format(
            date=a.local_date.isoformat(), activity=activity_line(a, units)
        )
    lines = [f"{a.local_date.isoformat()}: {activity_line(a, units)}" for a in n.newest]
    more = n.total - len(lines)
    tail = (
        _("...and {n} more: /activities").format(n=more) if more else _("/activities to see more.")
    )
    head = ngettext(
        "<b>{n} new activity from Garmin</b>", "<b>{n} new activities from Garmin</b>", n.total
    ).format(n=n.total)
    return "\n".join([head, *lines, tail])


def sync_text(report: SyncReport) -> str:
    """The answer to /sync."""
    if report.relogged:
        return _(RELOGGED)
    if report.status != "ok":
        return _(SYNC_WORDS.get(report.status, SYNC_WORDS["error"]))
    found = ngettext("{n} new activity", "{n} new activities", report.new).format(n=report.new)
    return ngettext(
        "Sync done: {found}, wellness for {n} day.",
        "Sync done: {found}, wellness for {n} days.",
        report.wellness_days,
    ).format(found=found, n=report.wellness_days)


# -- the password message (taken by the secret guard) ---------------------------------------


def _deletion_note(deleted: bool) -> str:
    if deleted:
        return _("I deleted your password message.")
    return _("I could not delete your password message: please delete it yourself.")


def password_lost_text(deleted: bool) -> str:
    """The password came after the dialog was lost: it was not used."""
    return _(
        "{note} I lost track of this sign-in (the email is gone), so I did not use it. "
        "Send /connect to start again."
    ).format(note=_deletion_note(deleted))


def signing_in_text(deleted: bool) -> str:
    return _("{note} Signing in to Garmin...").format(note=_deletion_note(deleted))
