"""Voice notes to the coach: transcribed, then answered like a typed message."""

from __future__ import annotations

import logging
from contextlib import aclosing
from functools import partial

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.filters import StateFilter
from aiogram.types import Message

from bot.delivery.streaming import AnswerStream
from bot.handlers.downloads import download
from bot.views import voice as views
from core.accounts.context import AccountContext
from core.coach.service import CoachReply, CoachService
from core.coach.voice import VoiceNote
from core.errors import LLMNotConfigured, TranscriptionFailed, VoiceTooLong, VoiceUnavailable
from core.gateways.llm import TextDelta, Transcript

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS: list[str] = []


async def _is_voice(message: Message) -> bool:
    return message.voice is not None


@router.message(StateFilter(None), _is_voice)
async def voice_note(
    message: Message, bot: Bot, account: AccountContext, coach: CoachService
) -> None:
    """A voice note: the coach's answer under its transcript, or one sentence saying why not."""
    voice = message.voice
    assert voice is not None
    if not coach.voice_enabled:
        await message.answer(views.not_enabled_text())
        return
    note = VoiceNote(duration_s=voice.duration, fetch=partial(download, bot, voice))
    try:
        await _answer(message, bot, account, coach, note)
    except VoiceTooLong as exc:
        await message.answer(views.too_long_text(exc.max_s))
    except VoiceUnavailable:
        await message.answer(views.download_failed_text())
    except TranscriptionFailed:
        await message.answer(views.transcription_failed_text())
    except LLMNotConfigured:
        await message.answer(views.not_enabled_text())


async def _answer(
    message: Message, bot: Bot, account: AccountContext, coach: CoachService, note: VoiceNote
) -> None:
    """Stream the answer as drafts (private chats), then send it under the transcript."""
    chat_id = message.chat.id
    stream = AnswerStream(bot, chat_id, drafts=message.chat.type == ChatType.PRIVATE)
    await stream.start()
    transcript: Transcript | None = None
    reply: CoachReply | None = None
    text = ""
    async with aclosing(coach.voice_stream(account, note)) as events:
        async for event in events:
            if isinstance(event, Transcript):
                transcript = event
            elif isinstance(event, TextDelta):
                text += event.text
                await stream.update(text)
            else:
                reply = event
    assert transcript is not None and reply is not None  # the service yields both
    for part in views.answer_parts(transcript.text, reply.text):
        await bot.send_message(chat_id, part)
