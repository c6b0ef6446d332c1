"""The JSON API over HTTP, on both backends: what an athlete reads of their own data, and
nothing of anyone else's. Rides dated today are written with the FIT SDK's encoder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from core.bootstrap import Container, build
from core.coach.plans import parse_plan, store_plan
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from tests import db
from tests.conftest import BACKENDS
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin
from tests.fakes.llm import FakeLLM
from tests.fit_files import encode_fit
from tests.web_api import ApiClient, serving_api

ANN, BOB = 4242, 5151
TODAY = date(2026, 11, 25)  # the FakeClock's day (UTC)
PLAN_JSON = (
    '{"title": "Winter base", "weeks": [{"week": 1, "focus": "Aerobic", "sessions": ['
    '{"day": "Tue", "sport": "cycling", "title": "Endurance", "duration_min": 90, '
    '"intensity": "easy", "description": "Zone 2"},'
    '{"day": "Sat", "sport": "cycling", "title": "Tempo", "duration_min": 75, '
    '"intensity": "tempo", "description": "2x20 min"}]}]}'
)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not db.pg_admin_url():
        pytest.skip(db.PG_SKIP_REASON)
    return str(request.param)


@pytest.fixture
def llm() -> FakeLLM:
    return FakeLLM(default="Steady ride: keep tomorrow easy.")


@pytest.fixture
async def container(
    settings: Settings, clock: FakeClock, fake: FakeGarmin, llm: FakeLLM
) -> AsyncIterator[Container]:
    c = build(settings, clock=clock, cipher=Cipher([settings.credentials_keys or new_key()]),
              garmin=fake, llm=llm)  # fmt: skip
    yield c
    await c.close()


@pytest.fixture
async def api(container: Container) -> AsyncIterator[ApiClient]:
    async with serving_api(container) as client:
        yield client


def ride(start: datetime, *, minutes: int = 60, watts: int = 200, hr: int = 130) -> bytes:
    """A made-up ride with HR, power, speed and distance, in two laps."""
    seconds = minutes * 60
    records = [{"t": t, "heart_rate": hr + t % 11, "power": watts + t % 21, "speed": 8.0,
                "distance": 8.0 * t} for t in range(0, seconds + 1, 2)]  # fmt: skip
    half = seconds // 2
    laps = [{"start_time": start + timedelta(seconds=s),
             "timestamp": start + timedelta(seconds=s + half),
             "total_timer_time": float(half), "total_elapsed_time": float(half),
             "total_distance": 8.0 * half, "sport": "cycling"} for s in (0, half)]  # fmt: skip
    sessions = [{"start_time": start, "timestamp": start + timedelta(seconds=seconds),
                 "total_timer_time": float(seconds), "total_elapsed_time": float(seconds),
                 "total_distance": 8.0 * seconds, "sport": "cycling"}]  # fmt: skip
    return encode_fit(start=start, records=records, laps=laps, sessions=sessions)


async def _import(c: Container, chat_id: int, start: datetime, **kw: Any) -> int:
    user = await c.services.accounts.get_or_create(chat_id)
    result = await c.services.training.import_fit(user.id, ride(start, **kw))
    (card,) = result.activities
    return card.id


async def _sign_in(api: ApiClient, c: Container, clock: FakeClock, chat_id: int) -> str:
    return await api.sign_in(chat_id, at=clock(), bot_token=c.settings.telegram_bot_token)


async def test_me_shows_profile_plan_and_this_periods_usage(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    token = await _sign_in(api, container, clock, ANN)
    account = await container.services.accounts.by_chat(ANN)
    assert account is not None
    await container.services.accounts.update_profile(account.id, ftp=250, hr_max=185)

    status, me = await api.get("/api/me", token)

    assert status == 200, me
    assert (me["id"], me["timezone"], me["units"]) == (account.id, "UTC", "metric")
    assert me["profile"]["ftp"] == 250 and me["profile"]["hr_max"] == 185
    assert me["plan"]["code"] == "free"
    assert me["plan"]["limits"]["ai_analyses_per_month"] == 5
    assert me["plan"]["limits"]["history_days"] == 180
    usage = {u["feature"]: u for u in me["usage"]}
    assert usage["ai_analysis"] == {
        "feature": "ai_analysis", "used": 0, "limit": 5, "resets_at": "2026-12-01T00:00:00Z",
    }  # fmt: skip
    assert usage["ai_plan"]["resets_at"] is None
    assert usage["ai_chat"]["resets_at"] == "2026-11-26T00:00:00Z"


async def test_activities_lists_this_athletes_rides_within_the_plans_window(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    now = clock()
    today_id = await _import(container, ANN, now - timedelta(hours=3))
    older_id = await _import(container, ANN, now - timedelta(days=10), minutes=45)
    await _import(container, ANN, now - timedelta(days=200), minutes=30)  # beyond Free's 180
    await _import(container, BOB, now - timedelta(hours=2), minutes=70)
    token = await _sign_in(api, container, clock, ANN)

    status, body = await api.get("/api/activities", token)

    assert status == 200, body
    assert [a["id"] for a in body["items"]] == [today_id, older_id]
    assert body["history_days"] == 180
    assert (body["from"], body["to"]) == ("2026-08-28", "2026-11-25")
    first = body["items"][0]
    assert first["start_time"] == (now - timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    assert first["sport"] == "cycling" and first["local_date"] == "2026-11-25"
    assert first["timer_s"] == 3600 and first["distance_m"] == 28800
    assert first["load"] > 0 and first["avg_power"] > 200

    status, wide = await api.get("/api/activities", token, **{"from": "2026-01-01"})
    assert [a["id"] for a in wide["items"]] == [today_id, older_id]
    assert wide["from"] == (TODAY - timedelta(days=180)).isoformat()
    status, one = await api.get(
        "/api/activities", token, **{"from": "2026-11-25", "to": "2026-11-25"}
    )
    assert [a["id"] for a in one["items"]] == [today_id]
    status, bad = await api.get(
        "/api/activities", token, **{"from": "2026-11-25", "to": "2026-11-01"}
    )
    assert status == 400 and bad["error"]
    status, bad = await api.get("/api/activities", token, **{"from": "yesterday"})
    assert status == 422 and "from" in bad["error"]


async def test_activity_detail_has_laps_zones_load_figures_and_chart_series(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    activity_id = await _import(container, ANN, clock() - timedelta(hours=3), minutes=60)
    token = await _sign_in(api, container, clock, ANN)

    status, a = await api.get(f"/api/activities/{activity_id}", token)

    assert status == 200, a
    assert a["id"] == activity_id and a["lap_count"] == 2
    assert [lap["timer_s"] for lap in a["laps"]] == [1800, 1800]
    assert len(a["zones"]["hr_seconds"]) == 5 and sum(a["zones"]["hr_seconds"]) > 3000
    figures = a["load_figures"]
    assert figures["load"] == a["load"] > 0 and figures["method"] in ("tss", "hrtss")
    assert figures["best_20min_power"] > 200
    series = a["series"]
    assert series["step_s"] == 8 and len(series["t"]) == 450
    assert all(130 <= v <= 141 for v in series["hr"])
    assert all(200 <= v <= 221 for v in series["power"])
    assert set(series["speed"]) == {8.0}
    assert a["analysis"] is None


async def test_another_athletes_ids_and_rides_beyond_the_window_answer_404(
    api: ApiClient, container: Container, clock: FakeClock, llm: FakeLLM
) -> None:
    bobs = await _import(container, BOB, clock() - timedelta(hours=2))
    old = await _import(container, ANN, clock() - timedelta(days=200))
    token = await _sign_in(api, container, clock, ANN)

    for path in (f"/api/activities/{bobs}", f"/api/activities/{old}", "/api/activities/999999"):
        status, body = await api.get(path, token)
        assert status == 404 and body == {"error": "Activity not found."}, path
    status, body = await api.call("POST", f"/api/ai/analyze/{bobs}", token=token)
    assert status == 404 and body["error"]
    assert llm.calls == []
    assert (await api.get("/api/activities/abc", token))[0] == 422


async def test_fitness_runs_up_to_today_even_without_an_import_since(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    await _import(container, ANN, clock() - timedelta(days=20), minutes=90)
    ride_id = await _import(container, ANN, clock() - timedelta(hours=3))
    token = await _sign_in(api, container, clock, ANN)
    status, detail = await api.get(f"/api/activities/{ride_id}", token)

    status, body = await api.get("/api/fitness", token, days="7")

    assert status == 200, body
    days = body["days"]
    assert [d["date"] for d in days] == [
        (TODAY - timedelta(days=6 - i)).isoformat() for i in range(7)
    ]
    assert set(days[-1]) == {"date", "ctl", "atl", "tsb", "load"}
    assert days[-1]["load"] == pytest.approx(detail["load"]) and days[0]["load"] == 0
    assert len((await api.get("/api/fitness", token))[1]["days"]) == 21  # from the first ride

    clock.advance(days=3)  # nothing imported since: the figures are carried to the new today
    status, later = await api.get("/api/fitness", token, days="7")
    assert later["days"][-1]["date"] == (TODAY + timedelta(days=3)).isoformat()
    assert later["days"][-1]["load"] == 0
    # Carried from a week of stored rows or from the rows before the window: the same figures.
    assert (await api.get("/api/fitness", token))[1]["days"][-1] == later["days"][-1]
    assert later["days"][-1]["ctl"] < days[-1]["ctl"] and later["days"][-1]["atl"] < days[-1]["atl"]
    assert (await api.get("/api/fitness", token, days="0"))[0] == 422


async def test_fitness_of_a_new_athlete_is_empty(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    token = await _sign_in(api, container, clock, ANN)
    assert await api.get("/api/fitness", token) == (200, {"days": []})


async def test_workouts_and_the_active_plan_are_this_athletes_own(
    api: ApiClient, container: Container, clock: FakeClock
) -> None:
    ann = await container.services.accounts.get_or_create(ANN)
    bob = await container.services.accounts.get_or_create(BOB)
    async with container.uow() as uow:
        planned = [(ann.id, TODAY, "Sweet spot"), (ann.id, TODAY + timedelta(days=2), "Long ride"),
                   (bob.id, TODAY, "Bob's intervals")]  # fmt: skip
        for user_id, day, title in planned:
            await uow.coach.add_workout(
                user_id, day=day, sport="cycling", title=title, description="As planned.",
                structure={"duration_min": 60, "steps": [
                    {"name": "Warm up", "duration_min": 15, "intensity": "easy"},
                    {"name": "3x10 min", "duration_min": 45, "intensity": "sweet spot"}]},
                source="ai", created_at=clock(),
            )  # fmt: skip
        await uow.commit()
    token = await _sign_in(api, container, clock, ANN)

    status, body = await api.get("/api/workouts", token)
    assert status == 200, body
    assert [w["title"] for w in body["items"]] == ["Long ride", "Sweet spot"]
    assert body["items"][1]["steps"][1] == {
        "name": "3x10 min", "duration_min": 45, "intensity": "sweet spot",
    }  # fmt: skip
    assert body["items"][1]["duration_min"] == 60 and body["items"][1]["source"] == "ai"
    status, one = await api.get("/api/workouts", token, to="2026-11-25")
    assert [w["title"] for w in one["items"]] == ["Sweet spot"]

    assert await api.get("/api/plans", token) == (200, {"active": None})
    async with container.uow() as uow:
        await store_plan(uow, bob.id, parse_plan(PLAN_JSON), start=TODAY, goal="Bob's", at=clock())
        await uow.commit()
    assert await api.get("/api/plans", token) == (200, {"active": None})
    async with container.uow() as uow:
        await store_plan(uow, ann.id, parse_plan(PLAN_JSON), start=TODAY, goal="Base", at=clock())
        await uow.commit()
    status, plans = await api.get("/api/plans", token)
    plan = plans["active"]
    assert (plan["title"], plan["goal"], plan["status"]) == ("Winter base", "Base", "active")
    (week,) = plan["weeks"]
    assert [(s["day"], s["weekday"], s["title"]) for s in week["sessions"]] == [
        ("2026-11-28", "Sat", "Tempo"), ("2026-12-01", "Tue", "Endurance"),
    ]  # fmt: skip


async def test_ai_analysis_counts_against_the_plan_and_402_at_the_limit(
    api: ApiClient, container: Container, clock: FakeClock, llm: FakeLLM
) -> None:
    ids = [await _import(container, ANN, clock() - timedelta(hours=h), minutes=30 + h)
           for h in range(1, 7)]  # fmt: skip
    token = await _sign_in(api, container, clock, ANN)

    for activity_id in ids[:5]:
        status, body = await api.call("POST", f"/api/ai/analyze/{activity_id}", token=token)
        assert status == 200, body
        assert body == {"activity_id": activity_id, "text": "Steady ride: keep tomorrow easy.",
                        "cached": False, "sport": "cycling", "day": "2026-11-25"}  # fmt: skip
    status, body = await api.call("POST", f"/api/ai/analyze/{ids[5]}", token=token)

    assert status == 402
    assert body == {"error": "limit_reached", "feature": "ai_analysis", "limit": 5,
                    "resets_at": "2026-12-01T00:00:00Z"}  # fmt: skip
    assert len(llm.calls) == 5
    status, again = await api.call("POST", f"/api/ai/analyze/{ids[0]}", token=token)
    assert status == 200 and again["cached"] is True  # a stored analysis costs nothing
    status, detail = await api.get(f"/api/activities/{ids[0]}", token)
    assert detail["analysis"] == "Steady ride: keep tomorrow easy."
    usage = {u["feature"]: u["used"] for u in (await api.get("/api/me", token))[1]["usage"]}
    assert usage["ai_analysis"] == 5


async def test_garmin_status_and_sync(
    api: ApiClient, container: Container, clock: FakeClock, fake: FakeGarmin
) -> None:
    token = await _sign_in(api, container, clock, ANN)
    status, body = await api.get("/api/garmin/status", token)
    assert status == 200 and body["linked"] is False and body["history"] == []
    status, body = await api.call("POST", "/api/garmin/sync", token=token)
    assert status == 409 and "not linked" in body["error"]

    account = await container.services.accounts.by_chat(ANN)
    assert account is not None
    fake.add_account("ann@example.org", "Pa55-word-ann")
    await container.services.garmin_link.start(account.id, "ann@example.org", "Pa55-word-ann")
    start = clock() - timedelta(hours=5)
    fake.add_activity("ann@example.org", fit=ride(start), start=start, sport="cycling")

    status, body = await api.call("POST", "/api/garmin/sync", token=token)
    assert status == 200, body
    assert (body["status"], body["new"], body["error"]) == ("ok", 1, None)
    status, body = await api.get("/api/garmin/status", token)
    assert body["linked"] is True and body["valid"] is True and body["auto_sync"] is True
    (run,) = body["history"]
    assert (run["status"], run["activities_new"]) == ("ok", 1)
    assert run["started_at"] == clock().isoformat().replace("+00:00", "Z")
    assert len((await api.get("/api/activities", token))[1]["items"]) == 1

    status, body = await api.call("POST", "/api/garmin/sync", token=token)
    assert status == 400 and "30 minutes" in body["error"]  # Free: one sync by hand per 30 min
