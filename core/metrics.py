"""The process's Prometheus metrics, named `trainbot_*`.

One registry per process: each instance (web, run, worker) is scraped on its own. Labels are
closed sets (update types, handler names, models, outcomes, features): never a user id or a
chat's text, which would grow the series without end and put people's data in monitoring.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "REGISTRY", "exposition"]

REGISTRY = CollectorRegistry(auto_describe=True)
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

updates = Counter(
    "trainbot_updates",
    "Telegram updates handled, by update type and the handler that took them.",
    ["type", "handler"],
    registry=REGISTRY,
)
update_seconds = Histogram(
    "trainbot_update_seconds",
    "Time to handle one Telegram update, by update type.",
    ["type"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
update_errors = Counter(
    "trainbot_update_errors",
    "Updates whose handling raised, by update type and exception class.",
    ["type", "error"],
    registry=REGISTRY,
)
pushes = Counter(
    "trainbot_pushes",
    "Push messages by outcome: sent, failed, blocked, deferred; retry_429 per 429 met.",
    ["outcome"],
    registry=REGISTRY,
)
outbox = Gauge(
    "trainbot_outbox_pushes",
    "Pushes in the outbox by status, as last counted by this process.",
    ["status"],
    registry=REGISTRY,
)
llm_calls = Counter(
    "trainbot_llm_calls", "Model calls by model and status.", ["model", "status"], registry=REGISTRY
)
llm_tokens = Counter(
    "trainbot_llm_tokens",
    "Model tokens by model and direction (input, output).",
    ["model", "direction"],
    registry=REGISTRY,
)
llm_cost = Counter(
    "trainbot_llm_cost_cents", "Model cost in US cents by model.", ["model"], registry=REGISTRY
)
llm_seconds = Histogram(
    "trainbot_llm_seconds",
    "Model call latency by model.",
    ["model"],
    buckets=(0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0),
    registry=REGISTRY,
)
garmin_syncs = Counter(
    "trainbot_garmin_syncs", "Garmin sync runs by outcome.", ["outcome"], registry=REGISTRY
)
fit_imports = Counter(
    "trainbot_fit_imports", "FIT file imports by outcome.", ["outcome"], registry=REGISTRY
)
fit_import_seconds = Histogram(
    "trainbot_fit_import_seconds",
    "Time to import one FIT file (decode and store).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0),
    registry=REGISTRY,
)
feature_refusals = Counter(
    "trainbot_feature_refusals",
    "Uses the plan refused (limit reached, Pro only), by feature.",
    ["feature"],
    registry=REGISTRY,
)


def record_llm_call(
    *,
    model: str,
    status: str,
    input_tokens: int,
    output_tokens: int,
    cost_cents: float,
    latency_ms: int,
) -> None:
    """One model call into the LLM counters."""
    llm_calls.labels(model, status).inc()
    llm_tokens.labels(model, "input").inc(max(0, input_tokens))
    llm_tokens.labels(model, "output").inc(max(0, output_tokens))
    llm_cost.labels(model).inc(max(0.0, cost_cents))
    llm_seconds.labels(model).observe(max(0, latency_ms) / 1000)


class Outcome:
    """What a timed block ended in; "error" unless told otherwise or a domain error said."""

    def __init__(self) -> None:
        self.value = "error"

    def set(self, value: str) -> None:
        self.value = value


@contextmanager
def fit_import() -> Iterator[Outcome]:
    """Times one FIT import and counts its outcome: what the block set, or the domain
    error's class (BadFile, DecodeTimeout, ...), or "error"."""
    from core.errors import AppError

    outcome = Outcome()
    started = time.perf_counter()
    try:
        yield outcome
    except AppError as exc:
        outcome.set(type(exc).__name__)
        raise
    finally:
        fit_imports.labels(outcome.value).inc()
        fit_import_seconds.observe(time.perf_counter() - started)


def set_outbox(counts: dict[str, int]) -> None:
    """The outbox's counts by status; a status no longer present reads 0."""
    _outbox_seen.update(counts)
    for status in _outbox_seen:
        outbox.labels(status).set(counts.get(status, 0))


_outbox_seen: set[str] = set()


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
