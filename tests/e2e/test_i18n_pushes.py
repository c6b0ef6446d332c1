"""Pushes and the coach in the athlete's language: the morning summary (with the adapted day's
reasons) and the weekly report are worded when sent, in the reader's language; /plan and
/workout answer in it; the coach's model is told which language to answer in."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from core.bootstrap import Container
from core.clock import local_today
from core.coach.plans import PlanSpec, store_plan
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import SAMPLE_WORKOUT, FakeOpenAIServer
from tests.push_notes import deliver_pushes

TZ = "Europe/Berlin"
MORNING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, the summary time
BASELINE_HRV = (58.0, 60.0, 62.0, 59.0, 61.0, 60.0, 60.0)  # mean 60
WEEK = date(2026, 11, 23)
PLAN = {
    "title": "10k build",
    "weeks": [
        {"week": 1, "focus": "Base", "sessions": [
            {"day": "Thu", "sport": "running", "title": "Easy run", "duration_min": 40,
             "intensity": "easy", "description": "Conversational pace"}]},
        {"week": 2, "focus": "Strides", "sessions": [
            {"day": "Tue", "sport": "running", "title": "Strides", "duration_min": 45,
             "intensity": "easy", "description": "Full recovery between"}]},
    ],
}  # fmt: skip


@pytest.fixture
def container(coach_container: Container) -> Container:
    return coach_container


def _german(text: str) -> dict[str, Any]:
    """A message (or /command) from an athlete whose Telegram app is set to German."""
    content: dict[str, Any] = {"sender": u.user(language_code="de")}
    if text.startswith("/"):
        name = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(name)}]
    return u.text_message(text, **content)


async def _german_athlete_with_a_hard_day_and_a_bad_night(c: Container, clock: FakeClock) -> int:
    clock.set(MORNING)
    uid = (await c.services.accounts.get_or_create(31, language="de")).id
    today = local_today(clock(), TZ)
    session = {"day": today.isoformat(), "sport": "cycling", "title": "Sweet spot 3x8",
               "duration_min": 60, "intensity": "hard", "description": "Sweet spot",
               "workout": copy.deepcopy(SAMPLE_WORKOUT)}  # fmt: skip
    spec = PlanSpec.model_validate(
        {"title": "Base", "weeks": [{"week": 1, "focus": "Base", "sessions": [session]}]}
    )
    async with c.uow() as uow:
        await uow.users.update_fields(
            uid, timezone=TZ, timezone_set=True, summary_time=time(7, 0), last_summary_on=None
        )
        await store_plan(uow, uid, spec, start=today - timedelta(days=1), goal="Base", at=clock())
        for back, hrv in enumerate(reversed(BASELINE_HRV), start=1):
            figures = {"hrv_ms": hrv, "resting_hr": 48, "sleep_score": 82}
            await uow.garmin.upsert_wellness(uid, today - timedelta(days=back), figures)
        await uow.garmin.upsert_wellness(
            uid, today, {"hrv_ms": 45.0, "resting_hr": 48, "sleep_score": 82}
        )
        await uow.goals.add(uid, name="Valencia Marathon", race_date=date(2026, 12, 6))
        old = clock() - timedelta(days=3)  # something to sum up, long before yesterday
        await uow.training.add_activities(uid, [{
            "content_hash": "old31", "sport": "running", "start_time": old,
            "local_date": local_today(old, TZ), "timer_s": 1800.0, "load": 30.0,
        }])  # fmt: skip
        await uow.commit()
    return uid


async def test_a_german_athletes_morning_summary_arrives_in_german_with_the_softened_day(
    container: Container, clock: FakeClock
) -> None:
    await _german_athlete_with_a_hard_day_and_a_bad_night(container, clock)
    summaries = container.services.daily_summary
    assert await summaries.enqueue(await summaries.due(clock())) == 1

    async with FakeBotAPI() as api:
        assert (await deliver_pushes(container, api)).sent == 1
        [text] = api.sent_texts(31)

    lines = text.split("\n")
    assert lines[0] == "<b>Guten Morgen! Mittwoch, 25. November</b>"
    assert "Gestern: Ruhetag" in lines
    softened = "Heutiger Plan: <b>Sweet spot 3x8</b>, um 10% entschärft (niedrigere Zielwerte)."
    at = lines.index(softened)
    # The reason is the rule's sentence in German, its figures in German notation (1,5 not 1.5).
    assert re.fullmatch(
        r"<i>HRV 45 ms liegt \d+,\d SD unter deinem 7-Tage-Mittel von 60 ms: mehr als 1 SD "
        r"darunter, ein Zeichen, locker zu trainieren\.</i>",
        lines[at + 1],
    ), lines[at + 1]
    assert lines[-1] == "Noch 11 Tage bis zu deinem nächsten Wettkampf."
    assert "Good morning" not in text and "Today's plan" not in text


async def test_a_russian_athletes_weekly_report_caption_is_russian(
    container: Container, clock: FakeClock
) -> None:
    uid = (await container.services.accounts.get_or_create(32, language="ru")).id
    async with container.uow() as uow:
        await uow.training.add_activities(uid, [{
            "content_hash": "ru1", "sport": "running", "local_date": WEEK,
            "start_time": datetime(2026, 11, 23, 8, 0, tzinfo=UTC), "timer_s": 2400.0,
            "distance_m": 8000.0, "load": 45.0,
        }])  # fmt: skip
        await uow.commit()
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    service = container.services.weekly_report
    assert await service.enqueue(await service.due(clock())) == 1

    async with FakeBotAPI() as api:
        assert (await deliver_pushes(container, api)).sent == 1
        [photo] = [r for r in api.calls("sendPhoto") if r.ok]
    caption = photo.params["caption"]
    assert caption.startswith("<b>Твоя неделя: 23 нояб. – 29 нояб.</b>\n")
    assert "Тренировок: 1 · время: 40 мин" in caption
    assert "Нагрузка: 45 · " in caption
    assert "Готовность: нет данных о самочувствии" in caption
    assert "Your week" not in caption and "Sessions" not in caption


async def test_a_german_athletes_plan_and_workout_are_german_and_the_coach_is_told_german(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    openai.reply(json.dumps(PLAN))
    made = (await harness.texts_after(_german("/plan 10k in 2 weeks")))[0]
    assert made.startswith("Neuer Trainingsplan: <b>10k build</b>\nZiel: ")
    assert "\n25. Nov. – 8. Dez. 2026, 2 Wochen\n" in made
    assert "<b>Woche 1 von 2</b> · 25. Nov. – 1. Dez." in made
    assert "<b>Do., 26. Nov.</b> · running · Easy run · 40 min · easy" in made
    assert "Andere Wochen: die Tasten unten. /plan cancel archiviert diesen Plan." in made
    markup = harness.last_markup()
    assert markup is not None and markup["inline_keyboard"][0][1]["text"] == "Woche 2"
    # The model was told to answer in German, in the system prompt.
    system = openai.chat_requests[-1]["messages"][0]
    assert system["role"] == "system" and "\nAnswer in German.\n" in f"\n{system['content']}\n"

    openai.reply(json.dumps(SAMPLE_WORKOUT))
    workout = (await harness.texts_after(_german("/workout")))[0]
    assert workout.startswith("Training für 25. Nov.:\n<b>")
    # The steps in German, the same workout's English text kept for the files and the coach.
    assert "<b>Sweet spot 3x8 (Radfahren, Indoor): 53:00</b>" in workout
    repeat = "\n   2.1. Belastung 8 min @ 88-93 % FTP\n   2.2. Erholung 3 min @ 50-55 % FTP\n"
    assert repeat in workout
    assert "\n3. Abwärmen 10 min\n" in workout
    assert "Keine FTP eingetragen, daher bleiben diese Zielwerte relativ." in workout
    assert "Warm-up" not in workout and "Cool-down" not in workout
    again = (await harness.texts_after(_german("/workout")))[0]
    assert "<i>Heute schon erstellt. /workout new fragt nach einem anderen.</i>" in again
    assert "Answer in German." in openai.chat_requests[-1]["messages"][0]["content"]


async def test_an_english_athletes_coach_is_told_english(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    await harness.texts_after(u.text_message("How is my form?"))
    system = openai.chat_requests[-1]["messages"][0]["content"]
    assert "Answer in English." in system and "Answer in German." not in system
