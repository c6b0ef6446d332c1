"""Voice notes to the coach end to end: the real bot downloads the note from the fake Bot API,
the real OpenAI gateway transcribes it on the fake OpenAI server, the coach answers it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import AIUsageLog
from core.gateways.cipher import Cipher, new_key
from core.gateways.llm import build_llm
from core.limits.feature_gate import Feature
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api_spec import parse_html
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAIServer

AUDIO = b"OggS\x00\x02" + bytes(range(256)) * 8  # what Telegram serves for the note
SAID = "Should I do intervals today or rest? My legs feel heavy & tired."
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
ANSWER = "Rest today: heavy legs <and> poor sleep say recovery first."


@pytest.fixture
async def container(
    settings: Settings, clock: FakeClock, openai: FakeOpenAIServer
) -> AsyncIterator[Container]:
    """The product with its coach and transcription on the fake OpenAI server."""
    llm = build_llm(
        api_key="sk-test",
        base_url=openai.base_url,
        model="gpt-4o-mini",
        timeout_s=30,
        transcribe_model="whisper-1",
    )
    cipher = Cipher([settings.credentials_keys or new_key()])
    c = build(settings, clock=clock, cipher=cipher, llm=llm)
    try:
        yield c
    finally:
        await llm.aclose()
        await c.close()


def _note(api: FakeBotAPI, *, duration: int, sender: dict[str, Any] | None = None) -> Any:
    doc = api.add_file(AUDIO, file_name="voice.ogg", mime_type="audio/ogg", folder="voice")
    update = u.voice_message(duration=duration, file=doc)
    if sender is not None:
        update["message"]["from"] = sender
    return update


async def _chat_used(h: BotHarness) -> int:
    account = await h.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    report = await h.container.services.gate.remaining(account.id)
    return next(f.used for f in report.features if f.feature == Feature.AI_CHAT)


async def _logs(h: BotHarness) -> list[AIUsageLog]:
    account = await h.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    async with h.container.uow() as uow:
        return list(await uow.ai_usage.for_user(account.id, since=LONG_AGO))


async def test_voice_note_is_transcribed_and_answered_under_its_transcript(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    openai.transcribe_next(SAID)
    openai.reply(ANSWER)

    [text] = await harness.texts_after(_note(harness.api, duration=90))

    assert text == (
        "🎙 <i>Should I do intervals today or rest? My legs feel heavy &amp; tired.</i>\n\n"
        "Rest today: heavy legs &lt;and&gt; poor sleep say recovery first."
    )
    assert parse_html(text) == (f"🎙 {SAID}\n\n{ANSWER}", None)
    [sent] = openai.transcription_requests
    assert sent["file"] == AUDIO and sent["model"] == "whisper-1"
    assert harness.api.downloads == ["voice/file_1.ogg"]
    [chat] = openai.chat_requests
    assert chat["stream"] is True and chat["messages"][-1] == {"role": "user", "content": SAID}
    assert await _chat_used(harness) == 1
    logs = {row.analysis_type: row for row in await _logs(harness)}
    assert set(logs) == {"transcription", "chat"}
    heard = logs["transcription"]
    assert (heard.model_id, heard.status) == ("whisper-1", "ok")
    assert heard.cost_cents == pytest.approx(0.9)  # 90 s at 0.6 cents a minute
    assert heard.latency_ms >= 0 and logs["chat"].status == "ok"


async def test_voice_note_too_long_is_refused_before_download(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    [text] = await harness.texts_after(_note(harness.api, duration=181))

    assert text == (
        "Voice notes can be up to 180 seconds long: please send a shorter one "
        "or type your question."
    )
    assert harness.api.calls("getFile") == [] and harness.api.downloads == []
    assert openai.requests == []
    assert await _chat_used(harness) == 0 and await _logs(harness) == []


async def test_voice_transcription_failure_refunds_the_unit(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    openai.fail_transcription_next(500)

    [text] = await harness.texts_after(_note(harness.api, duration=20))

    assert text == (
        "I could not transcribe that voice note, so it did not count: please try again "
        "or type your question."
    )
    assert len(openai.transcription_requests) == 1 and openai.chat_requests == []
    assert await _chat_used(harness) == 0
    [row] = await _logs(harness)
    assert (row.analysis_type, row.status, row.cost_cents) == ("transcription", "error", 0.0)
    # The bot is still there: the next note goes through.
    openai.reply(ANSWER)
    [again] = await harness.texts_after(_note(harness.api, duration=20))
    assert again.endswith("poor sleep say recovery first.")
    assert await _chat_used(harness) == 1


async def test_voice_coach_failing_after_transcription_refunds_but_logs_the_minutes(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    openai.fail_next(500)

    [text] = await harness.texts_after(_note(harness.api, duration=30))

    assert "HTTP 500" in text  # the coach's own error sentence, as for a typed message
    assert await _chat_used(harness) == 0
    logs = {row.analysis_type: row for row in await _logs(harness)}
    assert logs["transcription"].status == "ok"
    assert logs["transcription"].cost_cents == pytest.approx(0.3)  # the minutes were used
    assert logs["chat"].status == "error" and logs["chat"].cost_cents == 0.0


async def test_voice_note_telegram_will_not_serve_is_not_counted(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    harness.api.fail_next("file", 502, "Bad Gateway")

    [text] = await harness.texts_after(_note(harness.api, duration=20))

    assert text == (
        "I could not download that voice note from Telegram, so it did not count: "
        "please send it again."
    )
    assert openai.requests == [] and await _chat_used(harness) == 0


async def test_voice_answer_and_long_transcript_are_split_to_fit(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    said = "I ran easy, then hard <again> & again. " * 75  # about 3000 characters
    answer = "Recover first & sleep well. " * 60
    openai.transcribe_next(said)
    openai.reply(answer)

    texts = await harness.texts_after(_note(harness.api, duration=170), count=2)

    shown = [parse_html(t) for t in texts]
    assert all(error is None and len(t) <= 4096 for t, error in shown)
    assert shown[0][0] == f"🎙 {said.strip()}"
    assert shown[1][0] == answer.strip()
    assert await _chat_used(harness) == 1


async def test_voice_note_from_a_german_athlete_is_refused_in_german(
    harness: BotHarness, openai: FakeOpenAIServer
) -> None:
    german = u.user(language_code="de")

    [text] = await harness.texts_after(_note(harness.api, duration=600, sender=german))

    assert text == (
        "Sprachnachrichten dürfen höchstens 180 Sekunden lang sein: Schick bitte eine "
        "kürzere oder schreib deine Frage."
    )
    assert harness.api.downloads == [] and openai.requests == []


class TestVoiceNotConfigured:
    """No transcription model: one sentence, nothing downloaded or spent."""

    @pytest.fixture
    def container(self, coach_container: Container) -> Container:
        return coach_container  # the coach without OPENAI_TRANSCRIBE_MODEL

    async def test_voice_not_enabled_says_so(
        self, harness: BotHarness, openai: FakeOpenAIServer
    ) -> None:
        [text] = await harness.texts_after(_note(harness.api, duration=10))

        assert text == (
            "Voice notes are not enabled on this bot, so please type your question instead."
        )
        assert harness.api.downloads == [] and openai.requests == []
        assert await _chat_used(harness) == 0
