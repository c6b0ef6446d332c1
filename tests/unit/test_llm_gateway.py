"""The OpenAI gateway against a fake OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import aclosing

import openai
import pytest

from core.errors import (
    LLMEmptyAnswer,
    LLMError,
    LLMNotConfigured,
    LLMRateLimited,
    LLMTimeout,
    LLMUnavailable,
)
from core.gateways.llm import (
    LLM,
    ChatMessage,
    Completion,
    NotConfiguredLLM,
    OpenAILLM,
    StreamEvent,
    TextDelta,
    _is_custom_server,
    build_llm,
    estimate_tokens,
)
from tests.fakes.llm import FakeLLM
from tests.fakes.loop_clock import LoopClock
from tests.fakes.openai_server import (
    FakeOpenAIServer,
    completion_tokens,
    prompt_tokens,
    stream_pieces,
)

KEY = "sk-test-4f9a2c7e1b8d0secret"
MODEL = "test-model"
MESSAGES = [
    ChatMessage("system", "You are a running coach."),
    ChatMessage("user", "How should I pace a 10k race next Sunday?"),
]
WIRE = [{"role": m.role, "content": m.content} for m in MESSAGES]
ANSWER = "Start a little slower than goal pace, then settle in and finish strong."
# Generous: a call must never run out of time on a busy machine. Tests of the deadline do not
# wait for it; they move the loop's clock once the server holds the request.
TIMEOUT_S = 30.0
CEILING_S = 30.0  # how long a test waits for something that should happen at once


@pytest.fixture
async def srv() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer(api_key=KEY) as server:
        yield server


@pytest.fixture
async def llm(srv: FakeOpenAIServer) -> AsyncIterator[OpenAILLM]:
    gateway = OpenAILLM(api_key=KEY, base_url=srv.base_url, model=MODEL, timeout_s=TIMEOUT_S)
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def loop_clock() -> LoopClock:
    return LoopClock.install()


async def collect(events: AsyncIterator[StreamEvent]) -> tuple[list[str], list[Completion]]:
    deltas: list[str] = []
    finals: list[Completion] = []
    async for event in events:
        if isinstance(event, TextDelta):
            assert not finals, "a delta arrived after the final Completion"
            deltas.append(event.text)
        else:
            finals.append(event)
    return deltas, finals


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def timed_out(
    srv: FakeOpenAIServer, clock: LoopClock, call: Coroutine[object, object, object]
) -> LLMTimeout:
    """Start a call the server will hold; once held, let the deadline pass; return the error."""
    held = srv.held + 1
    task = asyncio.create_task(call)
    await srv.wait_until_held(held)
    clock.advance(TIMEOUT_S)
    with pytest.raises(LLMTimeout) as caught:
        await asyncio.wait_for(task, CEILING_S)
    return caught.value


async def test_complete_returns_text_and_usage(srv: FakeOpenAIServer, llm: OpenAILLM) -> None:
    srv.reply(ANSWER)

    result = await llm.complete(MESSAGES)

    assert result == Completion(
        text=ANSWER,
        model=MODEL,
        input_tokens=prompt_tokens(WIRE),
        output_tokens=completion_tokens(ANSWER),
        finish_reason="stop",
    )
    [body] = srv.chat_requests
    assert body["model"] == MODEL
    assert body["messages"] == WIRE
    assert "response_format" not in body and not body.get("stream")


async def test_json_mode_asks_for_a_json_object(srv: FakeOpenAIServer, llm: OpenAILLM) -> None:
    result = await llm.complete(MESSAGES, json_mode=True)

    assert srv.chat_requests[0]["response_format"] == {"type": "json_object"}
    assert json.loads(result.text) == {"echo": MESSAGES[-1].content}


async def test_max_tokens_goes_under_the_field_compatible_servers_know(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.reply(ANSWER)

    result = await llm.complete(MESSAGES, max_tokens=5)

    body = srv.chat_requests[0]
    assert body["max_tokens"] == 5 and "max_completion_tokens" not in body
    assert result.finish_reason == "length"
    assert result.text == ANSWER[:20]


async def test_stream_yields_deltas_in_order_then_completion_with_server_usage(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.reply(ANSWER)

    deltas, finals = await collect(llm.stream(MESSAGES))

    assert deltas == stream_pieces(ANSWER)
    assert len(deltas) > 5
    [final] = finals
    assert final.text == ANSWER
    assert (final.input_tokens, final.output_tokens) == (
        prompt_tokens(WIRE),
        completion_tokens(ANSWER),
    )
    # The server counts differently from the local estimate: proof the usage chunk was read.
    assert final.input_tokens != estimate_tokens("".join(m.content for m in MESSAGES))
    body = srv.chat_requests[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_stream_without_usage_chunk_estimates_tokens(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.include_usage = False
    srv.reply(ANSWER)

    _, [final] = await collect(llm.stream(MESSAGES))

    # Rounded up, as the coach's history budget counts: 65 characters are 17 tokens, not 16.
    assert final.input_tokens == estimate_tokens("".join(m.content for m in MESSAGES)) == 17
    assert final.output_tokens == estimate_tokens(ANSWER) == 18


def test_tokens_are_estimated_as_characters_over_four_rounded_up() -> None:
    assert [estimate_tokens("x" * n) for n in (0, 1, 4, 5, 400)] == [0, 1, 1, 2, 100]


async def test_consumer_can_stop_a_stream_early(srv: FakeOpenAIServer, llm: OpenAILLM) -> None:
    srv.reply(ANSWER, "Second answer.")

    async with aclosing(llm.stream(MESSAGES)) as events:
        async for event in events:
            assert isinstance(event, TextDelta)
            break

    assert (await llm.complete(MESSAGES)).text == "Second answer."


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, LLMRateLimited), (500, LLMUnavailable), (503, LLMUnavailable), (400, LLMUnavailable)],
)
async def test_http_errors_map_to_domain_errors_without_retry(
    srv: FakeOpenAIServer, llm: OpenAILLM, status: int, error: type[LLMError]
) -> None:
    srv.fail_next(status)
    srv.fail_next(status)

    with pytest.raises(error):
        await llm.complete(MESSAGES)
    with pytest.raises(error):
        await collect(llm.stream(MESSAGES))

    assert len(srv.chat_requests) == 2  # one attempt per call


async def test_rate_limit_status_for_the_usage_log(srv: FakeOpenAIServer, llm: OpenAILLM) -> None:
    srv.fail_next(429)

    with pytest.raises(LLMRateLimited) as caught:
        await llm.complete(MESSAGES)

    assert caught.value.status == "rate_limited"


async def test_hang_before_answer_times_out(
    srv: FakeOpenAIServer, llm: OpenAILLM, loop_clock: LoopClock
) -> None:
    srv.hang_next()

    error = await timed_out(srv, loop_clock, llm.complete(MESSAGES))

    assert error.status == "timeout"
    assert len(srv.chat_requests) == 1


async def test_hang_mid_stream_times_out_after_first_deltas(
    srv: FakeOpenAIServer, llm: OpenAILLM, loop_clock: LoopClock
) -> None:
    srv.hang_next(mid_stream=True, text=ANSWER)
    events = llm.stream(MESSAGES)

    first = await asyncio.wait_for(anext(events), CEILING_S)  # sent before the hang
    await srv.wait_until_held()
    loop_clock.advance(TIMEOUT_S)

    assert first == TextDelta(stream_pieces(ANSWER)[0])
    with pytest.raises(LLMTimeout):
        await asyncio.wait_for(anext(events), CEILING_S)


async def test_slow_steady_stream_is_cut_at_the_overall_deadline(
    srv: FakeOpenAIServer, llm: OpenAILLM, loop_clock: LoopClock
) -> None:
    # A third of the deadline between words: each wait is short, the whole answer too long.
    srv.slow_next(TIMEOUT_S / 3, text=ANSWER)
    deltas: list[str] = []

    with pytest.raises(LLMTimeout):
        async for event in llm.stream(MESSAGES):
            assert isinstance(event, TextDelta)
            deltas.append(event.text)
            await srv.wait_until_held(len(deltas))  # the model pauses after this word...
            loop_clock.advance(TIMEOUT_S / 3)  # ...and the pause passes

    assert 1 <= len(deltas) <= 3 < len(stream_pieces(ANSWER))


async def test_empty_answer(srv: FakeOpenAIServer, llm: OpenAILLM) -> None:
    srv.empty_next()
    srv.empty_next()

    with pytest.raises(LLMEmptyAnswer) as caught:
        await llm.complete(MESSAGES)
    with pytest.raises(LLMEmptyAnswer):
        await collect(llm.stream(MESSAGES))

    assert caught.value.status == "empty"


async def test_refusal_and_content_filter_are_empty_answers(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.refuse_next()
    srv.refuse_next()
    srv.reply("Partly filtered", finish_reason="content_filter")

    with pytest.raises(LLMEmptyAnswer):
        await llm.complete(MESSAGES)
    with pytest.raises(LLMEmptyAnswer):
        await collect(llm.stream(MESSAGES))
    with pytest.raises(LLMEmptyAnswer):
        await llm.complete(MESSAGES)


async def test_connection_refused_is_unavailable() -> None:
    gateway = OpenAILLM(
        api_key=KEY,
        base_url=f"http://127.0.0.1:{unused_port()}/v1",
        model=MODEL,
        timeout_s=TIMEOUT_S,
    )

    with pytest.raises(LLMUnavailable):
        await gateway.complete(MESSAGES)
    with pytest.raises(LLMUnavailable):
        await collect(gateway.stream(MESSAGES))
    await gateway.aclose()


async def test_not_configured_raises_on_every_call() -> None:
    llm = build_llm(api_key=None, base_url=None, model=MODEL, timeout_s=TIMEOUT_S)

    assert isinstance(llm, NotConfiguredLLM)
    with pytest.raises(LLMNotConfigured) as caught:
        await llm.complete(MESSAGES)
    with pytest.raises(LLMNotConfigured):
        await collect(llm.stream(MESSAGES))
    assert caught.value.status == "not_configured"


async def test_server_without_key_gets_a_placeholder_key() -> None:
    async with FakeOpenAIServer() as server:
        llm = build_llm(api_key=None, base_url=server.base_url, model=MODEL, timeout_s=TIMEOUT_S)
        assert isinstance(llm, OpenAILLM)
        server.reply(ANSWER)

        assert (await llm.complete(MESSAGES)).text == ANSWER
        assert server.requests[0].headers["Authorization"] == "Bearer not-needed"
        await llm.aclose()


def test_only_openai_itself_gets_max_completion_tokens() -> None:
    assert not _is_custom_server(None)
    assert not _is_custom_server("https://api.openai.com/v1")
    assert _is_custom_server("http://localhost:11434/v1")


async def test_key_is_sent_but_never_logged_nor_in_errors(
    srv: FakeOpenAIServer,
    llm: OpenAILLM,
    loop_clock: LoopClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    refused = OpenAILLM(
        api_key=KEY,
        base_url=f"http://127.0.0.1:{unused_port()}/v1",
        model=MODEL,
        timeout_s=TIMEOUT_S,
    )
    srv.reply(ANSWER)
    srv.fail_next(429)
    srv.fail_next(500)
    srv.hang_next()
    errors: list[BaseException] = []

    await llm.complete(MESSAGES)
    for _ in range(2):
        with pytest.raises(LLMError) as caught:
            await llm.complete(MESSAGES)
        errors.append(caught.value)
    errors.append(await timed_out(srv, loop_clock, llm.complete(MESSAGES)))
    with pytest.raises(LLMError) as caught:
        await refused.complete(MESSAGES)
    errors.append(caught.value)

    assert len(srv.chat_requests) == 4
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in srv.requests)
    assert KEY not in caplog.text
    for error in errors:
        assert KEY not in str(error) and KEY not in repr(error)
        assert error.__cause__ is not None and KEY not in str(error.__cause__)
    await refused.aclose()


async def test_fake_server_lists_models(srv: FakeOpenAIServer) -> None:
    client = openai.AsyncOpenAI(api_key=KEY, base_url=srv.base_url, max_retries=0)

    page = await client.models.list()

    assert [m.id for m in page.data] == ["gpt-4o-mini"]
    await client.close()


async def test_fake_llm_follows_the_protocol() -> None:
    async def ask(llm: LLM, messages: Sequence[ChatMessage]) -> str:
        return (await llm.complete(messages)).text

    fake = FakeLLM("First.", default=lambda ms: f"Got {len(ms)} messages.")
    fake.fail_next(LLMTimeout("slow"))

    assert await ask(fake, MESSAGES) == "First."
    with pytest.raises(LLMTimeout):
        await ask(fake, MESSAGES)
    deltas, [final] = await collect(fake.stream(MESSAGES))
    assert "".join(deltas) == final.text == "Got 2 messages."
    assert [c.streamed for c in fake.calls] == [False, False, True]
    assert fake.last_messages == MESSAGES
