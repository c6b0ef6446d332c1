"""Texts and keyboards of payments: /upgrade, /billing, /terms, /paysupport, plan changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date
from babel.numbers import format_currency

from bot.i18n import DEFAULT_LANGUAGE, N_, _, current_language, ngettext, use_language
from bot.views.common import esc
from core.billing.service import BillingStatus, Change, ReturnUrls, UpgradeOffer
from core.errors import AlreadyPro
from core.limits.plans import PlanLimits

STARS_PERIOD_S = 30 * 86400  # Telegram Stars subscriptions renew every 30 days, exactly
# Telegram shows these on the invoice: translated in the buyer's language when it is made.
STARS_LABEL = N_("Pro, 30 days")
STARS_TITLE = N_("Training Analyzer Pro")
STARS_DESCRIPTION = N_(
    "Unlimited AI coach: analyses, training plans, chat and workouts; full history, "
    "data export and priority Garmin sync. Renews every 30 days until you cancel."
)
SUPPORT_TEXT_MAX = 3000
# English keeps the bot's own short notation ("$9.99"); other languages follow babel ("9,99 $").
CURRENCY_SIGNS = {"usd": "$", "eur": "€", "gbp": "£"}
# Babel's locales for prices and dates; English reads day before month here ("25 Dec 2026").
BABEL_LOCALES = {"de": "de_DE", "es": "es_ES", "ru": "ru_RU"}

# Stripe Checkout sends the user back to the bot with one of these /start arguments.
START_PAID = "paid"
START_CANCELLED = "cancel"
CHECKOUT_PAID_TEXT = N_(
    "Thank you! Pro is active as soon as Stripe confirms the payment, "
    "usually within seconds. /billing shows it."
)
CHECKOUT_CANCELLED_TEXT = N_("Checkout cancelled: nothing was charged. /upgrade to try again.")
PRE_CHECKOUT_APOLOGY = N_("Sorry, I could not check this payment in time. Please try again.")


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
    """A date in the user's zone: 25 Dec 2026, 25.12.2026, 25 dic 2026, 25 дек. 2026 г."""
    if moment is None:
        return "–"
    local = moment.astimezone(ZoneInfo(tz))
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return local.strftime("%d %b %Y")
    return format_date(local.date(), "medium", locale=BABEL_LOCALES.get(language, language))


def money(cents: int, currency: str) -> str:
    """An amount in its currency as the language writes it: $9.99, 9,99 $, 9,99 US$."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        amount = f"{cents / 100:.2f}"
        sign = CURRENCY_SIGNS.get(currency.lower())
        return f"{sign}{amount}" if sign else f"{amount} {currency.upper()}"
    locale = BABEL_LOCALES.get(language, language)
    return format_currency(cents / 100, currency.upper(), locale=locale)


def card_price(plan: PlanLimits) -> str:
    """A plan's monthly price as its row holds it, e.g. $9.99/month."""
    return _("{price}/month").format(price=money(plan.price_cents, plan.currency))


def _per_month(value: int | None) -> str:
    return _("unlimited") if value is None else _("{n} / month").format(n=value)


def _days(n: int) -> str:
    return ngettext("{n} day", "{n} days", n).format(n=n)


def _features(plan: PlanLimits) -> list[tuple[str, str]]:
    """What a plan allows, by feature, as /upgrade lists it."""
    active = plan.ai_active_plans
    chat = plan.ai_chat_per_day
    days = plan.history_days
    return [
        (_("AI workout analyses"), _per_month(plan.ai_analyses_per_month)),
        (
            _("AI training plans"),
            _("unlimited") if active is None else _("{n} active").format(n=active),
        ),
        (_("AI chat messages"), _("unlimited") if chat is None else _("{n} / day").format(n=chat)),
        (_("AI workouts"), _per_month(plan.ai_workouts_per_month)),
        (
            _("History"),
            _("all") if days is None else ngettext("{n} day", "{n} days", days).format(n=days),
        ),
        (_("Data export"), _("yes") if plan.export else _("no")),
        (_("Priority sync"), _("yes") if plan.priority_sync else _("no")),
    ]


def upgrade_text(offer: UpgradeOffer) -> str:
    """What Pro costs and unlocks, Free next to it, and the ways to pay."""
    free, pro = offer.plans.free, offer.plans.pro
    rows = zip(_features(free), _features(pro), strict=True)
    lines = [
        _("<b>{plan}</b>: {price} by card, or {stars} ⭐ Stars per 30 days.").format(
            plan=esc(pro.name), price=esc(card_price(pro)), stars=offer.stars_price
        ),
        "",
        f"<b>{esc(free.name)} → {esc(pro.name)}</b>",
        *(f"• {name}: {esc(was)} → <b>{esc(now)}</b>" for (name, was), (__, now) in rows),
        "",
        _("Pro renews until you cancel; cancel any time in /billing. Terms: /terms."),
    ]
    if offer.checkout is None:
        lines.append(_("Card payment is not available right now: pay with Telegram Stars."))
    return "\n".join(lines)


def pay_keyboard(offer: UpgradeOffer, *, stars_url: str) -> InlineKeyboardMarkup:
    """One URL button per way to pay."""
    rows = []
    if offer.checkout is not None:
        text = _("💳 Pay {price}").format(price=card_price(offer.plans.pro))
        rows.append([InlineKeyboardButton(text=text, url=offer.checkout.url)])
    stars = _("⭐ Pay {stars} Stars").format(stars=offer.stars_price)
    rows.append([InlineKeyboardButton(text=stars, url=stars_url)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def already_pro_text(err: AlreadyPro, tz: str) -> str:
    """Why Pro is not sold twice, and where to manage the one the user has (plain text)."""
    if err.past_due:
        return _("Your last Pro payment failed: update your card in /billing instead.")
    if err.provider == "stripe":
        if err.until:
            return _("You already have Pro until {date}. Manage or cancel it in /billing.").format(
                date=day(err.until, tz)
            )
        return _("You already have Pro. Manage or cancel it in /billing.")
    if err.until:
        return _("You already have Pro until {date}. /billing shows it.").format(
            date=day(err.until, tz)
        )
    return _("You already have Pro. /billing shows it.")


def portal_keyboard(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("Manage subscription"), url=url)]]
    )


# A lapsed subscription's state, as /billing names it to a Free user.
_ENDED_STATES = {
    "past_due": N_("Your last subscription is past due."),
    "unpaid": N_("Your last subscription is unpaid."),
    "canceled": N_("Your last subscription is canceled."),
    "refunded": N_("Your last subscription is refunded."),
    "disputed": N_("Your last subscription is disputed."),
}


def status_text(status: BillingStatus, tz: str) -> str:
    """/billing: plan, state and the date that matters."""
    lines = [_("<b>Plan: {plan}</b>").format(plan=esc(status.plan_name))]
    if status.plan_code == "free":
        ended = _ENDED_STATES.get(status.status or "")
        if ended:
            lines.append(_(ended))
        lines.append(_("Get unlimited AI coaching with /upgrade."))
        return "\n".join(lines)
    if status.provider == "stripe":
        lines.append(_("Paid by card (Stripe)."))
    elif status.provider == "stars":
        lines.append(_("Paid by Telegram Stars."))
    if status.status == "past_due":
        lines.append(
            _(
                "⚠️ Your last payment failed. Pro stays on until {date} while the card is "
                "retried: update it with the button below to keep Pro."
            ).format(date=day(status.grace_until, tz))
        )
    elif status.renews_at is not None:
        lines.append(_("Renews on {date}.").format(date=day(status.renews_at, tz)))
    elif status.ends_at is not None:
        lines.append(_("Ends on {date}; it will not renew.").format(date=day(status.ends_at, tz)))
    if status.provider == "stars":
        lines.append(_("Manage or cancel it in Telegram: Settings → My Stars → Subscriptions."))
    return "\n".join(lines)


def change_text(change: Change, tz: str) -> str | None:
    """The message a plan change deserves; None when it needs none."""
    until = day(change.period_end, tz)
    if change.kind == "upgraded":
        return _(
            "🎉 Welcome to Pro until {date}! Every AI feature is unlimited now. /billing"
        ).format(date=until)
    if change.kind == "renewed":
        return _("Pro renewed until {date}. Thank you!").format(date=until)
    if change.kind == "recovered":
        return _("✅ Payment received: Pro continues until {date}.").format(date=until)
    if change.kind == "payment_failed":
        return _(
            "⚠️ Your Pro payment failed. Pro stays on until {date}: "
            "update your card in /billing to keep it."
        ).format(date=day(change.grace_until, tz))
    if change.kind == "downgraded":
        return _(
            "Your Pro subscription has ended: you are on the Free plan now. /upgrade any time."
        )
    return None


def paid_text(change: Change, tz: str) -> str:
    """The answer to a Telegram Stars payment (also when Telegram repeats it)."""
    return change_text(change, tz) or _("Pro is active until {date}.").format(
        date=day(change.period_end, tz)
    )


def refunded_text(stars: int, change: Change) -> str:
    if change.kind == "downgraded":
        return _(
            "Your payment of {stars} ⭐ was refunded. Pro has ended: you are on the Free plan now."
        ).format(stars=stars)
    return _("Your payment of {stars} ⭐ was refunded.").format(stars=stars)


def terms_text(pro: PlanLimits, *, stars_price: int) -> str:
    """The terms Telegram asks every bot taking payments to show."""
    return _(
        "<b>Terms of the Pro subscription</b>\n"
        "• Price: {price} by card (Stripe), or {stars} ⭐ Telegram Stars per 30 days.\n"
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
    ).format(price=esc(card_price(pro)), stars=stars_price)


PAYSUPPORT_USAGE = N_(
    "Tell me what went wrong with your payment in the same message, for example:\n"
    "<code>/paysupport I paid but still see the Free plan</code>"
)
PAYSUPPORT_SENT = N_("Thanks, your request went to our support team. We will answer you here.")
PAYSUPPORT_FAILED = N_("Sorry, I could not reach support right now. Please try again later.")


def support_note(*, chat_id: int, username: str | None, status: BillingStatus, text: str) -> str:
    """The payment request as the admins receive it: in English, whatever the user's language."""
    with use_language(DEFAULT_LANGUAGE):
        who = f"@{esc(username)} " if username else ""
        body = text if len(text) <= SUPPORT_TEXT_MAX else text[:SUPPORT_TEXT_MAX] + "…"
        provider = status.provider or _("never paid")
        state = f"{esc(status.plan_name)}, {esc(provider)}"
        if status.status:
            state += f", {esc(status.status)}"
        return _(
            "💬 <b>Payment support</b> from {who}chat <code>{chat_id}</code>\n"
            "Subscription: {state}\n\n{text}"
        ).format(who=who, chat_id=chat_id, state=state, text=esc(body))
