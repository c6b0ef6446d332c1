"""The last router's answers: unknown commands, text nobody takes, other messages, old buttons."""

from __future__ import annotations

UNDERSTOOD = (
    "I understand text, commands and <b>.fit</b> files (send one as a file). "
    "Send /help for what I can do."
)
NO_COACH = "Send /help to see what I can do."
STALE_BUTTON = "This button is no longer valid."
