"""Paying for Pro: /upgrade, Telegram Stars checkout, /billing, /terms and /paysupport."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery

from bot.handlers.filters import REFUNDED_PAYMENT, SUCCESSFUL_PAYMENT, Command
from bot.i18n import _
from bot.views import billing as bv
from bot.views.common import UpgradeCb, error_message
from core.accounts.service import Account
from core.billing.service import BillingService
from core.config import Settings
from core.errors import AlreadyPro, AppError

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS = ["upgrade", "billing", "terms", "paysupport"]

# Telegram drops a pre-checkout query left unanswered for 10 s; answer "no" well before that.
PRE_CHECKOUT_BUDGET_S = 7.0


async def _bot_username(bot: Bot, bot_username: str | None) -> str:
    """The bot's @name (set at start-up; asked from Telegram, once, if it was not)."""
    return bot_username or (await bot.me()).username or ""


async def _send_upgrade(
    chat_id: int,
    *,
    bot: Bot,
    account: Account,
    billing: BillingService,
    bot_username: str | None,
) -> None:
    """Price, Free vs Pro, and a button per way to pay; or why Pro is not sold again."""
    urls = bv.return_urls(await _bot_username(bot, bot_username))
    try:
        offer = await billing.offer(account.id, urls=urls)
    except AlreadyPro as exc:
        await bot.send_message(chat_id, bv.already_pro_text(exc, account.timezone))
        return
    stars_url = await bot.create_invoice_link(
        title=_(bv.STARS_TITLE),
        description=_(bv.STARS_DESCRIPTION),
        payload=offer.stars_payload,
        currency="XTR",
        prices=[LabeledPrice(label=_(bv.STARS_LABEL), amount=offer.stars_price)],
        subscription_period=bv.STARS_PERIOD_S,
    )
    await bot.send_message(
        chat_id, bv.upgrade_text(offer), reply_markup=bv.pay_keyboard(offer, stars_url=stars_url)
    )


@router.message(Command("upgrade"))
async def upgrade(
    message: Message,
    bot: Bot,
    account: Account,
    billing: BillingService,
    bot_username: str | None = None,
) -> None:
    """What Pro costs and unlocks, with the ways to pay."""
    await _send_upgrade(
        message.chat.id, bot=bot, account=account, billing=billing, bot_username=bot_username
    )


@router.callback_query(UpgradeCb.filter())
async def upgrade_button(
    query: CallbackQuery,
    bot: Bot,
    account: Account,
    billing: BillingService,
    bot_username: str | None = None,
) -> None:
    """The Upgrade button under limit answers and /usage."""
    await query.answer()
    await _send_upgrade(
        account.chat_id, bot=bot, account=account, billing=billing, bot_username=bot_username
    )


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, account: Account, billing: BillingService) -> None:
    """Confirm a Stars checkout only if it is our current Pro invoice for this user."""
    error: str | None = None
    try:
        async with asyncio.timeout(PRE_CHECKOUT_BUDGET_S):
            await billing.check_pre_checkout(
                account.id, query.invoice_payload, query.currency, query.total_amount
            )
    except AlreadyPro as exc:
        error = bv.already_pro_text(exc, account.timezone)
    except AppError as exc:
        error = error_message(exc)
    except TimeoutError:
        logger.warning("Pre-checkout of user %s took too long", account.id)
        error = _(bv.PRE_CHECKOUT_APOLOGY)
    except Exception as exc:  # a query left unanswered fails the payment with no word why
        logger.error("Pre-checkout of user %s failed", account.id, exc_info=exc)
        error = _(bv.PRE_CHECKOUT_APOLOGY)
    if error is None:
        await query.answer(ok=True)
    else:
        logger.info("Refused a Stars checkout of user %s: %s", account.id, error)
        await query.answer(ok=False, error_message=error)


@router.message(SUCCESSFUL_PAYMENT)
async def paid(message: Message, account: Account, billing: BillingService) -> None:
    """A Stars payment went through: Pro from now until the paid period ends."""
    payment = message.successful_payment
    assert payment is not None  # the filter guarantees it
    expires = payment.subscription_expiration_date
    change = await billing.stars_paid(
        account.id,
        charge_id=payment.telegram_payment_charge_id,
        payload=payment.invoice_payload,
        subscription_expiration_date=datetime.fromtimestamp(expires, UTC) if expires else None,
        is_recurring=bool(payment.is_recurring),
        is_first_recurring=bool(payment.is_first_recurring),
    )
    await message.answer(bv.paid_text(change, account.timezone))


@router.message(REFUNDED_PAYMENT)
async def refunded(message: Message, account: Account, billing: BillingService) -> None:
    """Telegram refunded a Stars payment: the Pro it bought ends."""
    refund = message.refunded_payment
    assert refund is not None  # the filter guarantees it
    change = await billing.stars_refunded(account.id, charge_id=refund.telegram_payment_charge_id)
    await message.answer(bv.refunded_text(refund.total_amount, change))


@router.message(Command("billing"))
async def billing_status(
    message: Message,
    bot: Bot,
    account: Account,
    billing: BillingService,
    bot_username: str | None = None,
) -> None:
    """Plan, payment state, renewal or end date, and the Stripe portal for card subscribers."""
    back = bv.bot_url(await _bot_username(bot, bot_username))
    status = await billing.status(account.id, portal_return_url=back)
    keyboard = bv.portal_keyboard(status.portal.url) if status.portal else None
    await message.answer(bv.status_text(status, account.timezone), reply_markup=keyboard)


@router.message(Command("terms"))
async def terms(message: Message, billing: BillingService, settings: Settings) -> None:
    """The terms of the Pro subscription."""
    plans = await billing.plans()
    await message.answer(bv.terms_text(plans.pro, stars_price=settings.stars_price))


@router.message(Command("paysupport"))
async def paysupport(
    message: Message,
    command: CommandObject,
    bot: Bot,
    account: Account,
    billing: BillingService,
    settings: Settings,
) -> None:
    """Forward a payment question to every admin chat, with the user's subscription state."""
    text = (command.args or "").strip()
    if not text:
        await message.answer(_(bv.PAYSUPPORT_USAGE))
        return
    status = await billing.status(account.id)
    username = message.from_user.username if message.from_user else None
    note = bv.support_note(chat_id=account.chat_id, username=username, status=status, text=text)
    delivered = 0
    for admin_chat in sorted(settings.admin_ids):
        try:
            await bot.send_message(admin_chat, note)
            delivered += 1
        except TelegramAPIError as exc:
            logger.warning("Payment support request not delivered to %s: %s", admin_chat, exc)
    if delivered == 0:
        logger.error("Payment support request of user %s reached no admin chat", account.id)
    await message.answer(_(bv.PAYSUPPORT_SENT) if delivered else _(bv.PAYSUPPORT_FAILED))
