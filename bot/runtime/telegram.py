"""The aiogram Bot for our settings (any Bot API server, HTML parse mode)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import InputFile
from aiohttp import FormData

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
    """aiogram's session, with each FixedKeyboard turned into JSON once: dumping and walking a
    keyboard of a dozen buttons on every send took an eighth of the time of a /settings.

    The message Telegram sends back echoes that keyboard; it is left out of the Message we get
    back (nothing reads it there): validating a dozen buttons into pydantic models took longer
    than validating the rest of the message (~0.2 ms against ~0.07 ms per answer)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # id -> (the keyboard, held so its id stays its own; its JSON). Bounded: the views
        # make a fixed number of these.
        self._fixed: dict[int, tuple[FixedKeyboard, str]] = {}

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData:
        markup = getattr(method, "reply_markup", None)
        if not isinstance(markup, FixedKeyboard):
            return super().build_form_data(bot, method)
        # aiogram's own loop (AiohttpSession.build_form_data), the keyboard left out of it.
        form = FormData(quote_fields=False)
        files: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False, exclude={"reply_markup"}).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                form.add_field(key, prepared)
        form.add_field("reply_markup", self._keyboard_json(markup, bot))
        for key, file in files.items():
            form.add_field(key, file.read(bot), filename=file.filename or key)
        return form

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        if isinstance(getattr(method, "reply_markup", None), FixedKeyboard):
            content = self._without_echoed_keyboard(content)
        return super().check_response(bot, method, status_code, content)

    def _without_echoed_keyboard(self, content: str) -> str:
        try:
            answer = self.json_loads(content)
        except ValueError:
            return content  # aiogram's own check says what is wrong with it
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict) or result.pop("reply_markup", None) is None:
            return content
        return str(self.json_dumps(answer))

    def _keyboard_json(self, markup: FixedKeyboard, bot: Bot) -> str:
        known = self._fixed.get(id(markup))
        if known is None or known[0] is not markup:
            text = self.prepare_value(markup.model_dump(warnings=False), bot=bot, files={})
            known = self._fixed[id(markup)] = (markup, text)
        return known[1]


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking to TELEGRAM_API_BASE (api.telegram.org, a self-hosted server, a fake)."""
    session = BotSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token or settings.telegram_bot_token or "",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
