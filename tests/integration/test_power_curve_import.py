"""Power curve and run best efforts stored at import, new bests flagged, FTP proposed and
accepted, on both backends, with the real FIT files (and their series re-dated to this week)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from core.bootstrap import Container
from core.db.models import ActivityMetrics
from core.training.best_efforts import best_efforts, efforts_json
from core.training.bests import BestsService
from core.training.imports import TrainingService
from core.training.power_curve import curve_json, power_curve, propose_ftp
from tests.fakes.clock import FakeClock
from tests.fit_files import fit_bytes, needs_fit_files
from tests.power_rides import EDGE, TRAINER
from tests.power_rides import only_session as _session
from tests.power_rides import redated_ride as _redated

pytestmark = needs_fit_files

OLD_RUN = "2013-02-06-12-11-14.fit"  # 4.8 km
RUN = "activity-small-fenix2-run.fit"  # 9 km, 2015
MARK_KEYS = {"kind", "key", "value", "window", "previous"}


@pytest.fixture
async def training(container: Container, clock: FakeClock) -> AsyncIterator[TrainingService]:
    service = TrainingService(container.uow, clock=clock, workers=1)
    yield service
    await service.close()


@pytest.fixture
def bests(container: Container, clock: FakeClock) -> BestsService:
    return BestsService(container.uow, clock=clock)


async def _user(c: Container, chat_id: int = 1, *, pro: bool = False) -> int:
    uid = (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id
    if pro:
        async with c.uow() as uow:
            plan = await uow.plans.by_code("pro")
            assert plan is not None
            await uow.subscriptions.upsert(uid, plan_id=plan.id, provider="stripe", status="active")
            await uow.commit()
    return uid


async def _row(c: Container, user_id: int, activity_id: int) -> ActivityMetrics:
    async with c.uow() as uow:
        row = await uow.training.activity(user_id, activity_id)
    assert row is not None
    return row


def _expected_marks(
    new: dict[str, float], old: dict[str, float], window: str
) -> list[dict[str, Any]]:
    return [
        {"kind": "power", "key": int(k), "value": v, "window": window, "previous": old.get(k)}
        for k, v in new.items()
        if k not in old or round(v) > round(old[k])
    ]


async def test_power_curve_is_stored_at_import_and_matches_the_series(
    container: Container, training: TrainingService
) -> None:
    uid = await _user(container, pro=True)
    first = await training.import_fit(uid, fit_bytes(TRAINER))
    second = await training.import_fit(uid, fit_bytes(EDGE))
    trainer = await _row(container, uid, first.activities[0].id)
    edge = await _row(container, uid, second.activities[0].id)
    assert trainer.power_curve == curve_json(power_curve(_session(TRAINER).power))
    assert edge.power_curve == curve_json(power_curve(_session(EDGE).power))
    assert edge.power_curve is not None and edge.power_curve["1200"] == pytest.approx(312.2, 0.01)
    assert set(edge.power_curve) == {"1", "5", "10", "30", "60", "120", "300", "600", "1200",
                                     "1800", "3600"}  # fmt: skip
    assert trainer.best_efforts is None and edge.best_efforts is None
    # The first ride had nothing before it: no "bests" at all.
    assert trainer.new_bests == []
    # Two years apart: a history best, nothing within 90 days; 60 min is new (previous None).
    assert trainer.power_curve is not None
    assert edge.new_bests == _expected_marks(edge.power_curve, trainer.power_curve, "all")
    assert {"kind": "power", "key": 3600, "value": edge.power_curve["3600"], "window": "all",
            "previous": None} in edge.new_bests  # fmt: skip
    assert all(set(m) == MARK_KEYS for m in edge.new_bests)
    assert [(m.key, m.window) for m in second.activities[0].new_bests][:2] == [
        (1, "all"),
        (5, "all"),
    ]
    # Rides of 2013 are far outside the 90 days an FTP is proposed from.
    assert second.ftp_offer is None


async def test_old_rides_of_a_free_athlete_flag_nothing_beyond_the_visible_history(
    container: Container, training: TrainingService
) -> None:
    uid = await _user(container)  # Free: 180 days of history, the files are from 2011 and 2013
    await training.import_fit(uid, fit_bytes(TRAINER))
    result = await training.import_fit(uid, fit_bytes(EDGE))
    row = await _row(container, uid, result.activities[0].id)
    assert row.power_curve and row.new_bests == []
    assert result.activities[0].new_bests == ()


async def test_recent_rides_flag_90_day_bests_apart_from_history_bests(
    container: Container, training: TrainingService, bests: BestsService, clock: FakeClock
) -> None:
    uid = await _user(container)  # Free, today 2026-11-25: history from 2026-05-29
    july = await training.import_fit(uid, _redated(EDGE, datetime(2026, 7, 1, 8, tzinfo=UTC)))
    nov20 = await training.import_fit(uid, _redated(TRAINER, datetime(2026, 11, 20, 8, tzinfo=UTC)))
    nov24 = await training.import_fit(uid, _redated(EDGE, datetime(2026, 11, 24, 8, tzinfo=UTC)))
    july_row = await _row(container, uid, july.activities[0].id)
    trainer = await _row(container, uid, nov20.activities[0].id)
    edge = await _row(container, uid, nov24.activities[0].id)
    assert july_row.new_bests == []
    # 20 Nov: nothing else in 90 days; weaker than July everywhere.
    assert trainer.new_bests == []
    # 24 Nov: beats 20 Nov at every duration (90 days); only equals July (history): no "all".
    assert edge.power_curve is not None and trainer.power_curve is not None
    assert edge.power_curve == july_row.power_curve
    assert edge.new_bests == _expected_marks(edge.power_curve, trainer.power_curve, "90d")
    assert {"kind": "power", "key": 300, "value": pytest.approx(340.6, abs=0.1), "window": "90d",
            "previous": pytest.approx(265.3, abs=0.1)} in edge.new_bests  # fmt: skip

    overview = await bests.curves(uid)
    assert overview.history_days == 180 and overview.today == date(2026, 11, 25)
    # The history's 20 min is July's (a tie keeps the earlier day); the 90 days' is 24 Nov.
    p_all, p_recent = overview.power_all.point(1200), overview.power_recent.point(1200)
    assert p_all is not None and p_recent is not None
    assert (p_all.activity_id, p_all.day) == (july_row.id, date(2026, 7, 1))
    assert (p_recent.activity_id, p_recent.day) == (edge.id, date(2026, 11, 24))
    assert p_all.watts == p_recent.watts == pytest.approx(312.2, abs=0.1)
    assert overview.runs_all == () and overview.runs_recent == ()
    # Past the 90 days the July ride drops out of the recent curve, never out of the history.
    clock.set(datetime(2027, 3, 1, 12, tzinfo=UTC))
    later = await bests.curves(uid)
    assert later.power_recent.points == ()
    assert later.power_all.point(1200) is not None


async def test_run_best_efforts_are_stored_and_flagged(
    container: Container, training: TrainingService, bests: BestsService
) -> None:
    uid = await _user(container, pro=True)
    old = await training.import_fit(uid, fit_bytes(OLD_RUN))
    run = await training.import_fit(uid, fit_bytes(RUN), source="garmin", garmin_activity_id=7)
    old_row = await _row(container, uid, old.activities[0].id)
    row = await _row(container, uid, run.activities[0].id)
    assert old_row.best_efforts == efforts_json(best_efforts(_session(OLD_RUN).distance))
    assert row.best_efforts == efforts_json(best_efforts(_session(RUN).distance))
    assert row.best_efforts is not None and set(row.best_efforts) == {"1000", "5000"}
    assert row.power_curve is None and row.source == "garmin"
    assert old_row.new_bests == []
    assert old_row.best_efforts is not None
    assert row.new_bests == [
        {"kind": "run", "key": 1000, "value": row.best_efforts["1000"], "window": "all",
         "previous": old_row.best_efforts["1000"]},
        {"kind": "run", "key": 5000, "value": row.best_efforts["5000"], "window": "all",
         "previous": None},
    ]  # fmt: skip
    overview = await bests.curves(uid)
    assert overview.history_days is None
    assert [(e.distance_m, e.activity_id) for e in overview.runs_all] == [
        (1000.0, row.id), (5000.0, row.id)
    ]  # fmt: skip


async def test_ftp_is_proposed_from_the_90_day_curve_and_accepted_server_side(
    container: Container, training: TrainingService, bests: BestsService
) -> None:
    uid = await _user(container)
    # Nothing to propose yet: a forged accept changes nothing and creates no profile.
    nothing = await bests.accept_ftp(uid, shown=400)
    assert nothing.status == "none" and nothing.ftp is None
    assert (await container.services.accounts.profile(uid)).ftp is None

    result = await training.import_fit(uid, _redated(EDGE, datetime(2026, 11, 24, 8, tzinfo=UTC)))
    (card,) = result.activities
    curve = power_curve(_session(EDGE).power)
    proposal = propose_ftp(curve)
    assert proposal is not None and proposal.basis == "20min"
    offer = result.ftp_offer
    assert offer is not None and offer.watts == proposal.watts == 297
    assert (offer.current, offer.activity_id, offer.day) == (None, card.id, date(2026, 11, 24))
    assert offer.best_watts == pytest.approx(312.2, abs=0.1)
    assert await bests.ftp_proposal(uid) == offer

    # The figure on a button is only compared: a different one accepts nothing.
    stale = await bests.accept_ftp(uid, shown=310)
    assert stale.status == "changed" and stale.offer == offer
    assert (await container.services.accounts.profile(uid)).ftp is None
    done = await bests.accept_ftp(uid, shown=297)
    assert (done.status, done.ftp, done.previous) == ("accepted", 297, None)
    assert (await container.services.accounts.profile(uid)).ftp == 297
    # Accepted: no proposal left, and a replayed accept changes nothing.
    assert await bests.ftp_proposal(uid) is None
    again = await bests.accept_ftp(uid, shown=297)
    assert (again.status, again.ftp) == ("none", 297)

    # Within 3% of the FTP: no proposal; further off: proposed against the current figure.
    await container.services.accounts.update_profile(uid, ftp=290)
    assert await bests.ftp_proposal(uid) is None
    await container.services.accounts.update_profile(uid, ftp=250)
    lower = await bests.ftp_proposal(uid)
    assert lower is not None and (lower.watts, lower.current) == (297, 250)
    assert (await bests.accept_ftp(uid)).ftp == 297


async def test_an_import_that_does_not_set_the_curve_proposes_nothing(
    container: Container, training: TrainingService, clock: FakeClock
) -> None:
    uid = await _user(container)
    first = await training.import_fit(uid, _redated(EDGE, datetime(2026, 11, 20, 8, tzinfo=UTC)))
    assert first.ftp_offer is not None
    # Not accepted; a weaker ride later does not nag again (the best is the earlier ride's).
    weaker = await training.import_fit(
        uid, _redated(TRAINER, datetime(2026, 11, 24, 8, tzinfo=UTC))
    )
    assert weaker.ftp_offer is None
    # Another athlete's rides never count: not in their curves, not as earlier data.
    other = await _user(container, chat_id=2)
    theirs = BestsService(container.uow, clock=clock)
    assert await theirs.ftp_proposal(other) is None
    assert (await theirs.curves(other)).power_all.points == ()
    own = await training.import_fit(other, _redated(TRAINER, datetime(2026, 11, 25, 8, tzinfo=UTC)))
    assert own.activities[0].new_bests == ()
    assert (await _row(container, other, own.activities[0].id)).new_bests == []
    ids = {p.activity_id for p in (await theirs.curves(other)).power_all.points}
    assert ids == {own.activities[0].id}
