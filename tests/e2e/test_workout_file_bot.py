"""/workout end to end: the described session, its FIT file (and .zwo indoors) as documents."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from garmin_fit_sdk import Decoder, Stream

from bot.views.coach import WORKOUT_FIT_CAPTION
from core.bootstrap import Container
from core.coach.plans import WORKOUT_REFUSED
from core.limits.feature_gate import Feature
from core.training.structured import WORKOUT_RESPONSE_FORMAT
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.bot_api import Recorded
from tests.fakes.bot_api_spec import parse_html
from tests.fakes.openai_server import SAMPLE_RUN as RUN
from tests.fakes.openai_server import SAMPLE_WORKOUT, FakeOpenAIServer


@pytest.fixture
def container(coach_container: Container) -> Container:
    return coach_container


async def _athlete(h: BotHarness) -> int:
    """The default user, with thresholds set, before their first message."""
    accounts = h.container.services.accounts
    acc = await accounts.get_or_create(u.DEFAULT_USER_ID, first_name="Ann")
    await accounts.update_profile(acc.id, ftp=250, lthr=170, hr_max=190)
    return acc.id


async def _workouts_used(h: BotHarness, user_id: int) -> int:
    report = await h.container.services.gate.remaining(user_id)
    return next(f.used for f in report.features if f.feature == Feature.AI_WORKOUT)


async def _documents(h: BotHarness, count: int) -> list[Recorded]:
    await h.api.wait_for("sendDocument", count=count, timeout=30, predicate=lambda r: r.ok)
    return h.api.calls("sendDocument")


async def _download(h: BotHarness, sent: Recorded) -> bytes:
    """The document as a client downloads it from the message the fake answered with."""
    document = sent.result["document"]
    data = await h.bot.download(document["file_id"])
    assert data is not None
    return data.getvalue()


def _fit_steps(data: bytes) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    steps = [
        (m.get("intensity"), m["duration_type"], m.get("duration_time", m.get("duration_distance")),
         m["target_type"], m.get("custom_target_value_low"), m.get("custom_target_value_high"),
         m.get("duration_step"), m.get("repeat_steps"))
        for m in messages["workout_step_mesgs"]
    ]  # fmt: skip
    return messages["workout_mesgs"][0], steps


async def test_workout_file_text_and_fit_document_decode_to_the_same_steps(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    uid = await _athlete(harness)
    openai.reply(json.dumps(RUN))
    text = (await harness.texts_after(u.command("workout")))[0]
    shown, error = parse_html(text)
    assert error is None
    assert shown.splitlines() == [
        "Workout for 25 Nov:",
        "Threshold 2x2 km (running): 19:00 + 4.00 km + open steps",
        "",
        "1. Warm-up 15 min @ 70-80% LTHR (119-136 bpm). Easy",
        "2. 2×:",
        "   2.1. Work 2.00 km @ 4:25-4:35 /km",
        "   2.2. Recovery 2 min",
        "3. Cool-down until you press lap",
    ]
    [sent] = await _documents(harness, 1)
    assert sent.params["chat_id"] == u.DEFAULT_USER_ID
    assert sent.params["document"]["filename"] == "Threshold_2x2_km.fit"
    assert sent.params["caption"] == WORKOUT_FIT_CAPTION
    header, steps = _fit_steps(await _download(harness, sent))
    assert (header["sport"], header["sub_sport"], header["wkt_name"]) == (
        "running",
        "generic",
        "Threshold 2x2 km",
    )
    assert steps == [  # HR as bpm + 100, speed in mm/s (4:35 and 4:25 /km)
        ("warmup", "time", 900.0, "heart_rate", 219, 236, None, None),
        ("active", "distance", 2000.0, "speed", 3636, 3774, None, None),
        ("recovery", "time", 120.0, "open", None, None, None, None),
        (None, "repeat_until_steps_cmplt", None, "open", None, None, 1, 2),
        ("cooldown", "open", None, "open", None, None, None, None),
    ]
    assert openai.response_formats == [WORKOUT_RESPONSE_FORMAT]
    assert openai.response_formats[0]["json_schema"]["strict"] is True
    assert await _workouts_used(harness, uid) == 1

    # Asked again the same day: the stored workout and its files, without the model.
    again = (await harness.texts_after(u.command("workout")))[0]
    assert "Made earlier today" in again and len(openai.chat_requests) == 1
    second = (await _documents(harness, 2))[1]
    assert await _download(harness, second) == await _download(harness, sent)


async def test_workout_file_indoor_ride_also_gets_a_zwo(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    uid = await _athlete(harness)
    text = (await harness.texts_after(u.command("workout")))[0]  # the fake's indoor ride
    assert "<b>Sweet spot 3x8 (cycling, indoor): 53:00</b>" in text
    assert "2.1. Work 8 min @ 88-93% FTP (220-233 W)" in text
    fit, zwo = await _documents(harness, 2)
    assert [d.params["document"]["filename"] for d in (fit, zwo)] == [
        "Sweet_spot_3x8.fit",
        "Sweet_spot_3x8.zwo",
    ]
    header, steps = _fit_steps(await _download(harness, fit))
    assert (header["sport"], header["sub_sport"]) == ("cycling", "indoor_cycling")
    assert [s[:6] for s in steps] == [  # watts + 1000
        ("warmup", "time", 600.0, "power", 1125, 1175),
        ("active", "time", 480.0, "power", 1220, 1233),
        ("recovery", "time", 180.0, "power", 1125, 1138),
        (None, "repeat_until_steps_cmplt", None, "open", None, None),
        ("cooldown", "time", 600.0, "open", None, None),
    ]
    root = ET.fromstring(await _download(harness, zwo))
    assert root.findtext("name") == SAMPLE_WORKOUT["name"]
    assert root.findtext("sportType") == "bike"
    body = root.find("workout")
    assert body is not None
    assert [(e.tag, e.get("Duration", e.get("Repeat"))) for e in body] == [
        ("Warmup", "600"),
        ("IntervalsT", "3"),
        ("FreeRide", "600"),
    ]
    assert "<your Zwift id>" in (zwo.result.get("caption") or "")
    assert await _workouts_used(harness, uid) == 1


@pytest.mark.parametrize(
    "answer",
    [
        "Here is your workout: 3x8 min sweet spot.",
        json.dumps({**RUN, "steps": []}),
        json.dumps({**RUN, "sport": "running", "steps": [{"kind": "work", "count": 2}]}),
    ],
    ids=["not JSON", "no steps", "a broken step"],
)
async def test_workout_file_invalid_answer_is_refused_and_refunded(
    harness: BotHarness, openai: FakeOpenAIServer, answer: str
) -> None:
    uid = await _athlete(harness)
    openai.reply(answer)
    texts = await harness.texts_after(u.command("workout"))
    assert texts == [WORKOUT_REFUSED]
    assert len(openai.chat_requests) == 1
    assert await _workouts_used(harness, uid) == 0
    assert harness.api.calls("sendDocument") == []
    # The refusal left nothing behind: the next answer is a new workout, not a stored one.
    openai.reply(json.dumps(RUN))
    made = (await harness.texts_after(u.command("workout")))[0]
    assert "Threshold 2x2 km" in made and "Made earlier today" not in made
    assert len(await _documents(harness, 1)) == 1
    assert await _workouts_used(harness, uid) == 1
