"""Domain errors as the API answers them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.web.api.errors import error_response
from core.errors import (
    AppError,
    BadInput,
    LimitReached,
    LLMNotConfigured,
    LLMTimeout,
    NotFound,
    NotLinked,
    NotSignedIn,
    TooManyAttempts,
)


def _answer(exc: AppError) -> tuple[int, dict[str, object], dict[str, str]]:
    response = error_response(exc)
    return response.status_code, json.loads(bytes(response.body)), dict(response.headers)


def test_a_limit_that_does_not_reset_answers_402_with_resets_at_null() -> None:
    status, body, _ = _answer(LimitReached("ai_plan", 1, None))
    assert status == 402
    assert body == {"error": "limit_reached", "feature": "ai_plan", "limit": 1, "resets_at": None}


def test_a_monthly_limit_says_when_it_resets() -> None:
    resets = datetime(2026, 12, 1, tzinfo=UTC)
    _, body, _ = _answer(LimitReached("ai_analysis", 5, resets))
    assert body["resets_at"] == "2026-12-01T00:00:00Z"


def test_sign_in_errors_carry_their_headers() -> None:
    status, body, headers = _answer(NotSignedIn("Sign in again."))
    assert (status, body, headers["www-authenticate"]) == (
        401,
        {"error": "Sign in again."},
        "Bearer",
    )
    until = datetime(2026, 12, 1, tzinfo=UTC)
    status, body, headers = _answer(TooManyAttempts("Wait.", until, retry_after_s=90))
    assert (status, body["retry_after"], headers["retry-after"]) == (429, 90, "90")


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (NotFound("Activity not found."), 404),
        (BadInput("No."), 400),
        (NotLinked("Not linked."), 409),
        (LLMNotConfigured("No model."), 503),
        (LLMTimeout("Slow."), 502),
        (AppError("Anything else."), 400),
    ],
)
def test_statuses(exc: AppError, status: int) -> None:
    assert _answer(exc)[:2] == (status, {"error": exc.message})
