"""Texts and keyboards of payments: /upgrade, /billing, /terms, /paysupport, plan changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.common import esc
from core.billing.service import BillingStatus, Change, ReturnUrls, UpgradeOffer
from core.errors import AlreadyPro
from core.limits.plans import PlanLimits

STARS_PERIOD_S = 30 * 86400  # Telegram Stars subscriptions renew every 30 days, exactly
STARS_LABEL = "Pro, 30 days"
STARS_TITLE = "Training Analyzer Pro"
STARS_DESCRIPTION = (
    "Unlimited AI coach: analyses, training plans, chat and workouts; full history, "
    "data export and priority Garmin sync. Renews every 30 days until you cancel."
)
SUPPORT_TEXT_MAX = 3000
CURRENCY_SIGNS = {"usd": "$", "eur": "€", "gbp": "£"}

# Stripe Checkout sends the user back to the bot with one of these /start arguments.
START_PAID = "paid"
START_CANCELLED = "cancel"
CHECKOUT_PAID_TEXT = (
    "Thank you! Pro is active as soon as Stripe confirms the payment, "
    "usually within seconds. /billing shows it."
)
CHECKOUT_CANCELLED_TEXT = "Checkout cancelled: nothing was charged. /upgrade to try again."
PRE_CHECKOUT_APOLOGY = "Sorry, I could not check this payment in time. Please try again."


def bot_url(bot_username: str) -> str:
    """The bot's chat link (where Stripe sends the user back)."""
    return f"https://t.me/{bot_username.strip().lstrip('@')}"


def return_urls(bot_username: str) -> ReturnUrls:
    """Stripe Checkout's way back: the bot's chat, started with "paid" or "cancel"."""
    base = bot_url(bot_username)
    return ReturnUrls(
        success=f"{base}?start={START_PAID}", cancel=f"{base}?start={START_CANCELLED}"
    )


def day(moment: datetime | None, tz: str) -> str:
    """A date in the user's zone, e.g. 25 Dec 2026."""
    if moment is None:
        return "–"
    return moment.astimezone(ZoneInfo(tz)).strftime("%d %b %Y")


def card_price(plan: PlanLimits) -> str:
    """A plan's monthly price as its row holds it, e.g. $9.99/month."""
    amount = f"{plan.price_cents / 100:.2f}"
    sign = CURRENCY_SIGNS.get(plan.currency.lower())
    return f"{sign}{amount}/month" if sign else f"{amount} {plan.currency.upper()}/month"


def _limit(value: int | None, unit: str) -> str:
    return "unlimited" if value is None else f"{value}{unit}"


def _features(plan: PlanLimits) -> list[tuple[str, str]]:
    """What a plan allows, by feature, as /upgrade lists it."""
    return [
        ("AI workout analyses", _limit(plan.ai_analyses_per_month, " / month")),
        ("AI training plans", _limit(plan.ai_active_plans, " active")),
        ("AI chat messages", _limit(plan.ai_chat_per_day, " / day")),
        ("AI workouts", _limit(plan.ai_workouts_per_month, " / month")),
        ("History", "all" if plan.history_days is None else f"{plan.history_days} days"),
        ("Data export", "yes" if plan.export else "no"),
        ("Priority sync", "yes" if plan.priority_sync else "no"),
    ]


def upgrade_text(offer: UpgradeOffer) -> str:
    """What Pro costs and unlocks, Free next to it, and the ways to pay."""
    free, pro = offer.plans.free, offer.plans.pro
    rows = zip(_features(free), _features(pro), strict=True)
    lines = [
        f"<b>{esc(pro.name)}</b>: {esc(card_price(pro))} by card, "
        f"or {offer.stars_price} ⭐ Stars per 30 days.",
        "",
        f"<b>{esc(free.name)} → {esc(pro.name)}</b>",
        *(f"• {name}: {esc(was)} → <b>{esc(now)}</b>" for (name, was), (_, now) in rows),
        "",
        "Pro renews until you cancel; cancel any time in /billing. Terms: /terms.",
    ]
    if offer.checkout is None:
        lines.append("Card payment is not available right now: pay with Telegram Stars.")
    return "\n".join(lines)


def pay_keyboard(offer: UpgradeOffer, *, stars_url: str) -> InlineKeyboardMarkup:
    """One URL button per way to pay."""
    rows = []
    if offer.checkout is not None:
        text = f"💳 Pay {card_price(offer.plans.pro)}"
        rows.append([InlineKeyboardButton(text=text, url=offer.checkout.url)])
    stars = f"⭐ Pay {offer.stars_price} Stars"
    rows.append([InlineKeyboardButton(text=stars, url=stars_url)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def already_pro_text(err: AlreadyPro, tz: str) -> str:
    """Why Pro is not sold twice, and where to manage the one the user has (plain text)."""
    if err.past_due:
        return "Your last Pro payment failed: update your card in /billing instead."
    until = f" until {day(err.until, tz)}" if err.until else ""
    if err.provider == "stripe":
        return f"You already have Pro{until}. Manage or cancel it in /billing."
    return f"You already have Pro{until}. /billing shows it."


def portal_keyboard(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Manage subscription", url=url)]]
    )


def status_text(status: BillingStatus, tz: str) -> str:
    """/billing: plan, state and the date that matters."""
    lines = [f"<b>Plan: {esc(status.plan_name)}</b>"]
    if status.plan_code == "free":
        if status.status in {"past_due", "unpaid", "canceled", "refunded", "disputed"}:
            lines.append(f"Your last subscription is {esc(status.status)}.")
        lines.append("Get unlimited AI coaching with /upgrade.")
        return "\n".join(lines)
    via = {"stripe": "card (Stripe)", "stars": "Telegram Stars"}.get(status.provider or "", "")
    if via:
        lines.append(f"Paid by {via}.")
    if status.status == "past_due":
        lines.append(
            f"⚠️ Your last payment failed. Pro stays on until {day(status.grace_until, tz)} "
            "while the card is retried: update it with the button below to keep Pro."
        )
    elif status.renews_at is not None:
        lines.append(f"Renews on {day(status.renews_at, tz)}.")
    elif status.ends_at is not None:
        lines.append(f"Ends on {day(status.ends_at, tz)}; it will not renew.")
    if status.provider == "stars":
        lines.append("Manage or cancel it in Telegram: Settings → My Stars → Subscriptions.")
    return "\n".join(lines)


def change_text(change: Change, tz: str) -> str | None:
    """The message a plan change deserves; None when it needs none."""
    until = day(change.period_end, tz)
    if change.kind == "upgraded":
        return f"🎉 Welcome to Pro until {until}! Every AI feature is unlimited now. /billing"
    if change.kind == "renewed":
        return f"Pro renewed until {until}. Thank you!"
    if change.kind == "recovered":
        return f"✅ Payment received: Pro continues until {until}."
    if change.kind == "payment_failed":
        return (
            "⚠️ Your Pro payment failed. Pro stays on until "
            f"{day(change.grace_until, tz)}: update your card in /billing to keep it."
        )
    if change.kind == "downgraded":
        return "Your Pro subscription has ended: you are on the Free plan now. /upgrade any time."
    return None


def paid_text(change: Change, tz: str) -> str:
    """The answer to a Telegram Stars payment (also when Telegram repeats it)."""
    return change_text(change, tz) or f"Pro is active until {day(change.period_end, tz)}."


def refunded_text(stars: int, change: Change) -> str:
    text = f"Your payment of {stars} ⭐ was refunded."
    if change.kind == "downgraded":
        text += " Pro has ended: you are on the Free plan now."
    return text


def terms_text(pro: PlanLimits, *, stars_price: int) -> str:
    """The terms Telegram asks every bot taking payments to show."""
    price = esc(card_price(pro))
    return (
        "<b>Terms of the Pro subscription</b>\n"
        f"• Price: {price} by card (Stripe), or {stars_price} ⭐ Telegram Stars per 30 days.\n"
        "• Pro renews automatically at the end of each period until you cancel.\n"
        "• Cancel any time: card subscriptions in /billing (Manage subscription), Stars "
        "subscriptions in Telegram under Settings → My Stars → Subscriptions. Pro stays on "
        "until the end of the period already paid.\n"
        "• If a renewal payment fails, Pro stays on for a few days while the payment is "
        "retried, then the account returns to Free. Your data is kept.\n"
        "• Refunds: if something went wrong with a payment, ask within 14 days through "
        "/paysupport and we refund it; a refunded period ends Pro at once.\n"
        "• /delete cancels the subscription at once, without refunding the period already "
        "paid; the records of past payments are kept for accounting, unlinked from you.\n"
        "• Payments are handled by Stripe or Telegram; we never see your card.\n\n"
        "Help with a payment: /paysupport followed by your question."
    )


PAYSUPPORT_USAGE = (
    "Tell me what went wrong with your payment in the same message, for example:\n"
    "<code>/paysupport I paid but still see the Free plan</code>"
)
PAYSUPPORT_SENT = "Thanks, your request went to our support team. We will answer you here."
PAYSUPPORT_FAILED = "Sorry, I could not reach support right now. Please try again later."


def support_note(*, chat_id: int, username: str | None, status: BillingStatus, text: str) -> str:
    """The payment request as the admins receive it."""
    who = f"@{esc(username)} " if username else ""
    body = text if len(text) <= SUPPORT_TEXT_MAX else text[:SUPPORT_TEXT_MAX] + "…"
    state = f"{esc(status.plan_name)}, {esc(status.provider or 'never paid')}"
    if status.status:
        state += f", {esc(status.status)}"
    return (
        f"💬 <b>Payment support</b> from {who}chat <code>{chat_id}</code>\n"
        f"Subscription: {state}\n\n{esc(body)}"
    )
