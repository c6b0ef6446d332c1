"""Message filters that run on the event loop.

aiogram awaits a coroutine filter in place but runs any plain callable (a magic `F` filter, a
bare `State`) on a worker thread: two such filters in front of a command cost more than the
command itself. Every router uses these instead.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class Inline(Filter):
    """A magic filter evaluated on the loop instead of a thread."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject, *args: Any, **kwargs: Any) -> Any:
        return self.magic.resolve(event)


TEXT = Inline(F.text)
COMMAND_TEXT = Inline(F.text.startswith("/"))
NOT_A_COMMAND = Inline(F.text & ~F.text.startswith("/"))
DOCUMENT = Inline(F.document)
SUCCESSFUL_PAYMENT = Inline(F.successful_payment)
REFUNDED_PAYMENT = Inline(F.refunded_payment)
