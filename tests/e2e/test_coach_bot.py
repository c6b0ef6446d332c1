"""The AI coach end to end: the real bot and the real OpenAI adapter against fake servers."""

from __future__ import annotations

import json

import pytest

from bot.delivery.streaming import draft_text
from bot.views.coach import NOT_CONFIGURED, escaped_parts
from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from core.gateways.llm import NotConfiguredLLM
from core.limits.feature_gate import Feature
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api_spec import parse_html
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAIServer

GROUP_ID = -1_001_234_567_890

PLAN = {
    "title": "10k build",
    "weeks": [
        {
            "week": 1,
            "focus": "Easy base <aerobic>",
            "sessions": [
                {"day": "Thu", "sport": "running", "title": "Easy run", "duration_min": 40,
                 "intensity": "easy", "description": "Conversational pace, HR < 145"},
                {"day": "Sat", "sport": "running", "title": "Long run", "duration_min": 75,
                 "intensity": "easy", "description": "Relaxed, last 10 min steady"},
            ],
        },
        {
            "week": 2,
            "focus": "Add strides",
            "sessions": [
                {"day": "Tue", "sport": "running", "title": "Strides", "duration_min": 45,
                 "intensity": "easy + 6x20 s fast", "description": "Full recovery between"},
            ],
        },
    ],
}  # fmt: skip

WORKOUT = {
    "name": "Tempo & strides",
    "sport": "running",
    "indoor": False,
    "steps": [
        {"kind": "warmup", "duration": {"type": "time", "value": 900},
         "target": {"type": "hr_zone", "low": 1, "high": 2}, "note": "easy, HR low"},
        {"kind": "work", "duration": {"type": "time", "value": 1500},
         "target": {"type": "pace_s_per_km", "low": 265, "high": 275}, "note": None},
        {"kind": "cooldown", "duration": {"type": "open", "value": None},
         "target": {"type": "none", "low": None, "high": None}, "note": None},
    ],
}  # fmt: skip


@pytest.fixture
def container(coach_container: Container) -> Container:
    return coach_container


async def _chat_used(h: BotHarness, chat_id: int = u.DEFAULT_USER_ID) -> int:
    account = await h.container.services.accounts.by_chat(chat_id)
    assert account is not None
    report = await h.container.services.gate.remaining(account.id)
    return next(f.used for f in report.features if f.feature == Feature.AI_CHAT)


def _buttons(h: BotHarness) -> list[str]:
    markup = h.last_markup()
    assert markup is not None
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


async def test_chat_streams_drafts_then_one_final_message(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    answer = "Your <b>form</b> is good & rising. " + " ".join(f"word{i}" for i in range(14))
    openai.slow_next(0.12, text=answer)
    texts = await harness.texts_after(u.text_message("How is my form?"), timeout=15)
    assert texts == [answer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")]
    assert parse_html(texts[0]) == (answer, None)
    drafts = harness.api.calls("sendMessageDraft")
    assert len(drafts) >= 2
    assert len({d.params["draft_id"] for d in drafts}) == 1 and drafts[0].params["draft_id"] != 0
    shown = [parse_html(d.params["text"])[0] for d in drafts]
    assert all(answer.startswith(s) for s in shown)
    assert [len(s) for s in shown] == sorted({len(s) for s in shown})  # each draft grew
    assert "keep_on_stop" not in drafts[0].params and "can_stop" not in drafts[0].params
    assert len(harness.api.sent_texts(u.DEFAULT_USER_ID)) == 1
    assert openai.chat_requests[-1]["stream"] is True
    assert await _chat_used(harness) == 1


async def test_answer_longer_once_escaped_stays_one_valid_message(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    answer = "\n\n".join(f"Step {i}: HR < 150 & cadence > 170 " * 5 for i in range(23))
    assert len(answer) <= 4000 < len(answer.replace("<", "&lt;").replace(">", "&gt;"))
    openai.reply(answer)
    texts = await harness.texts_after(u.text_message("Tell me everything"))
    assert parse_html(texts[0]) == (answer.strip(), None)


def test_drafts_and_parts_fit_telegram() -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "steady <aerobic> running " * 12 for i in range(40))
    parts = escaped_parts(text)
    assert len(parts) > 2
    assert all(len(parse_html(p)[0]) <= 4096 for p in parts)
    assert "".join(parse_html(p)[0] for p in parts).replace("\n", "") == text.strip().replace(
        "\n", ""
    )
    shown, error = parse_html(draft_text(text))
    assert error is None and 0 < len(shown) <= 4096 and text.endswith(shown)
    assert draft_text("") == "" and draft_text("a < b") == "a &lt; b"


async def test_group_chat_is_pointed_to_a_private_chat(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    # The coach lives in private chats: a group shares no one's account or history.
    mention = {"type": "mention", "offset": 0, "length": len(u.BOT_USERNAME) + 1}
    asked = u.text_message(f"@{u.BOT_USERNAME} Hi coach", chat_id=GROUP_ID, entities=[mention])
    texts = await harness.texts_after(asked, chat_id=GROUP_ID)
    assert "private chats only" in texts[0]
    assert openai.chat_requests == [] and harness.api.calls("sendMessageDraft") == []


async def test_eleventh_free_message_is_refused_with_upgrade(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    for i in range(10):
        assert await harness.texts_after(u.text_message(f"question {i}")) == [f"Echo: question {i}"]
    refused = await harness.texts_after(u.text_message("one more"))
    assert "used all 10 AI chat messages today" in refused[0]
    assert any(b.startswith("upg") for b in _buttons(harness))
    assert len(openai.chat_requests) == 10
    assert await _chat_used(harness) == 10


async def test_model_error_is_explained_and_refunded(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    openai.fail_next(500)
    texts = await harness.texts_after(u.text_message("Plan my week?"))
    assert texts == ["The AI model's server answered HTTP 500."]
    assert await _chat_used(harness) == 0
    assert await harness.texts_after(u.text_message("again")) == ["Echo: again"]


async def test_dialogs_and_commands_are_not_sent_to_the_coach(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    await harness.texts_after(u.command("settings"))
    await harness.texts_after(u.callback_query("set:ftp"))
    saved = await harness.texts_after(u.text_message("260"))
    assert "Saved" in saved[0]
    unknown = await harness.texts_after(u.text_message("/nonsense"))
    assert "/nonsense" in unknown[0]
    assert openai.chat_requests == []


async def test_not_configured_answers_clearly(
    settings: Settings, clock: FakeClock, bot_api: FakeBotAPI
) -> None:
    c = build(settings, clock=clock, cipher=Cipher([new_key()]), llm=NotConfiguredLLM())
    try:
        async with running_bot(c, bot_api) as h:
            assert await h.texts_after(u.text_message("hello")) == [NOT_CONFIGURED]
            assert await h.texts_after(u.command("workout")) == [NOT_CONFIGURED]
            assert await h.texts_after(u.command("plan", "5k in 6 weeks")) == [NOT_CONFIGURED]
            assert await _chat_used(h) == 0
    finally:
        await c.close()


async def test_plan_is_made_shown_by_week_and_cancelled(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    no_goal = await harness.texts_after(u.command("plan"))
    assert "Tell me your goal" in no_goal[0] and openai.chat_requests == []
    openai.reply(json.dumps(PLAN))
    made = (await harness.texts_after(u.command("plan", "10k in 2 weeks")))[0]
    assert "New training plan: <b>10k build</b>" in made
    assert "<b>Week 1 of 2</b>" in made and "Easy base &lt;aerobic&gt;" in made
    assert "<b>Thu 26 Nov</b> · running · Easy run · 40 min · easy" in made
    assert "HR &lt; 145" in made and "Strides" not in made
    fmt = openai.chat_requests[-1]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "plan"
    assert _buttons(harness) == ["pw:1", "pw:2"]
    week2 = (await harness.texts_after(u.callback_query("pw:2")))[0]
    assert "<b>Week 2 of 2</b>" in week2 and "Strides" in week2 and "Easy run" not in week2
    shown = (await harness.texts_after(u.command("plan")))[0]
    assert "Your training plan: <b>10k build</b>" in shown and len(openai.chat_requests) == 1
    cancelled = (await harness.texts_after(u.command("plan", "cancel")))[0]
    assert "archived" in cancelled
    gone = await harness.texts_after(u.callback_query("pw:1"))
    assert "no active training plan" in gone[0]


async def test_bad_plan_json_is_refused_and_not_counted(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    openai.reply('{"title": "x"}')
    texts = await harness.texts_after(u.command("plan", "marathon"))
    assert "could not read" in texts[0]
    assert await harness.texts_after(u.callback_query("pw:1")) == [
        "You have no active training plan. Send /plan followed by your goal to make one."
    ]


async def test_workout_is_made_once_a_day(harness: BotHarness, openai: FakeOpenAIServer) -> None:
    openai.reply(json.dumps(WORKOUT))
    made = (await harness.texts_after(u.command("workout")))[0]
    assert "Workout for 25 Nov" in made and "<b>Tempo &amp; strides (running): 40:00" in made
    assert "1. Warm-up 15 min @ HR zones 1-2. easy, HR low" in made
    assert "2. Work 25 min @ 4:25-4:35 /km" in made and "3. Cool-down until you press lap" in made
    again = (await harness.texts_after(u.command("workout")))[0]
    assert "Made earlier today" in again and len(openai.chat_requests) == 1
    openai.reply(json.dumps({**WORKOUT, "name": "Recovery spin", "sport": "cycling"}))
    fresh = (await harness.texts_after(u.command("workout", "new")))[0]
    assert "Recovery spin" in fresh and len(openai.chat_requests) == 2
    bad = await harness.texts_after(u.command("workout", "tomorrow"))
    assert "/workout new" in bad[0]


async def test_analyze_without_activities_and_bad_ids(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    none = await harness.texts_after(u.command("analyze"))
    assert none == ["No activities in your history yet."]
    bad = await harness.texts_after(u.command("analyze", "abc"))
    assert "activity id" in bad[0]
    other = await harness.texts_after(u.callback_query("an:999"))
    assert other == ["No activity 999 in your history."]
    assert openai.chat_requests == []
