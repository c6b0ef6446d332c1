"""Billing texts: prices from the plan rows, and Telegram links built at the edge only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.views import billing as bv
from core.limits.plans import PlanLimits

PRO = PlanLimits(
    code="pro", name="Pro", ai_chat_per_day=None, ai_analyses_per_month=None,
    ai_workouts_per_month=None, ai_active_plans=None, history_days=None, export=True,
    priority_sync=True, sync_interval_minutes=60, price_cents=999, currency="usd",
)  # fmt: skip
CORE = Path(__file__).resolve().parents[2] / "core"


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (999, "usd", "$9.99/month"),
        (1299, "eur", "€12.99/month"),
        (500, "GBP", "£5.00/month"),
        (1990, "chf", "19.90 CHF/month"),
    ],
)
def test_card_price_is_the_plan_rows_price(cents: int, currency: str, shown: str) -> None:
    plan = dataclasses.replace(PRO, price_cents=cents, currency=currency)
    assert bv.card_price(plan) == shown


def test_checkout_returns_to_the_bot_with_the_start_arguments_it_answers() -> None:
    urls = bv.return_urls("@trainbot ")
    assert urls.success == f"https://t.me/trainbot?start={bv.START_PAID}"
    assert urls.cancel == f"https://t.me/trainbot?start={bv.START_CANCELLED}"
    assert bv.bot_url("trainbot") == "https://t.me/trainbot"


def test_core_builds_no_telegram_links() -> None:
    offenders = [str(p.relative_to(CORE)) for p in CORE.rglob("*.py") if "t.me/" in p.read_text()]
    assert offenders == []
