"""FIT uploads end to end: one answer per file, queued files, deadlines, failed downloads."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.views.training import DOWNLOAD_FAILED
from core.bootstrap import Container
from core.training.imports import TrainingService
from tests.decoders import hang, hold, parse_on_cue, release, wait_started
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI, Recorded
from tests.fit_files import fit_bytes, needs_fit_files

pytestmark = needs_fit_files

DEADLINE_S = 2


@pytest.fixture
async def cued(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """The bot with workers that hang or wait on cue (tests.decoders), and a short deadline."""
    await container.services.training.close()
    training = TrainingService(container.uow, parse=parse_on_cue, workers=1, timeout_s=DEADLINE_S)
    container.services = replace(container.services, training=training)
    async with running_bot(container, bot_api) as h:
        yield h
    await training.close()  # the container closes only what it built


def _to_user(r: Recorded) -> bool:
    return r.ok and r.params.get("chat_id") == u.DEFAULT_USER_ID


def _upload(h: BotHarness, data: bytes, name: str) -> dict[str, object]:
    return u.document_message(h.api.add_file(data, file_name=name))


async def test_a_multisport_file_gets_one_summary_message(harness: BotHarness) -> None:
    before = len(harness.api.sent_texts(u.DEFAULT_USER_ID))
    (summary,) = await harness.texts_after(
        _upload(harness, fit_bytes("sample_mulitple_header.fit"), "triathlon.fit"), timeout=30
    )
    assert summary.startswith("Saved 5 sessions.")
    for sport in ("Swimming", "Transition", "Cycling", "Running"):
        assert sport in summary
    assert "1.64 km" in summary and "40.91 km" in summary and "9.81 km" in summary
    assert "Total 2:38:11" in summary and len(summary) < 4096
    (help_text,) = await harness.texts_after(u.command("help"))
    # Nothing else was sent for the file: its answer, then the answer to /help.
    assert harness.api.sent_texts(u.DEFAULT_USER_ID)[before:] == [summary, help_text]


async def test_a_failed_download_is_one_sentence_and_the_token_stays_out_of_the_log(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.api.fail_next("file", 500, "Internal Server Error")
    fit = fit_bytes("garmin-fenix-5-run.fit")
    (answer,) = await harness.texts_after(_upload(harness, fit, "run.fit"), timeout=30)
    assert answer == DOWNLOAD_FAILED
    assert harness.api.token not in caplog.text
    assert harness.api.token.split(":")[1] not in caplog.text
    assert "download of a 5597-byte document failed: ClientResponseError" in caplog.text
    (again,) = await harness.texts_after(_upload(harness, fit, "run.fit"), timeout=30)
    assert again.startswith("Saved.")


async def test_a_second_file_waits_behind_the_first_with_a_short_note(
    cued: BotHarness, tmp_path: Path
) -> None:
    first = hold(tmp_path / "first", fit_bytes("garmin-fenix-5-run.fit"))
    cued.feed(_upload(cued, first, "first.fit"))
    await wait_started(tmp_path / "first")
    second = _upload(cued, fit_bytes("garmin-fenix-5-bike.fit"), "second.fit")
    (note,) = await cued.texts_after(second, timeout=30)
    assert note == "Still working on your previous file; this one is next."
    before = len(cued.api.sent_texts(u.DEFAULT_USER_ID))
    release(tmp_path / "first")
    await cued.api.wait_for("sendMessage", count=before + 2, timeout=30, predicate=_to_user)
    run, ride = cued.api.sent_texts(u.DEFAULT_USER_ID)[before:]
    assert run.startswith("Saved.") and "Running" in run
    assert ride.startswith("Saved.") and "Cycling" in ride


async def test_a_file_past_the_deadline_is_answered_and_the_next_one_imports(
    cued: BotHarness, tmp_path: Path
) -> None:
    (answer,) = await cued.texts_after(_upload(cued, hang(tmp_path / "h"), "h.fit"), timeout=30)
    assert answer == "That file took over 2 s to read, so I stopped and did not import it."
    ride = _upload(cued, fit_bytes("garmin-fenix-5-bike.fit"), "ride.fit")
    (saved,) = await cued.texts_after(ride, timeout=30)
    assert saved.startswith("Saved.") and "Cycling" in saved
