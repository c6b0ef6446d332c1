"""Voice notes to the coach: the length check, the audio fetched, transcribed and metered.

The coach answers the transcript as a chat message (CoachService.voice_stream); this module
turns the note into that text and writes the transcription's own usage-log row (by the minute
where the model bills so), whether it worked or not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import uuid4

from core.db.uow import UnitOfWorkFactory
from core.errors import LLMError, TranscriptionFailed, VoiceTooLong, VoiceUnavailable
from core.gateways.llm import LLM, Transcript
from core.limits.ai_usage import AIUsageService

logger = logging.getLogger(__name__)

DEFAULT_VOICE_MAX_S = 180
USAGE_KIND = "transcription"


@dataclass(frozen=True)
class VoiceNote:
    """A voice note as received: its length as the sender's app reported it, and how to fetch
    its audio (None when the audio cannot be had)."""

    duration_s: int
    fetch: Callable[[], Awaitable[bytes | None]]
    filename: str = "voice.ogg"


def check_length(note: VoiceNote, max_s: int) -> None:
    """Refuse a note too long to take, before anything is fetched or spent."""
    if note.duration_s > max_s:
        raise VoiceTooLong(note.duration_s, max_s)


class VoiceTranscriber:
    """Fetches a note's audio, transcribes it once and logs what that cost."""

    def __init__(self, uow: UnitOfWorkFactory, llm: LLM, usage: AIUsageService) -> None:
        self._uow = uow
        self._llm = llm
        self._usage = usage

    async def transcribe(self, note: VoiceNote, *, user_id: int, timezone: str) -> Transcript:
        """The note's words; VoiceUnavailable or TranscriptionFailed when there are none."""
        audio = await note.fetch()
        if audio is None:
            raise VoiceUnavailable()
        started = time.monotonic()
        try:
            transcript = await self._llm.transcribe(audio, note.filename, note.duration_s)
        except LLMError as exc:
            latency_ms = _since(started)
            await self._log_failure(user_id, timezone, exc.status, latency_ms)
            raise TranscriptionFailed(exc) from exc
        latency_ms = _since(started)
        async with self._uow() as uow:
            await self._usage.add(
                uow,
                request_id=uuid4().hex,
                user_id=user_id,
                timezone=timezone,
                model_id=transcript.model[:64],
                input_tokens=transcript.input_tokens,
                output_tokens=transcript.output_tokens,
                analysis_type=USAGE_KIND,
                latency_ms=latency_ms,
                status="ok",
                audio_s=transcript.duration_s,
            )
            await uow.commit()
        return transcript

    async def _log_failure(self, user_id: int, timezone: str, status: str, latency_ms: int) -> None:
        """A failed call costs nothing but is logged; a failure here never hides the first."""
        try:
            async with self._uow() as uow:
                await self._usage.add(
                    uow,
                    request_id=uuid4().hex,
                    user_id=user_id,
                    timezone=timezone,
                    model_id=(self._llm.transcribe_model or self._llm.model)[:64],
                    input_tokens=0,
                    output_tokens=0,
                    analysis_type=USAGE_KIND,
                    latency_ms=latency_ms,
                    status=status,
                )
                await uow.commit()
        except Exception:
            logger.exception("Could not log a failed transcription for user %s", user_id)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
