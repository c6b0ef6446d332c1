"""Activity import (FIT uploads and Garmin files) and keeping daily fitness current."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from core import metrics
from core.accounts.context import AccountContext, resolve
from core.clock import Clock, local_today, utcnow
from core.db.models import ActivityMetrics
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import (
    N_,
    BadFile,
    DecodeCrashed,
    DecodeTimeout,
    NotFound,
    TooManySessions,
    UnknownUser,
)
from core.limits.feature_gate import history_start_of
from core.training import fitness_store
from core.training.activities import (
    ActivityCard,
    ParsedFile,
    ParsedSession,
    ThresholdEvidence,
    activity_row,
    card_of,
    parse_fit,
)
from core.training.bests import FtpOffer, ftp_offer, recent_curve
from core.training.decode_pool import CallTimedOut, DecodePool, WorkerDied
from core.training.fit import MAX_FIT_BYTES
from core.training.import_queue import ImportQueue, OnWait
from core.training.new_bests import ActivityBests, activity_bests, flag_new_bests
from core.training.thresholds import Thresholds

logger = logging.getLogger(__name__)

# Sized for a 2-core machine; Settings.fit_* override them.
FIT_WORKERS = 2
FIT_TIMEOUT_S = 120.0
FIT_MAX_SESSIONS = 50  # a multisport race has a handful; more is an archive, not an activity

ParseFn = Callable[[bytes, ThresholdEvidence], ParsedFile]


@dataclass(frozen=True)
class ImportResult:
    """New activities stored from one file, and the ones it held that were already stored."""

    activities: list[ActivityCard]
    duplicates: int
    recovered: bool
    existing: list[ActivityCard] = field(default_factory=list)
    ftp_offer: FtpOffer | None = None  # when a new ride set the 90-day best it rests on


class TrainingService:
    """Imports activity files and keeps the daily fitness rows current."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        clock: Clock = utcnow,
        workers: int = FIT_WORKERS,
        timeout_s: float = FIT_TIMEOUT_S,
        max_sessions: int = FIT_MAX_SESSIONS,
        parse: ParseFn = parse_fit,  # tests pass one that hangs or crashes
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._timeout_s = timeout_s
        self._max_sessions = max_sessions
        self._queue = ImportQueue()
        # Workers start on first use: most processes (worker, console) never decode a file.
        self._decoder = DecodePool(parse, workers=workers, timeout_s=timeout_s)

    async def close(self) -> None:
        """Stop the decoding processes this service started."""
        await self._decoder.close()

    async def import_fit(
        self,
        user_id: int,
        data: bytes,
        *,
        source: str = "upload",
        garmin_activity_id: int | None = None,
        on_wait: OnWait | None = None,
    ) -> ImportResult:
        """Store each session of a FIT file once, with its load; BadFile when unreadable.

        One file per user at a time: `on_wait` hears how many are ahead when this one waits.
        """
        if len(data) > MAX_FIT_BYTES:
            raise BadFile(N_("The file is larger than 20 MB, far more than any activity needs."))
        async with self._queue.turn(user_id, on_wait, capped=source != "garmin"):
            with metrics.fit_import() as outcome:  # timed from our turn, not in the queue
                result = await self._import(user_id, data, source, garmin_activity_id)
                outcome.set("imported" if result.activities else "duplicate")
                return result

    async def _import(
        self, user_id: int, data: bytes, source: str, garmin_activity_id: int | None
    ) -> ImportResult:
        digest = hashlib.sha256(data).hexdigest()
        async with self._uow() as uow:
            ctx = await resolve(uow, user_id, now=self._clock())  # zone, plan and profile
            known = await uow.training.duplicates(
                user_id,
                content_hash=digest,
                device_serial=None,
                start_times=(),
                garmin_activity_id=garmin_activity_id,
            )
            if known:  # the same file again: no need to decode it
                return ImportResult([], len(known), False, await self._cards(uow, user_id, known))
            evidence = await self._evidence(uow, user_id)
        parsed = await self._decode(user_id, data, evidence)
        try:
            return await self._store(ctx, parsed, source, garmin_activity_id)
        except IntegrityError:  # the same file stored by a concurrent request just now
            logger.info("concurrent import of the same file for user %s", user_id)
            async with self._uow() as uow:
                rows = await self._duplicates(uow, user_id, parsed, garmin_activity_id)
                return ImportResult(
                    [], len(rows), parsed.recovered, await self._cards(uow, user_id, rows)
                )

    async def _decode(self, user_id: int, data: bytes, evidence: ThresholdEvidence) -> ParsedFile:
        try:
            parsed: ParsedFile = await self._decoder.run(data, evidence)
        except CallTimedOut:
            logger.warning("user %s: a %d-byte file took over %.0f s to decode; worker replaced",
                           user_id, len(data), self._timeout_s)  # fmt: skip
            raise DecodeTimeout(self._timeout_s) from None
        except WorkerDied as exc:
            logger.error("user %s: the decoding worker died on a %d-byte file (%s); replaced",
                         user_id, len(data), exc)  # fmt: skip
            raise DecodeCrashed() from None
        if len(parsed.sessions) > self._max_sessions:
            raise TooManySessions(len(parsed.sessions), self._max_sessions)
        return parsed

    async def _store(
        self, ctx: AccountContext, parsed: ParsedFile, source: str, garmin_id: int | None
    ) -> ImportResult:
        user_id, tz = ctx.id, ctx.timezone
        async with self._uow() as uow:
            dups = await self._duplicates(uow, user_id, parsed, garmin_id)
            fresh = _fresh(parsed, dups, garmin_id)
            rows = [_with_bests(activity_row(parsed, s, tz=tz, source=source,
                                             garmin_activity_id=garmin_id), s)
                    for s in fresh]  # fmt: skip
            history = await self._flag_bests(uow, ctx, rows)
            ids = await uow.training.add_activities(user_id, rows) if rows else []
            charts = {i: s.series for i, s in zip(ids, fresh, strict=True) if s.series}
            if charts:
                await uow.activity_series.add(user_id, charts)
            if rows:
                first = min(r["local_date"] for r in rows)
                today = local_today(self._clock(), tz)
                await fitness_store.recompute_from(uow.training, user_id, first, today=today)
            await uow.commit()
            new = await uow.training.activities_by_ids(user_id, ids) if ids else []
            cards = await self._cards(uow, user_id, new, th=parsed.thresholds)
            existing = await self._cards(uow, user_id, dups)
        logger.info("user %s imported %d session(s), %d duplicate(s)", user_id, len(new), len(dups))
        offer = self._ftp_offer(ctx, history, rows, ids)
        return ImportResult(cards, len(dups), parsed.recovered, existing, offer)

    async def _flag_bests(
        self, uow: UnitOfWork, ctx: AccountContext, rows: list[dict[str, Any]]
    ) -> list[ActivityBests] | None:
        """Set each new row's new_bests against what came before it; the history read (None:
        no new row has a curve or efforts, so nothing was read)."""
        if not any(r.get("power_curve") or r.get("best_efforts") for r in rows):
            return None
        since = history_start_of(ctx.plan, ctx.timezone, self._clock())
        history = await uow.bests.history(ctx.id, since=since)
        earlier = list(history)
        for row in sorted(rows, key=lambda r: r["start_time"]):  # a file's earlier sessions count
            mine = _bests_of(row, None)
            if mine.curve.points or mine.efforts:
                row["new_bests"] = [m.as_json() for m in flag_new_bests(mine, earlier, since=since)]
                earlier.append(mine)
        return history

    def _ftp_offer(
        self,
        ctx: AccountContext,
        history: list[ActivityBests] | None,
        rows: list[dict[str, Any]],
        ids: list[int],
    ) -> FtpOffer | None:
        """The FTP proposal, when one of these new rides holds the best it rests on."""
        if history is None:
            return None
        new = [_bests_of(r, i) for r, i in zip(rows, ids, strict=True)]
        today = local_today(self._clock(), ctx.timezone)
        offer = ftp_offer(recent_curve(history + new, today=today), current=ctx.profile.ftp)
        return offer if offer is not None and offer.activity_id in ids else None

    async def _duplicates(
        self, uow: UnitOfWork, user_id: int, parsed: ParsedFile, garmin_id: int | None
    ) -> list[ActivityMetrics]:
        return await uow.training.duplicates(
            user_id,
            content_hash=parsed.content_hash,
            device_serial=parsed.device_serial,
            start_times=[s.session.start_time for s in parsed.sessions],
            garmin_activity_id=garmin_id,
        )

    async def delete_activity(self, user_id: int, activity_id: int) -> None:
        """Delete one activity and recompute fitness from its day on."""
        async with self._uow() as uow:
            tz = await self._timezone(uow, user_id)
            day = await uow.training.delete_activity(user_id, activity_id)
            if day is None:
                raise NotFound(N_("Activity not found."))
            today = local_today(self._clock(), tz)
            await fitness_store.recompute_from(uow.training, user_id, day, today=today)
            await uow.commit()

    async def recompute_fitness(self, user_id: int) -> int:
        """Recompute every daily fitness row of this user; the number of days written."""
        async with self._uow() as uow:
            tz = await self._timezone(uow, user_id)
            today = local_today(self._clock(), tz)
            count = await fitness_store.recompute_all(uow.training, user_id, today=today)
            await uow.commit()
        return count

    async def _timezone(self, uow: UnitOfWork, user_id: int) -> str:
        user = await uow.users.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        return user.timezone

    async def _evidence(self, uow: UnitOfWork, user_id: int) -> ThresholdEvidence:
        max_hr, best20 = await uow.training.threshold_evidence(user_id)
        rest = await uow.training.latest_resting_hr(user_id)
        return ThresholdEvidence.of(
            await uow.profiles.get(user_id),
            max_hr_seen=max_hr,
            best_20min_power=best20,
            garmin_rest_hr=None if rest is None else float(rest),
        )

    async def _cards(
        self, uow: UnitOfWork, user_id: int, rows: list[Any], *, th: Thresholds | None = None
    ) -> list[ActivityCard]:
        if not rows:
            return []
        tz = await self._timezone(uow, user_id)
        profile = await uow.profiles.get(user_id)
        return [card_of(r, tz=tz, profile=profile, th=th) for r in rows]


def _with_bests(row: dict[str, Any], ps: ParsedSession) -> dict[str, Any]:
    """The row with the curve and efforts computed at parse (left unset, so NULL, when none)."""
    s = ps.session
    if s.power_curve:
        row["power_curve"] = s.power_curve
    if s.best_efforts:
        row["best_efforts"] = s.best_efforts
    return row


def _bests_of(row: dict[str, Any], activity_id: int | None) -> ActivityBests:
    return activity_bests(
        activity_id=activity_id, day=row["local_date"], start_time=row["start_time"],
        power_curve=row.get("power_curve"), best_efforts=row.get("best_efforts"),
    )  # fmt: skip


def _fresh(parsed: ParsedFile, dups: list[ActivityMetrics], garmin_id: int | None) -> list[Any]:
    """The file's sessions not stored yet: none if the file or Garmin activity is known."""
    if any(
        r.content_hash == parsed.content_hash
        or (garmin_id is not None and r.garmin_activity_id == garmin_id)
        for r in dups
    ):
        return []
    taken = {r.start_time for r in dups if r.device_serial == parsed.device_serial}
    return [s for s in parsed.sessions if s.session.start_time not in taken]
