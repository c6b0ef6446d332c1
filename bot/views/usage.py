"""The /usage answer: the plan, what is left in each window and when it resets."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardMarkup

from bot.i18n import N_, _, ngettext
from bot.i18n.format import number
from bot.views.common import FEATURE_NAMES, esc, upgrade_keyboard, when
from core.limits.ai_usage import AIMonth
from core.limits.feature_gate import FeatureUsage, UsageReport

# Per feature, whole lines: what is left in its window, and what was used when unlimited.
LEFT = {
    "ai_chat": N_("AI chat messages: {left} of {limit} left today"),
    "ai_analysis": N_("AI workout analyses: {left} of {limit} left this month"),
    "ai_workout": N_("AI workouts: {left} of {limit} left this month"),
    "ai_plan": N_("active AI training plans: {left} of {limit} left"),
}
UNLIMITED = {
    "ai_chat": N_("AI chat messages: unlimited ({used} used today)"),
    "ai_analysis": N_("AI workout analyses: unlimited ({used} used this month)"),
    "ai_workout": N_("AI workouts: unlimited ({used} used this month)"),
    "ai_plan": N_("active AI training plans: unlimited ({used} used)"),
}


def _feature_line(f: FeatureUsage, tz: str, now: datetime) -> str:
    key = f.feature.value
    name = _(FEATURE_NAMES.get(key, (key, ""))[0])  # only for a feature without its own line
    if f.limit is None:
        template = UNLIMITED.get(key, N_("{name}: unlimited ({used} used)"))
        return _(template).format(name=name, used=f.used)
    left = max(0, f.limit - f.used)
    template = LEFT.get(key, N_("{name}: {left} of {limit} left"))
    line = _(template).format(name=name, left=left, limit=f.limit)
    if f.resets_at is not None:
        line = _("{usage}, resets {when}").format(usage=line, when=when(f.resets_at, tz, now))
    return line


def usage_text(report: UsageReport, month: AIMonth, tz: str, now: datetime) -> str:
    """Plan, remaining uses and this month's AI use."""
    lines = [_("<b>Plan: {plan}</b>").format(plan=esc(report.plan.name))]
    lines += [f"• {_feature_line(f, tz, now)}" for f in report.features]
    days = report.plan.history_days
    history = (
        _("History: all")
        if days is None
        else ngettext("History: last {n} day", "History: last {n} days", days).format(n=days)
    )
    export = _("Data export: yes") if report.plan.export else _("Data export: Pro only")
    lines += [f"• {history}", f"• {export}"]
    tokens = month.input_tokens + month.output_tokens
    requests = ngettext("{n} request", "{n} requests", month.calls).format(n=number(month.calls))
    used = ngettext("{n} token", "{n} tokens", tokens).format(n=number(tokens))
    lines.append(
        "\n" + _("AI this month: {requests}, {tokens}.").format(requests=requests, tokens=used)
    )
    return "\n".join(lines)


def usage_keyboard(report: UsageReport) -> InlineKeyboardMarkup | None:
    """The Upgrade button, for plans below Pro."""
    return None if report.plan.code == "pro" else upgrade_keyboard("usage")
