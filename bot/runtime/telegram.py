"""The aiogram Bot for our settings (any Bot API server, HTML parse mode)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response, TelegramMethod

from bot.views.common import FixedKeyboard
from core.config import Settings


def _response_types() -> list[Any]:
    """aiogram parses every answer as pydantic's `Response[T]`. pydantic caches generic
    classes weakly, so after each garbage collection the next answer of each kind rebuilds its
    class (milliseconds each: measured as a third of the time of an update under load). Made
    once here (~30 ms for all 41 kinds) and held for the life of the process."""
    returning = {}
    for name in dir(methods):
        method = getattr(methods, name)
        if (
            isinstance(method, type)
            and issubclass(method, TelegramMethod)
            and method is not TelegramMethod
        ):
            kind = getattr(method, "__returning__", None)
            if kind is not None:
                returning[repr(kind)] = kind
    return [Response[kind] for kind in returning.values()]  # type: ignore[valid-type]


_RESPONSE_TYPES = _response_types()


class BotSession(AiohttpSession):
    """aiogram's session, with each FixedKeyboard serialised once: walking a keyboard of a
    dozen buttons into JSON took an eighth of the time of a /settings update."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # id -> (the keyboard, held so its id stays its own; its JSON). Bounded: the views
        # make a fixed number of these.
        self._fixed: dict[int, tuple[FixedKeyboard, str]] = {}

    def prepare_value(
        self, value: Any, bot: Bot, files: dict[str, Any], _dumps_json: bool = True
    ) -> Any:
        if not (_dumps_json and isinstance(value, FixedKeyboard)):
            return super().prepare_value(value, bot, files, _dumps_json)
        known = self._fixed.get(id(value))
        if known is None or known[0] is not value:
            known = (value, super().prepare_value(value, bot, files, _dumps_json))
            self._fixed[id(value)] = known
        return known[1]


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking to TELEGRAM_API_BASE (api.telegram.org, a self-hosted server, a fake)."""
    session = BotSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token or settings.telegram_bot_token or "",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
