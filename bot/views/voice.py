"""Voice notes to the coach: the answer under its transcript, and the refusals."""

from __future__ import annotations

from bot.i18n import _
from bot.views.coach import escaped_parts
from bot.views.common import MAX_TEXT, esc, shorten

MIC = "🎙"
TRANSCRIPT_MAX = 3000  # characters of a transcript shown above the answer
_ROOM = 16  # margin for the microphone (two UTF-16 units) and the blank line


def not_enabled_text() -> str:
    """No transcription model is set up on this server."""
    return _("Voice notes are not enabled on this bot, so please type your question instead.")


def too_long_text(max_s: int) -> str:
    """A note longer than the bot takes; refused before it is downloaded."""
    return _(
        "Voice notes can be up to {seconds} seconds long: please send a shorter one "
        "or type your question."
    ).format(seconds=max_s)


def download_failed_text() -> str:
    """Telegram would not give us the audio; the note was not counted."""
    return _(
        "I could not download that voice note from Telegram, so it did not count: "
        "please send it again."
    )


def transcription_failed_text() -> str:
    """The transcription failed; the note was not counted."""
    return _(
        "I could not transcribe that voice note, so it did not count: please try again "
        "or type your question."
    )


def transcript_line(transcript: str) -> str:
    """What the coach heard, in italics after a microphone."""
    return f"{MIC} <i>{esc(shorten(transcript.strip(), TRANSCRIPT_MAX))}</i>"


def answer_parts(transcript: str, answer: str) -> list[str]:
    """The transcript then the coach's answer: one message when both fit, else the
    transcript alone and the answer in as many messages as it needs."""
    head = transcript_line(transcript)
    shown = min(len(transcript.strip()), TRANSCRIPT_MAX) + len(answer.strip())
    if shown + _ROOM <= MAX_TEXT:
        body = escaped_parts(answer)
        return [f"{head}\n\n{body[0]}"] if body else [head]
    return [head, *escaped_parts(answer)]
