"""Telegram Stars: the invoice payload, the pre-checkout check, payments and refunds.

Payments are recorded as provider "stars" with the event id "stars:<charge id>" (refunds
"stars-refund:<charge id>"), so Telegram repeating a payment message changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from core.billing.ledger import EventRecord, PlanIds, SubscriptionLedger, unchanged
from core.billing.rules import (
    Change,
    check_stars_checkout,
    stars_fields,
    stars_payload,
    stars_payload_user,
    stars_refund_ends_pro,
)
from core.db.models import UserSubscription
from core.errors import UnknownUser

logger = logging.getLogger(__name__)


class StarsPayments:
    """Sells Pro for Telegram Stars and applies the payments and refunds Telegram reports."""

    def __init__(self, ledger: SubscriptionLedger, *, price: int) -> None:
        self._ledger = ledger
        self._price = price

    async def invoice_payload(self, user_id: int) -> str:
        """The payload for this user's Stars invoice; AlreadyPro when they have Pro."""
        async with self._ledger.uow() as uow:
            await self._ledger.refuse_if_pro(uow, user_id)
        return stars_payload(user_id)

    async def check_pre_checkout(
        self, user_id: int, payload: str, currency: str, total_amount: int
    ) -> None:
        """Raise an AppError unless this Stars checkout may be paid (Telegram waits 10 s)."""
        check_stars_checkout(user_id, payload, currency, total_amount, price=self._price)
        async with self._ledger.uow() as uow:  # e.g. they paid by card since the invoice
            await self._ledger.refuse_if_pro(uow, user_id)

    async def paid(
        self,
        user_id: int,
        *,
        charge_id: str,
        payload: str,
        subscription_expiration_date: datetime | None,
        is_recurring: bool,
        is_first_recurring: bool,
    ) -> Change:
        """Grant Pro until the paid period ends; a repeated charge id changes nothing."""
        if stars_payload_user(payload) != user_id:
            # The money is taken already: grant what was paid for, but leave a trace.
            logger.warning("Stars payment %s of user %s has a foreign payload", charge_id, user_id)
        renewal = is_recurring and not is_first_recurring
        record = EventRecord(f"stars:{charge_id}", "stars", "stars.renewal" if renewal else "stars")

        def decide(row: UserSubscription | None, plans: PlanIds) -> dict[str, Any]:
            return stars_fields(
                charge_id=charge_id,
                expires=subscription_expiration_date,
                is_recurring=is_recurring,
                now=self._ledger.clock(),
                pro_id=plans["pro"],
            )

        applied = await self._ledger.apply(user_id, record, decide)
        if applied is None:
            raise UnknownUser(user_id)
        return applied.change or unchanged(user_id, applied.before)

    async def refunded(self, user_id: int, *, charge_id: str) -> Change:
        """A refund of the Stars payment that bought the current period ends Pro (once per
        charge id); a refund of an older payment, or of Stars when Pro is now paid by card,
        changes nothing."""
        record = EventRecord(f"stars-refund:{charge_id}", "stars", "stars.refund")

        def decide(row: UserSubscription | None, plans: PlanIds) -> dict[str, Any] | None:
            if not stars_refund_ends_pro(row, charge_id):
                logger.info("Stars refund of %s (user %s) is not of the current Stars period: "
                            "the plan stays as it is", charge_id, user_id)  # fmt: skip
                return None
            return {"plan_id": plans["free"], "status": "refunded", "grace_until": None}

        applied = await self._ledger.apply(user_id, record, decide)
        if applied is None:
            raise UnknownUser(user_id)
        return applied.change or unchanged(user_id, applied.before)
