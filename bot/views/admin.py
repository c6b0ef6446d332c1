"""The /admin answer: users, activity, Pro count, AI cost and failed syncs."""

from __future__ import annotations

from bot.views.common import esc
from core.accounts.admin_repository import AdminStats


def usd(cents: float) -> str:
    return f"${cents / 100:.2f}"


def stats_text(s: AdminStats) -> str:
    """The operator's figures."""
    models = (
        "\n".join(f"  {esc(m)}: {usd(c)}" for m, c in sorted(s.ai_cost_by_model_month.items()))
        or "  none"
    )
    return (
        "<b>Admin</b>\n"
        f"Users: {s.users} (active today {s.active_today}, blocked {s.blocked})\n"
        f"Pro: {s.pro}\n"
        f"AI cost today: {usd(s.ai_cost_today_cents)}, this month: {usd(s.ai_cost_month_cents)}\n"
        f"By model this month:\n{models}\n"
        f"Failed syncs today: {s.failed_syncs_today}"
    )
