"""/usage: the plan, what is left in each window and when it resets."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.views.common import FEATURE_NAMES, esc, upgrade_keyboard, when
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
    now = utcnow()
    lines = [f"<b>Plan: {esc(report.plan.name)}</b>"]
    for f in report.features:
        name, period = FEATURE_NAMES[f.feature.value]
        if f.limit is None:
            lines.append(f"• {name}: unlimited ({f.used} used {period})".replace(" )", ")"))
            continue
        left = max(0, f.limit - f.used)
        line = f"• {name}: {left} of {f.limit} left {period}".rstrip()
        if f.resets_at is not None:
            line += f", resets {when(f.resets_at, account.timezone, now)}"
        lines.append(line)
    history = report.plan.history_days
    lines.append(f"• History: {'all' if history is None else f'last {history} days'}")
    lines.append(f"• Data export: {'yes' if report.plan.export else 'Pro only'}")
    lines.append(
        f"\nAI this month: {month.calls} requests, "
        f"{month.input_tokens + month.output_tokens} tokens."
    )
    keyboard = None if report.plan.code == "pro" else upgrade_keyboard("usage")
    await message.answer("\n".join(lines), reply_markup=keyboard)
