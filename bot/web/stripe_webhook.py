"""POST /stripe/webhook: verify, apply once, answer Stripe fast, then tell the user."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.web.deps import WEBHOOK_MAX_BODY
from core.billing.service import BillingService, Change
from core.db.scope import system_scope
from core.errors import BadWebhook, PaymentsError, PaymentsNotConfigured
from core.gateways.payments import Payments
from core.notify.kinds import PLAN_CHANGE
from core.notify.outbox import PushService

logger = logging.getLogger(__name__)

STRIPE_WEBHOOK_PATH = "/stripe/webhook"
# Changes worth a message; a quiet renewal is not.
NOTIFIED = frozenset({"upgraded", "payment_failed", "downgraded", "recovered"})
_RECEIVED = b'{"received":true}'


def _status(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


class StripeWebhook:
    """The route is `handle`. Messages go to the push outbox: the worker delivers them under
    Telegram's limits, and a slow or down Telegram never fails the webhook."""

    def __init__(
        self,
        *,
        billing: BillingService,
        payments: Payments,
        pushes: PushService,
    ) -> None:
        self._billing = billing
        self._payments = payments
        self._pushes = pushes

    def router(self) -> APIRouter:
        """POST STRIPE_WEBHOOK_PATH, left out of the API's schema."""
        router = APIRouter()
        router.add_api_route(
            STRIPE_WEBHOOK_PATH,
            self.handle,
            methods=["POST"],
            include_in_schema=False,
            max_body_size=WEBHOOK_MAX_BODY,  # 413 past it
        )
        return router

    async def handle(self, request: Request) -> Response:
        """4xx for what Stripe must not resend, 5xx for what it should retry later."""
        body = await request.body()  # the signature covers these exact bytes
        try:
            event = self._payments.parse_webhook(body, request.headers.get("stripe-signature"))
        except BadWebhook as exc:
            logger.warning("Stripe webhook rejected (%s bytes): %s", len(body), exc.message)
            return _status(400, exc.message)
        except PaymentsNotConfigured:
            logger.warning("Stripe webhook received but Stripe is not configured")
            return _status(503, "payments are not configured")
        with system_scope():  # an event names its user by Stripe's ids: found in the event
            try:
                change = await self._billing.handle_event(event)
            except (PaymentsError, PaymentsNotConfigured) as exc:
                logger.warning(
                    "Stripe event %s (%s) deferred: %s", event.id, event.type, exc.message
                )
                return _status(503, "try again later")
            if change is not None and change.kind in NOTIFIED:
                await self._enqueue(self._pushes, change, f"billing:{event.id}")
        return Response(_RECEIVED, media_type="application/json")

    async def _enqueue(self, pushes: PushService, change: Change, dedup_key: str) -> None:
        """Store the message in the outbox; a failure is logged, never turned into a 5xx
        (the event is applied already, so Stripe's retry would change and say nothing)."""
        try:  # the change itself: the bot words it when it sends (bot.views.notify)
            await pushes.enqueue(change.user_id, kind=PLAN_CHANGE, dedup_key=dedup_key, data=change)
        except Exception as exc:
            logger.error("Billing message %s not stored", dedup_key, exc_info=exc)
