"""Today's structured workout on both backends: the model's JSON, its files, refusals, fallback."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from garmin_fit_sdk import Decoder, Stream

from core.bootstrap import Container
from core.coach.plans import WORKOUT_REFUSED
from core.coach.service import CoachService
from core.db.models import AIUsageLog, Workout
from core.errors import LLMEmptyAnswer
from core.gateways.llm import LLM, OpenAILLM
from core.limits.feature_gate import Feature
from core.training.structured import WORKOUT_RESPONSE_FORMAT, repair_workout
from tests.fakes.clock import FakeClock
from tests.fakes.llm import FakeLLM
from tests.fakes.openai_server import SAMPLE_WORKOUT, FakeOpenAIServer

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
TODAY = date(2026, 11, 25)  # the fake clock's day, in UTC
NONE = {"type": "none", "low": None, "high": None}
POOL = {
    "name": "Pool 10x100",
    "sport": "swimming",
    "indoor": True,
    "steps": [{"kind": "repeat", "count": 10, "steps": [
        {"kind": "work", "duration": {"type": "distance", "value": 100}, "target": NONE,
         "note": "Strong"},
        {"kind": "rest", "duration": {"type": "time", "value": 20}, "target": NONE, "note": None},
    ]}],
}  # fmt: skip


def make_coach(c: Container, llm: LLM, clock: FakeClock) -> CoachService:
    return CoachService(c.uow, llm, c.services.gate, c.services.ai_usage, clock)


@pytest.fixture
def llm() -> FakeLLM:
    return FakeLLM(default="Not a workout.")


@pytest.fixture
def coach(container: Container, llm: FakeLLM, clock: FakeClock) -> CoachService:
    return make_coach(container, llm, clock)


async def _athlete(c: Container, ftp: int = 250) -> int:
    acc = await c.services.accounts.get_or_create(1, first_name="Ann")
    await c.services.accounts.update_profile(acc.id, ftp=ftp, lthr=170, hr_max=190)
    return acc.id


async def _used(c: Container, uid: int) -> int:
    report = await c.services.gate.remaining(uid)
    return next(f.used for f in report.features if f.feature == Feature.AI_WORKOUT)


async def _logs(c: Container, uid: int) -> list[AIUsageLog]:
    async with c.uow() as uow:
        return await uow.ai_usage.for_user(uid, since=LONG_AGO)


async def _stored(c: Container, uid: int) -> Workout | None:
    async with c.uow(readonly=True) as uow:
        return await uow.training.workout_on(uid, TODAY)


def _fit_steps(data: bytes) -> int:
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return len(messages["workout_step_mesgs"])


async def test_workout_file_use_case_returns_the_workout_its_description_and_files(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _athlete(container)
    made = await coach.todays_workout(uid)  # the fake answers the workout schema with a ride
    assert llm.calls[0].response_format == WORKOUT_RESPONSE_FORMAT
    assert "JSON" in llm.calls[0].messages[0].content  # for servers without structured output
    assert made.workout == repair_workout(SAMPLE_WORKOUT)
    assert (made.title, made.sport, made.duration_min, made.cached) == (
        "Sweet spot 3x8",
        "cycling",
        53,
        False,
    )
    assert made.description.splitlines()[0] == "Sweet spot 3x8 (cycling, indoor): 53:00"
    assert "2.1. Work 8 min @ 88-93% FTP (220-233 W)" in made.description
    assert [f.name for f in made.files] == ["Sweet_spot_3x8.fit", "Sweet_spot_3x8.zwo"]
    assert _fit_steps(made.files[0].content) == 5
    assert made.files[1].content.startswith(b"<workout_file>")

    row = await _stored(container, uid)
    assert row is not None and row.id == made.id
    assert row.structure is not None and row.structure["workout"] == SAMPLE_WORKOUT
    assert row.description == made.description
    # The web app's view of the steps: one per top-level item.
    assert [(s.name, s.duration_min) for s in made.steps] == [
        ("Warm-up: Spin up easy", 10),
        ("3× Work 8 min @ 88-93% FTP; Recovery 3 min @ 50-55% FTP", 33),
        ("Cool-down", 10),
    ]
    assert await _used(container, uid) == 1
    assert [g.status for g in await _logs(container, uid)] == ["ok"]

    # A new FTP: the same stored workout, its targets in the new numbers, no model call.
    await container.services.accounts.update_profile(uid, ftp=300)
    again = await coach.todays_workout(uid)
    assert (again.id, again.cached, len(llm.calls)) == (made.id, True, 1)
    assert "2.1. Work 8 min @ 88-93% FTP (264-279 W)" in again.description
    assert again.files[0].content != made.files[0].content
    assert await _used(container, uid) == 1


async def test_workout_file_a_swim_gets_the_fit_file_only(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _athlete(container)
    llm.reply(json.dumps(POOL))
    made = await coach.todays_workout(uid)
    assert [f.name for f in made.files] == ["Pool_10x100.fit"]
    assert _fit_steps(made.files[0].content) == 3
    assert "1. 10×:" in made.description and "1.1. Work 100 m. Strong" in made.description


@pytest.mark.parametrize(
    "answer",
    ["Ride easy for an hour.", json.dumps({"name": "Nothing", "sport": "running", "steps": []})],
    ids=["not JSON", "no steps"],
)
async def test_workout_file_refused_answer_gives_the_unit_back(
    container: Container, coach: CoachService, llm: FakeLLM, answer: str
) -> None:
    uid = await _athlete(container)
    llm.reply(answer)
    with pytest.raises(LLMEmptyAnswer) as refused:
        await coach.todays_workout(uid)
    assert refused.value.message == WORKOUT_REFUSED
    assert await _used(container, uid) == 0
    assert [g.status for g in await _logs(container, uid)] == ["empty"]
    assert await _stored(container, uid) is None


async def test_workout_file_rows_of_the_older_shape_still_show(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    uid = await _athlete(container)
    async with container.uow() as uow:
        await uow.coach.add_workout(
            uid, day=TODAY, sport="running", title="Easy run", description="Relaxed.",
            structure={"duration_min": 40, "steps": [{"name": "Run", "duration_min": 40}]},
            source="ai", created_at=clock(),
        )  # fmt: skip
        await uow.commit()
    shown = await coach.todays_workout(uid)
    assert (shown.title, shown.description, shown.workout, shown.files) == (
        "Easy run",
        "Relaxed.",
        None,
        (),
    )
    assert llm.calls == []


async def test_workout_file_server_without_json_schema_is_asked_for_json(
    container: Container, clock: FakeClock, openai: FakeOpenAIServer
) -> None:
    openai.json_schemas = False  # answers 400 to a json_schema response_format
    llm = OpenAILLM(api_key=None, base_url=openai.base_url, model="local", timeout_s=30)
    try:
        coach = make_coach(container, llm, clock)
        uid = await _athlete(container)
        openai.reply(json.dumps(POOL), json.dumps(SAMPLE_WORKOUT))
        first = await coach.todays_workout(uid)
        second = await coach.todays_workout(uid, fresh=True)
    finally:
        await llm.aclose()
    assert (first.title, second.title) == ("Pool 10x100", "Sweet spot 3x8")
    # Refused once, then JSON mode at once: the server's answer is remembered.
    assert openai.response_formats == [
        WORKOUT_RESPONSE_FORMAT,
        {"type": "json_object"},
        {"type": "json_object"},
    ]
    assert await _used(container, uid) == 2
    assert [g.status for g in await _logs(container, uid)] == ["ok", "ok"]


async def test_workout_file_structured_output_is_asked_of_a_server_that_has_it(
    container: Container, clock: FakeClock, openai: FakeOpenAIServer
) -> None:
    llm = OpenAILLM(api_key="sk-test", base_url=openai.base_url, model="m", timeout_s=30)
    try:
        uid = await _athlete(container)
        made = await make_coach(container, llm, clock).todays_workout(uid)
    finally:
        await llm.aclose()
    assert made.workout == repair_workout(SAMPLE_WORKOUT)
    [asked] = openai.response_formats
    assert asked is not None and asked["type"] == "json_schema"
    assert asked["json_schema"]["strict"] is True and asked["json_schema"]["name"] == "workout"
