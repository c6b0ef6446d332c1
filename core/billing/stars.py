"""Telegram Stars: the invoice payload, the pre-checkout check, payments and refunds."""

from __future__ import annotations

import logging
from datetime import datetime

from core.billing.base import BillingBase
from core.billing.rules import (
    Change,
    Snapshot,
    check_stars_checkout,
    stars_fields,
    stars_payload,
    stars_payload_user,
    stars_refund_ends_pro,
)
from core.errors import UnknownUser

logger = logging.getLogger(__name__)


class StarsBilling(BillingBase):
    """The Telegram Stars side of the billing service (payments recorded as provider 'stars')."""

    async def stars_invoice_payload(self, user_id: int) -> str:
        """The payload for this user's Stars invoice; AlreadyPro when they have Pro."""
        await self._refuse_if_pro(user_id)
        return stars_payload(user_id)

    async def check_pre_checkout(
        self, user_id: int, payload: str, currency: str, total_amount: int
    ) -> None:
        """Raise an AppError unless this Stars checkout may be paid (Telegram waits 10 s)."""
        check_stars_checkout(
            user_id, payload, currency, total_amount, price=self._settings.stars_price
        )
        await self._refuse_if_pro(user_id)  # e.g. they paid by card since the invoice was made

    async def stars_paid(
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
        now = self._clock()
        async with self._uow() as uow:
            if not await uow.billing.lock_account(user_id):
                raise UnknownUser(user_id)
            plans = await self._plans(uow)
            before = Snapshot.of(
                await uow.subscriptions.get(user_id), pro_plan_id=plans["pro"], now=now
            )
            new = await uow.billing.record_event(
                f"stars:{charge_id}",
                provider="stars",
                event_type="stars.renewal" if is_recurring and not is_first_recurring else "stars",
                user_id=user_id,
                at=now,
            )
            if not new:
                return self._unchanged(user_id, before)
            fields = stars_fields(
                charge_id=charge_id,
                expires=subscription_expiration_date,
                is_recurring=is_recurring,
                now=now,
                pro_id=plans["pro"],
            )
            change = await self._write(uow, user_id, fields, before, plans)
            await uow.commit()
        return change

    async def stars_refunded(self, user_id: int, *, charge_id: str) -> Change:
        """A refund of the Stars payment that bought the current period ends Pro (once per
        charge id); a refund of an older payment, or of Stars when Pro is now paid by card,
        changes nothing."""
        now = self._clock()
        async with self._uow() as uow:
            if not await uow.billing.lock_account(user_id):
                raise UnknownUser(user_id)
            plans = await self._plans(uow)
            row = await uow.subscriptions.get(user_id)
            before = Snapshot.of(row, pro_plan_id=plans["pro"], now=now)
            new = await uow.billing.record_event(
                f"stars-refund:{charge_id}",
                provider="stars",
                event_type="stars.refund",
                user_id=user_id,
                at=now,
            )
            if not new or not stars_refund_ends_pro(row, charge_id):
                if new:
                    logger.info(
                        "Stars refund of %s (user %s) is not of the current Stars period: "
                        "the plan stays as it is",
                        charge_id,
                        user_id,
                    )
                await uow.commit()
                return self._unchanged(user_id, before)
            fields = {"plan_id": plans["free"], "status": "refunded", "grace_until": None}
            change = await self._write(uow, user_id, fields, before, plans)
            await uow.commit()
        return change
