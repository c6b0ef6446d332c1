"""The JSON API's two heaviest reads, for an athlete with a year of data: GET /api/fitness and
GET /api/activities, p50/p99 per request (target: p99 under 20 ms on SQLite).

Each request goes over HTTP to the web app served by uvicorn on 127.0.0.1, as `trainbot web`
serves it (the client runs in the same process, one request at a time on a kept-alive
connection), through the whole path: the bearer token, the session row and the account, the
query, the JSON. The athlete is Pro (no history window) with one activity a day for a year;
nine other athletes have as much, so every query has to pick its rows out of ten. Fitness rows
end yesterday, so each fitness call also carries them forward to today. SQLite always;
PostgreSQL too when TEST_POSTGRES_URL is set (a temporary database is created and dropped).

    .venv/bin/python bench/api.py
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import timedelta

import aiohttp
from _common import on_each_backend, percentile
from aiogram import Dispatcher

from bot.runtime.app import AppServer
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from core.bootstrap import Container, build
from core.clock import local_today, utcnow
from core.config import Settings
from core.db.models import ActivityMetrics, FitnessMetrics
from core.gateways.cipher import Cipher, new_key
from tests.fakes.webapp import TOKEN, init_data

ATHLETES = 10
DAYS = 365
REQUESTS = 500
WARMUP = 20
BACKEND_BUDGET_S = 60.0  # fewer samples on a slow machine, same figures
LAPS = [{"start": "2026-01-01T07:00:00+00:00", "timer_s": 600.0, "distance_m": 2000.0,
         "avg_hr": 150.0, "avg_power": 230.0}] * 6  # fmt: skip


async def seed(c: Container) -> int:
    """ATHLETES athletes with an activity a day for a year; the first is Pro. Its id."""
    now = utcnow()
    today = local_today(now, "UTC")
    ids = []
    for n in range(ATHLETES):
        acc = await c.services.accounts.get_or_create(4242 + n, first_name=f"Bench {n}")
        ids.append(acc.id)
        async with c.uow() as uow:
            for d in range(DAYS):
                start = now - timedelta(days=d, hours=2)
                uow.session.add(
                    ActivityMetrics(
                        user_id=acc.id, content_hash=uuid.uuid4().hex,
                        sport=("running", "cycling")[d % 2], sub_sport="generic",
                        start_time=start, local_date=local_today(start, "UTC"),
                        timer_s=3600.0, elapsed_s=3700.0, distance_m=30_000.0, ascent_m=200.0,
                        calories=800, avg_hr=145.0, max_hr=172.0, avg_power=220.0,
                        normalized_power=235.0, lap_count=6, laps=LAPS,
                        hr_zone_seconds=[300, 1800, 900, 500, 100], load=70.0 + d % 30,
                        load_method="tss", tss=70.0, intensity_factor=0.8, trimp=90.0,
                    )
                )  # fmt: skip
                day = today - timedelta(days=d + 1)  # rows end yesterday: carried to today
                uow.session.add(
                    FitnessMetrics(user_id=acc.id, day=day, load=70.0, ctl=60.0, atl=70.0,
                                   tsb=-10.0, ewma7=70.0, ewma28=60.0)
                )  # fmt: skip
            if n == 0:
                pro = await uow.plans.by_code("pro")
                assert pro is not None
                await uow.subscriptions.upsert(
                    acc.id, plan_id=pro.id, provider="stripe", status="active"
                )
            await uow.commit()
    return ids[0]


def report(label: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"  {label:<34} n={len(ms):<4} p50 {percentile(ms, 50):6.2f} ms   "
        f"p99 {percentile(ms, 99):6.2f} ms   mean {statistics.fmean(ms):6.2f} ms"
    )


async def timed(
    http: aiohttp.ClientSession, url: str, token: str, deadline: float
) -> tuple[list[float], int]:
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    items = 0
    for i in range(WARMUP + REQUESTS):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        async with http.get(url, headers=headers) as resp:
            body = await resp.json()
            assert resp.status == 200, body
        if i >= WARMUP:
            samples.append(time.perf_counter() - t0)
            items = len(body.get("items", body.get("days", [])))
    return samples, items


async def run(name: str, url: str, data_dir: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        data_dir=data_dir,
        telegram_bot_token=TOKEN,
        session_secret="bench-" + uuid.uuid4().hex,
    )
    c = build(settings, cipher=Cipher([new_key()]))
    bot = make_bot(settings)
    server = AppServer(create_app(c, Dispatcher(), bot, telegram=False), host="127.0.0.1", port=0)
    try:
        uid = await seed(c)
        await server.start()
        base = f"http://127.0.0.1:{server.port}"
        year_ago = (local_today(utcnow(), "UTC") - timedelta(days=DAYS - 1)).isoformat()
        async with aiohttp.ClientSession() as http:
            body = {"init_data": init_data(4242, auth_date=utcnow())}
            async with http.post(f"{base}/api/auth/telegram", json=body) as resp:
                token = (await resp.json())["access_token"]
            print(f"{name}: {ATHLETES} athletes x {DAYS} activities, Pro user {uid}, over HTTP")
            deadline = time.monotonic() + BACKEND_BUDGET_S
            for label, path in (
                ("GET /api/fitness (90 days)", "/api/fitness"),
                ("GET /api/fitness?days=365", "/api/fitness?days=365"),
                ("GET /api/activities (90 days)", "/api/activities"),
                ("GET /api/activities?from=<year ago>", f"/api/activities?from={year_ago}"),
            ):
                samples, items = await timed(http, base + path, token, deadline)
                report(f"{label} [{items}]", samples)
                deadline += BACKEND_BUDGET_S / 4
    finally:
        await server.stop()
        await bot.session.close()
        await c.close()


async def main() -> None:
    await on_each_backend(run)


if __name__ == "__main__":
    asyncio.run(main())
