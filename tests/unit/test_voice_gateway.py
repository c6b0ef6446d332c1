"""Voice-note transcription through the OpenAI gateway, against the fake server over HTTP, and
its price by the minute."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.errors import LLMEmptyAnswer, LLMNotConfigured, LLMTimeout, LLMUnavailable
from core.gateways.llm import NotConfiguredLLM, OpenAILLM, Transcript, build_llm
from core.limits.ai_usage import minute_cost_cents
from tests.fakes.loop_clock import LoopClock
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-test-voice-3b1f"
AUDIO = b"OggS\x00\x02fake-opus-voice-note\xff\x00" * 40
TIMEOUT_S = 30.0
CEILING_S = 30.0


@pytest.fixture
async def srv() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer(api_key=KEY) as server:
        yield server


@pytest.fixture
async def llm(srv: FakeOpenAIServer) -> AsyncIterator[OpenAILLM]:
    gateway = OpenAILLM(
        api_key=KEY,
        base_url=srv.base_url,
        model="gpt-4o-mini",
        timeout_s=TIMEOUT_S,
        transcribe_model="whisper-1",
    )
    yield gateway
    await gateway.aclose()


async def test_voice_transcribe_sends_the_audio_and_model_as_multipart(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.transcribe_next("  Easy run or intervals tomorrow?  ")

    result = await llm.transcribe(AUDIO, "voice.ogg", 42)

    assert result == Transcript("Easy run or intervals tomorrow?", "whisper-1", 42)
    [request] = srv.requests
    assert request.path == "/v1/audio/transcriptions"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    [body] = srv.transcription_requests
    assert body["file"] == AUDIO and body["filename"] == "voice.ogg"
    assert body["model"] == "whisper-1" and body["response_format"] == "json"
    assert srv.chat_requests == []


async def test_voice_transcribe_takes_the_servers_usage(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.transcription_usage = {"type": "duration", "seconds": 12.5}
    assert (await llm.transcribe(AUDIO, "voice.ogg", 13)).duration_s == 12.5
    srv.transcription_usage = {
        "type": "tokens", "input_tokens": 120, "output_tokens": 30, "total_tokens": 150,
    }  # fmt: skip
    tokens = await llm.transcribe(AUDIO, "voice.ogg", 13)
    assert (tokens.duration_s, tokens.input_tokens, tokens.output_tokens) == (13, 120, 30)


async def test_voice_transcribe_server_error_is_unavailable(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.fail_transcription_next(500)
    with pytest.raises(LLMUnavailable) as caught:
        await llm.transcribe(AUDIO, "voice.ogg", 5)
    assert caught.value.status == "error" and "500" in caught.value.message
    assert len(srv.transcription_requests) == 1  # one attempt, no retries


async def test_voice_transcribe_hang_times_out(srv: FakeOpenAIServer, llm: OpenAILLM) -> None:
    clock = LoopClock.install()
    srv.hang_transcription_next()
    task = asyncio.create_task(llm.transcribe(AUDIO, "voice.ogg", 5))
    await srv.wait_until_held(1)
    clock.advance(TIMEOUT_S)
    with pytest.raises(LLMTimeout):
        await asyncio.wait_for(task, CEILING_S)


async def test_voice_transcribe_of_silence_is_an_empty_answer(
    srv: FakeOpenAIServer, llm: OpenAILLM
) -> None:
    srv.transcribe_next("   ")
    with pytest.raises(LLMEmptyAnswer):
        await llm.transcribe(AUDIO, "voice.ogg", 3)


async def test_voice_transcription_is_off_without_a_model(srv: FakeOpenAIServer) -> None:
    gateway = build_llm(api_key=KEY, base_url=srv.base_url, model="gpt-4o-mini", timeout_s=5)
    try:
        assert gateway.transcribe_model is None
        with pytest.raises(LLMNotConfigured):
            await gateway.transcribe(AUDIO, "voice.ogg", 3)
    finally:
        assert isinstance(gateway, OpenAILLM)
        await gateway.aclose()
    assert srv.requests == []
    off = build_llm(
        api_key=None, base_url=None, model="m", timeout_s=5, transcribe_model="whisper-1"
    )
    assert isinstance(off, NotConfiguredLLM) and off.transcribe_model is None
    with pytest.raises(LLMNotConfigured):
        await off.transcribe(AUDIO, "voice.ogg", 3)


def test_voice_minutes_are_priced_per_minute() -> None:
    prices = {"whisper-1": 0.6, "gpt-4o-mini-transcribe": 0.3, "gpt-4o-transcribe": 0.6}
    assert minute_cost_cents(prices, "whisper-1", 90) == pytest.approx(0.9)
    assert minute_cost_cents(prices, "gpt-4o-mini-transcribe", 60) == pytest.approx(0.3)
    # A dated variant is priced as its family; the longest matching name wins.
    assert minute_cost_cents(prices, "gpt-4o-mini-transcribe-2025-03-20", 120) == pytest.approx(0.6)
    assert minute_cost_cents(prices, "gpt-4o-mini", 60) is None  # billed by the token
    assert minute_cost_cents(prices, "local-whisper", 60) is None
