"""The AI coach pipeline's own cost per chat message, with a model that answers instantly.

What is timed: the plan check, context assembly (a year of activities), the usage log and
storing the exchange, from the account the bot resolved for the update (as the middleware
hands it over); the model itself costs nothing here. SQLite always; PostgreSQL too when
TEST_POSTGRES_URL is set (a temporary database is created and dropped).

    .venv/bin/python bench/coach.py
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from _common import on_each_backend, percentile

from core.bootstrap import Container, build
from core.clock import local_today, utcnow
from core.coach.plans import parse_plan, store_plan
from core.config import Settings
from core.db.models import ActivityMetrics, FitnessMetrics, GarminFitnessData, RaceGoal
from core.gateways.cipher import Cipher, new_key
from core.gateways.llm import ChatMessage, Completion, StreamEvent, TextDelta, estimate_tokens

MESSAGES = 500
STREAMED = 100
ACTIVITIES = 300
# Keeps the whole run under two minutes on a slow or busy machine (fewer samples, same figures).
BACKEND_BUDGET_S = 45.0
ANSWER = (
    "Your form is slightly negative after a solid block, which is where fitness is built. "
    "Keep tomorrow easy: 45 minutes in zone 2, then a rest day. On the weekend, a long run of "
    "90 minutes at a conversational pace will do more than another hard session. "
) * 3
PLAN_JSON = (
    '{"title": "Spring marathon", "weeks": [{"week": 1, "focus": "Base", "sessions": ['
    '{"day": "Tue", "sport": "running", "title": "Easy", "duration_min": 50, '
    '"intensity": "easy", "description": "Zone 2"},'
    '{"day": "Thu", "sport": "running", "title": "Tempo", "duration_min": 60, '
    '"intensity": "threshold", "description": "3x10 min"},'
    '{"day": "Sun", "sport": "running", "title": "Long run", "duration_min": 100, '
    '"intensity": "easy", "description": "Steady"}]}]}'
)


class InstantLLM:
    """A model that answers at once with a fixed reply (the bench measures everything else)."""

    model = "gpt-4o-mini"

    def __init__(self) -> None:
        self.last_prompt_chars = 0

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        json_mode: bool = False,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion:
        prompt = "".join(m.content for m in messages)
        self.last_prompt_chars = len(prompt)
        tokens_in, tokens_out = estimate_tokens(prompt), estimate_tokens(ANSWER)
        return Completion(ANSWER, self.model, tokens_in, tokens_out, "stop")

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        completion = await self.complete(messages, max_tokens=max_tokens)
        for i in range(0, len(ANSWER), 80):
            yield TextDelta(ANSWER[i : i + 80])
        yield completion


async def seed(c: Container) -> int:
    """A Pro athlete with a year of training, wellness, a race goal and an active plan."""
    acc = await c.services.accounts.get_or_create(4242, first_name="Bench", language="en")
    await c.services.accounts.set_timezone(acc.id, "Europe/Berlin")
    now = utcnow()
    today = local_today(now, "Europe/Berlin")
    laps = [{"timer_s": 300.0, "distance_m": 1000.0, "avg_hr": 150.0, "avg_power": 240.0}] * 10
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(acc.id, plan_id=pro.id, provider="stripe", status="active")
        for i in range(ACTIVITIES):
            start = now - timedelta(days=i * 365 / ACTIVITIES, hours=3)
            uow.session.add(
                ActivityMetrics(
                    user_id=acc.id,
                    content_hash=uuid.uuid4().hex,
                    sport=("running", "cycling")[i % 2],
                    start_time=start,
                    local_date=local_today(start, "Europe/Berlin"),
                    timer_s=3000.0 + i,
                    distance_m=10_000.0 + i,
                    avg_hr=145.0,
                    max_hr=170.0,
                    avg_power=210.0,
                    load=60.0 + i % 40,
                    load_method="trimp",
                    laps=laps,
                    hr_zone_seconds=[300, 1800, 600, 200, 0],
                )
            )
        for d in range(365):
            day = today - timedelta(days=d)
            uow.session.add(FitnessMetrics(user_id=acc.id, day=day, ctl=50.0, atl=60.0, tsb=-10.0))
            if d < 30:
                uow.session.add(GarminFitnessData(user_id=acc.id, day=day, resting_hr=48))
        uow.session.add(
            RaceGoal(
                user_id=acc.id,
                name="Spring Marathon",
                race_date=today + timedelta(days=120),
                distance_m=42_195.0,
            )
        )
        await store_plan(uow, acc.id, parse_plan(PLAN_JSON), start=today, goal="Marathon", at=now)
        await uow.commit()
    return acc.id


def report(label: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"  {label:<22} n={len(ms):<4} p50 {percentile(ms, 50):6.2f} ms   "
        f"p99 {percentile(ms, 99):6.2f} ms   mean {statistics.fmean(ms):6.2f} ms"
    )


async def run(name: str, url: str, data_dir: str) -> None:
    settings = Settings(_env_file=None, database_url=url, data_dir=data_dir)  # type: ignore[call-arg]
    llm = InstantLLM()
    c = build(settings, cipher=Cipher([new_key()]), llm=llm)
    try:
        uid = await seed(c)
        account = await c.services.accounts.get(uid)  # as the bot resolves it per update
        coach = c.services.coach
        plain: list[float] = []
        deadline = time.monotonic() + BACKEND_BUDGET_S
        for i in range(MESSAGES):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            await coach.chat(account, f"Question {i}: how should I train this week?")
            plain.append(time.perf_counter() - t0)
        streamed: list[float] = []
        for i in range(STREAMED):
            if time.monotonic() > deadline + 10:
                break
            t0 = time.perf_counter()
            async for _ in coach.chat_stream(account, f"Streamed question {i}"):
                pass
            streamed.append(time.perf_counter() - t0)
        print(f"{name}: {ACTIVITIES} activities over a year, Pro user, instant model")
        report("chat (one piece)", plain)
        report("chat_stream", streamed)
        tokens = estimate_tokens("x" * llm.last_prompt_chars)
        print(f"  prompt of the last message: {llm.last_prompt_chars} chars (~{tokens} tokens)")
        month = await c.services.ai_usage.month(uid)
        print(f"  usage rows logged: {month.calls}")
    finally:
        await c.close()


async def main() -> None:
    await on_each_backend(run)


if __name__ == "__main__":
    asyncio.run(main())
