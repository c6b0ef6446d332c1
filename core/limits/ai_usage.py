"""The AI usage log: every model call with tokens, cost, latency and status."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from core import metrics
from core.accounts.context import AccountRef, resolve
from core.clock import Clock, local_today, month_start, utcnow
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import UnknownUser

logger = logging.getLogger(__name__)

STATUSES = {"ok", "timeout", "rate_limited", "error", "empty", "not_configured"}


def cost_cents(
    prices: dict[str, tuple[float, float]], model_id: str, input_tokens: int, output_tokens: int
) -> float:
    """Cost in US cents from per-million-token prices; unknown models (self-hosted) cost 0."""
    price = prices.get(model_id)
    if price is None:
        # Dated variants ("gpt-4o-mini-2024-07-18") are priced as their family.
        matches = [name for name in prices if model_id.startswith(name + "-")]
        price = prices[max(matches, key=len)] if matches else None
    if price is None:
        return 0.0
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000


def minute_cost_cents(prices: dict[str, float], model_id: str, audio_s: float) -> float | None:
    """Cost in US cents of `audio_s` seconds for a model billed by the minute (transcription),
    its dated variants too; None when the model is not billed by the minute."""
    matches = [name for name in prices if model_id == name or model_id.startswith(name + "-")]
    if not matches:
        return None
    return prices[max(matches, key=len)] * max(audio_s, 0.0) / 60


@dataclass(frozen=True)
class AIMonth:
    calls: int
    input_tokens: int
    output_tokens: int
    cost_cents: float


class AIUsageService:
    """Writes the usage log and keeps monthly totals per user."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        prices: dict[str, tuple[float, float]],
        minute_prices: dict[str, float] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._uow = uow
        self._prices = prices
        self._minute_prices = minute_prices or {}
        self._clock = clock

    async def log_usage(
        self,
        *,
        request_id: str,
        user_id: int,
        model_id: str,
        input_tokens: int,
        output_tokens: int,
        analysis_type: str,
        latency_ms: int,
        status: str,
    ) -> bool:
        """Record one call; a repeated request_id is not counted twice. Whether it was new."""
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise UnknownUser(user_id)
            new = await self.add(
                uow,
                request_id=request_id,
                user_id=user_id,
                timezone=user.timezone,
                model_id=model_id,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                analysis_type=analysis_type,
                latency_ms=latency_ms,
                status=status,
            )
            await uow.commit()
        return new

    async def add(
        self,
        uow: UnitOfWork,
        *,
        request_id: str,
        user_id: int,
        timezone: str,
        model_id: str,
        input_tokens: int,
        output_tokens: int,
        analysis_type: str,
        latency_ms: int,
        status: str,
        audio_s: float = 0.0,
    ) -> bool:
        """`log_usage` in the caller's unit of work, for a user whose zone the caller knows
        (the coach stores its answer and the log row in one transaction). `audio_s`: seconds
        of audio, for models billed by the minute."""
        if status not in STATUSES:
            raise ValueError(f"unknown AI call status {status!r}")
        now = self._clock()
        by_minute = minute_cost_cents(self._minute_prices, model_id, audio_s)
        cost = (
            by_minute
            if by_minute is not None
            else cost_cents(self._prices, model_id, input_tokens, output_tokens)
        )
        new = await uow.ai_usage.add_once(
            user_id,
            request_id=request_id,
            model_id=model_id,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_cents=cost,
            analysis_type=analysis_type,
            latency_ms=latency_ms,
            status=status,
            created_at=now,
        )
        if new:
            metrics.record_llm_call(
                model=model_id,
                status=status,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_cents=cost,
                latency_ms=latency_ms,
            )
            await uow.usage.add_ai_totals(
                user_id,
                month_start(local_today(now, timezone)),
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_cents=cost,
            )
        return new

    async def month(self, account: AccountRef) -> AIMonth:
        """This local month's AI totals for the user."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            acc = await resolve(uow, account, now=now)
            row = await uow.usage.ai_totals(acc.id, month_start(local_today(now, acc.timezone)))
        if row is None:
            return AIMonth(0, 0, 0, 0.0)
        return AIMonth(row.used, row.input_tokens, row.output_tokens, row.cost_cents)


def utc_day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
