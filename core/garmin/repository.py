"""Garmin link rows (credentials, sync config, history, wellness) and the scheduler's due lists.

GarminRepository serves one user per call. DueRepository answers the scheduler's questions
across users and returns ids only; the work on each id then goes through user-scoped calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, exists, func, select, update

from core.db.models import (
    ActivityMetrics,
    FitnessMetrics,
    GarminCredentials,
    GarminFitnessData,
    GarminSyncConfig,
    GarminSyncHistory,
    Push,
    RaceGoal,
    User,
)
from core.db.repository import Repository

WELLNESS_FIELDS = (
    "resting_hr", "hrv_ms", "sleep_score", "sleep_seconds", "body_battery_high",
    "body_battery_low", "stress_avg", "training_readiness", "vo2max",
)  # fmt: skip


class GarminRepository(Repository):
    """One athlete's Garmin rows; every method filters by user_id."""

    # -- credentials ----------------------------------------------------------------------

    async def credentials(self, user_id: int) -> GarminCredentials | None:
        stmt = select(GarminCredentials).where(GarminCredentials.user_id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def replace_credentials(
        self, user_id: int, *, email_enc: str, password_enc: str | None, tokens_enc: str
    ) -> GarminCredentials:
        """A fresh link: the old row goes, so its notices (dedup keys by row id) start anew."""
        await self.delete_credentials(user_id)
        row = GarminCredentials(
            user_id=user_id, email_enc=email_enc, password_enc=password_enc,
            tokens_enc=tokens_enc, is_valid=True, invalid_notified=False,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return row

    async def update_credentials(self, user_id: int, **fields: Any) -> None:
        await self.session.execute(
            update(GarminCredentials).where(GarminCredentials.user_id == user_id).values(**fields)
        )

    async def delete_credentials(self, user_id: int) -> bool:
        stmt = delete(GarminCredentials).where(GarminCredentials.user_id == user_id)
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    # -- sync config ----------------------------------------------------------------------

    async def config(self, user_id: int) -> GarminSyncConfig | None:
        stmt = select(GarminSyncConfig).where(GarminSyncConfig.user_id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def upsert_config(self, user_id: int, **fields: Any) -> None:
        stmt = self.insert(GarminSyncConfig).values(user_id=user_id, **fields)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=fields)
        await self.session.execute(stmt)

    async def update_config(self, user_id: int, **fields: Any) -> None:
        await self.session.execute(
            update(GarminSyncConfig).where(GarminSyncConfig.user_id == user_id).values(**fields)
        )

    # -- sync lease -------------------------------------------------------------------------

    async def take_sync_lease(
        self, user_id: int, owner: str, *, now: datetime, until: datetime
    ) -> bool:
        """Claim this athlete's sync until `until`, unless another run holds an unexpired lease.

        One conditional statement, so two processes can never both win. It is an upsert only so
        that a link whose config row is missing cannot look busy forever.
        """
        cfg = GarminSyncConfig
        lease = {"lease_until": until, "lease_owner": owner}
        stmt = self.insert(cfg).values(user_id=user_id, **lease)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_=lease,
            where=cfg.lease_until.is_(None) | (cfg.lease_until < now),
        ).returning(cfg.user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def renew_sync_lease(self, user_id: int, owner: str, *, until: datetime) -> bool:
        """Push a held lease's end out; False if it is no longer ours (it expired and was taken)."""
        return await self._set_lease(user_id, owner, until=until, owner_after=owner)

    async def release_sync_lease(self, user_id: int, owner: str) -> bool:
        """Free the lease if it is still ours; a lease taken over meanwhile is left alone."""
        return await self._set_lease(user_id, owner, until=None, owner_after=None)

    async def _set_lease(
        self, user_id: int, owner: str, *, until: datetime | None, owner_after: str | None
    ) -> bool:
        stmt = (
            update(GarminSyncConfig)
            .where(GarminSyncConfig.user_id == user_id, GarminSyncConfig.lease_owner == owner)
            .values(lease_until=until, lease_owner=owner_after)
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    # -- history --------------------------------------------------------------------------

    async def start_run(self, user_id: int, started_at: datetime) -> int:
        row = GarminSyncHistory(user_id=user_id, started_at=started_at, status="running")
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def finish_run(self, user_id: int, run_id: int, **fields: Any) -> None:
        await self.session.execute(
            update(GarminSyncHistory)
            .where(GarminSyncHistory.user_id == user_id, GarminSyncHistory.id == run_id)
            .values(**fields)
        )

    async def runs(self, user_id: int, *, limit: int = 20) -> list[GarminSyncHistory]:
        """Newest first."""
        stmt = (
            select(GarminSyncHistory)
            .where(GarminSyncHistory.user_id == user_id)
            .order_by(GarminSyncHistory.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    # -- activities and wellness ----------------------------------------------------------

    async def stored_activity_ids(self, user_id: int, garmin_ids: Sequence[int]) -> set[int]:
        """Which of these Garmin activity ids this user already has."""
        if not garmin_ids:
            return set()
        stmt = select(ActivityMetrics.garmin_activity_id).where(
            ActivityMetrics.user_id == user_id,
            ActivityMetrics.garmin_activity_id.in_(list(garmin_ids)),
        )
        return {int(x) for x in (await self.session.execute(stmt)).scalars() if x is not None}

    async def upsert_wellness(self, user_id: int, day: date, figures: dict[str, Any]) -> None:
        """One row per day; a figure Garmin does not know (None) keeps what was stored."""
        known = {k: v for k, v in figures.items() if k in WELLNESS_FIELDS and v is not None}
        stmt = self.insert(GarminFitnessData).values(user_id=user_id, day=day, **known)
        if known:
            stmt = stmt.on_conflict_do_update(index_elements=["user_id", "day"], set_=known)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["user_id", "day"])
        await self.session.execute(stmt)

    async def wellness(self, user_id: int, day: date) -> GarminFitnessData | None:
        stmt = select(GarminFitnessData).where(
            GarminFitnessData.user_id == user_id, GarminFitnessData.day == day
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


class DueRepository(Repository):
    """The scheduler's cross-user questions: ids only."""

    async def due_syncs(self, now: datetime, *, limit: int) -> list[int]:
        """Users whose automatic sync is due, longest-waiting first."""
        stmt = (
            select(GarminSyncConfig.user_id)
            .join(User, User.id == GarminSyncConfig.user_id)
            .join(GarminCredentials, GarminCredentials.user_id == GarminSyncConfig.user_id)
            .where(
                GarminSyncConfig.enabled.is_(True),
                GarminSyncConfig.paused_reason.is_(None),
                GarminSyncConfig.next_sync_at <= now,
                GarminCredentials.is_valid.is_(True),
                User.is_active.is_(True),
            )
            .order_by(GarminSyncConfig.next_sync_at, GarminSyncConfig.user_id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def summary_candidates(
        self, utc_day: date, *, limit: int
    ) -> list[tuple[int, str, time, date | None]]:
        """(id, timezone, summary_time, last_summary_on) of users who may be due now.

        A local date is at most one day past the UTC date, so whoever was last sent after
        utc_day cannot be due; the rest are checked in Python against their own zone.
        """
        stmt = (
            select(User.id, User.timezone, User.summary_time, User.last_summary_on)
            .where(
                User.is_active.is_(True),
                User.is_blocked.is_(False),
                User.summary_enabled.is_(True),
                (User.last_summary_on.is_(None)) | (User.last_summary_on <= utc_day),
                # Something to sum up: a Garmin link or at least one activity.
                exists().where(GarminCredentials.user_id == User.id)
                | exists().where(ActivityMetrics.user_id == User.id),
            )
            .order_by(User.id)
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def push_keys(self, keys: Sequence[str], *, sent_only: bool = False) -> set[str]:
        """Which of these push dedup keys are in the outbox (or, sent_only, accepted)."""
        found: set[str] = set()
        chunk = list(keys)
        for i in range(0, len(chunk), 500):
            stmt = select(Push.dedup_key).where(Push.dedup_key.in_(chunk[i : i + 500]))
            if sent_only:
                stmt = stmt.where(Push.status == "sent")
            found.update((await self.session.execute(stmt)).scalars())
        return found

    async def mark_summaries_sent(self, day: date, user_ids: Sequence[int]) -> None:
        """Set last_summary_on for these users; never moves it backwards."""
        ids = list(user_ids)
        for i in range(0, len(ids), 500):
            await self.session.execute(
                update(User)
                .where(
                    User.id.in_(ids[i : i + 500]),
                    (User.last_summary_on.is_(None)) | (User.last_summary_on < day),
                )
                .values(last_summary_on=day)
            )


class SummaryRepository(Repository):
    """Morning-summary inputs for a batch of athletes: each query is bounded by their ids."""

    async def last_fitness_days(self, user_ids: Sequence[int]) -> dict[int, date]:
        stmt = (
            select(FitnessMetrics.user_id, func.max(FitnessMetrics.day))
            .where(FitnessMetrics.user_id.in_(list(user_ids)))
            .group_by(FitnessMetrics.user_id)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all()}

    async def fitness(
        self, user_ids: Sequence[int], start: date, end: date
    ) -> list[FitnessMetrics]:
        stmt = select(FitnessMetrics).where(
            FitnessMetrics.user_id.in_(list(user_ids)),
            FitnessMetrics.day >= start,
            FitnessMetrics.day <= end,
        )
        return list((await self.session.execute(stmt)).scalars())

    async def goals(self, user_ids: Sequence[int], from_day: date) -> list[RaceGoal]:
        stmt = (
            select(RaceGoal)
            .where(RaceGoal.user_id.in_(list(user_ids)), RaceGoal.race_date >= from_day)
            .order_by(RaceGoal.race_date, RaceGoal.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def wellness(
        self, user_ids: Sequence[int], start: date, end: date
    ) -> list[GarminFitnessData]:
        stmt = (
            select(GarminFitnessData)
            .where(
                GarminFitnessData.user_id.in_(list(user_ids)),
                GarminFitnessData.day >= start,
                GarminFitnessData.day <= end,
            )
            .order_by(GarminFitnessData.day)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def sessions(
        self, user_ids: Sequence[int], start: date, end: date
    ) -> list[tuple[int, date, str, float]]:
        """(user_id, local_date, sport, moving seconds), oldest first."""
        stmt = (
            select(
                ActivityMetrics.user_id, ActivityMetrics.local_date, ActivityMetrics.sport,
                ActivityMetrics.timer_s,
            )
            .where(
                ActivityMetrics.user_id.in_(list(user_ids)),
                ActivityMetrics.local_date >= start,
                ActivityMetrics.local_date <= end,
            )
            .order_by(ActivityMetrics.start_time, ActivityMetrics.session_index)
        )  # fmt: skip
        rows = (await self.session.execute(stmt)).all()
        return [(r[0], r[1], r[2], float(r[3] or 0.0)) for r in rows]
