"""Pushes in tests: a kind for the notifier's own tests ("note", whose data is the finished
message, so a test can send any text, keyboard or picture; every other kind renders as in the
product), and delivering the outbox to the fake Bot API."""

from __future__ import annotations

import base64
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.delivery.notifier import FlushResult, Notifier
from bot.runtime.telegram import make_bot
from bot.views.notify import Rendered, render_push
from core.bootstrap import Container
from core.notify.outbox import PendingPush, PushService
from tests.fakes.bot_api import FakeBotAPI

NOTE = "note"


def render_note(push: PendingPush) -> Rendered:
    if push.kind != NOTE or push.is_legacy:
        return render_push(push)
    data = push.data
    markup, photo = data.get("markup"), data.get("photo")
    return Rendered(
        text=data["text"],
        markup=InlineKeyboardMarkup.model_validate(markup) if markup else None,
        photo=base64.b64decode(photo) if photo else None,
    )


async def enqueue_note(
    pushes: PushService, user_id: int, key: str, text: str, *,
    markup: dict[str, Any] | None = None, photo: bytes | None = None,
) -> bool:  # fmt: skip
    data = {"text": text, "markup": markup,
            "photo": base64.b64encode(photo).decode("ascii") if photo else None}  # fmt: skip
    return await pushes.enqueue(user_id, kind=NOTE, dedup_key=key, data=data)


def note_notifier(bot: Bot, pushes: PushService, **limits: Any) -> Notifier:
    """The product's notifier, able to send notes too."""
    return Notifier(bot, pushes, render=render_note, **limits)


async def deliver_pushes(container: Container, api: FakeBotAPI) -> FlushResult:
    """Send what the outbox holds to the fake Bot API, as the worker's next flush would."""
    settings = container.settings.model_copy(update={"telegram_api_base": api.base_url})
    bot = make_bot(settings, token=api.token)
    try:
        return await Notifier(bot, container.services.pushes, rate_per_s=50).flush()
    finally:
        await bot.session.close()
