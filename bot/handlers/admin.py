"""/admin for ADMIN_CHAT_IDS only: users, activity, Pro count, AI cost, failed syncs.

ADMIN_CHAT_IDS lists people: their user ids, which are their private chats' ids. A group's id
there must not make every member an operator, so /admin answers in private chats only.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message

from bot.views.common import esc
from core.accounts.admin import AdminService
from core.accounts.service import Account
from core.errors import NotAnOperator

router = Router(name=__name__)
COMMANDS: list[str] = []  # not in the public menu


def usd(cents: float) -> str:
    return f"${cents / 100:.2f}"


@router.message(Command("admin"))
async def admin(message: Message, account: Account, admin: AdminService) -> None:
    """Operator figures; everyone else is told the command does not exist."""
    try:
        s = await admin.stats(account.chat_id, private_chat=message.chat.type == ChatType.PRIVATE)
    except NotAnOperator:
        await message.answer("I don't know that command. Send /help for what I can do.")
        return
    models = (
        "\n".join(f"  {esc(m)}: {usd(c)}" for m, c in sorted(s.ai_cost_by_model_month.items()))
        or "  none"
    )
    await message.answer(
        "<b>Admin</b>\n"
        f"Users: {s.users} (active today {s.active_today}, blocked {s.blocked})\n"
        f"Pro: {s.pro}\n"
        f"AI cost today: {usd(s.ai_cost_today_cents)}, this month: {usd(s.ai_cost_month_cents)}\n"
        f"By model this month:\n{models}\n"
        f"Failed syncs today: {s.failed_syncs_today}"
    )
