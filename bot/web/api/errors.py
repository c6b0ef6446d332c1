"""Domain errors as JSON answers: every API route answers `{"error": "..."}` when it fails.

The routes' own class turns errors into responses, so the API keeps its error shape whatever
the app around it does with errors of other routes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from core.errors import (
    AppError,
    BadInput,
    ConfigError,
    GarminAuthError,
    GarminRateLimited,
    GarminUnavailable,
    LimitReached,
    LLMError,
    LLMNotConfigured,
    NotFound,
    NotLinked,
    NotSignedIn,
    ProOnly,
    SyncInProgress,
    TooManyAttempts,
)

logger = logging.getLogger(__name__)

INTERNAL = "Something went wrong on our side; please try again."

# Most specific first: the first class an error is an instance of decides the status.
STATUS: list[tuple[type[AppError], int]] = [
    (NotSignedIn, 401),
    (TooManyAttempts, 429),
    (LimitReached, 402),
    (ProOnly, 402),
    (NotFound, 404),
    (BadInput, 400),
    (NotLinked, 409),
    (SyncInProgress, 409),
    (GarminAuthError, 409),
    (LLMNotConfigured, 503),
    (LLMError, 502),
    (GarminRateLimited, 503),
    (GarminUnavailable, 503),
    (ConfigError, 503),  # e.g. no SESSION_SECRET in production: the server's fault, not yours
]


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def error_response(exc: AppError) -> JSONResponse:
    """The status and JSON body of a domain error."""
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
    body: dict[str, Any] = {"error": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, LimitReached):
        body = {"error": "limit_reached", "feature": exc.feature, "limit": exc.limit,
                "resets_at": _iso(exc.resets_at)}  # fmt: skip
    elif isinstance(exc, ProOnly):
        body = {"error": "pro_only", "feature": exc.feature}
    elif isinstance(exc, NotSignedIn):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after_s)
        body["retry_after"] = exc.retry_after_s
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))


class ApiRoute(APIRoute):
    """A route whose failures answer in the API's JSON error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                return error_response(exc)
            except RequestValidationError as exc:
                return JSONResponse({"error": _validation_message(exc)}, status_code=422)
            except HTTPException:
                raise
            except Exception:
                logger.exception("API %s %s failed", request.method, request.url.path)
                return JSONResponse({"error": INTERNAL}, status_code=500)

        return answer
