"""Billing rules without I/O: what a provider's state means for the plan, and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from core.db.models import SubscriptionPlan, UserSubscription
from core.errors import N_, AlreadyPro, BadStarsPayment
from core.gateways.payments import SubscriptionState
from core.limits.plans import PRO_STATUSES, subscription_grants_plan

# Statuses in which Stripe still tries to keep the subscription going (Pro, or Pro on grace).
LIVE_STATUSES = PRO_STATUSES | {"past_due"}
# Pro ended because the money went back (a full refund, or a dispute): the period that money
# paid for stays Free, whatever later events of the same period say.
MONEY_BACK_STATUSES = frozenset({"refunded", "disputed"})
STARS_CURRENCY = "XTR"
STARS_PAYLOAD_PREFIX = "pro:"
# A one-off Stars payment (no Telegram subscription) buys this much Pro.
STARS_PERIOD = timedelta(days=30)

ChangeKind = Literal["upgraded", "payment_failed", "downgraded", "renewed", "recovered"]


@dataclass(frozen=True)
class Change:
    """What a payment did to a user's plan; `kind` None means nothing worth a message."""

    user_id: int
    kind: ChangeKind | None
    plan_code: str
    period_end: datetime | None
    grace_until: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """A subscription row reduced to what decides the change kind (taken before writing)."""

    pro: bool
    status: str | None
    period_end: datetime | None
    grace_until: datetime | None

    @classmethod
    def of(cls, row: UserSubscription | None, *, pro_plan_id: int, now: datetime) -> Snapshot:
        if row is None:
            return cls(False, None, None, None)
        pro = row.plan_id == pro_plan_id and subscription_grants_plan(row, now)
        return cls(pro, row.status, row.current_period_end, row.grace_until)

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


def change_kind(before: Snapshot, after: Snapshot) -> ChangeKind | None:
    """The one event worth telling the user about, if any."""
    if after.status == "past_due" and before.status != "past_due":
        return "payment_failed"
    if not after.pro and (before.pro or before.live):
        return "downgraded"
    if after.pro and before.status == "past_due" and after.status in PRO_STATUSES:
        return "recovered"
    if after.pro and not before.pro:
        return "upgraded"
    longer = before.period_end and after.period_end and after.period_end > before.period_end
    if after.pro and longer:
        return "renewed"
    return None


def already_pro(
    sub: UserSubscription | None, plan: SubscriptionPlan | None, now: datetime
) -> AlreadyPro | None:
    """The refusal to sell Pro again, if the user has it now."""
    if sub is None or plan is None or plan.code == "free":
        return None
    if not subscription_grants_plan(sub, now):
        return None
    past_due = sub.status == "past_due"
    until = sub.grace_until if past_due else sub.current_period_end
    return AlreadyPro(provider=sub.provider, until=until, past_due=past_due)


def accepts_stripe_state(
    row: UserSubscription | None, state: SubscriptionState, created: datetime
) -> bool:
    """Whether a subscription's state, learnt from an event created at `created`, may be written.

    Same subscription: only if the event is not older than the last one applied (Stripe does not
    deliver in order), and never to make a refunded or disputed period Pro again. Another
    subscription (or Stars): a live one takes over, an ended one never overwrites a live row
    (a late event of an old subscription must not end the new one).
    """
    if row is None:
        return True
    if row.provider == "stripe" and row.stripe_subscription_id == state.subscription_id:
        if row.last_event_at is not None and created < row.last_event_at:
            return False
        return not _relives_money_back(row, state)
    return state.status in LIVE_STATUSES or row.status not in LIVE_STATUSES


def _relives_money_back(row: UserSubscription, state: SubscriptionState) -> bool:
    """Whether a live state would undo a refund or dispute of the period it still covers."""
    if row.status not in MONEY_BACK_STATUSES or state.status not in LIVE_STATUSES:
        return False
    ended, now_end = row.current_period_end, state.current_period_end
    return ended is None or now_end is None or now_end <= ended


def stripe_fields(
    state: SubscriptionState,
    row: UserSubscription | None,
    *,
    created: datetime,
    now: datetime,
    grace_days: int,
    plan_ids: dict[str, int],
    sells_pro: bool = True,
) -> dict[str, Any]:
    """The user_subscriptions values for this Stripe subscription state.

    `sells_pro` False (a price other than Pro's): the state is stored, but grants no Pro.
    """
    same = row is not None and row.stripe_subscription_id == state.subscription_id
    grace_until = None
    if state.status == "past_due":
        # The grace period starts when we first learn of the failure; retries don't extend it.
        kept = row.grace_until if same and row and row.status == "past_due" else None
        grace_until = kept or now + timedelta(days=grace_days)
    last = row.last_event_at if same and row else None
    return {
        "plan_id": plan_ids["pro" if sells_pro and state.status in LIVE_STATUSES else "free"],
        "provider": "stripe",
        "status": state.status,
        "current_period_end": state.current_period_end,
        "cancel_at_period_end": state.cancel_at_period_end,
        "grace_until": grace_until,
        "stripe_customer_id": state.customer_id,
        "stripe_subscription_id": state.subscription_id,
        "last_event_at": max(created, last) if last else created,
    }


def stars_fields(
    *, charge_id: str, expires: datetime | None, is_recurring: bool, now: datetime, pro_id: int
) -> dict[str, Any]:
    """The user_subscriptions values after a Telegram Stars payment."""
    return {
        "plan_id": pro_id,
        "provider": "stars",
        "status": "active",
        "current_period_end": expires or now + STARS_PERIOD,
        # A recurring Stars subscription renews by itself; a one-off payment simply ends.
        "cancel_at_period_end": not is_recurring,
        "grace_until": None,
        "stars_charge_id": charge_id[:128],
        "last_event_at": now,
    }


def stars_refund_ends_pro(row: UserSubscription | None, charge_id: str) -> bool:
    """Whether a Stars refund ends Pro: only a refund of the charge that bought the current
    Stars period does (the charge id is stored as stars_fields cut it)."""
    return row is not None and row.provider == "stars" and row.stars_charge_id == charge_id[:128]


def stars_payload(user_id: int) -> str:
    """The invoice payload naming the user (Telegram allows 1-128 bytes)."""
    return f"{STARS_PAYLOAD_PREFIX}{user_id}"


def stars_payload_user(payload: str) -> int | None:
    """The user id a payload names, or None if it is not one of ours."""
    digits = payload.removeprefix(STARS_PAYLOAD_PREFIX)
    if not payload.startswith(STARS_PAYLOAD_PREFIX) or not digits.isdigit() or len(digits) > 12:
        return None
    return int(digits)


def check_stars_checkout(
    user_id: int, payload: str, currency: str, total_amount: int, *, price: int
) -> None:
    """Raise BadStarsPayment unless the checkout is our Pro invoice for this user."""
    if stars_payload_user(payload) != user_id:
        raise BadStarsPayment(N_("This invoice was made for another account. Ask for a new one."))
    if currency != STARS_CURRENCY:
        raise BadStarsPayment(N_("Pro can only be paid in Telegram Stars here."))
    if total_amount != price:
        raise BadStarsPayment(
            N_("This invoice is out of date: Pro costs {price} Stars now. Ask for a new one."),
            price=price,
        )


def stripe_user_ref(ref: str | None) -> int | None:
    """A user id from Stripe metadata or client_reference_id, if it can be one."""
    if ref is None or not ref.isdigit() or len(ref) > 9:  # users.id is a 32-bit integer
        return None
    return int(ref)


def money_back_fields(
    row: UserSubscription, *, status: str, created: datetime, free_id: int
) -> dict[str, Any]:
    """The values that end Pro at once after a refund or a dispute (the paid period is kept,
    so later events of that period cannot bring Pro back)."""
    last = row.last_event_at
    return {
        "plan_id": free_id,
        "status": status,
        "grace_until": None,
        "last_event_at": max(created, last) if last else created,
    }
