"""Garmin Connect: the gateway Protocol and its adapter over garminconnect.

Fresh logins are rate-limited hard by Garmin, so a user logs in once and every sync resumes
from the stored token bundle. Garmin rotates the refresh token when it refreshes, so after a
session the caller asks `token_bundle_changed()` and stores `token_bundle()` at once, also
when the session ended in an error: the rotation may already have happened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Protocol, TypeVar

from garminconnect import (
    Garmin,
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)

from core.errors import (
    N_,
    AppError,
    ConfigError,
    GarminAuthError,
    GarminMfaRequired,
    GarminRateLimited,
    GarminUnavailable,
)
from core.gateways.garmin.parse import (
    GarminActivity,
    Wellness,
    collect_wellness,
    extract_fit,
    is_fit,
    parse_activities,
    parse_activity,
    parse_wellness,
)
from core.gateways.garmin.pending import PendingLogins

__all__ = [
    "GarminActivity",
    "GarminConnectGateway",
    "GarminGateway",
    "GarminSession",
    "LoginResult",
    "PendingLogins",
    "Wellness",
    "call_mapped",
    "collect_wellness",
    "is_not_found",
    "extract_fit",
    "is_fit",
    "map_garmin_error",
    "parse_activities",
    "parse_activity",
    "parse_wellness",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

AUTH_MESSAGE = N_(
    "Garmin Connect refused the sign-in. Check your email and password, or link again."
)
WRONG_CODE_MESSAGE = N_("Garmin did not accept that code. Check it and send it again.")
MFA_REQUIRED_MESSAGE = N_("Garmin sent you a one-time code. Send it here to finish linking.")
RATE_LIMITED_MESSAGE = N_("Garmin Connect is limiting requests right now. Please try again later.")
UNAVAILABLE_MESSAGE = N_("Garmin Connect could not be reached. Please try again later.")
NO_TOKEN_MESSAGE = N_("Garmin signed you in but issued no reusable token. Please try again later.")
MAX_MFA_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class LoginResult:
    token_bundle: str = field(repr=False)  # a secret: keep it out of logs and reprs


class GarminSession(Protocol):
    """One account's Garmin data, resumed from a token bundle."""

    async def list_activities(self, start: date, end: date) -> list[GarminActivity]: ...
    async def download_fit(self, activity_id: int) -> bytes: ...
    async def wellness(self, day: date) -> Wellness: ...
    async def upload_workout(self, workout_json: dict[str, Any]) -> int: ...
    async def schedule_workout(self, garmin_workout_id: int, day: date) -> int | None: ...
    async def delete_workout(self, garmin_workout_id: int) -> None: ...
    def token_bundle(self) -> str: ...
    def token_bundle_changed(self) -> bool: ...


class GarminGateway(Protocol):
    """Logs users in to Garmin Connect and opens sessions from stored token bundles."""

    async def login(self, email: str, password: str, *, pending_key: str) -> LoginResult: ...
    async def submit_mfa(self, pending_key: str, code: str) -> LoginResult: ...
    def session(self, token_bundle: str) -> GarminSession: ...


# ---- errors ----------------------------------------------------------------------------

_STATUS_429 = re.compile(r"\b429\b")
_STATUS_401 = re.compile(r"\b401\b")
_STATUS_404 = re.compile(r"\b404\b")


def map_garmin_error(exc: BaseException) -> AppError | None:
    """The domain error for an exception out of garminconnect; None if it is not Garmin's."""
    if isinstance(exc, GarminConnectTooManyRequestsError):
        return GarminRateLimited(RATE_LIMITED_MESSAGE)
    if isinstance(exc, GarminConnectAuthenticationError):
        # login() reports a failed profile fetch (a 429, a timeout) as an auth error: a user
        # must not be told to relink because Garmin was busy, so the cause decides.
        cause = map_garmin_error(exc.__cause__) if exc.__cause__ is not None else None
        if isinstance(cause, GarminRateLimited | GarminUnavailable):
            return cause
        return GarminAuthError(AUTH_MESSAGE)
    if isinstance(exc, GarminConnectConnectionError):
        # Data calls report HTTP errors only in the text: "HTTP error: API Error 429 - ...".
        text = str(exc)
        if _STATUS_429.search(text):
            return GarminRateLimited(RATE_LIMITED_MESSAGE)
        if _STATUS_401.search(text):
            return GarminAuthError(AUTH_MESSAGE)
        return GarminUnavailable(UNAVAILABLE_MESSAGE)
    if isinstance(exc, OSError):  # requests / curl_cffi transport errors and timeouts
        return GarminUnavailable(UNAVAILABLE_MESSAGE)
    return None


def is_not_found(exc: BaseException) -> bool:
    """True for garminconnect's answer to an id Garmin does not know (HTTP 404)."""
    return isinstance(exc, GarminConnectConnectionError) and bool(_STATUS_404.search(str(exc)))


def call_mapped(fn: Callable[[], T]) -> T:
    """Run fn, turning garminconnect's exceptions into domain errors."""
    try:
        return fn()
    except AppError:
        raise
    except Exception as exc:
        mapped = map_garmin_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


# ---- the adapter -----------------------------------------------------------------------


class GarminClient(Protocol):
    """The part of garminconnect.Garmin used here (tests pass a stand-in)."""

    client: Any  # garminconnect.client.Client; .dumps() -> JSON {di_token, di_refresh_token, ...}

    def login(self, tokenstore: str | None = None) -> tuple[Any, Any]: ...
    def resume_login(self, client_state: Any, mfa_code: str) -> tuple[Any, Any]: ...
    def get_activities_by_date(self, startdate: str, enddate: str | None = None) -> Any: ...
    def download_activity(self, activity_id: str, dl_fmt: Any = ...) -> bytes: ...
    def get_stats(self, cdate: str) -> Any: ...
    def get_hrv_data(self, cdate: str) -> Any: ...
    def get_sleep_data(self, cdate: str) -> Any: ...
    def get_training_readiness(self, cdate: str) -> Any: ...
    def get_max_metrics(self, cdate: str) -> Any: ...
    def get_rhr_day(self, cdate: str) -> Any: ...
    def get_body_battery(self, startdate: str, enddate: str | None = None) -> Any: ...
    def get_stress_data(self, cdate: str) -> Any: ...
    def upload_workout(self, workout_json: dict[str, Any]) -> Any: ...
    def schedule_workout(self, workout_id: int | str, date_str: str) -> Any: ...
    def delete_workout(self, workout_id: int | str) -> Any: ...


ClientFactory = Callable[..., GarminClient]


def _tokens(bundle: str) -> dict[str, Any] | None:
    try:
        data = json.loads(bundle)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("di_token") else None


def _resumable_bundle(client: GarminClient) -> str:
    """client's tokens, refusing a bundle no later session could resume from."""
    # When Garmin's DI token exchange fails, garminconnect falls back to a web cookie it
    # does not serialise: such a login would have to be repeated on every sync.
    bundle = str(client.client.dumps())
    if _tokens(bundle) is None:
        raise GarminUnavailable(NO_TOKEN_MESSAGE)
    return bundle


def _wellness_fetcher(client: GarminClient, day: date) -> Callable[[str], Any]:
    """Metric name -> the garminconnect call for day (payload shapes: see garmin_parse)."""
    d = day.isoformat()
    calls: dict[str, Callable[[], Any]] = {
        "stats": lambda: client.get_stats(d),
        "hrv": lambda: client.get_hrv_data(d),
        "sleep": lambda: client.get_sleep_data(d),
        "readiness": lambda: client.get_training_readiness(d),
        "max_metrics": lambda: client.get_max_metrics(d),
        "rhr": lambda: client.get_rhr_day(d),
        "body_battery": lambda: client.get_body_battery(d, d),
        "stress": lambda: client.get_stress_data(d),
    }
    return lambda metric: call_mapped(calls[metric])


def workout_id_of(answer: Any) -> int:
    """The id in Garmin's answer to a workout upload."""
    value = answer.get("workoutId") if isinstance(answer, dict) else None
    if value is None:
        raise GarminUnavailable(UNAVAILABLE_MESSAGE)  # an answer without an id: nothing to use
    return int(value)


def schedule_id_of(answer: Any) -> int | None:
    """The id in Garmin's answer to scheduling a workout (its key has varied)."""
    if not isinstance(answer, dict):
        return None
    for key in ("workoutScheduleId", "scheduleId", "id"):
        if answer.get(key) is not None:
            return int(answer[key])
    return None


def _delete_if_present(client: GarminClient, garmin_workout_id: int) -> None:
    try:
        client.delete_workout(garmin_workout_id)
    except Exception as exc:
        if not is_not_found(exc):  # deleted on Garmin already (by the athlete): done
            raise


class GarminConnectSession:
    """Garmin Connect resumed from a stored token bundle; it connects on first use."""

    def __init__(self, token_bundle: str, *, factory: ClientFactory, is_cn: bool) -> None:
        self._loaded = token_bundle
        self._current = token_bundle
        self._factory = factory
        self._is_cn = is_cn
        self._client: GarminClient | None = None
        self._ready = False
        # One garminconnect client refreshes its tokens in place: never two threads at once.
        self._lock = threading.Lock()

    def token_bundle(self) -> str:
        """The current bundle: the loaded one, or its rotated successor."""
        return self._current

    def token_bundle_changed(self) -> bool:
        """True if Garmin rotated the tokens during this session (store the new bundle)."""
        return _tokens(self._current) != _tokens(self._loaded)

    async def list_activities(self, start: date, end: date) -> list[GarminActivity]:
        """Activities whose local start date is in [start, end], newest first.

        Garmin pages shift while new activities arrive, so an id can appear twice.
        """
        items = await self._run(
            lambda g: g.get_activities_by_date(start.isoformat(), end.isoformat())
        )
        return parse_activities(items)

    async def download_fit(self, activity_id: int) -> bytes:
        """The activity's original FIT file (BadFile if Garmin's download holds none)."""
        payload = await self._run(
            lambda g: g.download_activity(
                str(activity_id), dl_fmt=Garmin.ActivityDownloadFormat.ORIGINAL
            )
        )
        return extract_fit(bytes(payload))

    async def wellness(self, day: date) -> Wellness:
        """The day's wellness figures; a missing metric is None."""
        return await self._run(lambda g: collect_wellness(day, _wellness_fetcher(g, day)))

    async def upload_workout(self, workout_json: dict[str, Any]) -> int:
        """Add a workout to the athlete's Garmin workout library; its Garmin id."""
        answer = await self._run(lambda g: g.upload_workout(workout_json))
        return workout_id_of(answer)

    async def schedule_workout(self, garmin_workout_id: int, day: date) -> int | None:
        """Put a library workout on a calendar day; the schedule's id, if Garmin gave one."""
        answer = await self._run(lambda g: g.schedule_workout(garmin_workout_id, day.isoformat()))
        return schedule_id_of(answer)

    async def delete_workout(self, garmin_workout_id: int) -> None:
        """Delete a library workout (Garmin drops its calendar entries with it); one already
        gone counts as deleted."""
        await self._run(lambda g: _delete_if_present(g, garmin_workout_id))

    async def _run(self, action: Callable[[GarminClient], T]) -> T:
        # garminconnect is blocking (requests / curl_cffi): keep it off the event loop.
        return await asyncio.to_thread(self._run_blocking, action)

    def _run_blocking(self, action: Callable[[GarminClient], T]) -> T:
        with self._lock:
            try:
                return call_mapped(lambda: action(self._connected()))
            finally:
                self._capture_tokens()

    def _connected(self) -> GarminClient:
        if self._client is None:
            self._client = self._factory(is_cn=self._is_cn)
        if not self._ready:
            # garminconnect takes a tokenstore of 512 characters or fewer for a file path;
            # JSON allows trailing blanks, so padding keeps a bundle from ever being one.
            self._client.login(tokenstore=self._current.ljust(513))
            self._ready = True
        return self._client

    def _capture_tokens(self) -> None:
        if self._client is None:
            return
        try:
            bundle = str(self._client.client.dumps())
        except Exception:
            logger.warning("Could not read Garmin tokens after a call", exc_info=True)
            return
        # A client whose load failed dumps empty tokens: never let those replace good ones.
        if _tokens(bundle) is not None:
            self._current = bundle


@dataclass
class _PendingLogin:
    client: GarminClient
    state: Any
    attempts: int = 0


class GarminConnectGateway:
    """GarminGateway over the garminconnect library."""

    def __init__(
        self,
        *,
        client_factory: ClientFactory = Garmin,
        pending: PendingLogins[_PendingLogin] | None = None,
        is_cn: bool = False,
    ) -> None:
        if os.environ.get("GARMINTOKENS"):
            # garminconnect.Garmin.login() would load these tokens instead of each user's
            # credentials, signing every user into the same Garmin account.
            raise ConfigError("GARMINTOKENS is set; unset it: each user has their own tokens.")
        self._factory = client_factory
        self._pending: PendingLogins[_PendingLogin] = (
            pending if pending is not None else PendingLogins()
        )
        self._is_cn = is_cn

    async def login(self, email: str, password: str, *, pending_key: str) -> LoginResult:
        """Log in with credentials; GarminMfaRequired if Garmin sent a one-time code."""
        self._pending.discard(pending_key)
        client = self._factory(
            email=email, password=password, is_cn=self._is_cn, return_on_mfa=True
        )
        status, state = await asyncio.to_thread(call_mapped, client.login)
        if status == "needs_mfa":
            self._pending.put(pending_key, _PendingLogin(client=client, state=state))
            raise GarminMfaRequired(MFA_REQUIRED_MESSAGE)
        return LoginResult(token_bundle=_resumable_bundle(client))

    async def submit_mfa(self, pending_key: str, code: str) -> LoginResult:
        """Finish a login with its one-time code (GarminMfaExpired if none is pending)."""
        pending = self._pending.pop(pending_key)
        # The same client object must finish the login: it holds Garmin's SSO session.
        # garminconnect 0.3 keeps that state on the client; older versions returned it.
        resume = partial(pending.client.resume_login, pending.state or {}, code.strip())
        try:
            await asyncio.to_thread(call_mapped, resume)
        except GarminAuthError as exc:
            pending.attempts += 1
            if pending.attempts < MAX_MFA_ATTEMPTS:
                self._pending.put(pending_key, pending)
            raise GarminAuthError(WRONG_CODE_MESSAGE) from exc
        except (GarminRateLimited, GarminUnavailable):
            self._pending.put(pending_key, pending)  # the code may still be good: keep it
            raise
        return LoginResult(token_bundle=_resumable_bundle(pending.client))

    def session(self, token_bundle: str) -> GarminConnectSession:
        """A session over the stored bundle; nothing is sent before its first call."""
        return GarminConnectSession(token_bundle, factory=self._factory, is_cn=self._is_cn)
