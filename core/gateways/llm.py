"""The language model port and its adapter for OpenAI-compatible servers (OpenAI, Ollama, vLLM)."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import openai
from openai.types import CompletionUsage
from openai.types.audio import Transcription
from openai.types.audio.transcription import UsageDuration, UsageTokens
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from core.errors import (
    N_,
    LLMEmptyAnswer,
    LLMNotConfigured,
    LLMRateLimited,
    LLMTimeout,
    LLMUnavailable,
)

logger = logging.getLogger(__name__)

# Local servers such as Ollama ignore the key, but the client refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of a conversation: role is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole answer and what it cost in tokens."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of a streamed answer."""

    text: str


StreamEvent = TextDelta | Completion


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was said in an audio clip, and what the transcription used: `duration_s` of audio
    (models billed by the minute) and tokens (models billed by the token; 0 if not told)."""

    text: str
    model: str
    duration_s: float
    input_tokens: int = 0
    output_tokens: int = 0


class LLM(Protocol):
    """A chat model: one answer at once, or streamed as deltas then a final Completion.

    `json_mode` asks for a JSON object; `response_format` (a "json_schema" format) asks for
    JSON of that schema where the server can hold to one, else for a JSON object.
    """

    model: str
    transcribe_model: str | None  # None: no transcription (voice notes are off)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        json_mode: bool = False,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion: ...

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None
    ) -> AsyncGenerator[StreamEvent, None]: ...

    async def transcribe(self, audio: bytes, filename: str, duration_s: float) -> Transcript:
        """The words spoken in `audio` (a file named `filename`, `duration_s` long)."""
        ...


class NotConfiguredLLM:
    """Stands in when no model is configured: every call raises LLMNotConfigured."""

    model = "none"
    transcribe_model: str | None = None

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        json_mode: bool = False,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion:
        """Refuse: there is no model."""
        raise _not_configured()

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """Refuse on first iteration, like a real stream that fails."""
        raise _not_configured()
        yield  # unreachable: makes this an async generator

    async def transcribe(self, audio: bytes, filename: str, duration_s: float) -> Transcript:
        """Refuse: there is no model."""
        raise _not_configured()


def _not_configured() -> LLMNotConfigured:
    return LLMNotConfigured(
        N_("The AI coach is not configured: set OPENAI_API_KEY or OPENAI_BASE_URL.")
    )


def build_llm(
    *,
    api_key: str | None,
    base_url: str | None,
    model: str,
    timeout_s: float,
    transcribe_model: str | None = None,
) -> OpenAILLM | NotConfiguredLLM:
    """The real adapter when a key or a server is configured, else NotConfiguredLLM."""
    if not api_key and not base_url:
        return NotConfiguredLLM()
    return OpenAILLM(
        api_key=api_key,
        base_url=base_url,
        model=model,
        timeout_s=timeout_s,
        transcribe_model=transcribe_model,
    )


class OpenAILLM:
    """Chat Completions over HTTP; one attempt per call (the caller refunds on failure)."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        model: str,
        timeout_s: float,
        *,
        transcribe_model: str | None = None,
    ) -> None:
        if not api_key and not base_url:
            raise _not_configured()
        self.model = model
        self.transcribe_model = transcribe_model or None
        self._timeout_s = timeout_s
        # OpenAI's newer models reject max_tokens; compatible servers mostly know only max_tokens.
        self._legacy_limit = _is_custom_server(base_url)
        self._schemas = True  # False once the server refused a JSON schema for a JSON object
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
        )

    async def aclose(self) -> None:
        """Release the HTTP connection pool."""
        await self._client.close()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        json_mode: bool = False,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion:
        """Ask once and return the whole answer.

        A server that refuses `response_format` (HTTP 400 or 422) is asked again in JSON mode,
        and only in JSON mode from then on; the prompt must describe the JSON for that case.
        """
        # json_object mode needs the word JSON in the prompt; that is the caller's prompt to write.
        json_object: ResponseFormat = {"type": "json_object"}
        plain: ResponseFormat | openai.Omit = json_object if json_mode else openai.omit
        schema = cast("ResponseFormat", dict(response_format)) if response_format else None
        with _translated_errors(self.model):
            async with asyncio.timeout(self._timeout_s):
                if schema is None or not self._schemas:
                    fallback = plain if schema is None else json_object
                    response = await self._create(messages, max_tokens, fallback)
                else:
                    try:
                        response = await self._create(messages, max_tokens, schema)
                    except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                        logger.info(
                            "LLM %s refused a JSON schema (HTTP %s); asking for JSON",
                            self.model,
                            exc.status_code,
                        )
                        response = await self._create(messages, max_tokens, json_object)
                        self._schemas = False
        return _completion_of(response, messages, fallback_model=self.model)

    async def _create(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        response_format: ResponseFormat | openai.Omit,
    ) -> ChatCompletion:
        return await self._client.chat.completions.create(
            model=self.model,
            messages=_wire(messages),
            response_format=response_format,
            max_tokens=self._limit(max_tokens, legacy=True),
            max_completion_tokens=self._limit(max_tokens, legacy=False),
        )

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """Yield the answer as it arrives, then one Completion with the usage."""
        # One deadline for the whole call: a server can hang mid-stream. The timeout only
        # wraps waits on the server, never a yield, so the consumer's own work is not cancelled.
        deadline = asyncio.get_running_loop().time() + self._timeout_s
        state = _StreamState()
        with _translated_errors(self.model):
            async with asyncio.timeout_at(deadline):
                chunks = await self._client.chat.completions.create(
                    model=self.model,
                    messages=_wire(messages),
                    stream=True,
                    stream_options={"include_usage": True},
                    max_tokens=self._limit(max_tokens, legacy=True),
                    max_completion_tokens=self._limit(max_tokens, legacy=False),
                )
            try:
                while True:
                    async with asyncio.timeout_at(deadline):
                        chunk = await anext(chunks, None)
                    if chunk is None:
                        break
                    text = state.add(chunk)
                    if text:
                        yield TextDelta(text)
            finally:
                await chunks.close()
        yield state.completion(messages, fallback_model=self.model)

    async def transcribe(self, audio: bytes, filename: str, duration_s: float) -> Transcript:
        """One call to the audio transcription endpoint; an empty text is LLMEmptyAnswer."""
        model = self.transcribe_model
        if model is None:
            raise LLMNotConfigured(N_("Voice notes are not enabled on this bot."))
        with _translated_errors(model):
            async with asyncio.timeout(self._timeout_s):
                result = await self._client.audio.transcriptions.create(
                    model=model, file=(filename, audio), response_format="json"
                )
        text = (result.text or "").strip()
        if not text:
            raise LLMEmptyAnswer(N_("No words were heard in the voice note."))
        return _transcript_of(result, text, model=model, duration_s=duration_s)

    def _limit(self, max_tokens: int | None, *, legacy: bool) -> int | openai.Omit:
        """The output cap, sent under the one field name this server understands."""
        if max_tokens is None or legacy != self._legacy_limit:
            return openai.omit
        return max_tokens


def _transcript_of(
    result: Transcription, text: str, *, model: str, duration_s: float
) -> Transcript:
    """The server's usage where it reports one (seconds or tokens), else the caller's length."""
    usage = result.usage
    if isinstance(usage, UsageDuration):
        return Transcript(text, model, usage.seconds)
    if isinstance(usage, UsageTokens):
        return Transcript(text, model, duration_s, usage.input_tokens, usage.output_tokens)
    return Transcript(text, model, duration_s)


def _is_custom_server(base_url: str | None) -> bool:
    return base_url is not None and "api.openai.com" not in base_url


def _wire(messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
    wire = [{"role": m.role, "content": m.content} for m in messages]
    return cast("list[ChatCompletionMessageParam]", wire)


def estimate_tokens(text: str) -> int:
    """About four characters per token in English, rounded up: a short message still costs
    one. For the coach's history budget, and for usage when the server reports none."""
    return math.ceil(len(text) / 4)


def _usage_or_estimate(
    usage: CompletionUsage | None, messages: Sequence[ChatMessage], text: str
) -> tuple[int, int]:
    if usage is not None:
        return usage.prompt_tokens, usage.completion_tokens
    return estimate_tokens("".join(m.content for m in messages)), estimate_tokens(text)


def _check_answer(text: str, finish_reason: str | None, refused: bool) -> None:
    if refused:
        raise LLMEmptyAnswer(N_("The model declined to answer."))
    if finish_reason == "content_filter":
        raise LLMEmptyAnswer(N_("The model's answer was withheld by its content filter."))
    if not text.strip():
        raise LLMEmptyAnswer(N_("The model gave an empty answer."))


def _completion_of(
    response: ChatCompletion, messages: Sequence[ChatMessage], *, fallback_model: str
) -> Completion:
    if not response.choices:
        raise LLMEmptyAnswer(N_("The model gave an empty answer."))
    choice = response.choices[0]
    text = choice.message.content or ""
    _check_answer(text, choice.finish_reason, refused=bool(choice.message.refusal))
    input_tokens, output_tokens = _usage_or_estimate(response.usage, messages, text)
    return Completion(
        text=text,
        model=response.model or fallback_model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        finish_reason=choice.finish_reason,
    )


@dataclass
class _StreamState:
    """What the chunks of one streamed answer add up to."""

    parts: list[str] = field(default_factory=list)
    refused: bool = False
    finish_reason: str | None = None
    usage: CompletionUsage | None = None
    model: str | None = None

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Take in one chunk and return its new text."""
        self.model = chunk.model or self.model
        # The usage chunk comes last, with no choices (stream_options.include_usage).
        if chunk.usage is not None:
            self.usage = chunk.usage
        text = ""
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            self.refused = self.refused or bool(choice.delta.refusal)
            text += choice.delta.content or ""
            self.finish_reason = choice.finish_reason or self.finish_reason
        self.parts.append(text)
        return text

    def completion(self, messages: Sequence[ChatMessage], *, fallback_model: str) -> Completion:
        """The final Completion, or LLMEmptyAnswer if nothing usable came."""
        text = "".join(self.parts)
        _check_answer(text, self.finish_reason, refused=self.refused)
        input_tokens, output_tokens = _usage_or_estimate(self.usage, messages, text)
        return Completion(
            text=text,
            model=self.model or fallback_model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            finish_reason=self.finish_reason,
        )


@contextmanager
def _translated_errors(model: str) -> Iterator[None]:
    """Turn client errors into domain errors; messages name no key and no server text."""
    try:
        yield
    except (openai.APITimeoutError, TimeoutError) as exc:
        logger.warning("LLM %s timed out", model)
        raise LLMTimeout(N_("The AI model did not answer in time.")) from exc
    except openai.RateLimitError as exc:
        logger.warning("LLM %s rate limited (429)", model)
        raise LLMRateLimited(N_("The AI model is busy right now (rate limited).")) from exc
    except openai.APIStatusError as exc:
        logger.warning("LLM %s answered HTTP %s", model, exc.status_code)
        raise LLMUnavailable(
            N_("The AI model's server answered HTTP {status}."), status=exc.status_code
        ) from exc
    except openai.APIConnectionError as exc:
        logger.warning("LLM %s unreachable: %s", model, type(exc.__cause__).__name__)
        raise LLMUnavailable(N_("The AI model's server could not be reached.")) from exc
    except openai.OpenAIError as exc:
        logger.warning("LLM %s failed: %s", model, type(exc).__name__)
        raise LLMUnavailable(N_("The AI model's server gave an unusable answer.")) from exc
