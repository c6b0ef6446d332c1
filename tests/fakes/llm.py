"""An in-memory LLM for unit tests of services: scripted replies, recorded calls, no latency."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import LLMEmptyAnswer, LLMError
from core.gateways.llm import ChatMessage, Completion, StreamEvent, TextDelta, Transcript
from tests.fakes.openai_server import SAMPLE_PLAN, SAMPLE_WORKOUT

ReplyFn = Callable[[Sequence[ChatMessage]], str]


@dataclass(frozen=True)
class LLMCall:
    """One call the fake received."""

    messages: list[ChatMessage]
    max_tokens: int | None
    json_mode: bool
    streamed: bool
    response_format: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class _Failure:
    error: LLMError
    mid_stream: bool


def fake_tokens(text: str) -> int:
    """Token count the fake reports: chars // 4, as the gateway estimates."""
    return len(text) // 4


class FakeLLM:
    """Satisfies the LLM protocol.

    Scripting calls (reply, fail_next) shape one call each, in the order made; unscripted
    calls get `default`, a string or a function of the messages, except a call asking for the
    "workout" JSON schema, which gets SAMPLE_WORKOUT, and one for the "plan" schema, SAMPLE_PLAN.
    """

    def __init__(
        self, *replies: str, model: str = "fake-model", default: str | ReplyFn = "OK"
    ) -> None:
        self.model = model
        self.transcribe_model: str | None = None  # set it to take voice notes
        self.transcripts: deque[str | LLMError] = deque()  # scripted transcriptions
        self.audio: list[bytes] = []  # the audio of each transcription asked for
        self.default = default
        self.calls: list[LLMCall] = []
        self._script: deque[str | _Failure] = deque(replies)

    def reply(self, *texts: str) -> None:
        """Answer the next calls with these texts, one each."""
        self._script.extend(texts)

    def fail_next(self, error: LLMError, *, times: int = 1, mid_stream: bool = False) -> None:
        """Raise this error on the next calls (in a stream: after the first delta if mid_stream)."""
        self._script.extend(_Failure(error, mid_stream) for _ in range(times))

    @property
    def last_messages(self) -> list[ChatMessage]:
        """Messages of the latest call."""
        return self.calls[-1].messages

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        json_mode: bool = False,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion:
        """Record the call and answer from the script."""
        call = LLMCall(list(messages), max_tokens, json_mode, False, response_format)
        self.calls.append(call)
        schema = (response_format or {}).get("json_schema") or {}
        if not self._script and schema.get("name") == "workout":
            return self._completion(messages, json.dumps(SAMPLE_WORKOUT))
        if not self._script and schema.get("name") == "plan":
            return self._completion(messages, json.dumps(SAMPLE_PLAN))
        step = self._next(messages)
        if isinstance(step, _Failure):
            raise step.error
        return self._completion(messages, step)

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """Record the call and stream the scripted answer word by word."""
        self.calls.append(LLMCall(list(messages), max_tokens, json_mode=False, streamed=True))
        step = self._next(messages)
        if isinstance(step, _Failure):
            if step.mid_stream:
                yield TextDelta("Partial")
            raise step.error
        completion = self._completion(messages, step)
        for piece in re.findall(r"\s*\S+|\s+$", step):
            yield TextDelta(piece)
        yield completion

    async def transcribe(self, audio: bytes, filename: str, duration_s: float) -> Transcript:
        """Record the audio and answer the next scripted transcript (or raise its error)."""
        self.audio.append(audio)
        step = self.transcripts.popleft() if self.transcripts else "Fake transcript."
        if isinstance(step, LLMError):
            raise step
        return Transcript(step, self.transcribe_model or self.model, duration_s)

    def _next(self, messages: Sequence[ChatMessage]) -> str | _Failure:
        if self._script:
            return self._script.popleft()
        return self.default if isinstance(self.default, str) else self.default(messages)

    def _completion(self, messages: Sequence[ChatMessage], text: str) -> Completion:
        if not text.strip():  # as the real gateway does with an empty answer
            raise LLMEmptyAnswer("The model gave an empty answer.")
        return Completion(
            text=text,
            model=self.model,
            input_tokens=fake_tokens("".join(m.content for m in messages)),
            output_tokens=fake_tokens(text),
            finish_reason="stop",
        )
