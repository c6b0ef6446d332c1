"""Garmin sync: new activities (as their original FIT files) and daily wellness, per athlete.

Each activity is imported in its own transaction through TrainingService, so a crash leaves
whole activities only and the next run resumes where this one stopped. Garmin's failures are
told apart: refused tokens pause the athlete's sync until they link again, 429s back them off,
network trouble waits for the next due time; none of them touches another athlete's sync.
One run per athlete at a time (SyncLeases): a second one is refused or skipped, never overlaps.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from core import metrics
from core.accounts.context import AccountRef, resolve
from core.clock import Clock, local_today, utcnow
from core.db.uow import UnitOfWorkFactory
from core.errors import (
    N_,
    AppError,
    BadFile,
    GarminAuthError,
    GarminRateLimited,
    GarminUnavailable,
    NotLinked,
    SyncInProgress,
)
from core.garmin.notices import (
    LinkBroken,
    PushQueue,
    activities_key,
    link_broken_key,
    new_activities,
)
from core.garmin.sync_lease import SyncLeases
from core.garmin.tokens import keep_rotated_tokens
from core.gateways.cipher import Cipher
from core.gateways.garmin.client import GarminGateway, GarminSession
from core.limits.feature_gate import FeatureGate
from core.notify.kinds import GARMIN_LINK_BROKEN, NEW_ACTIVITIES
from core.training.activities import ActivityCard
from core.training.imports import TrainingService

logger = logging.getLogger(__name__)

FIRST_SYNC_DAYS = 30
WELLNESS_DAYS_FIRST = 7
OVERLAP = timedelta(days=1)  # Garmin can list an activity a while after it started
MIN_BACKOFF_MIN = 120
MAX_BACKOFF_MIN = 24 * 60
MANUAL_GAP = timedelta(minutes=30)


@dataclass
class SyncReport:
    status: str  # ok, auth_failed, rate_limited, network_error, error; busy: one was running
    new: int = 0
    skipped: int = 0
    wellness_days: int = 0
    error: str | None = None
    relogged: bool = False  # tokens were refused, the stored password signed in again
    cards: list[ActivityCard] = field(default_factory=list)


def next_backoff(previous_min: int) -> int:
    """At least 2 h, doubling, at most 24 h."""
    return min(MAX_BACKOFF_MIN, max(MIN_BACKOFF_MIN, previous_min * 2))


class GarminSyncService:
    """Pulls Garmin data for one athlete at a time and schedules their next run."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: GarminGateway,
        cipher: Cipher,
        training: TrainingService,
        gate: FeatureGate,
        pushes: PushQueue | None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._cipher = cipher
        self._training = training
        self._gate = gate
        self._pushes = pushes
        self._clock = clock
        self._leases = SyncLeases(uow, clock=clock)

    async def due(self, now: datetime, *, limit: int = 200) -> list[int]:
        """Users whose sync is due, priority-sync (Pro) users first."""
        async with self._uow() as uow:
            ids = await uow.due.due_syncs(now, limit=limit)
        priority = {uid for uid in ids if await self._gate.has_priority_sync(uid)}
        return [u for u in ids if u in priority] + [u for u in ids if u not in priority]

    async def sync_now(self, account: AccountRef) -> SyncReport:
        """A sync the athlete asked for (/sync); Free allows one per 30 minutes."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            acc = await resolve(uow, account, now=now)
            cred = await uow.garmin.credentials(acc.id)
            cfg = await uow.garmin.config(acc.id)
        if cred is None:
            raise NotLinked()
        user_id = acc.id
        last = cfg.last_manual_sync_at if cfg else None
        too_soon = last is not None and now - last < MANUAL_GAP
        if last is not None and too_soon and not acc.plan.priority_sync:
            wait = int((last + MANUAL_GAP - now).total_seconds() // 60) + 1
            raise AppError(
                N_("On the Free plan you can sync by hand every 30 minutes: try again in "
                   "{wait} min. Pro syncs every hour by itself."),
                wait=wait,
            )  # fmt: skip
        async with self._leases.hold(user_id) as lease:
            if lease is None:
                raise SyncInProgress(N_("A sync is already running; its results come in a moment."))
            async with self._uow() as uow:
                await uow.garmin.update_config(user_id, last_manual_sync_at=now)
                await uow.commit()
            return await self._run(acc, lease)

    async def sync_user(self, user_id: int) -> SyncReport:
        """A scheduled run; skipped (status busy) while another sync of this athlete runs."""
        async with self._leases.hold(user_id) as lease:
            if lease is None:
                logger.info("user %s: a Garmin sync is already running; skipped", user_id)
                metrics.garmin_syncs.labels("busy").inc()
                return SyncReport(status="busy")
            return await self._run(user_id, lease)

    async def _run(self, account: AccountRef, lease: str) -> SyncReport:
        """One sync run under the lease: recorded in garmin_sync_history whatever happens."""
        now = self._clock()
        async with self._uow() as uow:
            acc = await resolve(uow, account, now=now)
            user_id = acc.id
            cred = await uow.garmin.credentials(user_id)
            cfg = await uow.garmin.config(user_id)
            if cred is None or not cred.tokens_enc:
                raise NotLinked()
            if not cred.is_valid:
                raise GarminAuthError(N_("Garmin refused your sign-in."))
            bundle = self._cipher.decrypt(cred.tokens_enc)
            synced_until = cfg.synced_until if cfg else None
            run_id = await uow.garmin.start_run(user_id, now)
            await uow.commit()
        session = self._gateway.session(bundle)
        report = SyncReport(status="ok")
        try:
            today = local_today(now, acc.timezone)
            await self._pull(user_id, lease, session, report, synced_until, today)
        except GarminAuthError as exc:
            report.status, report.error = "auth_failed", exc.message
        except GarminRateLimited as exc:
            report.status, report.error = "rate_limited", exc.message
        except GarminUnavailable as exc:
            report.status, report.error = "network_error", exc.message
        except Exception as exc:  # a bug or a crash of one run must not stop the others
            logger.exception("Garmin sync of user %s failed", user_id)
            report.status = "error"
            report.error = exc.message if isinstance(exc, AppError) else type(exc).__name__
        finally:
            await keep_rotated_tokens(self._uow, self._cipher, user_id, session)
        if report.status == "auth_failed":
            report.relogged = await self._relogin(user_id)
        await self._finish(user_id, run_id, now, report)
        metrics.garmin_syncs.labels(report.status).inc()
        return report

    async def _pull(
        self,
        user_id: int,
        lease: str,
        session: GarminSession,
        report: SyncReport,
        synced_until: datetime | None,
        today: date,
    ) -> None:
        first = today - timedelta(days=FIRST_SYNC_DAYS)
        start = (synced_until - OVERLAP).date() if synced_until else first
        listed = await session.list_activities(start, today + timedelta(days=1))
        seen: dict[int, bool] = {}
        for act in reversed(listed):  # oldest first; an id can be listed twice
            seen.setdefault(act.activity_id, act.manual)
        async with self._uow() as uow:
            stored = await uow.garmin.stored_activity_ids(user_id, list(seen))
        for garmin_id, manual in seen.items():
            if manual or garmin_id in stored:
                report.skipped += 1
                continue
            await self._leases.renew(user_id, lease)
            await self._import_one(user_id, session, garmin_id, report)
        first_wellness = max(start, today - timedelta(days=WELLNESS_DAYS_FIRST - 1))
        day = first_wellness
        while day <= today:
            await self._leases.renew(user_id, lease)
            figures = await session.wellness(day)
            if not figures.is_empty():
                async with self._uow() as uow:
                    values = {k: v for k, v in asdict(figures).items() if k != "day"}
                    await uow.garmin.upsert_wellness(user_id, day, values)
                    await uow.commit()
                report.wellness_days += 1
            day += timedelta(days=1)

    async def _import_one(
        self, user_id: int, session: GarminSession, garmin_id: int, report: SyncReport
    ) -> None:
        try:
            data = await session.download_fit(garmin_id)
            result = await self._training.import_fit(
                user_id, data, source="garmin", garmin_activity_id=garmin_id
            )
        except BadFile:
            logger.warning("user %s: Garmin activity %s has no readable FIT", user_id, garmin_id)
            report.skipped += 1
            return
        except GarminUnavailable as exc:
            if "404" not in str(exc.__cause__ or ""):
                raise
            report.skipped += 1  # deleted on Garmin between listing and download
            return
        report.new += len(result.activities)
        report.skipped += 0 if result.activities else 1
        report.cards.extend(result.activities)

    async def _relogin(self, user_id: int) -> bool:
        """Sign in again with the stored password, if the athlete allowed it."""
        async with self._uow() as uow:
            cred = await uow.garmin.credentials(user_id)
            if cred is None or not cred.password_enc:
                return False
            email = self._cipher.decrypt(cred.email_enc)
            password = self._cipher.decrypt(cred.password_enc)
        try:
            result = await self._gateway.login(email, password, pending_key=f"relogin:{user_id}")
        except AppError as exc:  # MFA asked, password changed, Garmin busy: the athlete relinks
            logger.info("user %s: Garmin re-login failed: %s", user_id, type(exc).__name__)
            return False
        async with self._uow() as uow:
            tokens = self._cipher.encrypt(result.token_bundle)
            await uow.garmin.update_credentials(user_id, tokens_enc=tokens)
            await uow.commit()
        logger.info("user %s: Garmin tokens renewed with the stored password", user_id)
        return True

    async def _finish(self, user_id: int, run_id: int, now: datetime, report: SyncReport) -> None:
        interval = (await self._gate.plan_for(user_id)).sync_interval_minutes
        async with self._uow() as uow:
            await uow.garmin.finish_run(
                user_id, run_id, status=report.status, finished_at=self._clock(),
                activities_new=report.new, activities_skipped=report.skipped,
                wellness_days=report.wellness_days, error=report.error,
            )  # fmt: skip
            cfg = await uow.garmin.config(user_id)
            backoff = cfg.backoff_minutes if cfg else 0
            fields: dict[str, object] = {"interval_minutes": interval}
            if report.status == "ok":
                fields |= {"synced_until": now, "last_sync_at": now, "backoff_minutes": 0,
                           "next_sync_at": now + timedelta(minutes=interval)}  # fmt: skip
            elif report.status == "rate_limited":
                backoff = next_backoff(backoff)
                fields |= {"backoff_minutes": backoff,
                           "next_sync_at": now + timedelta(minutes=backoff)}  # fmt: skip
            elif report.relogged:
                fields |= {"next_sync_at": now}  # new tokens: pull the data at the next tick
            elif report.status == "auth_failed":
                fields |= {"paused_reason": "auth_failed", "next_sync_at": None}
                await uow.garmin.update_credentials(user_id, is_valid=False)
            else:
                fields |= {"next_sync_at": now + timedelta(minutes=interval)}
            await uow.garmin.update_config(user_id, **fields)
            await uow.commit()
        await self._notify(user_id, run_id, report)
        logger.info(
            "user %s Garmin sync %s: %d new, %d skipped, %d wellness day(s)",
            user_id, report.status, report.new, report.skipped, report.wellness_days,
        )  # fmt: skip

    async def _notify(self, user_id: int, run_id: int, report: SyncReport) -> None:
        if self._pushes is None:
            return
        if report.cards:  # one message per run: a first sync may bring dozens
            await self._pushes.enqueue(
                user_id, kind=NEW_ACTIVITIES, dedup_key=activities_key(user_id, run_id),
                data=new_activities(report.cards),
            )  # fmt: skip
        if report.status != "auth_failed" or report.relogged:
            return
        async with self._uow() as uow:
            cred = await uow.garmin.credentials(user_id)
        if cred is None or cred.invalid_notified:
            return  # told once per link (the dedup key holds even if this flag was not saved)
        await self._pushes.enqueue(
            user_id, kind=GARMIN_LINK_BROKEN, dedup_key=link_broken_key(user_id, cred.id),
            data=LinkBroken(),
        )  # fmt: skip
        async with self._uow() as uow:
            await uow.garmin.update_credentials(user_id, invalid_notified=True)
            await uow.commit()
