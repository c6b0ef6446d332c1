"""/usage: the plan, what is left in each window and when it resets."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from bot.handlers.filters import Command
from bot.views import usage as views
from core.accounts.context import AccountContext
from core.clock import utcnow
from core.limits.ai_usage import AIUsageService
from core.limits.feature_gate import FeatureGate

router = Router(name=__name__)
COMMANDS = ["usage"]


@router.message(Command("usage"))
async def usage(
    message: Message, account: AccountContext, gate: FeatureGate, ai_usage: AIUsageService
) -> None:
    """Plan, remaining uses and this month's AI use."""
    report = await gate.remaining(account)
    month = await ai_usage.month(account)
    await message.answer(
        views.usage_text(report, month, account.timezone, utcnow()),
        reply_markup=views.usage_keyboard(report),
    )
