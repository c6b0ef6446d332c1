"""A fake OpenAI-compatible server over real HTTP: Chat Completions (plain and SSE), models and
audio transcriptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import count
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, web
from multidict import CIMultiDict

ReplyFn = Callable[[dict[str, Any]], str]

_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """An error body in the shape OpenAI sends."""
    kind, code = _ERRORS.get(status, ("server_error", None))
    text = message or f"Fake OpenAI error {status}."
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """Usage the fake reports for a prompt: chars // 4 plus 3 per message and 3 for the reply."""
    return sum(len(_text_of(m.get("content"))) // 4 + 3 for m in messages) + 3


def completion_tokens(text: str) -> int:
    """Usage the fake reports for an answer: chars / 4, rounded up."""
    return (len(text) + 3) // 4


def stream_pieces(text: str) -> list[str]:
    """How the fake splits an answer into stream deltas: one word each, spaces in front."""
    return re.findall(r"\s*\S+|\s+$", text)


# What the fake answers when asked for a workout in structured-output mode: an indoor ride.
SAMPLE_WORKOUT: dict[str, Any] = {
    "name": "Sweet spot 3x8",
    "sport": "cycling",
    "indoor": True,
    "steps": [
        {"kind": "warmup", "duration": {"type": "time", "value": 600},
         "target": {"type": "power_pct_ftp", "low": 50, "high": 70}, "note": "Spin up easy"},
        {"kind": "repeat", "count": 3, "steps": [
            {"kind": "work", "duration": {"type": "time", "value": 480},
             "target": {"type": "power_pct_ftp", "low": 88, "high": 93}, "note": None},
            {"kind": "recovery", "duration": {"type": "time", "value": 180},
             "target": {"type": "power_pct_ftp", "low": 50, "high": 55}, "note": None},
        ]},
        {"kind": "cooldown", "duration": {"type": "time", "value": 600},
         "target": {"type": "none", "low": None, "high": None}, "note": None},
    ],
}  # fmt: skip


# What the fake answers when asked for a plan in structured-output mode: one week, each session
# with its structured workout.
_NONE = {"type": "none", "low": None, "high": None}
# A run with every kind of duration and a repeat block (tests of workout files and Garmin).
SAMPLE_RUN: dict[str, Any] = {
    "name": "Threshold 2x2 km",
    "sport": "running",
    "indoor": False,
    "steps": [
        {"kind": "warmup", "duration": {"type": "time", "value": 900},
         "target": {"type": "hr_pct_lthr", "low": 70, "high": 80}, "note": "Easy"},
        {"kind": "repeat", "count": 2, "steps": [
            {"kind": "work", "duration": {"type": "distance", "value": 2000},
             "target": {"type": "pace_s_per_km", "low": 265, "high": 275}, "note": None},
            {"kind": "recovery", "duration": {"type": "time", "value": 120},
             "target": _NONE, "note": None},
        ]},
        {"kind": "cooldown", "duration": {"type": "open", "value": None},
         "target": _NONE, "note": None},
    ],
}  # fmt: skip

SAMPLE_PLAN: dict[str, Any] = {
    "title": "Base week",
    "weeks": [{"week": 1, "focus": "Aerobic base with one threshold session", "sessions": [
        {"day": "Tue", "sport": "cycling", "title": "Sweet spot 3x8", "duration_min": 59,
         "intensity": "hard", "description": "Three 8-minute blocks just under threshold.",
         "workout": SAMPLE_WORKOUT},
        {"day": "Thu", "sport": "running", "title": "Easy run", "duration_min": 40,
         "intensity": "easy", "description": "Conversational pace.",
         "workout": {"name": "Easy run", "sport": "running", "indoor": False, "steps": [
             {"kind": "work", "duration": {"type": "time", "value": 2400},
              "target": {"type": "hr_zone", "low": 1, "high": 2}, "note": "Easy"}]}},
        {"day": "Sat", "sport": "cycling", "title": "Long ride", "duration_min": 120,
         "intensity": "key", "description": "Steady endurance.",
         "workout": {"name": "Long ride", "sport": "cycling", "indoor": False, "steps": [
             {"kind": "work", "duration": {"type": "time", "value": 7200},
              "target": {"type": "power_pct_ftp", "low": 60, "high": 75}, "note": None}]}},
    ]}],
}  # fmt: skip


def schema_name(body: dict[str, Any]) -> str | None:
    """The name of the JSON schema a request asked for in structured-output mode, if any."""
    fmt = body.get("response_format") or {}
    return (fmt.get("json_schema") or {}).get("name") if fmt.get("type") == "json_schema" else None


def echo_reply(body: dict[str, Any]) -> str:
    """Default answer: echoes the last user message (as JSON in json mode); a request for the
    "workout" schema gets SAMPLE_WORKOUT, one for the "plan" schema SAMPLE_PLAN."""
    if schema_name(body) == "workout":
        return json.dumps(SAMPLE_WORKOUT)
    if schema_name(body) == "plan":
        return json.dumps(SAMPLE_PLAN)
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    last = _text_of(users[-1].get("content")) if users else ""
    if (body.get("response_format") or {}).get("type") == "json_object":
        return json.dumps({"echo": last})
    return f"Echo: {last}"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: CIMultiDict[str]
    body: dict[str, Any]


@dataclass
class _Script:
    """How to answer one request; None fields fall back to the defaults."""

    text: str | None = None
    status: int = 200
    error: dict[str, Any] | None = None
    hang: bool = False
    hang_mid_stream: bool = False
    pause_s: float = 0.0
    finish_reason: str | None = None
    refusal: str | None = None


class FakeOpenAIServer:
    """`async with FakeOpenAIServer() as srv:` then point a client at `srv.base_url`.

    Each scripting call (reply, fail_next, hang_next, slow_next, empty_next, refuse_next) shapes one
    request, in the order made; unscripted requests get `default_reply(body)`.
    The server holds a request during a hang (until the client gives up or shutdown) and during
    each pause of a slow stream (on the loop's clock); `wait_until_held(n)` tells a test that the
    n-th hold began, so it can let a deadline pass (tests.fakes.loop_clock) without racing a timer.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: tuple[str, ...] = ("gpt-4o-mini",),
        default_reply: ReplyFn = echo_reply,
    ) -> None:
        self.api_key = api_key  # when set, other bearer tokens get a 401
        self.models = models
        self.default_reply = default_reply
        self.include_usage = True  # False: behave like servers that ignore stream_options
        self.json_schemas = True  # False: answer 400 to a json_schema response_format
        self.requests: list[RecordedRequest] = []
        self._scripts: deque[_Script] = deque()
        # Transcriptions are scripted apart from chat: a voice note makes one of each.
        self.transcript = "How should I pace my long run on Sunday?"
        self.transcription_usage: dict[str, Any] | None = None  # e.g. {"type": "duration", ...}
        self._audio_scripts: deque[_Script] = deque()
        self._ids = count(1)
        self._closing = asyncio.Event()
        self.held = 0  # hangs and pauses begun so far
        self._hold_begun = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- scripting ---------------------------------------------------------------------

    def reply(self, *texts: str, finish_reason: str = "stop") -> None:
        """Answer the next requests with these texts, one each."""
        self._scripts.extend(_Script(text=t, finish_reason=finish_reason) for t in texts)

    def fail_next(self, status: int, body: dict[str, Any] | None = None) -> None:
        """Answer the next request with this HTTP error (OpenAI error JSON by default)."""
        self._scripts.append(_Script(status=status, error=body or error_body(status)))

    def hang_next(self, *, mid_stream: bool = False, text: str | None = None) -> None:
        """Hold the next request without answering (or after its first delta when streamed)."""
        self._scripts.append(_Script(text=text, hang=True, hang_mid_stream=mid_stream))

    def slow_next(self, pause_s: float, *, text: str | None = None) -> None:
        """Stream the next answer with a pause after every word (a slow, steady model)."""
        self._scripts.append(_Script(text=text, pause_s=pause_s))

    async def wait_until_held(self, count: int = 1, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until the server has begun `count` holds (hangs or pauses) in all."""
        async with asyncio.timeout(timeout), self._hold_begun:
            await self._hold_begun.wait_for(lambda: self.held >= count)

    def empty_next(self) -> None:
        """Answer the next request with empty content."""
        self._scripts.append(_Script(text=""))

    def refuse_next(self, refusal: str = "I can't help with that.") -> None:
        """Answer the next request with a refusal and no content."""
        self._scripts.append(_Script(text="", refusal=refusal))

    def transcribe_next(self, *texts: str) -> None:
        """Transcribe the next audio requests as these texts, one each."""
        self._audio_scripts.extend(_Script(text=t) for t in texts)

    def fail_transcription_next(self, status: int) -> None:
        """Answer the next transcription request with this HTTP error."""
        self._audio_scripts.append(_Script(status=status, error=error_body(status)))

    def hang_transcription_next(self) -> None:
        """Hold the next transcription request without answering (the client times out)."""
        self._audio_scripts.append(_Script(hang=True))

    @property
    def transcription_requests(self) -> list[dict[str, Any]]:
        """The transcription requests received, in order: their form fields, with the audio as
        bytes under "file" and its file name under "filename"."""
        return [r.body for r in self.requests if r.path.endswith("/audio/transcriptions")]

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat completion requests received, in order."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def response_formats(self) -> list[dict[str, Any] | None]:
        """The response_format of each chat completion request, in order (None: not sent)."""
        return [b.get("response_format") for b in self.chat_requests]

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeOpenAIServer:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/audio/transcriptions", self._transcription)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()  # wakes handlers that hang, so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ----------------------------------------------------------------------

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body = await request.json() if request.can_read_body else {}
        self.requests.append(
            RecordedRequest(request.method, request.path, CIMultiDict(request.headers), body)
        )
        return body

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return web.json_response(error_body(401, "Incorrect API key provided."), status=401)

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if (denied := self._unauthorized(request)) is not None:
            return denied
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _transcription(self, request: web.Request) -> web.Response:
        """multipart/form-data in (file, model, response_format...), {"text": ...} out."""
        fields: dict[str, Any] = {}
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                fields["filename"] = part.filename
                fields[part.name] = bytes(await part.read())
            else:
                fields[part.name] = await part.text()
        self.requests.append(
            RecordedRequest(request.method, request.path, CIMultiDict(request.headers), fields)
        )
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if "file" not in fields or "model" not in fields:
            return web.json_response(error_body(400, "file and model are required."), status=400)
        script = self._audio_scripts.popleft() if self._audio_scripts else _Script()
        if script.hang:
            await self._hold(None)
        if script.status != 200:
            return web.json_response(script.error, status=script.status)
        answer: dict[str, Any] = {"text": self.transcript if script.text is None else script.text}
        if self.transcription_usage is not None:
            answer["usage"] = self.transcription_usage
        return web.json_response(answer)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if not self.json_schemas and (body.get("response_format") or {}).get("type") == (
            "json_schema"
        ):
            message = "response_format type json_schema is not supported by this server."
            return web.json_response(error_body(400, message), status=400)
        script = self._scripts.popleft() if self._scripts else _Script()
        if script.hang and not (script.hang_mid_stream and body.get("stream")):
            await self._hold(None)
        if script.status != 200:
            return web.json_response(script.error, status=script.status)
        text, finish = self._answer(body, script)
        if body.get("stream"):
            return await self._stream(request, body, script, text, finish)
        return web.json_response(self._completion(body, script, text, finish))

    def _answer(self, body: dict[str, Any], script: _Script) -> tuple[str, str]:
        """The text to send and its finish_reason, cut at the token cap like a real model."""
        text = self.default_reply(body) if script.text is None else script.text
        finish = script.finish_reason or "stop"
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        if cap is not None and completion_tokens(text) > cap:
            text, finish = text[: cap * 4], "length"
        return text, finish

    def _envelope(self, body: dict[str, Any], kind: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": kind,
            "created": int(time.time()),
            "model": body.get("model", "unknown"),
            "system_fingerprint": "fp_fake",
        }

    def _usage(self, body: dict[str, Any], text: str) -> dict[str, int]:
        prompt = prompt_tokens(body.get("messages", []))
        answer = completion_tokens(text)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": answer,
            "total_tokens": prompt + answer,
        }

    def _completion(
        self, body: dict[str, Any], script: _Script, text: str, finish: str
    ) -> dict[str, Any]:
        message = {"role": "assistant", "content": text, "refusal": script.refusal}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        usage = self._usage(body, text + (script.refusal or ""))
        return {**self._envelope(body, "chat.completion"), "choices": [choice], "usage": usage}

    async def _stream(
        self, request: web.Request, body: dict[str, Any], script: _Script, text: str, finish: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        with_usage = self.include_usage and bool(
            (body.get("stream_options") or {}).get("include_usage")
        )
        base = self._envelope(body, "chat.completion.chunk")
        extra: dict[str, Any] = {"usage": None} if with_usage else {}
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
        deltas += [{"content": piece} for piece in stream_pieces(text)]
        if script.refusal:
            deltas.append({"refusal": script.refusal})
        try:
            for i, delta in enumerate(deltas):
                choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
                await _send(response, {**base, "choices": [choice], **extra})
                if script.hang and script.hang_mid_stream and i == min(1, len(deltas) - 1):
                    await self._hold(None)
                if script.pause_s and i > 0:  # after each word, so the reader has it meanwhile
                    await self._hold(script.pause_s)
            last = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}
            await _send(response, {**base, "choices": [last], **extra})
            if with_usage:
                usage = self._usage(body, text + (script.refusal or ""))
                await _send(response, {**base, "choices": [], "usage": usage})
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client gave up (timeout); nothing to finish
        return response

    async def _hold(self, seconds: float | None) -> None:
        """Wait this long on the loop's clock (None: a hang); shutdown ends every hold at once.

        A hang also ends when the client leaves: aiohttp then cancels the handler.
        """
        async with self._hold_begun:
            self.held += 1
            self._hold_begun.notify_all()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)


async def _send(response: web.StreamResponse, chunk: Mapping[str, Any]) -> None:
    await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
