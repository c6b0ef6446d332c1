"""The Garmin gateway: response parsing, pending MFA logins, FakeGarmin, and the real adapter
driven through a stand-in for garminconnect.Garmin that raises garminconnect's own errors."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from garminconnect import (
    Garmin,
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectTooManyRequestsError,
)

from core.errors import (
    BadFile,
    ConfigError,
    GarminAuthError,
    GarminMfaExpired,
    GarminMfaRequired,
    GarminRateLimited,
    GarminUnavailable,
)
from core.gateways.garmin.client import (
    GarminActivity,
    GarminConnectGateway,
    Wellness,
    extract_fit,
    map_garmin_error,
    parse_activities,
    parse_activity,
    parse_wellness,
)
from core.gateways.garmin.pending import PendingLogins
from tests.fakes.garmin import FIT_DIR, FakeGarmin
from tests.fakes.garmin_payloads import (
    activity_item,
    body_battery_payload,
    hrv_payload,
    readiness_payload,
    rhr_payload,
    sleep_payload,
    stats_payload,
    stress_payload,
    wellness_payloads,
)

DAY = date(2026, 11, 20)
START = datetime(2026, 11, 20, 6, 12, tzinfo=UTC)
RUN_FIT = FIT_DIR / "2013-02-06-12-11-14.fit"

# garminconnect's own exception classes, short names for the tables below.
AuthFailed = GarminConnectAuthenticationError
ConnFailed = GarminConnectConnectionError
TooMany = GarminConnectTooManyRequestsError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ---- parsing ---------------------------------------------------------------------------


def test_parse_activity_reads_a_listing_item() -> None:
    item = activity_item(activity_id=21_000_000_123, start=START, sport="trail_running")
    assert parse_activity(item) == GarminActivity(
        activity_id=21_000_000_123,
        start_time=START,
        sport="trail_running",
        name="Morning Run",
        duration_s=2625.0,
        distance_m=4835.0,
    )
    assert parse_activity(item).start_time.tzinfo is UTC


def test_parse_activity_takes_start_time_gmt_not_local() -> None:
    item = activity_item(activity_id=1, start=START, utc_offset=timedelta(hours=-7))
    assert item["startTimeLocal"] == "2026-11-19 23:12:00"
    assert parse_activity(item).start_time == START


def test_parse_activity_with_missing_fields_gives_none() -> None:
    ms = int(START.timestamp() * 1000)
    parsed = parse_activity({"activityId": 7, "beginTimestamp": ms, "activityName": "  "})
    assert parsed == GarminActivity(7, START, "other", None, None, None)


def test_parse_activity_marks_manual_entries() -> None:
    item = activity_item(activity_id=3, start=START, manual=True, distance_m=None)
    parsed = parse_activity(item)
    assert parsed.manual is True
    assert parsed.distance_m is None


def test_parse_activity_without_id_or_start_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_activity({"startTimeGMT": "2026-11-20 06:12:00"})
    with pytest.raises(ValueError):
        parse_activity({"activityId": 5})


def test_parse_activities_skips_unusable_items() -> None:
    good = activity_item(activity_id=9, start=START)
    parsed = parse_activities([good, {"activityName": "no id"}, "junk", {"activityId": True}])
    assert [a.activity_id for a in parsed] == [9]
    assert parse_activities(None) == []


def test_parse_wellness_on_full_payloads() -> None:
    wellness = parse_wellness(DAY, **wellness_payloads(DAY))
    assert wellness == Wellness(
        day=DAY,
        resting_hr=48,
        hrv_ms=62.0,
        sleep_score=82,
        sleep_seconds=26580,
        body_battery_high=95,
        body_battery_low=22,
        stress_avg=31,
        training_readiness=78,
        vo2max=52.4,
    )
    assert not wellness.is_empty()


def test_parse_wellness_with_nothing_is_empty() -> None:
    wellness = parse_wellness(DAY, stats={}, hrv={}, sleep={}, readiness=[], max_metrics=[])
    assert wellness == Wellness(day=DAY)
    assert wellness.is_empty()


def test_parse_wellness_treats_garmin_no_data_markers_as_none() -> None:
    stats = stats_payload(DAY, resting_hr=None, stress_avg=None, body_battery_high=None)
    stats["averageStressLevel"] = -2
    wellness = parse_wellness(DAY, stats=stats, sleep=sleep_payload(DAY, score=None))
    assert wellness.stress_avg is None
    assert wellness.body_battery_high is None
    assert wellness.body_battery_low == 22
    assert wellness.sleep_score is None
    assert wellness.resting_hr == 47  # from the sleep payload
    assert wellness.hrv_ms == 61.0  # avgOvernightHrv, when the HRV endpoint has nothing


def test_parse_wellness_fallback_payloads() -> None:
    stats = stats_payload(DAY, resting_hr=None, stress_avg=None, body_battery_high=None)
    stats["bodyBatteryLowestValue"] = None
    wellness = parse_wellness(
        DAY,
        stats=stats,
        rhr=rhr_payload(DAY, value=51.0),
        body_battery=body_battery_payload(DAY, levels=[30, None, 88, 12]),
        stress=stress_payload(DAY, avg=27),
    )
    assert (wellness.resting_hr, wellness.stress_avg) == (51, 27)
    assert (wellness.body_battery_high, wellness.body_battery_low) == (88, 12)


def test_body_battery_rows_follow_their_descriptors() -> None:
    payload = [
        {
            "bodyBatteryValuesArray": [[1, "MEASURED", 64, 2.0], [2, "MEASURED", 18, 2.0]],
            "bodyBatteryValueDescriptorDTOList": [
                {
                    "bodyBatteryValueDescriptorKey": "bodyBatteryLevel",
                    "bodyBatteryValueDescriptorIndex": 2,
                }
            ],
        }
    ]
    wellness = parse_wellness(DAY, body_battery=payload)
    assert (wellness.body_battery_high, wellness.body_battery_low) == (64, 18)


def test_readiness_prefers_the_morning_score() -> None:
    assert parse_wellness(DAY, readiness=readiness_payload(DAY, score=81)).training_readiness == 81
    single = {"score": 40, "inputContext": None}
    assert parse_wellness(DAY, readiness=single).training_readiness == 40


def test_vo2max_falls_back_to_cycling() -> None:
    payload = [{"generic": None, "cycling": {"vo2MaxPreciseValue": None, "vo2MaxValue": 57}}]
    assert parse_wellness(DAY, max_metrics=payload).vo2max == 57.0


def test_hrv_payload_without_summary() -> None:
    assert parse_wellness(DAY, hrv=hrv_payload(DAY, last_night_avg=None)).hrv_ms is None
    assert parse_wellness(DAY, hrv=None).hrv_ms is None


# ---- FIT extraction --------------------------------------------------------------------


def test_extract_fit_unzips_an_original_download() -> None:
    fit = RUN_FIT.read_bytes()
    payload = zip_of({"21000000123_ACTIVITY.fit": fit})
    assert payload[:2] == b"PK"
    assert extract_fit(payload) == fit


def test_extract_fit_passes_a_raw_fit_through() -> None:
    fit = (FIT_DIR / "sample-activity.fit").read_bytes()  # a 12-byte header
    assert extract_fit(fit) == fit


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"<html>Cloudflare</html>",
        zip_of({"readme.txt": b"no fit here"}),
        zip_of({"fake.fit": b"this is not a FIT file at all"}),
    ],
)
def test_extract_fit_refuses_what_holds_no_fit(payload: bytes) -> None:
    with pytest.raises(BadFile):
        extract_fit(payload)


# ---- pending logins --------------------------------------------------------------------


def test_pending_login_is_kept_until_its_ttl() -> None:
    clock = Clock()
    pending: PendingLogins[str] = PendingLogins(ttl_s=300, clock=clock)
    pending.put("user:1", "client-a")
    clock.now += 299
    assert "user:1" in pending
    assert pending.pop("user:1") == "client-a"
    with pytest.raises(GarminMfaExpired):
        pending.pop("user:1")


def test_pending_login_expires_and_is_purged() -> None:
    clock = Clock()
    pending: PendingLogins[str] = PendingLogins(ttl_s=300, clock=clock)
    pending.put("user:1", "a")
    pending.put("user:2", "b")
    clock.now += 300
    assert "user:1" not in pending
    with pytest.raises(GarminMfaExpired):
        pending.pop("user:1")
    assert len(pending) == 0


def test_pending_login_put_replaces_and_restarts_the_clock() -> None:
    clock = Clock()
    pending: PendingLogins[str] = PendingLogins(ttl_s=300, clock=clock)
    pending.put("user:1", "old")
    clock.now += 200
    pending.put("user:1", "new")
    clock.now += 200
    assert pending.pop("user:1") == "new"


def test_pending_logins_are_bounded() -> None:
    clock = Clock()
    pending: PendingLogins[int] = PendingLogins(clock=clock, max_entries=2)
    for i in range(3):
        clock.now += 1
        pending.put(f"k{i}", i)
    assert len(pending) == 2
    assert "k0" not in pending
    pending.discard("k1")
    assert pending.pop("k2") == 2


# ---- FakeGarmin ------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeGarmin:
    fake = FakeGarmin()
    fake.add_account("ana@example.com", "s3cret")
    return fake


async def test_fake_login_without_mfa(fake: FakeGarmin) -> None:
    result = await fake.login("ana@example.com", "s3cret", pending_key="user:1")
    assert result.token_bundle.startswith("tok-ana@example.com-")
    assert fake.is_valid(result.token_bundle)
    assert "s3cret" not in repr(fake.calls)
    assert result.token_bundle not in repr(result)


async def test_fake_wrong_password(fake: FakeGarmin) -> None:
    with pytest.raises(GarminAuthError):
        await fake.login("ana@example.com", "wrong", pending_key="user:1")
    with pytest.raises(GarminAuthError):
        await fake.login("nobody@example.com", "s3cret", pending_key="user:1")


async def test_fake_login_rate_limited(fake: FakeGarmin) -> None:
    fake.rate_limit_login()
    with pytest.raises(GarminRateLimited):
        await fake.login("ana@example.com", "s3cret", pending_key="user:1")
    assert await fake.login("ana@example.com", "s3cret", pending_key="user:1")


async def test_fake_mfa_flow_wrong_then_right_code() -> None:
    fake = FakeGarmin()
    fake.add_account("bo@example.com", "pw", mfa=True, code="424242")
    with pytest.raises(GarminMfaRequired):
        await fake.login("bo@example.com", "pw", pending_key="user:7")
    with pytest.raises(GarminAuthError):
        await fake.submit_mfa("user:7", "000000")
    result = await fake.submit_mfa("user:7", " 424242 ")
    assert fake.is_valid(result.token_bundle)
    with pytest.raises(GarminMfaExpired):  # consumed
        await fake.submit_mfa("user:7", "424242")


async def test_fake_mfa_gives_up_after_three_wrong_codes() -> None:
    fake = FakeGarmin()
    fake.add_account("bo@example.com", "pw", mfa=True, code="424242")
    with pytest.raises(GarminMfaRequired):
        await fake.login("bo@example.com", "pw", pending_key="user:7")
    for _ in range(3):
        with pytest.raises(GarminAuthError):
            await fake.submit_mfa("user:7", "111111")
    with pytest.raises(GarminMfaExpired):
        await fake.submit_mfa("user:7", "424242")


async def test_fake_mfa_window_expires() -> None:
    clock = Clock()
    fake = FakeGarmin(pending=PendingLogins(ttl_s=300, clock=clock))
    fake.add_account("bo@example.com", "pw", mfa=True, code="424242")
    with pytest.raises(GarminMfaRequired):
        await fake.login("bo@example.com", "pw", pending_key="user:7")
    clock.now += 301
    with pytest.raises(GarminMfaExpired):
        await fake.submit_mfa("user:7", "424242")
    with pytest.raises(GarminMfaExpired):
        await fake.submit_mfa("never-started", "424242")


async def test_fake_session_lists_and_downloads_real_fit(fake: FakeGarmin) -> None:
    first = fake.add_activity("ana@example.com", start=START)
    second = fake.add_activity(
        "ana@example.com",
        fit="Edge810-Vector-2013-08-16-15-35-10.fit",
        start=START + timedelta(hours=30),
        sport="road_biking",
        zipped=False,
    )
    session = fake.session(fake.issue_token("ana@example.com"))
    listed = await session.list_activities(DAY, DAY + timedelta(days=1))
    assert [a.activity_id for a in listed] == [second, first]  # newest first
    assert listed[0].sport == "road_biking"
    fit = await session.download_fit(first)
    assert fit[8:12] == b".FIT"
    assert fit == RUN_FIT.read_bytes()
    assert (await session.download_fit(second))[8:12] == b".FIT"
    assert not session.token_bundle_changed()
    assert fake.count("download_fit") == 2


async def test_fake_listing_can_repeat_an_activity(fake: FakeGarmin) -> None:
    aid = fake.add_activity("ana@example.com", start=START, listed_twice=True)
    session = fake.session(fake.issue_token("ana@example.com"))
    listed = await session.list_activities(DAY, DAY)
    assert [a.activity_id for a in listed] == [aid, aid]


async def test_fake_token_rotation_is_visible(fake: FakeGarmin) -> None:
    old = fake.issue_token("ana@example.com")
    session = fake.session(old)
    fake.rotate_tokens_on_next_call()
    await session.list_activities(DAY, DAY)
    assert session.token_bundle_changed()
    new = session.token_bundle()
    assert new != old and fake.is_valid(new) and not fake.is_valid(old)
    with pytest.raises(GarminAuthError):  # a caller that kept the old bundle is locked out
        await fake.session(old).list_activities(DAY, DAY)


@pytest.mark.parametrize("style", ["connection_error_429", "too_many_requests"])
async def test_fake_data_call_rate_limited(fake: FakeGarmin, style: Any) -> None:
    session = fake.session(fake.issue_token("ana@example.com"))
    fake.rate_limit_next_data_call(style=style)
    with pytest.raises(GarminRateLimited) as caught:
        await session.list_activities(DAY, DAY)
    expected_cause = {
        "connection_error_429": GarminConnectConnectionError,
        "too_many_requests": GarminConnectTooManyRequestsError,
    }[style]
    assert type(caught.value.__cause__) is expected_cause  # what garminconnect would raise
    assert await session.list_activities(DAY, DAY) == []


async def test_fake_faults_and_crash(fake: FakeGarmin) -> None:
    ids = [
        fake.add_activity("ana@example.com", start=START + timedelta(minutes=i)) for i in range(3)
    ]
    session = fake.session(fake.issue_token("ana@example.com"))
    fake.fail_network_next()
    with pytest.raises(GarminUnavailable):
        await session.download_fit(ids[0])
    fake.fail_auth_next()
    with pytest.raises(GarminAuthError):
        await session.download_fit(ids[0])
    fake.crash_after_downloads(1)
    await session.download_fit(ids[0])
    with pytest.raises(RuntimeError):
        await session.download_fit(ids[1])
    assert (await session.download_fit(ids[2]))[8:12] == b".FIT"
    with pytest.raises(GarminUnavailable):  # unknown id: Garmin's 404
        await session.download_fit(999)


async def test_fake_unknown_token_is_refused(fake: FakeGarmin) -> None:
    with pytest.raises(GarminAuthError):
        await fake.session("tok-forged-1").wellness(DAY)


async def test_fake_wellness_and_its_defensive_fetching(fake: FakeGarmin) -> None:
    fake.add_wellness("ana@example.com", DAY, hrv_ms=70)
    session = fake.session(fake.issue_token("ana@example.com"))
    assert (await session.wellness(DAY)).hrv_ms == 70.0
    fake.fail_network_next()  # the first metric (stats) fails: only its figures fall back
    wellness = await session.wellness(DAY)
    assert wellness.resting_hr == 48  # from get_rhr_day, asked because stats was missing
    assert wellness.stress_avg == 31 and wellness.hrv_ms == 70.0
    assert (await session.wellness(DAY - timedelta(days=9))).is_empty()
    fake.rate_limit_next_data_call()
    with pytest.raises(GarminRateLimited):
        await session.wellness(DAY)


# ---- the real adapter over a stand-in for garminconnect.Garmin -------------------------


def di_bundle(n: int) -> str:
    return json.dumps(
        {"di_token": f"eyJ.di-{n}", "di_refresh_token": f"rt-{n}", "di_client_id": "X"}
    )


class StandInTokens:
    """Plays garminconnect.client.Client: only the token state."""

    def __init__(self) -> None:
        self.n = 0
        self.issue_di_token = True

    def dumps(self) -> str:
        if not self.n or not self.issue_di_token:
            return json.dumps({"di_token": None, "di_refresh_token": None, "di_client_id": None})
        return di_bundle(self.n)


class StandInGarmin:
    """Plays garminconnect.Garmin: records calls, answers or raises what the test set."""

    def __init__(self, factory: StandIn, **kwargs: Any) -> None:
        self.factory = factory
        self.kwargs = kwargs
        self.client = StandInTokens()
        self.client.issue_di_token = factory.issue_di_token
        self.calls: list[tuple[Any, ...]] = []

    def _answer(self, name: str, *args: Any) -> Any:
        self.calls.append((name, *args))
        if name in self.factory.rotate_during:
            self.client.n += 1
        answer = self.factory.answers.get(name)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def login(self, tokenstore: str | None = None) -> tuple[Any, Any]:
        self._answer("login", tokenstore)
        if tokenstore is not None:
            self.client.n = int(json.loads(tokenstore)["di_token"].split("-")[1])
            return None, None
        if self.factory.needs_mfa:
            return "needs_mfa", None
        self.client.n = 1
        return None, None

    def resume_login(self, client_state: Any, mfa_code: str) -> tuple[Any, Any]:
        self.calls.append(("resume_login", mfa_code))
        if mfa_code != self.factory.code:
            raise GarminConnectAuthenticationError("MFA verification failed: [...]")
        self.client.n = 1
        return None, None

    def get_activities_by_date(self, startdate: str, enddate: str | None = None) -> Any:
        return self._answer("get_activities_by_date", startdate, enddate)

    def download_activity(self, activity_id: str, dl_fmt: Any = None) -> bytes:
        assert dl_fmt is Garmin.ActivityDownloadFormat.ORIGINAL
        return bytes(self._answer("download_activity", activity_id))

    def get_stats(self, cdate: str) -> Any:
        return self._answer("get_stats", cdate)

    def get_hrv_data(self, cdate: str) -> Any:
        return self._answer("get_hrv_data", cdate)

    def get_sleep_data(self, cdate: str) -> Any:
        return self._answer("get_sleep_data", cdate)

    def get_training_readiness(self, cdate: str) -> Any:
        return self._answer("get_training_readiness", cdate)

    def get_max_metrics(self, cdate: str) -> Any:
        return self._answer("get_max_metrics", cdate)

    def get_rhr_day(self, cdate: str) -> Any:
        return self._answer("get_rhr_day", cdate)

    def get_body_battery(self, startdate: str, enddate: str | None = None) -> Any:
        return self._answer("get_body_battery", startdate, enddate)

    def get_stress_data(self, cdate: str) -> Any:
        return self._answer("get_stress_data", cdate)


class StandIn:
    """A client_factory: every Garmin it builds shares these scripted answers."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.rotate_during: set[str] = set()
        self.needs_mfa = False
        self.code = "654321"
        self.issue_di_token = True
        self.created: list[StandInGarmin] = []

    def __call__(self, **kwargs: Any) -> StandInGarmin:
        garmin = StandInGarmin(self, **kwargs)
        self.created.append(garmin)
        return garmin


@pytest.fixture
def stand_in() -> StandIn:
    return StandIn()


@pytest.fixture
def gateway(stand_in: StandIn) -> GarminConnectGateway:
    return GarminConnectGateway(client_factory=stand_in)


async def test_adapter_login_returns_the_dumped_bundle(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    result = await gateway.login("ana@example.com", "s3cret", pending_key="user:1")
    assert json.loads(result.token_bundle)["di_token"] == "eyJ.di-1"
    assert stand_in.created[0].kwargs["return_on_mfa"] is True


async def test_adapter_mfa_resumes_on_the_same_client(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    stand_in.needs_mfa = True
    with pytest.raises(GarminMfaRequired):
        await gateway.login("ana@example.com", "s3cret", pending_key="user:1")
    with pytest.raises(GarminAuthError):
        await gateway.submit_mfa("user:1", "000000")
    result = await gateway.submit_mfa("user:1", "654321")
    assert json.loads(result.token_bundle)["di_token"] == "eyJ.di-1"
    assert len(stand_in.created) == 1
    assert ("resume_login", "654321") in stand_in.created[0].calls
    with pytest.raises(GarminMfaExpired):
        await gateway.submit_mfa("user:1", "654321")


async def test_adapter_mfa_window_expires(stand_in: StandIn) -> None:
    clock = Clock()
    gateway = GarminConnectGateway(
        client_factory=stand_in, pending=PendingLogins(ttl_s=300, clock=clock)
    )
    stand_in.needs_mfa = True
    with pytest.raises(GarminMfaRequired):
        await gateway.login("ana@example.com", "s3cret", pending_key="user:1")
    clock.now += 301
    with pytest.raises(GarminMfaExpired):
        await gateway.submit_mfa("user:1", "654321")


async def test_adapter_refuses_a_login_without_reusable_tokens(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    stand_in.issue_di_token = False
    with pytest.raises(GarminUnavailable):
        await gateway.login("ana@example.com", "s3cret", pending_key="user:1")


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (TooMany("All login strategies rate limited (429)."), GarminRateLimited),
        (AuthFailed("401 Unauthorized (Invalid Username or Password)"), GarminAuthError),
        (ConnFailed("Login failed: All login strategies exhausted: timeout"), GarminUnavailable),
        (requests.exceptions.ConnectTimeout("connect timed out"), GarminUnavailable),
    ],
)
async def test_adapter_maps_login_errors(
    stand_in: StandIn, gateway: GarminConnectGateway, raised: Exception, expected: type
) -> None:
    stand_in.answers["login"] = raised
    with pytest.raises(expected) as caught:
        await gateway.login("ana@example.com", "s3cret", pending_key="user:1")
    assert caught.value.__cause__ is raised
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ConnFailed("HTTP error: API Error 429 - Too Many Requests"), GarminRateLimited),
        (TooMany("Rate limit exceeded: 429"), GarminRateLimited),
        (ConnFailed("HTTP error: API Error 401 - Unauthorized"), GarminAuthError),
        (AuthFailed("Authentication error"), GarminAuthError),
        (ConnFailed("HTTP error: API Error 503 - Service Unavailable"), GarminUnavailable),
        (ConnFailed("Connection error: Read timed out. (read timeout=15)"), GarminUnavailable),
        (TimeoutError("timed out"), GarminUnavailable),
    ],
)
async def test_adapter_maps_data_call_errors(
    stand_in: StandIn, gateway: GarminConnectGateway, raised: Exception, expected: type
) -> None:
    stand_in.answers["get_activities_by_date"] = raised
    session = gateway.session(di_bundle(4))
    with pytest.raises(expected):
        await session.list_activities(DAY, DAY)


def test_auth_error_caused_by_a_busy_garmin_is_not_an_auth_error() -> None:
    # Garmin.login() wraps a failed profile fetch in an auth error; the cause tells the truth.
    for cause, expected in [
        (GarminConnectConnectionError("API Error 429 - Too Many Requests"), GarminRateLimited),
        (requests.exceptions.ReadTimeout("read timed out"), GarminUnavailable),
        (GarminConnectConnectionError("API Error 401 - Unauthorized"), GarminAuthError),
    ]:
        try:
            try:
                raise cause
            except Exception as exc:
                raise GarminConnectAuthenticationError("Failed to retrieve social profile") from exc
        except GarminConnectAuthenticationError as wrapped:
            assert type(map_garmin_error(wrapped)) is expected
    assert type(map_garmin_error(GarminConnectConnectionError("id 14290"))) is GarminUnavailable
    assert map_garmin_error(ValueError("a bug of ours")) is None


async def test_adapter_session_connects_once_and_lists(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    stand_in.answers["get_activities_by_date"] = [activity_item(activity_id=5, start=START)]
    bundle = di_bundle(4)
    session = gateway.session(bundle)
    assert stand_in.created == []  # nothing sent before the first call
    assert [a.activity_id for a in await session.list_activities(DAY, DAY)] == [5]
    await session.list_activities(DAY, DAY)
    garmin = stand_in.created[0]
    logins = [c for c in garmin.calls if c[0] == "login"]
    assert len(logins) == 1 and logins[0][1].strip() == bundle
    assert len(logins[0][1]) > 512  # never mistaken for a token directory
    assert ("get_activities_by_date", "2026-11-20", "2026-11-20") in garmin.calls
    assert not session.token_bundle_changed()


async def test_adapter_session_exposes_rotated_tokens_even_after_an_error(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    stand_in.rotate_during = {"get_activities_by_date"}
    stand_in.answers["get_activities_by_date"] = GarminConnectConnectionError("API Error 429")
    session = gateway.session(di_bundle(4))
    with pytest.raises(GarminRateLimited):
        await session.list_activities(DAY, DAY)
    assert session.token_bundle_changed()
    assert json.loads(session.token_bundle())["di_refresh_token"] == "rt-5"


async def test_adapter_session_with_refused_tokens(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    stand_in.answers["login"] = GarminConnectAuthenticationError(
        "Username and password are required"
    )
    session = gateway.session(di_bundle(4))
    with pytest.raises(GarminAuthError):
        await session.wellness(DAY)
    assert not session.token_bundle_changed()


async def test_adapter_download_unzips_the_original(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    fit = RUN_FIT.read_bytes()
    stand_in.answers["download_activity"] = zip_of({"21000000123_ACTIVITY.fit": fit})
    session = gateway.session(di_bundle(1))
    assert await session.download_fit(21_000_000_123) == fit
    assert ("download_activity", "21000000123") in stand_in.created[0].calls


async def test_adapter_wellness_fetches_defensively(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    payloads = wellness_payloads(DAY)
    stand_in.answers.update(
        get_stats=payloads["stats"],
        get_hrv_data=GarminConnectConnectionError("HTTP error: API Error 404 - Not Found"),
        get_sleep_data=payloads["sleep"],
        get_training_readiness=KeyError("userProfilePK"),
        get_max_metrics=payloads["max_metrics"],
    )
    session = gateway.session(di_bundle(1))
    wellness = await session.wellness(DAY)
    assert wellness.hrv_ms is None and wellness.training_readiness is None
    assert (wellness.resting_hr, wellness.vo2max, wellness.sleep_score) == (48, 52.4, 82)
    called = {c[0] for c in stand_in.created[0].calls}
    assert "get_rhr_day" not in called  # no fallback when the main payload had the figure
    stand_in.answers["get_sleep_data"] = GarminConnectConnectionError("API Error 429")
    with pytest.raises(GarminRateLimited):
        await session.wellness(DAY)


async def test_adapter_wellness_when_garmin_is_down(
    stand_in: StandIn, gateway: GarminConnectGateway
) -> None:
    down = GarminConnectConnectionError("HTTP error: API Error 503")
    for name in ("get_stats", "get_hrv_data", "get_sleep_data", "get_training_readiness"):
        stand_in.answers[name] = down
    stand_in.answers["get_max_metrics"] = down
    with pytest.raises(GarminUnavailable):
        await gateway.session(di_bundle(1)).wellness(DAY)


def test_adapter_refuses_a_shared_token_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARMINTOKENS", "~/.garminconnect")
    with pytest.raises(ConfigError):
        GarminConnectGateway()


# ---- the real garminconnect.Garmin over a dead or refusing transport -------------------


class _Answer:
    """A requests.Response-like answer with a status and a JSON body."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.ok = status < 400
        self.content = b""
        self.text = json.dumps({"message": "refused"})

    def json(self) -> Any:
        return {"message": "refused"}


def _unsigned_jwt(exp: int) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp, 'client_id': 'DI'})}.sig"


@pytest.mark.parametrize(
    ("transport", "expected"),
    [("dead", GarminUnavailable), (429, GarminRateLimited), (401, GarminAuthError)],
)
async def test_real_garminconnect_errors_reach_the_right_domain_error(
    monkeypatch: pytest.MonkeyPatch, transport: Any, expected: type
) -> None:
    # The HTTP transport is the one leaf replaced here, so garminconnect's own wrapping
    # (a failed profile fetch reported as an auth error) is what the mapping must see through.
    def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> _Answer:
        if transport == "dead":
            raise requests.exceptions.ConnectionError("offline")
        return _Answer(transport)

    monkeypatch.setattr(requests.Session, "request", request)
    monkeypatch.setattr("garminconnect.client.Client._http_post", lambda *a, **k: _Answer(401))
    monkeypatch.setattr("garminconnect.time.sleep", lambda s: None)
    token = _unsigned_jwt(int(datetime.now(UTC).timestamp()) + 86400)
    bundle = json.dumps({"di_token": token, "di_refresh_token": "rt", "di_client_id": "DI"})
    session = GarminConnectGateway().session(bundle)
    with pytest.raises(expected):
        await session.list_activities(DAY, DAY)
    assert not session.token_bundle_changed()
