"""Garmin linking and sync through the services, FakeGarmin behind the gateway, both backends."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.bootstrap import Container
from core.config import Settings
from core.db.models import ActivityMetrics, GarminFitnessData, GarminSyncHistory, Push
from core.errors import AppError, GarminAuthError, GarminMfaExpired, GarminMfaRequired
from core.garmin.link import GarminLinkService
from core.garmin.sync import GarminSyncService
from core.gateways.garmin.pending import PendingLogins
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.push_notes import deliver_pushes

EMAIL = "runner.secret@example.org"
PASSWORD = "Sup3r-Secret-Pa55"


@pytest.fixture
def env(garmin_container: Container) -> tuple[Container, GarminLinkService, GarminSyncService]:
    c = garmin_container
    return c, c.services.garmin_link, c.services.garmin_sync


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id)).id


async def _count(c: Container, model: Any, user_id: int, **where: Any) -> int:
    async with c.uow() as uow:
        stmt = select(func.count()).select_from(model).where(model.user_id == user_id)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return int((await uow.session.execute(stmt)).scalar_one())


async def _linked(c: Container, link: GarminLinkService, fake: FakeGarmin, chat: int,
                  email: str) -> int:  # fmt: skip
    fake.add_account(email, PASSWORD)
    uid = await _user(c, chat)
    await link.start(uid, email, PASSWORD)
    return uid


async def test_link_without_mfa_stores_only_ciphertext(
    env: Any, fake: FakeGarmin, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    c, link, _ = env
    caplog.set_level(logging.DEBUG)
    fake.add_account(EMAIL, PASSWORD)
    uid = await _user(c, 1)
    await link.start(uid, EMAIL, PASSWORD, keep_password=True)
    status = await link.status(uid)
    assert status.linked and status.valid and status.keeps_password and status.auto_sync
    async with c.uow() as uow:
        cred = await uow.garmin.credentials(uid)
        assert cred is not None
        assert c.cipher.decrypt(cred.email_enc) == EMAIL
        assert c.cipher.decrypt(cred.password_enc or "") == PASSWORD
        assert fake.is_valid(c.cipher.decrypt(cred.tokens_enc or ""))
    logs = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert PASSWORD not in logs and EMAIL not in logs
    if settings.database_url.startswith("sqlite"):
        await c.engine.dispose()  # checkpoint the WAL into the file
        db_file = Path(settings.database_url.split("///", 1)[1])
        for path in [db_file, *db_file.parent.glob(db_file.name + "-*")]:
            blob = path.read_bytes()
            assert PASSWORD.encode() not in blob and EMAIL.encode() not in blob


async def test_password_not_kept_by_default(env: Any, fake: FakeGarmin) -> None:
    c, link, _ = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    async with c.uow() as uow:
        cred = await uow.garmin.credentials(uid)
    assert cred is not None and cred.password_enc is None


async def test_link_with_mfa_wrong_code_then_right(env: Any, fake: FakeGarmin) -> None:
    c, link, _ = env
    fake.add_account(EMAIL, PASSWORD, mfa=True, code="654321")
    uid = await _user(c, 1)
    with pytest.raises(GarminMfaRequired):
        await link.start(uid, EMAIL, PASSWORD)
    assert not (await link.status(uid)).linked
    with pytest.raises(GarminAuthError, match="did not accept that code"):
        await link.submit_code(uid, "000000")
    assert link.waiting_for_code(uid)
    await link.submit_code(uid, " 654321 ")
    assert (await link.status(uid)).linked


async def test_wrong_password_is_a_clear_error(env: Any, fake: FakeGarmin) -> None:
    c, link, _ = env
    fake.add_account(EMAIL, PASSWORD)
    uid = await _user(c, 1)
    with pytest.raises(GarminAuthError, match="Check your email and password"):
        await link.start(uid, EMAIL, "wrong")
    assert not (await link.status(uid)).linked


async def test_mfa_window_expires(env: Any, settings: Settings, clock: FakeClock) -> None:
    now = [0.0]
    fake = FakeGarmin(pending=PendingLogins(clock=lambda: now[0]))
    fake.add_account(EMAIL, PASSWORD, mfa=True)
    c, _, _ = env
    link = GarminLinkService(
        c.uow, fake, c.cipher, clock=clock, pending=PendingLogins(clock=lambda: now[0])
    )
    uid = await _user(c, 1)
    with pytest.raises(GarminMfaRequired):
        await link.start(uid, EMAIL, PASSWORD)
    now[0] += 301
    with pytest.raises(GarminMfaExpired, match="expired"):
        await link.submit_code(uid, "123456")


async def test_rate_limited_login(env: Any, fake: FakeGarmin, clock: FakeClock) -> None:
    c, link, _ = env
    fake.add_account(EMAIL, PASSWORD)
    fake.rate_limit_login()
    uid = await _user(c, 1)
    with pytest.raises(AppError, match="limiting sign-ins"):
        await link.start(uid, EMAIL, PASSWORD)
    clock.advance(minutes=30)  # sign-ins pause after Garmin's 429
    await link.start(uid, EMAIL, PASSWORD)
    assert (await link.status(uid)).linked


async def test_first_sync_imports_activities_and_wellness(
    env: Any, fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    fake.add_activity(EMAIL, start=datetime(2026, 11, 20, 6, 12, tzinfo=UTC), listed_twice=True)
    fake.add_activity(EMAIL, manual=True, start=datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    fake.add_activity(EMAIL, start=datetime(2026, 9, 1, 6, 0, tzinfo=UTC))  # before 30 days
    fake.add_wellness(EMAIL, date(2026, 11, 24), sleep_score=77)
    report = await sync.sync_user(uid)
    assert report.status == "ok" and report.new == 1 and report.wellness_days == 1
    assert await _count(c, ActivityMetrics, uid, source="garmin") == 1
    async with c.uow() as uow:
        well = await uow.garmin.wellness(uid, date(2026, 11, 24))
        cfg = await uow.garmin.config(uid)
    assert well is not None and well.sleep_score == 77 and well.vo2max == 52.4
    assert cfg is not None and cfg.next_sync_at == clock() + timedelta(hours=6)
    assert await _count(c, Push, uid, kind="activity") == 1
    assert await _count(c, GarminSyncHistory, uid, status="ok") == 1
    # A second run downloads nothing it already has.
    downloads = fake.count("download_fit")
    again = await sync.sync_user(uid)
    assert again.new == 0 and fake.count("download_fit") == downloads
    assert await _count(c, ActivityMetrics, uid) == 1
    assert await _count(c, GarminFitnessData, uid) == 1


async def test_token_rotation_is_persisted(env: Any, fake: FakeGarmin) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    fake.rotate_tokens_on_next_call()
    assert (await sync.sync_user(uid)).status == "ok"
    async with c.uow() as uow:
        cred = await uow.garmin.credentials(uid)
    assert cred is not None and fake.is_valid(c.cipher.decrypt(cred.tokens_enc or ""))
    assert (await sync.sync_user(uid)).status == "ok"  # the old token is dead: new one works


async def test_rate_limited_data_call_backs_off_user_only(
    env: Any, fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link, sync = env
    a = await _linked(c, link, fake, 1, EMAIL)
    b = await _linked(c, link, fake, 2, "other@example.org")
    fake.add_activity("other@example.org")
    fake.rate_limit_next_data_call()
    assert (await sync.sync_user(a)).status == "rate_limited"
    assert (await sync.sync_user(b)).new == 1
    async with c.uow() as uow:
        cfg = await uow.garmin.config(a)
    assert cfg is not None and cfg.backoff_minutes == 120
    assert cfg.next_sync_at == clock() + timedelta(minutes=120)
    fake.rate_limit_next_data_call("too_many_requests")
    await sync.sync_user(a)
    async with c.uow() as uow:
        cfg = await uow.garmin.config(a)
    assert cfg is not None and cfg.backoff_minutes == 240
    for _ in range(5):
        fake.rate_limit_next_data_call()
        await sync.sync_user(a)
    async with c.uow() as uow:
        cfg = await uow.garmin.config(a)
    assert cfg is not None and cfg.backoff_minutes == 24 * 60
    assert (await sync.sync_user(a)).status == "ok"
    async with c.uow() as uow:
        cfg = await uow.garmin.config(a)
    assert cfg is not None and cfg.backoff_minutes == 0


async def test_auth_failure_mid_sync_pauses_and_tells_once(env: Any, fake: FakeGarmin) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    fake.revoke_tokens(EMAIL)
    report = await sync.sync_user(uid)
    assert report.status == "auth_failed"
    status = await link.status(uid)
    assert not status.valid and not status.auto_sync and status.paused_reason == "auth_failed"
    with pytest.raises(GarminAuthError):
        await sync.sync_user(uid)
    async with c.uow() as uow:
        assert uid not in await uow.due.due_syncs(datetime(2100, 1, 1, tzinfo=UTC), limit=10)
        rows = (await uow.session.execute(select(Push).where(Push.user_id == uid))).scalars()
        notices = [p for p in rows if p.kind == "garmin_auth"]
    assert len(notices) == 1 and notices[0].payload == {"data": {}}  # the kind says it all
    async with FakeBotAPI() as api:
        await deliver_pushes(c, api)
        [sent] = [r for r in api.calls("sendMessage") if r.ok]
    assert sent.params["text"].startswith("Garmin Connect no longer accepts my sign-in")
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "Link Garmin again", "callback_data": "garmin:connect"}
    await link.start(uid, EMAIL, PASSWORD)  # relinking resumes
    assert (await link.status(uid)).auto_sync


async def test_auth_failure_relogs_with_kept_password(env: Any, fake: FakeGarmin) -> None:
    c, link, sync = env
    fake.add_account(EMAIL, PASSWORD)
    uid = await _user(c, 1)
    await link.start(uid, EMAIL, PASSWORD, keep_password=True)
    fake.revoke_tokens(EMAIL)
    report = await sync.sync_user(uid)
    assert report.status == "auth_failed" and report.relogged
    assert (await link.status(uid)).valid
    assert (await sync.sync_user(uid)).status == "ok"


async def test_network_error_retries_at_next_due_time(
    env: Any, fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    fake.fail_network_next()
    assert (await sync.sync_user(uid)).status == "network_error"
    async with c.uow() as uow:
        cfg = await uow.garmin.config(uid)
        runs = await uow.garmin.runs(uid)
    assert cfg is not None and cfg.next_sync_at == clock() + timedelta(hours=6)
    assert runs[0].error and PASSWORD not in runs[0].error


async def test_crash_mid_sync_then_resume(env: Any, fake: FakeGarmin) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    ids = [
        fake.add_activity(EMAIL, fit=f, start=datetime(2026, 11, 10 + i, 6, 0, tzinfo=UTC))
        for i, f in enumerate(
            ["2013-02-06-12-11-14.fit", "garmin-fenix-5-run.fit", "garmin-fenix-5-bike.fit"]
        )
    ]
    fake.crash_after_downloads(1)
    crashed = await sync.sync_user(uid)
    assert crashed.status == "error" and crashed.new == 1
    assert await _count(c, ActivityMetrics, uid) == 1
    resumed = await sync.sync_user(uid)
    assert resumed.status == "ok"
    async with c.uow() as uow:
        stored = await uow.garmin.stored_activity_ids(uid, ids)
    assert stored == set(ids)
    total = await _count(c, ActivityMetrics, uid)
    async with c.uow() as uow:
        distinct = (await uow.session.execute(
            select(func.count(func.distinct(ActivityMetrics.garmin_activity_id)))
            .where(ActivityMetrics.user_id == uid)
        )).scalar_one()  # fmt: skip
    assert distinct == len(ids) and total >= len(ids)


async def test_same_activity_id_twice_is_stored_once(env: Any, fake: FakeGarmin) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    fake.add_activity(EMAIL, activity_id=777, listed_twice=True)
    assert (await sync.sync_user(uid)).new >= 1
    before = await _count(c, ActivityMetrics, uid)
    async with c.uow() as uow:
        await uow.garmin.update_config(uid, synced_until=None)  # list the whole window again
        await uow.commit()
    assert (await sync.sync_user(uid)).new == 0
    assert await _count(c, ActivityMetrics, uid) == before


async def test_manual_sync_limit_for_free(env: Any, fake: FakeGarmin, clock: FakeClock) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    assert (await sync.sync_now(uid)).status == "ok"
    with pytest.raises(AppError, match="every 30 minutes"):
        await sync.sync_now(uid)
    clock.advance(minutes=31)
    assert (await sync.sync_now(uid)).status == "ok"


async def test_disconnect_deletes_credentials_and_stops(env: Any, fake: FakeGarmin) -> None:
    c, link, sync = env
    uid = await _linked(c, link, fake, 1, EMAIL)
    assert await link.disconnect(uid)
    async with c.uow() as uow:
        assert await uow.garmin.credentials(uid) is None
        assert await uow.due.due_syncs(datetime(2100, 1, 1, tzinfo=UTC), limit=10) == []
