"""/workout for an athlete with Garmin linked: text and files first, then the workout on the
Garmin Connect calendar and one line saying so (FakeGarmin and the fake OpenAI server)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import Cipher
from core.gateways.llm import OpenAILLM, build_llm
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fakes.openai_server import SAMPLE_RUN as RUN
from tests.fakes.openai_server import FakeOpenAIServer

EMAIL = "watch.runner@example.org"
PASSWORD = "W4tch-Pa55word"
ON_CALENDAR = (
    "On your Garmin Connect calendar for Wed 25 Nov; it reaches your watch at its next sync."
)


@pytest.fixture
async def container(
    settings: Settings, clock: FakeClock, fake: FakeGarmin, openai: FakeOpenAIServer
) -> AsyncIterator[Container]:
    llm = build_llm(api_key="sk-test", base_url=openai.base_url, model="gpt-4o-mini", timeout_s=30)
    assert isinstance(llm, OpenAILLM)
    key = settings.credentials_keys or ""
    c = build(settings, clock=clock, cipher=Cipher([key]), garmin=fake, llm=llm)
    try:
        yield c
    finally:
        await llm.aclose()
        await c.close()


async def _linked_athlete(h: BotHarness, fake: FakeGarmin) -> int:
    services = h.container.services
    acc = await services.accounts.get_or_create(u.DEFAULT_USER_ID, first_name="Ann")
    await services.accounts.update_profile(acc.id, ftp=250, lthr=170, hr_max=190)
    fake.add_account(EMAIL, PASSWORD)
    await services.garmin_link.start(acc.id, EMAIL, PASSWORD)
    return acc.id


def _methods(h: BotHarness) -> list[str]:
    """What the bot sent to the athlete's chat, in order."""
    return [r.method for r in h.api.messages_by_chat.get(u.DEFAULT_USER_ID, []) if r.ok]


async def test_schedule_workout_bot_puts_the_workout_on_the_garmin_calendar(
    harness: BotHarness, fake: FakeGarmin, openai: FakeOpenAIServer
) -> None:
    uid = await _linked_athlete(harness, fake)
    openai.reply(json.dumps(RUN))
    texts = await harness.texts_after(u.command("workout"), 2)
    assert texts[0].startswith("Workout for 25 Nov:")
    assert texts[1] == ON_CALENDAR
    assert _methods(harness)[-3:] == ["sendMessage", "sendDocument", "sendMessage"]
    account = fake.accounts[EMAIL]
    [on_day] = account.scheduled_on(date(2026, 11, 25))  # the fake clock's day
    assert on_day["workoutName"] == "Threshold 2x2 km"
    assert on_day["sportType"]["sportTypeKey"] == "running"
    steps: list[dict[str, Any]] = on_day["workoutSegments"][0]["workoutSteps"]
    warmup, repeat, cooldown = steps
    assert (warmup["stepType"]["stepTypeKey"], warmup["endConditionValue"]) == ("warmup", 900)
    assert (warmup["targetValueOne"], warmup["targetValueTwo"]) == (119, 136)  # LTHR 170
    assert (repeat["type"], repeat["numberOfIterations"]) == ("RepeatGroupDTO", 2)
    work, recovery = repeat["workoutSteps"]
    assert work["endCondition"]["conditionTypeKey"] == "distance"
    assert work["targetType"]["workoutTargetTypeKey"] == "pace.zone"
    assert (work["targetValueOne"], work["targetValueTwo"]) == (3.636, 3.774)
    assert recovery["stepType"]["stepTypeKey"] == "recovery"
    assert cooldown["endCondition"]["conditionTypeKey"] == "lap.button"
    async with harness.container.uow() as uow:
        [row] = await uow.garmin_workouts.all_of(uid)
    assert row.workout_id is not None and row.name == "Threshold 2x2 km"

    # Asked again the same day: the same workout replaces ours, once, on the calendar.
    again = await harness.texts_after(u.command("workout"), 2)
    assert again[1] == ON_CALENDAR
    assert len(account.scheduled_on(row.day)) == 1
    assert account.deleted_workouts == [row.garmin_workout_id]


async def test_schedule_workout_bot_garmin_down_still_delivers_the_file(
    harness: BotHarness, fake: FakeGarmin, openai: FakeOpenAIServer
) -> None:
    uid = await _linked_athlete(harness, fake)
    fake.fail_next_call("upload_workout", "network")
    openai.reply(json.dumps(RUN))
    texts = await harness.texts_after(u.command("workout"), 2)
    assert texts[1] == (
        "Not on your Garmin calendar: Garmin Connect could not be reached. "
        "The file above still works."
    )
    [document] = harness.api.calls("sendDocument")
    assert document.params["document"]["filename"] == "Threshold_2x2_km.fit"
    assert fake.accounts[EMAIL].workouts == {}
    async with harness.container.uow() as uow:
        assert await uow.garmin_workouts.all_of(uid) == []


async def test_schedule_workout_bot_new_plan_puts_its_week_on_the_calendar_and_cancel_clears_it(
    harness: BotHarness, fake: FakeGarmin, openai: FakeOpenAIServer
) -> None:
    uid = await _linked_athlete(harness, fake)
    account = fake.accounts[EMAIL]
    own = fake.add_own_workout(EMAIL, date(2026, 11, 26), "My club run")
    # The fake OpenAI server answers the plan schema with SAMPLE_PLAN: Tue, Thu and Sat of its
    # first week, which starts today (Wed 25 Nov on the fake clock): all within seven days.
    harness.api.feed(u.command("plan", "a stronger base"))
    [line] = await harness.api.wait_for(
        "sendMessage", predicate=lambda r: "Garmin Connect calendar" in str(r.params.get("text"))
    )
    assert line.params["text"] == (
        "The coming week's 3 sessions are on your Garmin Connect calendar, reaching your watch "
        "at its next sync; each morning puts that day's session there."
    )
    scheduled = {
        day: [w["workoutName"] for w in account.scheduled_on(day)]
        for day in (date(2026, 11, 26), date(2026, 11, 28), date(2026, 12, 1))
    }
    assert scheduled == {
        date(2026, 11, 26): ["My club run", "Easy run"],
        date(2026, 11, 28): ["Long ride"],
        date(2026, 12, 1): ["Sweet spot 3x8"],
    }
    async with harness.container.uow() as uow:
        rows = await uow.garmin_workouts.all_of(uid)
    assert len(rows) == 3 and len({r.plan_id for r in rows}) == 1

    [archived] = await harness.texts_after(u.command("plan", "cancel"))
    assert archived.endswith("\nIts 3 workouts left your Garmin Connect calendar.")
    async with harness.container.uow() as uow:
        assert await uow.garmin_workouts.all_of(uid) == []
    assert sorted(account.deleted_workouts) == sorted(r.garmin_workout_id for r in rows)
    assert own in account.workouts  # the athlete's own workout is never ours to delete
