"""/admin for ADMIN_CHAT_IDS only: users, activity, Pro count, AI cost, failed syncs.

ADMIN_CHAT_IDS lists people: their user ids, which are their private chats' ids. A group's id
there must not make every member an operator, so /admin answers in private chats only.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import Message

from bot.handlers.filters import Command
from bot.views import admin as views
from bot.views.common import unknown_command_text
from core.accounts.admin import AdminService
from core.accounts.service import Account
from core.errors import NotAnOperator

router = Router(name=__name__)
COMMANDS: list[str] = []  # not in the public menu


@router.message(Command("admin"))
async def admin(message: Message, account: Account, admin: AdminService) -> None:
    """Operator figures; everyone else is told the command does not exist."""
    try:
        s = await admin.stats(account.chat_id, private_chat=message.chat.type == ChatType.PRIVATE)
    except NotAnOperator:
        await message.answer(unknown_command_text())
        return
    await message.answer(views.stats_text(s))
