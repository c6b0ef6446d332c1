"""Showing an answer while the model writes it: message drafts in private chats, typing elsewhere.

A draft is an ephemeral preview (sendMessageDraft); the finished answer is still sent with
sendMessage. Drafts are throttled so a fast model does not flood the Bot API.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from bot.views.common import MAX_TEXT, esc, split_text

logger = logging.getLogger(__name__)

DRAFT_INTERVAL_S = 0.5
TYPING_INTERVAL_S = 4.5  # Telegram shows "typing" for about 5 seconds per action
_MAX_DRAFT_ID = 2**31 - 1

# Ids only need to differ between answers of one bot; a random start keeps restarts apart.
_draft_ids = itertools.count(secrets.randbelow(_MAX_DRAFT_ID // 2) + 1)


def new_draft_id() -> int:
    """A non-zero id for one answer's drafts."""
    return next(_draft_ids) % _MAX_DRAFT_ID or 1


def draft_text(text: str, limit: int = MAX_TEXT) -> str:
    """What a draft shows of `text`: the part that will be the last message, escaped."""
    parts = split_text(text, limit)
    return esc(parts[-1]) if parts else ""


class AnswerStream:
    """Shows progress of one answer in one chat; never raises for a failed preview."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        drafts: bool,
        interval_s: float = DRAFT_INTERVAL_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._drafts = drafts
        self._interval_s = interval_s
        self._now = now
        self.draft_id = new_draft_id()
        self.drafts_sent = 0
        self._last_draft_at = float("-inf")
        self._last_len = 0
        self._next_typing_at = float("-inf")

    async def start(self) -> None:
        """Show "typing" until the first words arrive."""
        await self._typing()

    async def update(self, text: str) -> None:
        """The answer so far: drafted when enough time passed and it grew, else typing kept up."""
        if not self._drafts:
            await self._typing()
            return
        now = self._now()
        if len(text) <= self._last_len or now - self._last_draft_at < self._interval_s:
            return
        shown = draft_text(text)
        if not shown.strip():
            return
        self._last_draft_at, self._last_len = now, len(text)
        try:
            await self._bot.send_message_draft(
                chat_id=self._chat_id, draft_id=self.draft_id, text=shown
            )
            self.drafts_sent += 1
        except TelegramRetryAfter as exc:
            # Flood control: skip previews until Telegram allows them again.
            self._last_draft_at = now + exc.retry_after
        except TelegramAPIError as exc:
            # Drafts are a nicety: where they are refused, fall back to the typing action.
            logger.info("drafts refused in chat %s: %s", self._chat_id, exc)
            self._drafts = False

    async def _typing(self) -> None:
        now = self._now()
        if now < self._next_typing_at:
            return
        self._next_typing_at = now + TYPING_INTERVAL_S
        try:
            await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)
        except TelegramAPIError as exc:
            logger.info("typing action failed in chat %s: %s", self._chat_id, exc)
