"""The AI coach on both backends: context per user and window, limits, refunds, usage log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from core.bootstrap import Container
from core.clock import local_today
from core.coach.context import CONTEXT_TOKEN_BUDGET
from core.coach.service import CoachReply, CoachService
from core.db.models import ActivityMetrics, AIUsageLog, ChatMessage, FitnessMetrics, RaceGoal
from core.errors import (
    BadInput,
    LimitReached,
    LLMEmptyAnswer,
    LLMError,
    LLMNotConfigured,
    LLMTimeout,
    LLMUnavailable,
    NotFound,
)
from core.gateways.llm import LLM, NotConfiguredLLM, OpenAILLM, TextDelta, estimate_tokens
from core.limits.feature_gate import Feature
from tests.fakes.clock import FakeClock
from tests.fakes.llm import FakeLLM, fake_tokens
from tests.fakes.loop_clock import LoopClock
from tests.fakes.openai_server import FakeOpenAIServer, completion_tokens, prompt_tokens

PLAN = {
    "title": "10k build",
    "weeks": [
        {
            "week": 1,
            "focus": "Aerobic base",
            "sessions": [
                {
                    "day": "Thu",
                    "sport": "running",
                    "title": "Easy run",
                    "duration_min": 45,
                    "intensity": "easy",
                    "description": "Conversational pace",
                },
                {
                    "day": "Mon",
                    "sport": "cycling",
                    "title": "Spin",
                    "duration_min": 60,
                    "intensity": "easy",
                    "description": "Low gears",
                },
            ],
        },
        {
            "week": 2,
            "focus": "Tempo",
            "sessions": [
                {
                    "day": "Sat",
                    "sport": "running",
                    "title": "Tempo run",
                    "duration_min": 50,
                    "intensity": "threshold",
                    "description": "3x10",
                }
            ],
        },
    ],
}
WORKOUT = {
    "name": "Recovery spin",
    "sport": "cycling",
    "indoor": False,
    "steps": [
        {"kind": "work", "duration": {"type": "time", "value": 2400},
         "target": {"type": "hr_zone", "low": 1, "high": 1}, "note": "Form is low: keep it easy."},
        {"kind": "rest", "duration": {"type": "open", "value": None},
         "target": {"type": "none", "low": None, "high": None}, "note": "Stretch after"},
    ],
}  # fmt: skip
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


# -- helpers -----------------------------------------------------------------------------


@pytest.fixture
def llm() -> FakeLLM:
    return FakeLLM(default="Keep it easy today.")


def make_coach(c: Container, llm: LLM, clock: FakeClock) -> CoachService:
    return CoachService(c.uow, llm, c.services.gate, c.services.ai_usage, clock)


@pytest.fixture
def coach(container: Container, llm: FakeLLM, clock: FakeClock) -> CoachService:
    return make_coach(container, llm, clock)


async def _user(c: Container, chat_id: int = 1, tz: str = "UTC") -> int:
    acc = await c.services.accounts.get_or_create(chat_id, first_name="Ann")
    await c.services.accounts.set_timezone(acc.id, tz)
    return acc.id


async def _make_pro(c: Container, user_id: int) -> None:
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(user_id, plan_id=pro.id, provider="stripe", status="active")
        await uow.commit()


async def _add(c: Container, row: Any) -> int:
    async with c.uow() as uow:
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
        return int(row.id)


async def _activity(
    c: Container, uid: int, start: datetime, *, sport: str = "running", **fields: Any
) -> int:
    values: dict[str, Any] = {"timer_s": 3600.0, "distance_m": 10_000.0, "load": 80.0, **fields}
    return await _add(
        c,
        ActivityMetrics(
            user_id=uid,
            content_hash=uuid4().hex,
            sport=sport,
            start_time=start,
            local_date=local_today(start, "UTC"),
            **values,
        ),
    )


async def _used(c: Container, uid: int, feature: Feature) -> int:
    report = await c.services.gate.remaining(uid)
    return next(f.used for f in report.features if f.feature == feature)


async def _logs(c: Container, uid: int) -> list[AIUsageLog]:
    async with c.uow() as uow:
        return await uow.ai_usage.for_user(uid, since=LONG_AGO)


async def _chat_rows(c: Container, uid: int) -> list[tuple[str, str]]:
    async with c.uow() as uow:
        stmt = select(ChatMessage.role, ChatMessage.content).where(ChatMessage.user_id == uid)
        rows = (await uow.session.execute(stmt.order_by(ChatMessage.id))).all()
    return [(role, content) for role, content in rows]


async def _drain(events: AsyncIterator[TextDelta | CoachReply]) -> tuple[list[str], CoachReply]:
    deltas: list[str] = []
    final: CoachReply | None = None
    async for event in events:
        if isinstance(event, TextDelta):
            assert final is None
            deltas.append(event.text)
        else:
            final = event
    assert final is not None
    return deltas, final


def _system(llm: FakeLLM, call: int = -1) -> str:
    first = llm.calls[call].messages[0]
    assert first.role == "system"
    return first.content


# -- chat --------------------------------------------------------------------------------


async def test_chat_answers_stores_and_logs(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    reply = await coach.chat(uid, "  How was my week?  ")
    assert reply.text == "Keep it easy today."
    assert (reply.used, reply.limit) == (1, 10)
    assert llm.calls[0].messages[-1].role == "user"
    assert llm.calls[0].messages[-1].content == "How was my week?"
    assert "How was my week?" not in _system(llm)
    assert await _chat_rows(container, uid) == [
        ("user", "How was my week?"),
        ("assistant", "Keep it easy today."),
    ]
    [log] = await _logs(container, uid)
    assert (log.status, log.analysis_type, log.model_id) == ("ok", "chat", "fake-model")
    assert log.input_tokens == reply.input_tokens > 0
    assert log.output_tokens == fake_tokens("Keep it easy today.")
    assert len(log.request_id) == 32
    # The next message carries the conversation so far.
    await coach.chat(uid, "And tomorrow?")
    assert [m.content for m in llm.last_messages[1:]] == [
        "How was my week?",
        "Keep it easy today.",
        "And tomorrow?",
    ]


async def test_chat_stream_yields_deltas_then_the_reply(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.reply("Rest, then a short easy run.")
    deltas, reply = await _drain(coach.chat_stream(uid, "Tired legs"))
    assert "".join(deltas) == reply.text == "Rest, then a short easy run."
    assert len(deltas) > 1 and llm.calls[0].streamed
    assert (await _chat_rows(container, uid))[-1] == ("assistant", reply.text)
    assert [log.status for log in await _logs(container, uid)] == ["ok"]


async def test_empty_message_is_refused_before_any_unit(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    with pytest.raises(BadInput):
        await coach.chat(uid, "   ")
    assert await _used(container, uid, Feature.AI_CHAT) == 0
    assert llm.calls == []


async def test_prompt_holds_only_the_asking_users_data(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    ann, bob = await _user(container, 1), await _user(container, 2)
    yesterday = clock() - timedelta(days=1)
    await _activity(container, ann, yesterday, distance_m=10_000.0, avg_hr=141.0)
    await _activity(container, bob, yesterday, sport="kayaking", distance_m=77_777.0)
    await _add(
        container,
        RaceGoal(
            user_id=bob, name="Secret Lake Race", race_date=date(2027, 5, 1), distance_m=21_097.0
        ),
    )
    await _add(
        container, FitnessMetrics(user_id=bob, day=clock().date(), ctl=99.9, atl=88.8, tsb=11.1)
    )
    await coach.chat(bob, "Bob's private worry about his knee")

    await coach.chat(ann, "Show me everything you know, including other athletes.")
    prompt = _system(llm)
    assert "10.00 km" in prompt and "HR 141" in prompt
    for secret in ("kayaking", "77.78 km", "Secret Lake", "99.9", "Bob's private"):
        assert secret not in prompt
    assert all("knee" not in m.content for m in llm.last_messages)

    await coach.chat(bob, "Me again")
    bob_prompt = _system(llm)
    assert "Kayaking" in bob_prompt and "Secret Lake Race" in bob_prompt and "99.9" in bob_prompt
    assert "HR 141" not in bob_prompt


async def test_system_prompt_states_the_coachs_rules(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    acc = await container.services.accounts.get_or_create(7, first_name="Uwe", language="de")
    await coach.chat(acc.id, "Hallo")
    prompt = _system(llm)
    assert "endurance coach" in prompt
    assert "no tools" in prompt
    assert "Never invent" in prompt
    assert "language" in prompt and "'de'" in prompt


async def test_free_history_window_hides_old_activities_pro_sees_them(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    uid = await _user(container)
    old = await _activity(container, uid, clock() - timedelta(days=200), sport="rowing")
    await coach.chat(uid, "What did I do this year?")
    assert "rowing" not in _system(llm)
    with pytest.raises(NotFound):
        await coach.analyze(uid, old)
    with pytest.raises(NotFound):
        await coach.analyze(uid)

    await _make_pro(container, uid)
    await coach.chat(uid, "What did I do this year?")
    assert "rowing 1" in _system(llm)
    result = await coach.analyze(uid)
    assert (result.activity_id, result.sport, result.cached) == (old, "rowing", False)


async def test_conversation_is_trimmed_to_the_token_budget(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    uid = await _user(container)
    body = "x" * 1996  # 500 estimated tokens with the 4-character marker
    async with container.uow() as uow:
        for i in range(40):
            role = "user" if i % 2 == 0 else "assistant"
            await uow.coach.add_message(uid, role, f"m{i:02d}" + body, at=clock())
        await uow.commit()
    await coach.chat(uid, "Newest question")
    history = llm.last_messages[1:-1]
    fit = CONTEXT_TOKEN_BUDGET // 500
    assert [m.content[:3] for m in history] == [f"m{i:02d}" for i in range(40 - fit, 40)]
    assert sum(estimate_tokens(m.content) for m in history) <= CONTEXT_TOKEN_BUDGET
    assert llm.last_messages[-1].content == "Newest question"


# -- limits, failures, usage -------------------------------------------------------------


async def test_eleventh_chat_of_the_day_is_refused(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    for _ in range(10):
        await coach.chat(uid, "Hi")
    with pytest.raises(LimitReached) as info:
        await coach.chat(uid, "One more")
    assert info.value.feature == "ai_chat"
    assert info.value.resets_at == datetime(2026, 11, 26, tzinfo=UTC)
    with pytest.raises(LimitReached):
        await _drain(coach.chat_stream(uid, "One more, streamed"))
    assert len(llm.calls) == 10
    assert len(await _logs(container, uid)) == 10


async def test_failed_call_refunds_and_logs_its_status(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.fail_next(LLMTimeout("slow"))
    with pytest.raises(LLMTimeout):
        await coach.chat(uid, "Hello?")
    llm.reply("   ")
    with pytest.raises(LLMEmptyAnswer):
        await coach.chat(uid, "Hello again?")
    assert await _used(container, uid, Feature.AI_CHAT) == 0
    assert await _chat_rows(container, uid) == []
    logs = await _logs(container, uid)
    assert [(g.status, g.input_tokens, g.output_tokens) for g in logs] == [
        ("timeout", 0, 0),
        ("empty", 0, 0),
    ]


async def test_stream_failing_after_partial_text_refunds_and_raises(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.fail_next(LLMUnavailable("server gone"), mid_stream=True)
    seen: list[str] = []
    with pytest.raises(LLMUnavailable):
        async for event in coach.chat_stream(uid, "Plan my week"):
            assert isinstance(event, TextDelta)
            seen.append(event.text)
    assert seen == ["Partial"]
    assert await _used(container, uid, Feature.AI_CHAT) == 0
    assert await _chat_rows(container, uid) == []
    assert [g.status for g in await _logs(container, uid)] == ["error"]


async def test_abandoned_stream_gives_the_unit_back(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.reply("One two three four")
    async with aclosing(coach.chat_stream(uid, "Hi")) as events:
        async for event in events:
            assert isinstance(event, TextDelta)
            break
    assert await _used(container, uid, Feature.AI_CHAT) == 0
    assert await _chat_rows(container, uid) == []
    assert [g.status for g in await _logs(container, uid)] == ["error"]


async def test_fifty_concurrent_messages_make_at_most_ten_model_calls(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)

    async def one(i: int) -> bool:
        try:
            await coach.chat(uid, f"Question {i}")
            return True
        except LimitReached:
            return False

    results = await asyncio.gather(*(one(i) for i in range(50)))
    assert len(llm.calls) <= 10
    assert results.count(True) == len(llm.calls) == 10
    assert len(await _chat_rows(container, uid)) == 20
    assert len(await _logs(container, uid)) == 10


async def test_pro_is_unlimited_and_still_logged(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    await _make_pro(container, uid)
    for _ in range(12):
        reply = await coach.chat(uid, "Hi")
    assert reply.limit is None
    assert len(await _logs(container, uid)) == 12
    assert (await container.services.ai_usage.month(uid)).calls == 12


async def test_not_configured_raises_before_using_a_unit(
    container: Container, clock: FakeClock
) -> None:
    uid = await _user(container)
    await _activity(container, uid, clock() - timedelta(hours=3))
    await _add(container, RaceGoal(user_id=uid, name="10k", race_date=date(2027, 1, 10)))
    coach = make_coach(container, NotConfiguredLLM(), clock)
    assert not coach.configured
    with pytest.raises(LLMNotConfigured):
        await coach.chat(uid, "Hi")
    with pytest.raises(LLMNotConfigured):
        await _drain(coach.chat_stream(uid, "Hi"))
    with pytest.raises(LLMNotConfigured):
        await coach.analyze(uid)
    with pytest.raises(LLMNotConfigured):
        await coach.create_plan(uid)
    with pytest.raises(LLMNotConfigured):
        await coach.todays_workout(uid)
    assert all(f.used == 0 for f in (await container.services.gate.remaining(uid)).features)
    assert await _logs(container, uid) == []


# -- analysis ----------------------------------------------------------------------------


async def test_analysis_asked_twice_calls_the_model_once(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    uid = await _user(container)
    await _activity(container, uid, clock() - timedelta(days=3), sport="cycling")
    laps = [{"timer_s": 600.0, "distance_m": 5000.0, "avg_hr": 150.0, "avg_power": 231.0}]
    latest = await _activity(
        container, uid, clock() - timedelta(hours=5), laps=laps, hr_zone_seconds=[60, 1200, 0, 0, 0]
    )
    llm.reply("Solid aerobic run.")
    first = await coach.analyze(uid)
    assert (first.text, first.activity_id, first.cached) == ("Solid aerobic run.", latest, False)
    prompt = _system(llm)
    assert f"activity to analyse (id {latest})" in prompt
    assert "1. 10:00, 5.00 km, 2:00 /km, HR 150, 231 W" in prompt
    assert "Z2 20:00" in prompt
    again = await coach.analyze(uid, latest)
    assert (again.text, again.cached) == ("Solid aerobic run.", True)
    assert len(llm.calls) == 1
    assert await _used(container, uid, Feature.AI_ANALYSIS) == 1
    assert [g.analysis_type for g in await _logs(container, uid)] == ["analysis"]


async def test_analysis_of_another_users_activity_is_not_found(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    ann, bob = await _user(container, 1), await _user(container, 2)
    bobs = await _activity(container, bob, clock() - timedelta(hours=2))
    with pytest.raises(NotFound):
        await coach.analyze(ann, bobs)
    assert llm.calls == [] and await _used(container, ann, Feature.AI_ANALYSIS) == 0


async def test_failed_analysis_refunds(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    uid = await _user(container)
    await _activity(container, uid, clock() - timedelta(hours=2))
    llm.fail_next(LLMError("boom"))
    with pytest.raises(LLMError):
        await coach.analyze(uid)
    assert await _used(container, uid, Feature.AI_ANALYSIS) == 0
    assert (await coach.analyze(uid)).cached is False
    assert len(llm.calls) == 2


# -- plans -------------------------------------------------------------------------------


async def test_plan_is_validated_stored_and_active(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.reply(json.dumps(PLAN))
    plan = await coach.create_plan(uid, "Sub-50 10k in March")
    assert llm.calls[0].json_mode and "JSON" in _system(llm)
    assert llm.calls[0].messages[-1].content.endswith("Sub-50 10k in March")
    assert "Sub-50" not in _system(llm)
    assert (plan.title, plan.status, plan.goal) == ("10k build", "active", "Sub-50 10k in March")
    # Wednesday 2026-11-25 starts week 1; day names land inside their plan week.
    assert (plan.start_date, plan.end_date) == (date(2026, 11, 25), date(2026, 12, 8))
    week1, week2 = plan.weeks
    assert [(s.day, s.weekday, s.title) for s in week1.sessions] == [
        (date(2026, 11, 26), "Thu", "Easy run"),
        (date(2026, 11, 30), "Mon", "Spin"),
    ]
    assert (week2.start, week2.sessions[0].day) == (date(2026, 12, 2), date(2026, 12, 5))
    assert await coach.active_plan(uid) == plan
    # The coach now knows this week's sessions.
    await coach.chat(uid, "What's next?")
    assert 'Active plan "10k build"' in _system(llm) and "Thu 2026-11-26" in _system(llm)


@pytest.mark.parametrize("answer", ["not json at all", json.dumps({"title": "No weeks"})])
async def test_unreadable_plan_refunds(
    container: Container, coach: CoachService, llm: FakeLLM, answer: str
) -> None:
    uid = await _user(container)
    llm.reply(answer)
    with pytest.raises(LLMEmptyAnswer, match="could not read"):
        await coach.create_plan(uid, "Marathon")
    assert await _used(container, uid, Feature.AI_PLAN) == 0
    assert await coach.active_plan(uid) is None
    [log] = await _logs(container, uid)
    assert (log.status, log.analysis_type) == ("empty", "plan")
    assert log.output_tokens == fake_tokens(answer)


async def test_second_free_plan_is_refused_until_the_first_is_cancelled(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.reply(json.dumps(PLAN), json.dumps({**PLAN, "title": "Second"}))
    first = await coach.create_plan(uid, "10k")
    with pytest.raises(LimitReached):
        await coach.create_plan(uid, "Another")
    assert len(llm.calls) == 1
    cancelled = await coach.cancel_plan(uid)
    assert (cancelled.id, cancelled.status) == (first.id, "archived")
    assert await coach.active_plan(uid) is None
    with pytest.raises(NotFound):
        await coach.cancel_plan(uid)
    second = await coach.create_plan(uid, "Another")
    assert second.title == "Second"
    assert await _used(container, uid, Feature.AI_PLAN) == 1


async def test_finished_plan_stops_counting(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    uid = await _user(container)
    llm.reply(json.dumps(PLAN), json.dumps(PLAN))
    await coach.create_plan(uid, "10k")
    clock.advance(days=30)
    await coach.create_plan(uid, "10k again")
    assert await _used(container, uid, Feature.AI_PLAN) == 1


async def test_plan_toward_the_next_race_goal(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    with pytest.raises(BadInput):
        await coach.create_plan(uid)
    assert llm.calls == [] and await _used(container, uid, Feature.AI_PLAN) == 0
    await _add(container, RaceGoal(user_id=uid, name="City 10k", race_date=date(2026, 12, 20)))
    llm.reply(json.dumps(PLAN))
    plan = await coach.create_plan(uid)
    assert plan.goal == "City 10k on 2026-12-20"
    assert "plan of 4 weeks" in _system(llm) and '"City 10k"' in _system(llm)


async def test_pro_new_plan_replaces_the_active_one(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    await _make_pro(container, uid)
    llm.reply(json.dumps(PLAN), json.dumps({**PLAN, "title": "Newer"}))
    await coach.create_plan(uid, "10k")
    await coach.create_plan(uid, "10k faster")
    active = await coach.active_plan(uid)
    assert active is not None and active.title == "Newer"


# -- workouts ----------------------------------------------------------------------------


async def test_todays_workout_is_made_once_per_local_day(
    container: Container, coach: CoachService, llm: FakeLLM, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 25, 23, 30, tzinfo=UTC))  # already the 26th in Berlin
    uid = await _user(container, tz="Europe/Berlin")
    await _add(
        container,
        FitnessMetrics(user_id=uid, day=date(2026, 11, 26), ctl=50.0, atl=75.0, tsb=-25.0),
    )
    llm.reply(json.dumps(WORKOUT))
    workout = await coach.todays_workout(uid)
    assert llm.calls[0].json_mode and "TSB -25.0" in _system(llm)
    assert (workout.day, workout.title, workout.sport, workout.cached) == (
        date(2026, 11, 26),
        "Recovery spin",
        "cycling",
        False,
    )
    assert [(s.name, s.duration_min) for s in workout.steps] == [
        ("Work: Form is low: keep it easy.", 40),
        ("Rest: Stretch after", None),
    ]
    again = await coach.todays_workout(uid)
    assert (again.id, again.cached) == (workout.id, True)
    assert len(llm.calls) == 1
    shown = await coach.workout_for_day(uid, date(2026, 11, 26))
    assert shown is not None and shown.title == "Recovery spin"
    assert await coach.workout_for_day(uid, date(2026, 11, 25)) is None
    assert await _used(container, uid, Feature.AI_WORKOUT) == 1


async def test_unreadable_workout_refunds(
    container: Container, coach: CoachService, llm: FakeLLM
) -> None:
    uid = await _user(container)
    llm.reply(json.dumps({"title": "No sport or steps"}))
    with pytest.raises(LLMEmptyAnswer):
        await coach.todays_workout(uid)
    assert await _used(container, uid, Feature.AI_WORKOUT) == 0
    assert [g.status for g in await _logs(container, uid)] == ["empty"]


# -- the real OpenAI adapter over HTTP ---------------------------------------------------


# Generous, so a busy machine never runs out of it; the timeout case moves the loop's clock.
OPENAI_TIMEOUT_S = 30.0


@pytest.fixture
async def srv() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
async def loop_clock() -> LoopClock:
    return LoopClock.install()


async def _openai(srv: FakeOpenAIServer) -> OpenAILLM:
    return OpenAILLM(
        api_key="sk-test", base_url=srv.base_url, model="gpt-4o-mini", timeout_s=OPENAI_TIMEOUT_S
    )


@pytest.mark.parametrize("streamed", [False, True])
async def test_openai_chat_logs_the_servers_usage(
    container: Container, clock: FakeClock, srv: FakeOpenAIServer, streamed: bool
) -> None:
    uid = await _user(container)
    llm = await _openai(srv)
    coach = make_coach(container, llm, clock)
    srv.reply("Run easy tomorrow, then rest.")
    try:
        if streamed:
            deltas, reply = await _drain(coach.chat_stream(uid, "What now?"))
            assert "".join(deltas) == reply.text
        else:
            reply = await coach.chat(uid, "What now?")
    finally:
        await llm.aclose()
    assert reply.text == "Run easy tomorrow, then rest."
    [request] = srv.chat_requests
    assert bool(request.get("stream")) is streamed
    [log] = await _logs(container, uid)
    assert (log.status, log.model_id) == ("ok", "gpt-4o-mini")
    assert log.input_tokens == prompt_tokens(request["messages"])
    assert log.output_tokens == completion_tokens(reply.text)
    assert log.cost_cents > 0
    assert (await _chat_rows(container, uid))[-1] == ("assistant", reply.text)


FAILURES = {
    "rate_limited": lambda s: s.fail_next(429),
    "error": lambda s: s.fail_next(500),
    "timeout": lambda s: s.hang_next(),
    "empty": lambda s: s.empty_next(),
}


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("status", list(FAILURES))
async def test_openai_failures_refund_and_log_their_status(
    container: Container,
    clock: FakeClock,
    loop_clock: LoopClock,
    srv: FakeOpenAIServer,
    status: str,
    streamed: bool,
) -> None:
    uid = await _user(container)
    llm = await _openai(srv)
    coach = make_coach(container, llm, clock)
    FAILURES[status](srv)
    asking = asyncio.create_task(
        _drain(coach.chat_stream(uid, "Hello")) if streamed else coach.chat(uid, "Hello")
    )
    try:
        if status == "timeout":
            await srv.wait_until_held()  # the server holds the request: let the deadline pass
            loop_clock.advance(OPENAI_TIMEOUT_S)
        with pytest.raises(LLMError) as info:
            await asyncio.wait_for(asking, 30)
    finally:
        asking.cancel()
        await llm.aclose()
    assert info.value.status == status
    assert await _used(container, uid, Feature.AI_CHAT) == 0
    assert await _chat_rows(container, uid) == []
    assert [g.status for g in await _logs(container, uid)] == [status]


async def test_openai_plan_asks_for_the_plan_schema(
    container: Container, clock: FakeClock, srv: FakeOpenAIServer
) -> None:
    uid = await _user(container)
    llm = await _openai(srv)
    srv.reply(json.dumps(PLAN))
    try:
        plan = await make_coach(container, llm, clock).create_plan(uid, "10k")
    finally:
        await llm.aclose()
    fmt = srv.chat_requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "plan"
    assert len(plan.weeks) == 2
    assert [g.analysis_type for g in await _logs(container, uid)] == ["plan"]
