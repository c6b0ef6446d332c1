"""Power curve and run bests over 90 days and the visible history; FTP proposed from the curve.

The curves are merged from the per-activity curves stored at import (activity_metrics), so
nothing here touches a sample series. The FTP proposal is always recomputed from the stored
curves: accepting it never takes a figure from the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from core.accounts.context import AccountContext, AccountRef, resolve
from core.accounts.service import PROFILE_RANGES
from core.clock import Clock, local_today, utcnow
from core.db.uow import UnitOfWorkFactory
from core.limits.feature_gate import history_start_of
from core.training.best_efforts import BestEffort, merge_efforts
from core.training.curve_chart import CurveChartLabels, power_curve_png
from core.training.new_bests import RECENT_DAYS, ActivityBests
from core.training.power_curve import PowerCurve, merge_curves, propose_ftp

FTP_CHANGE_MIN = 0.03  # a smaller difference is noise in a 20-minute effort, not a new FTP


@dataclass(frozen=True, slots=True)
class FtpOffer:
    """FTP proposed from the 90-day curve, with the effort it rests on."""

    watts: int
    basis: Literal["20min", "60min"]
    best_watts: float  # the 20- or 60-minute best it comes from
    activity_id: int | None
    day: date | None
    current: int | None  # the profile's FTP now


@dataclass(frozen=True, slots=True)
class BestsOverview:
    """The merged curves and run bests; each point names its activity and day."""

    today: date
    history_days: int | None  # the visible history's length; None: all of it
    power_recent: PowerCurve
    power_all: PowerCurve
    runs_recent: tuple[BestEffort, ...]
    runs_all: tuple[BestEffort, ...]
    ftp_offer: FtpOffer | None


@dataclass(frozen=True, slots=True)
class FtpAcceptance:
    """accepted: the FTP is set; changed: the proposal is not the one shown; none: no proposal."""

    status: Literal["accepted", "changed", "none"]
    ftp: int | None  # the FTP now
    previous: int | None
    offer: FtpOffer | None


def recent_curve(history: Sequence[ActivityBests], *, today: date) -> PowerCurve:
    """The merged curve of the 90 days up to today: what an FTP is proposed from."""
    first = today - timedelta(days=RECENT_DAYS - 1)
    return merge_curves(h.curve for h in history if first <= h.day <= today)


def ftp_offer(curve: PowerCurve, *, current: int | None) -> FtpOffer | None:
    """propose_ftp on the curve, offered only when there is no FTP or it is >= 3% off."""
    proposal = propose_ftp(curve)
    if proposal is None:
        return None
    lo, hi, _ = PROFILE_RANGES["ftp"]
    if not lo <= proposal.watts <= hi:
        return None
    if current and abs(proposal.watts - current) < FTP_CHANGE_MIN * current:
        return None
    src = proposal.source
    return FtpOffer(proposal.watts, proposal.basis, src.watts, src.activity_id, src.day, current)


class BestsService:
    """The athlete's curves, bests and FTP proposal, within their plan's history."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    async def curves(self, account: AccountRef) -> BestsOverview:
        """The 90-day and visible-history power curves and run bests, with the FTP offer."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            ctx = await resolve(uow, account, now=now)
            since = history_start_of(ctx.plan, ctx.timezone, now)
            history = await uow.bests.history(ctx.id, since=since)
            profile = await uow.profiles.get(ctx.id)
        today = local_today(now, ctx.timezone)
        first = self._recent_from(ctx, today)
        recent = [h for h in history if first <= h.day <= today]
        power_recent = merge_curves(h.curve for h in recent)
        return BestsOverview(
            today=today,
            history_days=ctx.plan.history_days,
            power_recent=power_recent,
            power_all=merge_curves(h.curve for h in history),
            runs_recent=merge_efforts(e for h in recent for e in h.efforts),
            runs_all=merge_efforts(e for h in history for e in h.efforts),
            ftp_offer=ftp_offer(power_recent, current=profile.ftp if profile else None),
        )

    async def chart(
        self, overview: BestsOverview, *, labels: CurveChartLabels | None = None
    ) -> bytes | None:
        """The overview's power curves as PNG bytes (None without any), on a worker thread;
        `labels`: the chart's words, English by default."""
        if not overview.power_all.points:
            return None
        if labels is None:
            days = overview.history_days
            history = "All history" if days is None else f"Last {days} days"
            labels = CurveChartLabels(history=history)
        return await asyncio.to_thread(
            power_curve_png, overview.power_recent, overview.power_all, labels=labels
        )

    async def ftp_proposal(self, account: AccountRef) -> FtpOffer | None:
        """The FTP the 90-day curve suggests, None when it is close to the current one."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            ctx = await resolve(uow, account, now=now)
            today = local_today(now, ctx.timezone)
            history = await uow.bests.history(ctx.id, since=self._recent_from(ctx, today))
            profile = await uow.profiles.get(ctx.id)
        curve = recent_curve(history, today=today)
        return ftp_offer(curve, current=profile.ftp if profile else None)

    async def accept_ftp(self, account: AccountRef, *, shown: int | None = None) -> FtpAcceptance:
        """Set the FTP to the proposal recomputed now; `shown` (the figure on the button) only
        guards against accepting a proposal that has changed since, it is never stored."""
        now = self._clock()
        async with self._uow() as uow:
            ctx = await resolve(uow, account, now=now)
            today = local_today(now, ctx.timezone)
            history = await uow.bests.history(ctx.id, since=self._recent_from(ctx, today))
            profile = await uow.profiles.get(ctx.id)
            current = profile.ftp if profile else None
            offer = ftp_offer(recent_curve(history, today=today), current=current)
            if offer is None:
                return FtpAcceptance("none", current, current, None)
            if shown is not None and shown != offer.watts:
                return FtpAcceptance("changed", current, current, offer)
            # As /settings does: the profile's FTP; stored loads keep the FTP of their import.
            await uow.profiles.upsert(ctx.id, ftp=offer.watts)
            await uow.commit()
        return FtpAcceptance("accepted", offer.watts, current, offer)

    def _recent_from(self, ctx: AccountContext, today: date) -> date:
        """The first day of the 90-day window, within the plan's history."""
        first = today - timedelta(days=RECENT_DAYS - 1)
        since = history_start_of(ctx.plan, ctx.timezone, self._clock())
        return first if since is None else max(first, since)
