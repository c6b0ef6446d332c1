"""The /usage answer: the plan, what is left in each window and when it resets."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardMarkup

from bot.views.common import FEATURE_NAMES, esc, upgrade_keyboard, when
from core.limits.ai_usage import AIMonth
from core.limits.feature_gate import UsageReport


def usage_text(report: UsageReport, month: AIMonth, tz: str, now: datetime) -> str:
    """Plan, remaining uses and this month's AI use."""
    lines = [f"<b>Plan: {esc(report.plan.name)}</b>"]
    for f in report.features:
        name, period = FEATURE_NAMES[f.feature.value]
        if f.limit is None:
            lines.append(f"• {name}: unlimited ({f.used} used {period})".replace(" )", ")"))
            continue
        left = max(0, f.limit - f.used)
        line = f"• {name}: {left} of {f.limit} left {period}".rstrip()
        if f.resets_at is not None:
            line += f", resets {when(f.resets_at, tz, now)}"
        lines.append(line)
    history = report.plan.history_days
    lines.append(f"• History: {'all' if history is None else f'last {history} days'}")
    lines.append(f"• Data export: {'yes' if report.plan.export else 'Pro only'}")
    lines.append(
        f"\nAI this month: {month.calls} requests, "
        f"{month.input_tokens + month.output_tokens} tokens."
    )
    return "\n".join(lines)


def usage_keyboard(report: UsageReport) -> InlineKeyboardMarkup | None:
    """The Upgrade button, for plans below Pro."""
    return None if report.plan.code == "pro" else upgrade_keyboard("usage")
