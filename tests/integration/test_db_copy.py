"""`trainbot db copy`: a bot's SQLite database moves to PostgreSQL (and back) with every row.

The source is filled through the services (accounts, a Garmin link and sync, a FIT upload, the
coach, a goal, Stars, web sign-ins, a deleted account), then copied; counts and checksums of
every table must match, the copy must be usable by the app, and ids must continue after it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from core.bootstrap import Container, build
from core.config import Settings
from core.db import migrate
from core.db.copy import CopyError, TableCopy, TableSum, copy_database, database_sums
from core.db.engine import make_engine
from core.db.models import Base
from core.gateways.cipher import Cipher, new_key
from core.training.activities import ActivityCard
from tests import db
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fakes.llm import FakeLLM
from tests.fit_files import encode_fit

ROOT = Path(__file__).resolve().parents[2]
CLI_CEILING_S = 120
# The `trainbot` console script: its exit code is main()'s.
TRAINBOT = "import sys; from bot.runtime.cli import main; sys.exit(main())"
needs_pg = pytest.mark.skipif(not db.pg_admin_url(), reason=db.PG_SKIP_REASON)

EMAIL = "copy.runner@example.org"
PASSWORD = "Copy-Pa55-word"
ANN, BOB, EVE = 101, 102, 103  # chat ids; Eve deletes her account before the copy
PLAN = {
    "title": "Marathon block",
    "weeks": [{"week": 1, "focus": "Base", "sessions": [
        {"day": "Thu", "sport": "running", "title": "Easy run", "duration_min": 45,
         "intensity": "easy", "description": "Conversational pace"}]}],
}  # fmt: skip
WORKOUT = {
    "name": "Recovery spin", "sport": "cycling", "indoor": False,
    "steps": [{"kind": "work", "duration": {"type": "time", "value": 2400},
               "target": {"type": "none", "low": None, "high": None}, "note": None}],
}  # fmt: skip
# Tables the filled source must have rows in: a table the services stop filling shows here.
POPULATED = {
    "users", "athlete_profiles", "subscription_plans", "user_subscriptions", "user_usage",
    "garmin_credentials", "garmin_sync_config", "garmin_sync_history", "ai_usage_logs",
    "activity_metrics", "activity_series", "fitness_metrics", "workouts", "training_plans",
    "workout_analyses", "garmin_fitness_data", "race_goals", "weekly_summaries",
    "chat_messages", "payment_events", "pushes", "throttles", "user_sessions", "login_codes",
}  # fmt: skip


class Interrupted(Exception):
    pass


@dataclass(frozen=True)
class Source:
    url: str
    key: str  # the credentials key the source's Garmin link was encrypted with
    users: dict[int, int]  # chat id -> user id
    sums: dict[str, TableSum]
    cards: dict[int, list[ActivityCard]]  # chat id -> the activity list the app showed


def _settings(url: str, data_dir: Path, key: str) -> Settings:
    return Settings(_env_file=None, database_url=url, data_dir=str(data_dir),  # type: ignore[call-arg]
                    credentials_keys=key)  # fmt: skip


def _ride(start: datetime, minutes: int, *, power: int | None = None) -> bytes:
    records = [{"t": t, "heart_rate": 130 + t % 11, "distance": 7.5 * t,
                **({"power": power + t % 13} if power else {})}
               for t in range(0, minutes * 60 + 1, 5)]  # fmt: skip
    return encode_fit(start=start, records=records)


async def _fill(c: Container, clock: FakeClock, fake: FakeGarmin, llm: FakeLLM) -> dict[int, int]:
    """A little of everything the product stores, through its services."""
    s = c.services
    ann = (await s.accounts.get_or_create(ANN, first_name="Zoë 🚴", username="zoe")).id
    bob = (await s.accounts.get_or_create(BOB, first_name="Bob")).id
    eve = (await s.accounts.get_or_create(EVE)).id
    await s.accounts.set_timezone(ann, "Europe/Madrid")
    await s.accounts.set_summary_time(ann, "06:30")
    await s.accounts.update_profile(ann, hr_max=188, ftp=251, weight_kg=61.7)

    fake.add_account(EMAIL, PASSWORD)
    await s.garmin_link.start(ann, EMAIL, PASSWORD)
    for day in (20, 23):
        start = datetime(2026, 11, day, 6, 15, tzinfo=UTC)
        fake.add_activity(EMAIL, fit=_ride(start, 30 + day), start=start)
    fake.add_wellness(EMAIL, datetime(2026, 11, 24).date(), sleep_score=77)
    assert (await s.garmin_sync.sync_user(ann)).new == 2
    await s.training.import_fit(bob, _ride(clock() - timedelta(hours=3), 50, power=210))

    await s.goals.add_line(ann, "Valencia Marathon 2026-12-06 42.2 3:15:00")
    await s.reports.week(ann)
    await s.coach.chat(ann, "How was my week?")
    await s.coach.analyze(ann)
    llm.reply(json.dumps(PLAN))
    await s.coach.create_plan(ann, "Sub-3:15 marathon")
    llm.reply(json.dumps(WORKOUT))
    await s.coach.todays_workout(ann)

    await s.billing.stars_paid(
        bob, charge_id="stxCopy1", payload=await s.billing.stars_invoice_payload(bob),
        subscription_expiration_date=clock() + timedelta(days=30),
        is_recurring=True, is_first_recurring=True,
    )  # fmt: skip
    code = await s.web_sessions.issue_code(ann)
    await s.web_sessions.sign_in_code(code.code, ip="127.0.0.1", user_agent="pytest")
    await s.web_sessions.issue_code(bob)  # left unused
    await s.accounts.delete_everything(eve)  # her id is never handed out again
    return {ANN: ann, BOB: bob, EVE: eve}


async def _make_source(path: Path, template: Path) -> Source:
    url, key = db.copy_sqlite(template, path), new_key()
    clock, fake, llm = FakeClock(), FakeGarmin(), FakeLLM(default="Keep it easy today.")
    c = build(_settings(url, path / "data", key), clock=clock, cipher=Cipher([key]), garmin=fake,
              llm=llm)  # fmt: skip
    try:
        users = await _fill(c, clock, fake, llm)
        cards = {chat: await c.services.reports.activities(users[chat]) for chat in (ANN, BOB)}
    finally:
        await c.close()
    return Source(url, key, users, await database_sums(url), cards)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Source:
    """One filled SQLite bot database for the module; the copy only ever reads it."""
    return asyncio.run(_make_source(tmp_path_factory.mktemp("copy-source"), sqlite_template))


@pytest.fixture
async def pg_target() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (the copy migrates it)."""
    if not db.pg_admin_url():
        pytest.skip(db.PG_SKIP_REASON)
    url = await db.create_pg_database("trainbot_copy")
    yield url
    await db.drop_pg_database(url)


def _with_password(url: str, password: str) -> str:
    """The same database, named with a password (the test server trusts, so it is ignored)."""
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return await migrate.current(engine)
    finally:
        await engine.dispose()


async def _on(url: str, key: str, tmp_path: Path) -> Container:
    return build(_settings(url, tmp_path / "target-data", key), clock=FakeClock(),
                 cipher=Cipher([key]), garmin=FakeGarmin())  # fmt: skip


# -- the source ----------------------------------------------------------------------------


def test_scale_db_copy_source_fills_every_table(source: Source) -> None:
    empty = {name for name, s in source.sums.items() if s.rows == 0}
    assert not (POPULATED & empty), f"the source has no rows in {sorted(POPULATED & empty)}"


# -- SQLite -> PostgreSQL ------------------------------------------------------------------


@needs_pg
async def test_scale_db_copy_sqlite_to_postgres_keeps_every_row(
    source: Source, pg_target: str, tmp_path: Path
) -> None:
    seen: list[str] = []
    scopes: list[str | None] = []

    async def scope_of(conn: AsyncConnection) -> None:  # as row-level security will see it
        if conn.dialect.name == "postgresql":
            scopes.append(await conn.scalar(text("SELECT current_setting('app.scope', true)")))

    report = await copy_database(source.url, pg_target, batch_size=3, session_setup=scope_of,
                                 on_table=lambda t: seen.append(t.table))  # fmt: skip
    print(f"copied {report.rows} rows in {len(report.tables)} tables in {report.seconds:.2f} s")

    assert seen == [t.name for t in Base.metadata.sorted_tables]  # foreign-key order
    assert scopes and set(scopes) == {"system"}  # every user's rows, under row-level security
    assert {t.table: TableSum(t.rows, t.checksum) for t in report.tables} == source.sums
    assert await database_sums(pg_target) == source.sums
    assert report.replaced_users == 0 and report.rows == sum(s.rows for s in source.sums.values())
    # Eve (the highest id) was deleted: the target must not hand her id to the next sign-up.
    assert report.next_ids["users"] == source.users[EVE] + 1

    c = await _on(pg_target, source.key, tmp_path)
    try:
        s = c.services
        ann = await s.accounts.by_chat(ANN)
        assert ann is not None and ann.id == source.users[ANN]
        assert (ann.first_name, ann.timezone, ann.profile.ftp) == ("Zoë 🚴", "Europe/Madrid", 251)
        assert len(source.cards[ANN]) == 2 and len(source.cards[BOB]) == 1
        assert await s.reports.activities(ann) == source.cards[ANN]
        bob = await s.accounts.by_chat(BOB)
        assert bob is not None and bob.plan.code == "pro"  # the subscription kept its plan id
        assert await s.reports.activities(bob) == source.cards[BOB]
        status = await s.garmin_link.status(ann.id)
        assert status.linked and status.valid
        async with c.uow() as uow:  # the carried key still opens the stored Garmin login
            cred = await uow.garmin.credentials(ann.id)
        assert cred is not None and c.cipher.decrypt(cred.email_enc) == EMAIL
        # Every sequence continues after the copied rows.
        new = await s.accounts.get_or_create(999)
        assert new.id == source.users[EVE] + 1
        await s.goals.add_line(ann.id, "Sevilla Marathon 2027-02-21 42.2")
        assert len(await s.goals.list(ann.id)) == 2
    finally:
        await c.close()


@needs_pg
async def test_scale_db_copy_refuses_a_target_with_users_unless_forced(
    source: Source, pg_target: str, tmp_path: Path
) -> None:
    await copy_database(source.url, pg_target)
    c = await _on(pg_target, source.key, tmp_path)
    try:
        await c.services.accounts.get_or_create(999)  # the target lives on after the copy
    finally:
        await c.close()
    changed = await database_sums(pg_target)
    assert changed["users"] != source.sums["users"]  # the checksum sees one more user

    with pytest.raises(CopyError, match="already holds 3 users: pass --force"):
        await copy_database(source.url, pg_target)
    assert await database_sums(pg_target) == changed

    def interrupted(copied: TableCopy) -> None:
        if copied.table == "users":
            raise Interrupted  # the copy stops half-way through (Ctrl-C, a lost connection)

    with pytest.raises(Interrupted):
        await copy_database(source.url, pg_target, force=True, on_table=interrupted)
    assert await database_sums(pg_target) == changed  # nothing half-written

    report = await copy_database(source.url, pg_target, force=True)
    assert report.replaced_users == 3
    assert await database_sums(pg_target) == source.sums


@needs_pg
async def test_scale_copy_roundtrip_sqlite_postgres_sqlite_keeps_checksums(
    source: Source, pg_target: str, tmp_path: Path
) -> None:
    back = f"sqlite+aiosqlite:///{tmp_path / 'back' / 'trainbot.db'}"
    await copy_database(source.url, pg_target)
    await copy_database(pg_target, back)
    assert await database_sums(back) == await database_sums(pg_target) == source.sums
    engine = make_engine(back)
    try:
        async with engine.connect() as conn:
            seq = await conn.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'users'"))
    finally:
        await engine.dispose()
    assert seq == source.users[EVE]


async def _trainbot(*args: str, cwd: Path) -> tuple[int, str, str]:
    """`trainbot` in its own process: its exit code, stdout and stderr."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "APP_ENV": "local",
           "DATA_DIR": str(cwd / "data")}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", TRAINBOT, *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=CLI_CEILING_S)
    return int(process.returncode or 0), out.decode(), err.decode()


@needs_pg
async def test_scale_db_copy_command_prints_each_table_and_hides_the_password(
    source: Source, pg_target: str, tmp_path: Path
) -> None:
    target = _with_password(pg_target, "s3cret-Copy-pw")
    code, out, err = await _trainbot("db", "copy", "--from", source.url, "--to", target,
                                     "--batch", "5", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Stop the bot first")
    for table in Base.metadata.sorted_tables:
        rows = source.sums[table.name].rows
        assert any(line.split()[:2] == [table.name, str(rows)] and "checksum ok" in line
                   for line in lines), table.name  # fmt: skip
    total = sum(s.rows for s in source.sums.values())
    assert f"Copied {total} rows in {len(source.sums)} tables" in out
    assert "CREDENTIALS_KEYS" in out and ":***@" in out
    assert "s3cret-Copy-pw" not in out + err

    code, out, err = await _trainbot("db", "copy", "--from", source.url, "--to", target,
                                     cwd=tmp_path)  # fmt: skip
    assert code == 2, out + err
    assert "trainbot: The target database already holds 2 users: pass --force" in err
    assert "s3cret-Copy-pw" not in out + err
    assert await database_sums(pg_target) == source.sums


# -- without PostgreSQL --------------------------------------------------------------------


async def test_scale_db_copy_sqlite_to_sqlite(source: Source, tmp_path: Path) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path / 'moved.db'}"
    scoped: list[str] = []

    async def system_scope(conn: AsyncConnection) -> None:  # where row-level security would
        scoped.append(str(conn.engine.url.database))  # enter its system scope

    report = await copy_database(source.url, target, batch_size=4, session_setup=system_scope)
    assert set(scoped) == {make_url(source.url).database, make_url(target).database}
    assert report.next_ids["users"] == source.users[EVE] + 1
    assert await database_sums(target) == source.sums


async def test_scale_db_copy_says_which_database_it_cannot_reach(
    source: Source, tmp_path: Path
) -> None:
    with pytest.raises(CopyError, match=r"^The source database file .*missing\.db does not exist"):
        await copy_database(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}", source.url)
    closed = f"postgresql+asyncpg://bot:Hidden-pw-42@127.0.0.1:{_closed_port()}/trainbot"
    with pytest.raises(CopyError) as caught:
        await copy_database(source.url, closed)
    message = caught.value.message
    assert message.startswith("Cannot reach the target database postgresql+asyncpg://bot:***@")
    assert "Hidden-pw-42" not in message
    with pytest.raises(CopyError, match=r"^Cannot reach the source database .*bot:\*\*\*@"):
        await copy_database(closed, source.url)
    with pytest.raises(CopyError, match="unsupported database"):
        await copy_database("mysql://root@localhost/bot", source.url)
    with pytest.raises(CopyError, match="same database"):
        await copy_database(source.url, source.url)


async def test_scale_db_copy_refuses_a_source_at_another_revision(
    source: Source, tmp_path: Path
) -> None:
    old = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(old)
    try:
        await migrate.upgrade(engine, "0002")
    finally:
        await engine.dispose()
    head = (await _revision(source.url)) or ""
    target = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(CopyError) as caught:
        await copy_database(old, target)
    assert caught.value.message.startswith(
        f"The source database is at revision 0002 but the target is empty and will be migrated "
        f"to {head}: upgrade the source first"
    )
    await copy_database(source.url, target)  # the target is then at the source's revision
    with pytest.raises(CopyError, match=f"revision 0002 but the target is at {head}"):
        await copy_database(old, target, force=True)
