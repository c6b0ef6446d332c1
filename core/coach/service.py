"""The AI coach: chat, activity analyses, training plans and today's workout, within plan limits.

Every model call is metered: one gate unit taken before it (given back if the call fails or
answers nothing usable) and one usage-log row after it, whatever the outcome. No database
transaction stays open while the model thinks: read, close, call, then open another to store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar
from uuid import uuid4

from core.accounts.context import AccountContext, AccountRef, resolve
from core.clock import Clock, local_today
from core.coach.adaptive_day import workout_of_day
from core.coach.context import (
    CoachContext,
    analysis_messages,
    chat_messages,
    clean,
    load_context,
    plan_messages,
    workout_messages,
)
from core.coach.plans import (
    PLAN_RESPONSE_FORMAT,
    PlanResult,
    WorkoutResult,
    close_plans,
    parse_plan,
    plan_result,
    read_workout,
    store_plan,
    store_workout,
    with_files,
    workout_result,
)
from core.coach.voice import DEFAULT_VOICE_MAX_S, VoiceNote, VoiceTranscriber, check_length
from core.db.models import ActivityMetrics
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import (
    N_,
    BadInput,
    LLMEmptyAnswer,
    LLMError,
    LLMNotConfigured,
    NoGoalForPlan,
    NotFound,
)
from core.gateways.llm import (
    LLM,
    ChatMessage,
    Completion,
    NotConfiguredLLM,
    TextDelta,
    Transcript,
)
from core.limits.ai_usage import AIUsageService
from core.limits.feature_gate import Feature, FeatureGate, Grant, give_back, history_start_of
from core.training.structured import WORKOUT_RESPONSE_FORMAT

logger = logging.getLogger(__name__)
T = TypeVar("T")

CHAT_MAX_TOKENS = 1000
ANALYSIS_MAX_TOKENS = 1000
PLAN_MAX_TOKENS = 16000  # weeks of sessions, each with its structured workout as JSON
WORKOUT_MAX_TOKENS = 3000  # one structured workout of up to 50 steps as JSON
MAX_QUESTION_CHARS = 4000
MAX_GOAL_CHARS = 500


@dataclass(frozen=True)
class CoachReply:
    """The coach's answer to one chat message, and the day's allowance after it."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    used: int
    limit: int | None


@dataclass(frozen=True)
class AnalysisResult:
    text: str
    activity_id: int
    cached: bool
    sport: str
    day: date


class _Call:
    """One metered model call: its gate unit, request id, timing and answer."""

    def __init__(
        self, grant: Grant, kind: str, account: AccountContext, context: CoachContext | None
    ) -> None:
        self.grant = grant
        self.kind = kind
        self.account = account
        self.context = context  # read in the transaction that took the unit, when asked for
        self.request_id = uuid4().hex
        self.completion: Completion | None = None
        self._started: float | None = None
        self._latency_ms: int | None = None

    @property
    def started(self) -> bool:
        return self._started is not None

    @property
    def latency_ms(self) -> int:
        if self._latency_ms is not None or self._started is None:
            return self._latency_ms or 0
        return int((time.monotonic() - self._started) * 1000)

    def begin(self) -> None:
        self._started = time.monotonic()

    def finish(self, completion: Completion | None) -> Completion:
        """Record the answer; LLMEmptyAnswer when there is nothing usable."""
        self._latency_ms = self.latency_ms
        if completion is None or not completion.text.strip():
            raise LLMEmptyAnswer(N_("The model gave an empty answer."))
        self.completion = completion
        return completion

    async def complete(
        self,
        llm: LLM,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        json_mode: bool = False,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion:
        self.begin()
        try:
            completion = await llm.complete(
                messages,
                max_tokens=max_tokens,
                json_mode=json_mode,
                response_format=response_format,
            )
        finally:
            self._latency_ms = self.latency_ms
        return self.finish(completion)

    def reply(self) -> CoachReply:
        assert self.completion is not None
        c = self.completion
        used, limit = self.grant.used, self.grant.limit
        return CoachReply(c.text, c.model, c.input_tokens, c.output_tokens, used, limit)


def _analysis(activity: ActivityMetrics, text: str, *, cached: bool) -> AnalysisResult:
    return AnalysisResult(text, activity.id, cached, activity.sport, activity.local_date)


def _question(text: str) -> str:
    question = (text or "").strip()
    if not question:
        raise BadInput(N_("Write your question for the coach."))
    return question[:MAX_QUESTION_CHARS]


class CoachService:
    """The AI coach use cases; the bot renders what these return."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        llm: LLM,
        gate: FeatureGate,
        usage: AIUsageService,
        clock: Clock,
        *,
        voice_max_s: int = DEFAULT_VOICE_MAX_S,
    ) -> None:
        self._uow = uow
        self._llm = llm
        self._gate = gate
        self._usage = usage
        self._clock = clock
        self._voice_max_s = voice_max_s
        self._voice = VoiceTranscriber(uow, llm, usage)

    @property
    def configured(self) -> bool:
        """Whether a model is configured (else every AI feature raises LLMNotConfigured)."""
        return not isinstance(self._llm, NotConfiguredLLM) and bool(
            getattr(self._llm, "configured", True)
        )

    # -- chat -----------------------------------------------------------------------------

    async def chat_stream(
        self, account: AccountRef, text: str
    ) -> AsyncGenerator[TextDelta | CoachReply, None]:
        """Answer a chat message: text deltas as they arrive, then one CoachReply.

        Two transactions: one takes the unit and reads the context, one stores the exchange
        and its usage row.
        """
        question = _question(text)
        metered = self._metered(account, Feature.AI_CHAT, "chat", chat_context=True)
        async with metered as call, aclosing(self._streamed(call, question)) as deltas:
            async for delta in deltas:
                yield delta
        yield call.reply()

    async def voice_stream(
        self, account: AccountRef, note: VoiceNote
    ) -> AsyncGenerator[Transcript | TextDelta | CoachReply, None]:
        """Answer a voice note as a chat message: its Transcript, then the answer's deltas,
        then one CoachReply. One chat unit for the whole note, given back when the note cannot
        be fetched or transcribed (or the answer fails); a note too long is refused first."""
        check_length(note, self._voice_max_s)
        if not self.voice_enabled:
            raise LLMNotConfigured(N_("Voice notes are not enabled on this bot."))
        async with self._metered(account, Feature.AI_CHAT, "chat", chat_context=True) as call:
            acc = call.account
            transcript = await self._voice.transcribe(note, user_id=acc.id, timezone=acc.timezone)
            yield transcript
            async with aclosing(self._streamed(call, _question(transcript.text))) as deltas:
                async for delta in deltas:
                    yield delta
        yield call.reply()

    @property
    def voice_enabled(self) -> bool:
        """Whether voice notes are transcribed (a chat model and a transcription model set)."""
        return self.configured and bool(getattr(self._llm, "transcribe_model", None))

    async def _streamed(self, call: _Call, question: str) -> AsyncGenerator[TextDelta, None]:
        """The answer to `question` as deltas, stored with its usage row once complete."""
        assert call.context is not None
        messages = chat_messages(call.context, question)
        call.begin()
        final: Completion | None = None
        stream = self._llm.stream(messages, max_tokens=CHAT_MAX_TOKENS)
        async with aclosing(stream) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    yield event
                else:
                    final = event
        completion = call.finish(final)
        await self._store_chat(call, question, completion.text)

    async def chat(self, account: AccountRef, text: str) -> CoachReply:
        """Answer a chat message in one piece."""
        question = _question(text)
        async with self._metered(account, Feature.AI_CHAT, "chat", chat_context=True) as call:
            assert call.context is not None
            messages = chat_messages(call.context, question)
            completion = await call.complete(self._llm, messages, max_tokens=CHAT_MAX_TOKENS)
            await self._store_chat(call, question, completion.text)
        return call.reply()

    async def _store_chat(self, call: _Call, question: str, answer: str) -> None:
        await self._finish(
            call,
            lambda uow: uow.coach.add_exchange(call.account.id, question, answer, at=self._clock()),
        )

    # -- activity analysis ----------------------------------------------------------------

    async def analyze(self, account: AccountRef, activity_id: int | None = None) -> AnalysisResult:
        """Analyse the given activity (or the latest); a stored analysis is shown again free."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            acc = await resolve(uow, account, now=now)
            since = history_start_of(acc.plan, acc.timezone, now)
            if activity_id is None:
                activity = await uow.coach.last_activity(acc.id, since=since)
            else:
                activity = await uow.coach.activity(acc.id, activity_id, since=since)
            if activity is None:
                raise NotFound(
                    N_("No activities in your history yet.")
                    if activity_id is None
                    else N_("No activity {id} in your history."),
                    id=activity_id,
                )
            stored = await uow.coach.analysis(acc.id, activity.id)
            ctx = None if stored else await load_context(uow, acc, now=now, chat=False)
        if stored is not None:
            return _analysis(activity, stored.text, cached=True)
        assert ctx is not None
        messages = analysis_messages(ctx, activity)
        async with self._metered(acc, Feature.AI_ANALYSIS, "analysis") as call:
            completion = await call.complete(self._llm, messages, max_tokens=ANALYSIS_MAX_TOKENS)
            await self._finish(
                call,
                lambda uow: uow.coach.add_analysis(
                    acc.id,
                    activity.id,
                    text=completion.text,
                    model_id=completion.model,
                    at=self._clock(),
                ),
            )
        return _analysis(activity, completion.text, cached=False)

    # -- training plans -------------------------------------------------------------------

    async def create_plan(self, account: AccountRef, goal_text: str | None = None) -> PlanResult:
        """A plan toward the stated goal or the next race goal; it becomes the active plan."""
        goal = (goal_text or "").strip()[:MAX_GOAL_CHARS] or None
        async with self._uow() as uow:
            now = self._clock()
            acc = await resolve(uow, account, now=now)
            # Plans whose last day has passed stop counting as active.
            today = local_today(now, acc.timezone)
            await close_plans(uow, acc.id, status="completed", ended_before=today)
            ctx = await load_context(uow, acc, now=now, chat=False)
            await uow.commit()
        if goal is None and not ctx.goals:
            raise NoGoalForPlan()
        messages = plan_messages(ctx, goal)
        label = goal or f"{clean(ctx.goals[0].name)} on {ctx.goals[0].race_date.isoformat()}"
        async with self._metered(acc, Feature.AI_PLAN, "plan") as call:
            completion = await call.complete(
                self._llm,
                messages,
                max_tokens=PLAN_MAX_TOKENS,
                json_mode=True,
                response_format=PLAN_RESPONSE_FORMAT,
            )
            spec = parse_plan(completion.text)
            plan = await self._finish(
                call,
                lambda uow: store_plan(
                    uow, acc.id, spec, start=ctx.today, goal=label, at=self._clock()
                ),
            )
        return plan

    async def active_plan(self, user_id: int) -> PlanResult | None:
        """The user's active training plan, if any."""
        async with self._uow(readonly=True) as uow:
            row = await uow.coach.active_plan(user_id)
        return None if row is None else plan_result(row)

    async def cancel_plan(self, user_id: int) -> PlanResult:
        """Archive the active plan (it no longer counts against the plan limit)."""
        async with self._uow() as uow:
            row = await uow.coach.active_plan(user_id)
            if row is None:
                raise NotFound(N_("You have no active training plan."))
            await close_plans(uow, user_id, status="archived")
            await uow.commit()
        return replace(plan_result(row), status="archived")

    # -- workouts -------------------------------------------------------------------------

    async def todays_workout(self, account: AccountRef, *, fresh: bool = False) -> WorkoutResult:
        """Today's workout from current form and the active plan; made once per local day.

        A day the active plan has a structured session takes that session (as the morning's
        adaptation left it) without asking the model or counting a unit. Otherwise the model
        answers with one structured workout (strict JSON schema where the server
        takes one); an answer that does not validate after the safe repairs is refused and its
        unit given back. The result carries the FIT file (and a .zwo for indoor sessions), its
        targets in the athlete's numbers.
        """
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            acc = await resolve(uow, account, now=now)
            today = local_today(now, acc.timezone)
            existing = None if fresh else await uow.training.workout_on(acc.id, today)
            planned = None if fresh or existing else await workout_of_day(uow, acc.id, today)
            ctx = None if existing or planned else await load_context(uow, acc, now=now, chat=False)
        profile = acc.profile
        if existing is not None:
            return with_files(workout_result(existing, cached=True), profile, created=now)
        if planned is not None:
            async with self._uow() as uow:
                made = await store_workout(
                    uow, acc.id, planned, day=today, at=now, profile=profile, source="plan"
                )
                await uow.commit()
            return with_files(made, profile, created=now)
        assert ctx is not None
        messages = workout_messages(ctx)
        async with self._metered(acc, Feature.AI_WORKOUT, "workout") as call:
            completion = await call.complete(
                self._llm,
                messages,
                max_tokens=WORKOUT_MAX_TOKENS,
                json_mode=True,
                response_format=WORKOUT_RESPONSE_FORMAT,
            )
            workout = read_workout(completion.text)
            made = await self._finish(
                call,
                lambda uow: store_workout(
                    uow, acc.id, workout, day=ctx.today, at=self._clock(), profile=profile
                ),
            )
        return with_files(made, profile, created=now)

    async def workout_for_day(self, user_id: int, day: date) -> WorkoutResult | None:
        """The workout stored for a local day, if any."""
        async with self._uow(readonly=True) as uow:
            row = await uow.training.workout_on(user_id, day)
        return None if row is None else workout_result(row, cached=True)

    # -- metering ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _metered(
        self, account: AccountRef, feature: Feature, kind: str, *, chat_context: bool = False
    ) -> AsyncIterator[_Call]:
        """Take a gate unit (with the chat context in the same transaction, if asked); on any
        failure give it back and log the call; the body ends with `_finish`."""
        if not self.configured:
            raise LLMNotConfigured(
                N_("The AI coach is not configured: set OPENAI_API_KEY or OPENAI_BASE_URL.")
            )
        async with self._uow() as uow:
            now = self._clock()
            acc = await resolve(uow, account, now=now)
            grant = await self._gate.take(uow, acc, feature)
            ctx = await load_context(uow, acc, now=now, chat=True) if chat_context else None
            await uow.commit()
        call = _Call(grant, kind, acc, ctx)
        try:
            yield call
        except BaseException as exc:
            await self._fail(call, exc.status if isinstance(exc, LLMError) else "error")
            raise

    async def _finish(self, call: _Call, store: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Store the answer and its usage row in one transaction."""
        async with self._uow() as uow:
            stored = await store(uow)
            await self._record(uow, call, "ok")
            await uow.commit()
        return stored

    async def _fail(self, call: _Call, status: str) -> None:
        """Give the unit back and log the call (if the model was asked); a failure here is
        logged, never raised over the error the athlete is told about."""
        try:
            async with self._uow() as uow:
                await give_back(uow, call.grant)
                if call.started:
                    await self._record(uow, call, status)
                await uow.commit()
        except Exception:
            logger.exception("Could not refund %s for user %s", call.grant.feature, call.account.id)

    async def _record(self, uow: UnitOfWork, call: _Call, status: str) -> None:
        c = call.completion
        await self._usage.add(
            uow,
            request_id=call.request_id,
            user_id=call.account.id,
            timezone=call.account.timezone,
            model_id=(c.model if c else self._llm.model)[:64],
            input_tokens=c.input_tokens if c else 0,
            output_tokens=c.output_tokens if c else 0,
            analysis_type=call.kind,
            latency_ms=call.latency_ms,
            status=status,
        )
