"""/delete: stop every subscription that would charge the athlete, then delete the account.

Billing is stopped first, outside any transaction: a Stripe subscription is cancelled at once
(no further invoices), a Telegram Stars subscription stops renewing. If either provider cannot
be reached, nothing is deleted and the athlete can try again; a second attempt finds the Stripe
subscription gone and goes on. The processed payment events stay, unlinked from the person,
for accounting (UserRepository.delete_everything).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from core.clock import Clock
from core.db.models import UserSubscription
from core.db.uow import UnitOfWorkFactory
from core.errors import N_, BillingNotStopped, PaymentsError, PaymentsNotConfigured, UnknownUser
from core.gateways.payments import Payments

if TYPE_CHECKING:
    from core.garmin.calendar import GarminCalendar

logger = logging.getLogger(__name__)

# Stripe statuses of a subscription that will never invoice again.
STRIPE_ENDED = frozenset({"canceled", "incomplete_expired"})

STRIPE_UNREACHABLE = N_(
    "I could not reach Stripe to cancel your Pro subscription, so nothing was deleted."
)
STRIPE_OFF = N_(
    "Your Pro subscription cannot be cancelled from this server right now, so nothing was deleted."
)
STARS_UNREACHABLE = N_(
    "I could not reach Telegram to cancel your Stars subscription, so nothing was deleted."
)


class StarSubscriptions(Protocol):
    """Telegram Stars subscriptions, implemented by the bot (core does not speak the Bot API)."""

    async def cancel(self, *, telegram_user_id: int, charge_id: str) -> None:
        """Stop renewals; PaymentsError when Telegram cannot be reached."""
        ...


@dataclass(frozen=True)
class BillingToStop:
    """The subscriptions that deleting the account cancels (None: nothing of that kind)."""

    stripe_subscription_id: str | None = None
    stars_charge_id: str | None = None
    pays_by_card: bool = False  # the Stripe subscription is the one the athlete pays with now


def billing_to_stop(row: UserSubscription | None, now: datetime) -> BillingToStop:
    """What still charges, or may charge, the athlete."""
    if row is None:
        return BillingToStop()
    stripe_id = row.stripe_subscription_id
    by_card = row.provider == "stripe" and row.status not in STRIPE_ENDED
    # A Stripe id kept under a Stars row is of an older subscription that may still be retrying
    # a failed payment: it is cancelled too (Stripe answers 404 if it has ended).
    if row.provider == "stripe" and not by_card:
        stripe_id = None
    stars_renews = (
        row.provider == "stars"
        and row.status == "active"
        and not row.cancel_at_period_end
        and (row.current_period_end is None or row.current_period_end > now)
    )
    stars_id = row.stars_charge_id if stars_renews else None
    return BillingToStop(stripe_id, stars_id, pays_by_card=bool(stripe_id) and by_card)


class AccountDeletion:
    """Cancels the athlete's subscriptions, then deletes every row of the account."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        payments: Payments,
        clock: Clock,
        *,
        calendar: GarminCalendar | None = None,
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._clock = clock
        self._calendar = calendar

    async def billing_to_stop(self, user_id: int) -> BillingToStop:
        """The subscriptions /delete would cancel, for the confirmation question."""
        async with self._uow(readonly=True) as uow:
            if await uow.users.get(user_id) is None:
                raise UnknownUser(user_id)
            row = await uow.subscriptions.get(user_id)
        return billing_to_stop(row, self._clock())

    async def delete(
        self, user_id: int, *, telegram_user_id: int, stars: StarSubscriptions
    ) -> BillingToStop:
        """Cancel billing, then delete the account; BillingNotStopped deletes nothing."""
        stop = await self.billing_to_stop(user_id)
        if stop.stripe_subscription_id:
            await self._cancel_stripe(user_id, stop.stripe_subscription_id)
        if stop.stars_charge_id:
            try:
                await stars.cancel(
                    telegram_user_id=telegram_user_id, charge_id=stop.stars_charge_id
                )
            except PaymentsError:
                raise BillingNotStopped(STARS_UNREACHABLE, retry=True) from None
        await self._clear_garmin_calendar(user_id)
        async with self._uow() as uow:
            # The billing lock: a webhook being applied to this account finishes first.
            if not await uow.billing.lock_account(user_id):
                raise UnknownUser(user_id)
            await uow.users.delete_everything(user_id)
            await uow.commit()
        logger.info("Deleted account %s (billing stopped: %s)", user_id, stop)
        return stop

    async def _clear_garmin_calendar(self, user_id: int) -> None:
        """Best effort: the workouts this bot put on the athlete's Garmin calendar go too; a
        Garmin failure never stops a deletion."""
        if self._calendar is None:
            return
        try:
            await self._calendar.clear_all(user_id)
        except Exception:
            logger.exception("Account %s: could not clear its Garmin calendar", user_id)

    async def _cancel_stripe(self, user_id: int, subscription_id: str) -> None:
        try:
            await self._payments.cancel_subscription(subscription_id)
        except PaymentsNotConfigured:
            logger.error(
                "Account %s keeps Stripe subscription %s: Stripe is not configured",
                user_id,
                subscription_id,
            )
            raise BillingNotStopped(STRIPE_OFF, retry=False) from None
        except PaymentsError:
            raise BillingNotStopped(STRIPE_UNREACHABLE, retry=True) from None
