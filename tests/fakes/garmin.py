"""FakeGarmin: an in-memory Garmin Connect behind the GarminGateway Protocol.

Raw payloads have the shapes garminconnect returns and go through the same parsing
(core.gateways.garmin.parse) and the same error mapping (map_garmin_error) as the real
adapter, so what a service sees from the fake is what it would see from Garmin.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from garminconnect import (
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)

from core.errors import GarminAuthError, GarminMfaRequired, GarminRateLimited, GarminUnavailable
from core.gateways.garmin.client import (
    MAX_MFA_ATTEMPTS,
    MFA_REQUIRED_MESSAGE,
    WRONG_CODE_MESSAGE,
    GarminActivity,
    LoginResult,
    Wellness,
    collect_wellness,
    extract_fit,
    map_garmin_error,
    parse_activities,
)
from core.gateways.garmin.pending import PendingLogins
from tests.fakes.garmin_payloads import activity_item, wellness_payloads

FIT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fit"

RateLimitStyle = Literal["connection_error_429", "too_many_requests"]
FaultKind = Literal["network", "auth", "rate_limit"]


def _fail(exc: Exception) -> None:
    """Raise what the real adapter raises for this garminconnect exception."""
    mapped = map_garmin_error(exc)
    assert mapped is not None, exc
    raise mapped from exc


def _auth_error() -> Exception:
    return GarminConnectAuthenticationError("401 Unauthorized (Invalid Username or Password)")


def _network_error() -> Exception:
    return GarminConnectConnectionError(
        "Connection error: HTTPSConnectionPool(host='connectapi.garmin.com', port=443): "
        "Read timed out. (read timeout=15)"
    )


def _rate_limit_error(style: RateLimitStyle) -> Exception:
    if style == "connection_error_429":
        return GarminConnectConnectionError("HTTP error: API Error 429 - Too Many Requests")
    return GarminConnectTooManyRequestsError("Rate limit exceeded: API Error 429")


@dataclass
class FakeAccount:
    email: str
    password: str
    mfa: bool = False
    code: str = "123456"
    items: dict[int, dict[str, Any]] = field(default_factory=dict)  # listing items by id
    downloads: dict[int, bytes] = field(default_factory=dict)  # ORIGINAL downloads by id
    listed_twice: set[int] = field(default_factory=set)
    wellness: dict[date, dict[str, Any]] = field(default_factory=dict)  # metric -> payload
    workouts: dict[int, dict[str, Any]] = field(default_factory=dict)  # library: id -> JSON
    schedules: dict[int, tuple[int, date]] = field(default_factory=dict)  # id -> (workout, day)
    deleted_workouts: list[int] = field(default_factory=list)  # in the order they were deleted

    def scheduled_on(self, day: date) -> list[dict[str, Any]]:
        """The workouts on the athlete's calendar that day (as uploaded), in schedule order."""
        return [self.workouts[w] for w, d in self.schedules.values() if d == day]

    def listing(self, start: date, end: date) -> list[dict[str, Any]]:
        """What get_activities_by_date returns: local start date in range, newest first."""
        chosen = [
            item
            for item in self.items.values()
            if start <= date.fromisoformat(item["startTimeLocal"][:10]) <= end
        ]
        chosen.sort(key=lambda item: item["startTimeLocal"], reverse=True)
        out: list[dict[str, Any]] = []
        for item in chosen:
            out.append(item)
            if item["activityId"] in self.listed_twice:
                out.append(dict(item))  # a page boundary shifted under a new activity
        return out


@dataclass
class _Pending:
    email: str
    attempts: int = 0


class FakeGarminSession:
    """A session over one token bundle, with the real session's token semantics."""

    def __init__(self, fake: FakeGarmin, token_bundle: str) -> None:
        self._fake = fake
        self._loaded = token_bundle
        self._current = token_bundle

    def token_bundle(self) -> str:
        return self._current

    def token_bundle_changed(self) -> bool:
        return self._current != self._loaded

    async def list_activities(self, start: date, end: date) -> list[GarminActivity]:
        self._fake.calls.append(("list_activities", self._email(), start, end))
        account = self._fake._data_step(self)
        await self._fake._wait_if_held()
        return parse_activities(account.listing(start, end))

    async def download_fit(self, activity_id: int) -> bytes:
        self._fake.calls.append(("download_fit", self._email(), activity_id))
        account = self._fake._data_step(self)
        self._fake._maybe_crash()
        payload = account.downloads.get(activity_id)
        if payload is None:  # unknown or manual activity: Garmin answers 404
            _fail(GarminConnectConnectionError("HTTP error: API Error 404 - Not Found"))
        assert payload is not None
        self._fake.downloads_served += 1
        return extract_fit(payload)

    async def wellness(self, day: date) -> Wellness:
        self._fake.calls.append(("wellness", self._email(), day))
        return collect_wellness(day, lambda metric: self._fetch_metric(day, metric))

    async def upload_workout(self, workout_json: dict[str, Any]) -> int:
        self._fake.calls.append(("upload_workout", self._email(), workout_json))
        account = self._fake._data_step(self, "upload_workout")
        _check_workout_json(workout_json)
        workout_id = next(self._fake._workout_ids)
        account.workouts[workout_id] = {**workout_json, "workoutId": workout_id}
        return workout_id

    async def schedule_workout(self, garmin_workout_id: int, day: date) -> int | None:
        self._fake.calls.append(("schedule_workout", self._email(), garmin_workout_id, day))
        account = self._fake._data_step(self, "schedule_workout")
        if garmin_workout_id not in account.workouts:
            _fail(GarminConnectConnectionError("API Error 404 - Workout not found"))
        schedule_id = next(self._fake._schedule_ids)
        account.schedules[schedule_id] = (garmin_workout_id, day)
        return schedule_id

    async def delete_workout(self, garmin_workout_id: int) -> None:
        self._fake.calls.append(("delete_workout", self._email(), garmin_workout_id))
        account = self._fake._data_step(self, "delete_workout")
        if account.workouts.pop(garmin_workout_id, None) is None:
            return  # the real session takes Garmin's 404 for "already deleted"
        account.deleted_workouts.append(garmin_workout_id)
        # Garmin drops a deleted workout's calendar entries with it.
        account.schedules = {
            s: (w, d) for s, (w, d) in account.schedules.items() if w != garmin_workout_id
        }

    def _fetch_metric(self, day: date, metric: str) -> Any:
        account = self._fake._data_step(self)
        payloads = account.wellness.get(day, {})
        if metric in payloads:
            return payloads[metric]
        if metric == "stats":  # get_stats raises on an empty answer; the others get {}
            _fail(GarminConnectConnectionError("No data received from server"))
        return {}

    def _email(self) -> str | None:
        return self._fake._tokens.get(self._current)


class FakeGarmin:
    """GarminGateway in memory, scriptable: accounts, activities, wellness and faults."""

    def __init__(self, *, pending: PendingLogins[_Pending] | None = None) -> None:
        self.accounts: dict[str, FakeAccount] = {}
        self.calls: list[tuple[Any, ...]] = []  # never holds a password or a token
        self.downloads_served = 0
        self._pending: PendingLogins[_Pending] = pending if pending is not None else PendingLogins()
        self._tokens: dict[str, str] = {}  # valid bundle -> email
        self._serial = itertools.count(1)
        self._ids = itertools.count(21_000_000_001)
        self._workout_ids = itertools.count(1_100_000_001)
        self._schedule_ids = itertools.count(900_000_001)
        self._call_faults: dict[str, list[Exception]] = {}
        self._login_faults: list[Exception] = []
        self._data_faults: list[Exception] = []
        self._any_faults: list[Exception] = []
        self._rotate_next = False
        self._crash_after: int | None = None
        self._hold: tuple[asyncio.Event, asyncio.Event] | None = None

    # ---- scripting -------------------------------------------------------------------

    def add_account(
        self, email: str, password: str, *, mfa: bool = False, code: str = "123456"
    ) -> FakeAccount:
        account = FakeAccount(email=email, password=password, mfa=mfa, code=code)
        self.accounts[email] = account
        return account

    def add_activity(
        self,
        email: str,
        *,
        fit: str | Path | bytes = "2013-02-06-12-11-14.fit",
        activity_id: int | None = None,
        start: datetime = datetime(2026, 11, 20, 6, 12, tzinfo=UTC),
        utc_offset: timedelta = timedelta(hours=1),
        sport: str = "running",
        name: str | None = "Morning Run",
        duration_s: float | None = 2625.0,
        distance_m: float | None = 4835.0,
        zipped: bool = True,
        manual: bool = False,
        listed_twice: bool = False,
    ) -> int:
        """Add an activity served from a real FIT file; returns its Garmin id."""
        account = self.accounts[email]
        activity_id = activity_id if activity_id is not None else next(self._ids)
        account.items[activity_id] = activity_item(
            activity_id=activity_id,
            start=start,
            utc_offset=utc_offset,
            sport=sport,
            name=name,
            duration_s=duration_s,
            distance_m=distance_m,
            manual=manual,
        )
        if not manual:
            data = fit if isinstance(fit, bytes) else (FIT_DIR / fit).read_bytes()
            account.downloads[activity_id] = _zip_fit(activity_id, data) if zipped else data
        if listed_twice:
            account.listed_twice.add(activity_id)
        return activity_id

    def set_download(self, email: str, activity_id: int, payload: bytes) -> None:
        """Serve exactly these bytes as the ORIGINAL download (for broken files)."""
        self.accounts[email].downloads[activity_id] = payload

    def add_wellness(self, email: str, day: date, **figures: Any) -> None:
        """Realistic payloads for day (see garmin_payloads.wellness_payloads)."""
        self.accounts[email].wellness[day] = wellness_payloads(day, **figures)

    def set_wellness(self, email: str, day: date, **payloads: Any) -> None:
        """Raw payloads by metric name (stats, hrv, sleep, readiness, max_metrics, ...)."""
        self.accounts[email].wellness[day] = payloads

    def issue_token(self, email: str) -> str:
        """A valid bundle for email, as a completed login would give."""
        bundle = f"tok-{email}-{next(self._serial)}"
        self._tokens[bundle] = email
        return bundle

    def revoke_tokens(self, email: str) -> None:
        """Garmin forgets every session of email (password changed, access revoked)."""
        self._tokens = {t: e for t, e in self._tokens.items() if e != email}

    def is_valid(self, token_bundle: str) -> bool:
        return token_bundle in self._tokens

    def rotate_tokens_on_next_call(self) -> None:
        self._rotate_next = True

    def rate_limit_login(self, times: int = 1) -> None:
        self._login_faults += [
            GarminConnectTooManyRequestsError("All login strategies 429")
        ] * times

    def rate_limit_next_data_call(self, style: RateLimitStyle = "connection_error_429") -> None:
        self._data_faults.append(_rate_limit_error(style))

    def fail_auth_next(self) -> None:
        self._any_faults.append(_auth_error())

    def fail_network_next(self) -> None:
        self._any_faults.append(_network_error())

    def add_own_workout(self, email: str, day: date, name: str = "My long run") -> int:
        """A workout the athlete made in Garmin Connect and put on `day`; its Garmin id."""
        account = self.accounts[email]
        workout_id = next(self._workout_ids)
        account.workouts[workout_id] = {
            "workoutId": workout_id, "workoutName": name,
            "sportType": {"sportTypeId": 1, "sportTypeKey": "running"}, "workoutSegments": [],
        }  # fmt: skip
        account.schedules[next(self._schedule_ids)] = (workout_id, day)
        return workout_id

    def athlete_deletes_workout(self, email: str, workout_id: int) -> None:
        """The athlete deleted a workout in Garmin Connect (its calendar entries go with it)."""
        account = self.accounts[email]
        del account.workouts[workout_id]
        account.schedules = {
            s: (w, d) for s, (w, d) in account.schedules.items() if w != workout_id
        }

    def fail_next_call(self, name: str, fault: FaultKind = "network") -> None:
        """The next call of this session method (upload_workout, ...) fails this way."""
        error = {
            "network": _network_error,
            "auth": _auth_error,
            "rate_limit": lambda: _rate_limit_error("connection_error_429"),
        }[fault]()
        self._call_faults.setdefault(name, []).append(error)

    def crash_after_downloads(self, n: int) -> None:
        """The download after the next n raises RuntimeError, as a process dying mid-sync."""
        self._crash_after = n

    def hold_next_listing(self) -> tuple[asyncio.Event, asyncio.Event]:
        """(entered, release): the next listing sets `entered`, then waits for `release`."""
        self._hold = (asyncio.Event(), asyncio.Event())
        return self._hold

    def count(self, name: str) -> int:
        return sum(1 for call in self.calls if call[0] == name)

    # ---- GarminGateway ---------------------------------------------------------------

    async def login(self, email: str, password: str, *, pending_key: str) -> LoginResult:
        self.calls.append(("login", email))
        self._pending.discard(pending_key)
        self._raise_next(self._any_faults)
        self._raise_next(self._login_faults)
        account = self.accounts.get(email)
        if account is None or account.password != password:
            _fail(_auth_error())
        assert account is not None
        if account.mfa:
            self._pending.put(pending_key, _Pending(email=email))
            raise GarminMfaRequired(MFA_REQUIRED_MESSAGE)
        return LoginResult(token_bundle=self.issue_token(email))

    async def submit_mfa(self, pending_key: str, code: str) -> LoginResult:
        self.calls.append(("submit_mfa", pending_key))
        pending = self._pending.pop(pending_key)
        try:
            self._raise_next(self._any_faults)
            if code.strip() != self.accounts[pending.email].code:
                _fail(GarminConnectAuthenticationError("MFA verification failed"))
        except GarminAuthError as exc:
            pending.attempts += 1
            if pending.attempts < MAX_MFA_ATTEMPTS:
                self._pending.put(pending_key, pending)
            raise GarminAuthError(WRONG_CODE_MESSAGE) from exc
        except (GarminRateLimited, GarminUnavailable):
            self._pending.put(pending_key, pending)
            raise
        return LoginResult(token_bundle=self.issue_token(pending.email))

    def session(self, token_bundle: str) -> FakeGarminSession:
        return FakeGarminSession(self, token_bundle)

    # ---- internals -------------------------------------------------------------------

    def _raise_next(self, faults: list[Exception]) -> None:
        if faults:
            _fail(faults.pop(0))

    def _data_step(self, session: FakeGarminSession, call: str = "") -> FakeAccount:
        """One data request: scripted faults, token check, rotation."""
        self._raise_next(self._any_faults)
        self._raise_next(self._data_faults)
        self._raise_next(self._call_faults.get(call, []))
        email = self._tokens.get(session._current)
        if email is None:
            _fail(GarminConnectAuthenticationError("Username and password are required"))
        assert email is not None
        if self._rotate_next:
            self._rotate_next = False
            del self._tokens[session._current]  # the old refresh token dies with rotation
            session._current = self.issue_token(email)
        return self.accounts[email]

    async def _wait_if_held(self) -> None:
        if self._hold is None:
            return
        (entered, release), self._hold = self._hold, None
        entered.set()
        await release.wait()

    def _maybe_crash(self) -> None:
        if self._crash_after is None:
            return
        if self._crash_after == 0:
            self._crash_after = None
            raise RuntimeError("simulated crash during a Garmin sync")
        self._crash_after -= 1


def _check_workout_json(workout: dict[str, Any]) -> None:
    """What Garmin refuses with a 400: no name, no sport, or a segment without steps."""
    segments = workout.get("workoutSegments") or []
    fine = (
        bool(workout.get("workoutName"))
        and isinstance(workout.get("sportType"), dict)
        and bool(segments)
        and all(seg.get("workoutSteps") for seg in segments)
    )
    if not fine:
        _fail(GarminConnectConnectionError("API Error 400 - Invalid workout"))


def _zip_fit(activity_id: int, data: bytes) -> bytes:
    """An ORIGINAL download: a ZIP holding <id>_ACTIVITY.fit."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{activity_id}_ACTIVITY.fit", data)
    return buffer.getvalue()
