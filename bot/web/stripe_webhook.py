"""POST /stripe/webhook: verify, apply once, answer Stripe fast, then tell the user."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiohttp import web

from bot.views.billing import change_text
from core.accounts.service import AccountService
from core.billing.service import BillingService, Change
from core.errors import AppError, BadWebhook, PaymentsError, PaymentsNotConfigured
from core.gateways.payments import Payments

if TYPE_CHECKING:
    from core.notify.outbox import PushService

logger = logging.getLogger(__name__)

STRIPE_WEBHOOK_PATH = "/stripe/webhook"
# Changes worth a message; a quiet renewal is not.
NOTIFIED = frozenset({"upgraded", "payment_failed", "downgraded", "recovered"})


def _status(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class StripeWebhook:
    """The route is `handle`. Messages go to the push outbox when there is one (the worker
    delivers them under Telegram's limits), else straight out in `tasks`, drained at shutdown."""

    def __init__(
        self,
        *,
        billing: BillingService,
        payments: Payments,
        accounts: AccountService,
        bot: Bot,
        tasks: set[asyncio.Task[Any]],
        pushes: PushService | None = None,
    ) -> None:
        self._billing = billing
        self._payments = payments
        self._accounts = accounts
        self._bot = bot
        self._tasks = tasks
        self._pushes = pushes

    async def handle(self, request: web.Request) -> web.Response:
        """4xx for what Stripe must not resend, 5xx for what it should retry later."""
        body = await request.read()  # the signature covers these exact bytes
        try:
            event = self._payments.parse_webhook(body, request.headers.get("Stripe-Signature"))
        except BadWebhook as exc:
            logger.warning("Stripe webhook rejected (%s bytes): %s", len(body), exc.message)
            return _status(400, exc.message)
        except PaymentsNotConfigured:
            logger.warning("Stripe webhook received but Stripe is not configured")
            return _status(503, "payments are not configured")
        try:
            change = await self._billing.handle_event(event)
        except (PaymentsError, PaymentsNotConfigured) as exc:
            logger.warning("Stripe event %s (%s) deferred: %s", event.id, event.type, exc.message)
            return _status(503, "try again later")
        if change is not None and change.kind in NOTIFIED:
            key = f"billing:{event.id}"
            if self._pushes is not None:
                await self._enqueue(self._pushes, change, key)
            else:
                self._spawn(change, dedup_key=key)
        return web.json_response({"received": True})

    async def _enqueue(self, pushes: PushService, change: Change, dedup_key: str) -> None:
        """Store the message in the outbox; a failure is logged, never turned into a 5xx
        (the event is applied already, so Stripe's retry would change and say nothing)."""
        try:
            account = await self._accounts.get(change.user_id)
            text = change_text(change, account.timezone)
            if text is not None:
                await pushes.enqueue(change.user_id, kind="billing", dedup_key=dedup_key, text=text)
        except Exception as exc:
            logger.error("Billing message %s not stored", dedup_key, exc_info=exc)

    def _spawn(self, change: Change, *, dedup_key: str) -> None:
        """Message the user after answering: a slow or down Telegram never fails the webhook."""
        task = asyncio.create_task(self._notify(change, dedup_key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, change: Change, dedup_key: str) -> None:
        # The event id is recorded with the change in one transaction, so a redelivered
        # event returns no Change and this runs once per event: dedup_key names it in logs.
        try:
            account = await self._accounts.get(change.user_id)
            text = change_text(change, account.timezone)
            if text is None:
                return
            await self._bot.send_message(account.chat_id, text)
        except (TelegramAPIError, AppError) as exc:
            logger.warning("Billing message %s not delivered: %s", dedup_key, exc)
        except Exception as exc:  # a background task has nobody else to report to
            logger.error("Billing message %s failed", dedup_key, exc_info=exc)
