"""The /admin answer: users, activity, Pro count, AI cost and failed syncs."""

from __future__ import annotations

from bot.i18n import _
from bot.i18n.format import number
from bot.views.common import esc
from core.accounts.admin_repository import AdminStats


def usd(cents: float) -> str:
    return "$" + number(cents / 100, 2)


def stats_text(s: AdminStats) -> str:
    """The operator's figures."""
    models = "\n".join(
        f"  {esc(m)}: {usd(c)}" for m, c in sorted(s.ai_cost_by_model_month.items())
    ) or "  " + _("none")
    lines = [
        _("<b>Admin</b>"),
        _("Users: {users} (active today {active}, blocked {blocked})").format(
            users=s.users, active=s.active_today, blocked=s.blocked
        ),
        _("Pro: {pro}").format(pro=s.pro),
        _("AI cost today: {today}, this month: {month}").format(
            today=usd(s.ai_cost_today_cents), month=usd(s.ai_cost_month_cents)
        ),
        _("By model this month:"),
        models,
        _("Failed syncs today: {failed}").format(failed=s.failed_syncs_today),
    ]
    return "\n".join(lines)
