"""The CSV export stays machine-readable in every language: ISO dates, dot decimals, SI units."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.i18n import use_language
from core.bootstrap import Container
from core.training.export import ExportFiles, ExportService
from core.training.imports import TrainingService
from tests.fakes.clock import FakeClock
from tests.fit_files import fit_bytes, needs_fit_files

pytestmark = needs_fit_files
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture
async def training(container: Container, clock: FakeClock) -> AsyncIterator[TrainingService]:
    service = TrainingService(container.uow, clock=clock)
    yield service
    await service.close()


async def _export_of(
    c: Container, training: TrainingService, clock: FakeClock, *, chat_id: int, language: str,
    units: str,
) -> ExportFiles:  # fmt: skip
    """A Pro athlete with one real ride and run, exported while the bot speaks `language`."""
    accounts = c.services.accounts
    uid = (await accounts.get_or_create(chat_id, first_name="Ann", language=language)).id
    await accounts.set_units(uid, units)
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(uid, plan_id=pro.id, provider="stripe", status="active")
        await uow.commit()
    await training.import_fit(uid, fit_bytes("2013-02-06-12-11-14.fit"))
    await training.import_fit(uid, fit_bytes("garmin-fenix-5-bike.fit"))
    with use_language(language):
        return await ExportService(c.uow, c.services.gate, clock=clock).export(uid)


def _without_ids(csv_bytes: bytes) -> list[list[str]]:
    """Rows split into cells, the first (the database id) of data rows left out."""
    lines = csv_bytes.decode().splitlines()
    return [lines[0].split(",")] + [line.split(",")[1:] for line in lines[1:]]


async def test_a_german_imperial_athletes_export_reads_like_an_english_ones(
    container: Container, training: TrainingService, clock: FakeClock
) -> None:
    english = await _export_of(container, training, clock, chat_id=1, language="en",
                               units="metric")  # fmt: skip
    german = await _export_of(container, training, clock, chat_id=2, language="de",
                              units="imperial")  # fmt: skip
    assert german.activity_count == english.activity_count == 2
    # Same header, same cells byte for byte: no decimal commas, miles or month names.
    assert _without_ids(german.activities_csv) == _without_ids(english.activities_csv)
    assert german.fitness_csv == english.fitness_csv
    header, *rows = _without_ids(german.activities_csv)
    assert header[:4] == ["id", "start_time_utc", "local_date", "sport"]
    distance = header.index("distance_m") - 1
    assert {r[2] for r in rows} == {"running", "cycling"}
    assert all(ISO_DAY.match(r[1]) for r in rows)
    assert all(re.fullmatch(r"\d+(\.\d+)?", r[distance]) for r in rows)
    assert sorted(float(r[distance]) for r in rows)[-1] == pytest.approx(4835, abs=10)
    day, load = german.fitness_csv.decode().splitlines()[-1].split(",")[:2]
    assert ISO_DAY.match(day) and "," not in load
