"""The AI usage log: costs, idempotent request ids, monthly totals."""

from __future__ import annotations

import pytest

from core.bootstrap import Container
from core.errors import UnknownUser
from core.limits.ai_usage import cost_cents


def test_cost_from_price_table() -> None:
    prices = {"gpt-4o-mini": (15.0, 60.0)}
    assert cost_cents(prices, "gpt-4o-mini", 1_000_000, 0) == pytest.approx(15.0)
    assert cost_cents(prices, "gpt-4o-mini-2024-07-18", 0, 1_000_000) == pytest.approx(60.0)
    assert cost_cents(prices, "llama3:8b", 5000, 5000) == 0.0


async def test_repeat_request_id_is_counted_once(container: Container) -> None:
    uid = (await container.services.accounts.get_or_create(5)).id
    kwargs = dict(
        user_id=uid,
        model_id="gpt-4o-mini",
        input_tokens=1000,
        output_tokens=500,
        analysis_type="chat",
        latency_ms=120,
        status="ok",
    )
    assert await container.services.ai_usage.log_usage(request_id="req-1", **kwargs)  # type: ignore[arg-type]
    assert not await container.services.ai_usage.log_usage(request_id="req-1", **kwargs)  # type: ignore[arg-type]
    assert await container.services.ai_usage.log_usage(request_id="req-2", **kwargs)  # type: ignore[arg-type]
    month = await container.services.ai_usage.month(uid)
    assert (month.calls, month.input_tokens, month.output_tokens) == (2, 2000, 1000)
    assert month.cost_cents == pytest.approx(2 * (1000 * 15 + 500 * 60) / 1e6)


async def test_unknown_user_and_status_are_refused(container: Container) -> None:
    with pytest.raises(UnknownUser):
        await container.services.ai_usage.log_usage(
            request_id="x",
            user_id=999,
            model_id="m",
            input_tokens=1,
            output_tokens=1,
            analysis_type="chat",
            latency_ms=1,
            status="ok",
        )
    uid = (await container.services.accounts.get_or_create(5)).id
    with pytest.raises(ValueError, match="status"):
        await container.services.ai_usage.log_usage(
            request_id="y",
            user_id=uid,
            model_id="m",
            input_tokens=1,
            output_tokens=1,
            analysis_type="chat",
            latency_ms=1,
            status="great",
        )
