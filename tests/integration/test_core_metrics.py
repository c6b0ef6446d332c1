"""The services count what operators watch: model calls and tokens, plan refusals, Garmin
syncs and FIT imports by outcome (core.metrics, this process's registry)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core import metrics
from core.bootstrap import Container
from core.errors import BadFile, LimitReached, ProOnly
from core.limits.feature_gate import Feature
from core.training.imports import TrainingService
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fit_files import fit_bytes, needs_fit_files

MODEL = "gpt-4o-mini"


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_logged_model_call_counts_tokens_cost_and_latency(container: Container) -> None:
    uid = (await container.services.accounts.get_or_create(5)).id
    calls = sample("trainbot_llm_calls_total", model=MODEL, status="ok")
    tokens_in = sample("trainbot_llm_tokens_total", model=MODEL, direction="input")
    tokens_out = sample("trainbot_llm_tokens_total", model=MODEL, direction="output")
    cost = sample("trainbot_llm_cost_cents_total", model=MODEL)
    timed = sample("trainbot_llm_seconds_count", model=MODEL)
    for request_id in ("a", "a", "b"):  # a repeated request id is one call
        await container.services.ai_usage.log_usage(
            request_id=request_id, user_id=uid, model_id=MODEL, input_tokens=1000,
            output_tokens=500, analysis_type="chat", latency_ms=1500, status="ok",
        )  # fmt: skip
    assert sample("trainbot_llm_calls_total", model=MODEL, status="ok") == calls + 2
    assert sample("trainbot_llm_tokens_total", model=MODEL, direction="input") == tokens_in + 2000
    assert sample("trainbot_llm_tokens_total", model=MODEL, direction="output") == tokens_out + 1000
    assert sample("trainbot_llm_cost_cents_total", model=MODEL) == pytest.approx(
        cost + 2 * (1000 * 15 + 500 * 60) / 1e6
    )
    assert sample("trainbot_llm_seconds_count", model=MODEL) == timed + 2


async def test_plan_refusals_are_counted_by_feature(container: Container) -> None:
    uid = (await container.services.accounts.get_or_create(6)).id
    gate = container.services.gate
    chat = sample("trainbot_feature_refusals_total", feature="ai_chat")
    export = sample("trainbot_feature_refusals_total", feature="export")
    with pytest.raises(LimitReached):
        for _ in range(100):
            await gate.check_and_increment(uid, Feature.AI_CHAT)
    with pytest.raises(ProOnly):
        await gate.require_export(uid)
    assert sample("trainbot_feature_refusals_total", feature="ai_chat") == chat + 1
    assert sample("trainbot_feature_refusals_total", feature="export") == export + 1


@pytest.fixture
async def training(container: Container, clock: FakeClock) -> AsyncIterator[TrainingService]:
    service = TrainingService(container.uow, clock=clock)
    yield service
    await service.close()


@needs_fit_files
async def test_fit_imports_are_counted_by_outcome_and_timed(
    container: Container, training: TrainingService
) -> None:
    uid = (await container.services.accounts.get_or_create(7)).id
    outcomes = ("imported", "duplicate", "BadFile")
    before = {o: sample("trainbot_fit_imports_total", outcome=o) for o in outcomes}
    timed = sample("trainbot_fit_import_seconds_count")
    ride = fit_bytes("garmin-fenix-5-bike.fit")
    assert (await training.import_fit(uid, ride)).activities
    assert (await training.import_fit(uid, ride)).duplicates
    with pytest.raises(BadFile):
        await training.import_fit(uid, b"hello, this is text and not a FIT file at all")
    for outcome in outcomes:
        assert sample("trainbot_fit_imports_total", outcome=outcome) == before[outcome] + 1
    assert sample("trainbot_fit_import_seconds_count") == timed + 3


async def test_garmin_syncs_are_counted_by_outcome(
    garmin_container: Container, fake: FakeGarmin
) -> None:
    c = garmin_container
    email = "metrics.runner@example.org"
    fake.add_account(email, "Sup3r-Secret-Pa55")
    uid = (await c.services.accounts.get_or_create(8)).id
    await c.services.garmin_link.start(uid, email, "Sup3r-Secret-Pa55")
    ok = sample("trainbot_garmin_syncs_total", outcome="ok")
    assert (await c.services.garmin_sync.sync_user(uid)).status == "ok"
    assert sample("trainbot_garmin_syncs_total", outcome="ok") == ok + 1
