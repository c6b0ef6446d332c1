"""The last router's answers: unknown commands, text nobody takes, other messages, old buttons."""

from __future__ import annotations

from bot.i18n import N_

# Constants, translated where they are sent: `_(UNDERSTOOD)`.
UNDERSTOOD = N_(
    "I understand text, commands and <b>.fit</b> files (send one as a file). "
    "Send /help for what I can do."
)
NO_COACH = N_("Send /help to see what I can do.")
STALE_BUTTON = N_("This button is no longer valid.")
