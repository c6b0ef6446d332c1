"""Message filters that run on the event loop, as plain attribute checks.

aiogram awaits a coroutine filter in place but runs any plain callable (a magic `F` filter, a
bare `State`) on a worker thread: two such filters in front of a command cost more than the
command itself. A magic filter awaited in place still resolves its expression step by step
(measured: a tenth of a millisecond per update), so these read the attribute directly.

`Command` and `CommandStart` are aiogram's, with a first look at the command's name: every
command handler in front of the one that matches parsed the whole text (a CommandObject, the
prefix, the mention) only to find another name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram import filters as aiogram_filters
from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject


class Check(Filter):
    """A filter on a message, evaluated on the loop."""

    def __init__(self, test: Callable[[Message], bool]) -> None:
        self.test = test

    # The event alone: aiogram hands a filter that takes **kwargs a copy of all the update's
    # data (every service, the account, the FSM context) on each call.
    async def __call__(self, event: TelegramObject) -> bool:
        return isinstance(event, Message) and self.test(event)


def _command(m: Message) -> bool:
    text = m.text
    return text is not None and text.startswith("/")


TEXT = Check(lambda m: bool(m.text))
COMMAND_TEXT = Check(_command)
NOT_A_COMMAND = Check(lambda m: bool(m.text) and not _command(m))
DOCUMENT = Check(lambda m: m.document is not None)
SUCCESSFUL_PAYMENT = Check(lambda m: m.successful_payment is not None)
REFUNDED_PAYMENT = Check(lambda m: m.refunded_payment is not None)


class _NameFirst(aiogram_filters.Command):
    """Refuses at once a message whose command has none of the filter's names."""

    _plain_names: frozenset[str] | None

    def _names(self) -> frozenset[str] | None:
        """The command names, when all are plain strings (None: a pattern, parse in full)."""
        try:
            return self._plain_names
        except AttributeError:  # the first message: aiogram's __init__ has set the commands
            plain = all(isinstance(c, str) for c in self.commands)
            self._plain_names = frozenset(map(str, self.commands)) if plain else None
            return self._plain_names

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        if not isinstance(message, Message):
            return False
        text = message.text or message.caption
        if not text or text[0] not in self.prefix:
            return False
        names = self._names()
        if names is not None:
            # text starts with the prefix, so it has a first word
            name = text.split(maxsplit=1)[0][1:].partition("@")[0]
            if (name.casefold() if self.ignore_case else name) not in names:
                return False
        return await super().__call__(message, bot)


class Command(_NameFirst):
    """aiogram's Command filter, refusing other commands' names before parsing."""


class CommandStart(_NameFirst, aiogram_filters.CommandStart):
    """aiogram's CommandStart filter, refusing other commands' names before parsing."""
