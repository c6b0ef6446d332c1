"""Structured workouts put on the athlete's Garmin Connect calendar, from where their watch
takes them at its next sync.

Only what this bot scheduled (rows of garmin_scheduled_workouts) is ever replaced or deleted
on Garmin; a workout the athlete made there is never touched. A row is written only once
Garmin holds the workout on its day; a workout uploaded but not scheduled is deleted again.
Garmin's failures become an outcome, not an exception: the workout still goes out as a file.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from core.accounts.context import Profile, resolve
from core.clock import Clock, utcnow
from core.db.uow import UnitOfWorkFactory
from core.errors import GarminAuthError, GarminRateLimited, GarminUnavailable
from core.garmin.tokens import keep_rotated_tokens
from core.gateways.cipher import Cipher
from core.gateways.garmin.client import GarminGateway, GarminSession
from core.gateways.garmin.workouts import garmin_workout_json
from core.training.structured.model import Workout

logger = logging.getLogger(__name__)

CalendarReason = Literal["not_linked", "link_broken", "garmin_busy", "garmin_down", "failed"]
NOT_LINKED: CalendarReason = "not_linked"
LINK_BROKEN: CalendarReason = "link_broken"
GARMIN_BUSY: CalendarReason = "garmin_busy"
GARMIN_DOWN: CalendarReason = "garmin_down"
FAILED: CalendarReason = "failed"


@dataclass(frozen=True, slots=True)
class CalendarOutcome:
    """Whether the day's workout is on Garmin; `reason` says why not (None when it is)."""

    day: date
    scheduled: bool
    reason: CalendarReason | None = None
    garmin_workout_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Link:
    bundle: str = field(repr=False)  # a secret: keep it out of logs and reprs
    profile: Profile


class GarminCalendar:
    """Uploads workouts to an athlete's Garmin Connect and schedules them on their days."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: GarminGateway,
        cipher: Cipher,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._cipher = cipher
        self._clock = clock

    async def put_on_day(
        self,
        user_id: int,
        day: date,
        workout: Workout,
        *,
        workout_id: int | None = None,
        plan_id: int | None = None,
    ) -> CalendarOutcome:
        """Schedule the workout on `day`, replacing what this bot scheduled there before."""
        [outcome] = await self.sync_days(
            user_id, {day: workout}, plan_id=plan_id, workout_id=workout_id
        )
        return outcome

    async def sync_days(
        self,
        user_id: int,
        days: Mapping[date, Workout],
        *,
        plan_id: int | None,
        workout_id: int | None = None,
    ) -> list[CalendarOutcome]:
        """Schedule each day's workout, in date order, over one Garmin session; once Garmin
        fails, the later days are not tried and carry the same reason."""
        order = sorted(days)
        link = await self._link(user_id)
        if isinstance(link, str):
            return [CalendarOutcome(day, False, link) for day in order]
        outcomes: list[CalendarOutcome] = []
        async with self._session(user_id, link) as session:
            for day in order:
                failed = next((o.reason for o in outcomes if not o.scheduled), None)
                if failed is not None:
                    outcomes.append(CalendarOutcome(day, False, failed))
                    continue
                outcomes.append(
                    await self._put(
                        user_id,
                        session,
                        link.profile,
                        day,
                        days[day],
                        workout_id=workout_id,
                        plan_id=plan_id,
                    )  # fmt: skip
                )
        return outcomes

    async def clear_plan(self, user_id: int, plan_id: int) -> int:
        """Delete the plan's workouts this bot scheduled, on Garmin and here; how many went.

        Without a link there is nothing to reach: the rows go. When Garmin fails, the rest
        stay recorded, so a later workout on their day still replaces them.
        """
        async with self._uow(readonly=True) as uow:
            rows = await uow.garmin_workouts.of_plan(user_id, plan_id)
        return await self._clear(user_id, [(row.id, row.garmin_workout_id) for row in rows])

    async def clear_all(self, user_id: int) -> int:
        """Delete every workout this bot scheduled for the athlete (the account is going)."""
        async with self._uow(readonly=True) as uow:
            rows = await uow.garmin_workouts.all_of(user_id)
        return await self._clear(user_id, [(row.id, row.garmin_workout_id) for row in rows])

    async def _clear(self, user_id: int, rows: list[tuple[int, int]]) -> int:
        if not rows:
            return 0
        link = await self._link(user_id)
        if isinstance(link, str):
            if link == NOT_LINKED:
                await self._forget(user_id, [row_id for row_id, _ in rows])
            return 0
        removed = 0
        async with self._session(user_id, link) as session:
            for row_id, garmin_id in rows:
                try:
                    await session.delete_workout(garmin_id)
                except (GarminAuthError, GarminRateLimited, GarminUnavailable) as exc:
                    logger.info("user %s: scheduled workouts left on Garmin: %s",
                                user_id, type(exc).__name__)  # fmt: skip
                    break
                await self._forget(user_id, [row_id])
                removed += 1
        return removed

    # -- one day ----------------------------------------------------------------------------

    async def _put(
        self,
        user_id: int,
        session: GarminSession,
        profile: Profile,
        day: date,
        workout: Workout,
        *,
        workout_id: int | None,
        plan_id: int | None,
    ) -> CalendarOutcome:
        try:
            await self._clear_day(user_id, session, day)
            garmin_id = await self._upload_and_schedule(
                user_id, session, profile, day, workout, workout_id=workout_id, plan_id=plan_id
            )
        except GarminAuthError:
            return CalendarOutcome(day, False, LINK_BROKEN)
        except GarminRateLimited:
            return CalendarOutcome(day, False, GARMIN_BUSY)
        except GarminUnavailable:
            return CalendarOutcome(day, False, GARMIN_DOWN)
        except Exception:  # a bug must not cost the athlete the workout they got as a file
            logger.exception("user %s: could not put a workout on Garmin's calendar", user_id)
            return CalendarOutcome(day, False, FAILED)
        logger.info("user %s: workout on Garmin's calendar for %s", user_id, day)
        return CalendarOutcome(day, True, None, garmin_id)

    async def _clear_day(self, user_id: int, session: GarminSession, day: date) -> None:
        """Delete on Garmin what this bot scheduled on `day`, forgetting each as it goes."""
        async with self._uow(readonly=True) as uow:
            rows = await uow.garmin_workouts.on_day(user_id, day)
        for row in rows:
            await session.delete_workout(row.garmin_workout_id)
            await self._forget(user_id, [row.id])

    async def _upload_and_schedule(
        self,
        user_id: int,
        session: GarminSession,
        profile: Profile,
        day: date,
        workout: Workout,
        *,
        workout_id: int | None,
        plan_id: int | None,
    ) -> int:
        garmin_id = await session.upload_workout(garmin_workout_json(workout, profile))
        try:
            schedule_id = await session.schedule_workout(garmin_id, day)
            async with self._uow() as uow:
                await uow.garmin_workouts.add(
                    user_id, day=day, name=workout.name, garmin_workout_id=garmin_id,
                    garmin_schedule_id=schedule_id, workout_id=workout_id, plan_id=plan_id,
                )  # fmt: skip
                await uow.commit()
        except Exception:
            await self._discard(user_id, session, garmin_id)
            raise
        return garmin_id

    async def _discard(self, user_id: int, session: GarminSession, garmin_id: int) -> None:
        """Delete a workout uploaded but not scheduled, so nothing half-made stays on Garmin."""
        try:
            await session.delete_workout(garmin_id)
        except Exception as exc:
            logger.warning("user %s: an unscheduled workout stays in the Garmin library: %s",
                           user_id, type(exc).__name__)  # fmt: skip

    async def _forget(self, user_id: int, row_ids: list[int]) -> None:
        async with self._uow() as uow:
            for row_id in row_ids:
                await uow.garmin_workouts.remove(user_id, row_id)
            await uow.commit()

    # -- the link ---------------------------------------------------------------------------

    async def _link(self, user_id: int) -> _Link | CalendarReason:
        """The token bundle and thresholds, or why Garmin cannot be asked."""
        async with self._uow(readonly=True) as uow:
            cred = await uow.garmin.credentials(user_id)
            if cred is None or not cred.tokens_enc:
                return NOT_LINKED
            if not cred.is_valid:
                return LINK_BROKEN
            acc = await resolve(uow, user_id, now=self._clock())
        return _Link(bundle=self._cipher.decrypt(cred.tokens_enc), profile=acc.profile)

    @asynccontextmanager
    async def _session(self, user_id: int, link: _Link) -> AsyncIterator[GarminSession]:
        session = self._gateway.session(link.bundle)
        try:
            yield session
        finally:
            await keep_rotated_tokens(self._uow, self._cipher, user_id, session)
