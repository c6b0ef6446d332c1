"""A picture of the Mini App dashboard with three months of training, for the README.

An athlete's rides and runs of the last 90 days are written as FIT files with garmin-fit-sdk's
Encoder and imported as uploads are; an active plan and some AI use are added; the real web app
is served on 127.0.0.1 and Debian's chromium (through Playwright, never downloaded) opens it
with Telegram's dark theme and a signed initData, offline. The page is saved as
bot/web/static/app/dashboard.png. Without chromium it says so and exits 0.

    .venv/bin/python bench/screenshot.py [--light] [--width 1000] [--out PATH] [--detail PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import re
import secrets
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from _common import ROOT, database
from garmin_fit_sdk import Encoder, Profile

from bot.runtime.app import AppServer
from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from core.bootstrap import Container, build
from core.clock import local_today, utcnow
from core.coach.plans import parse_plan, store_plan
from core.config import Settings
from core.gateways.cipher import Cipher, new_key

OUT = ROOT / "bot" / "web" / "static" / "app" / "dashboard.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BOT_TOKEN = "1000000001:screenshot-token"
CHAT = 5151
TZ = "Europe/Madrid"
WAIT_MS = 60_000
# What the dashboard shows once every card has its data.
READY = ("#fitness svg path.line-ctl", "#weekly svg .bar", "#activities .activity",
         "#plan .calendar", "#account .usage")  # fmt: skip

# Telegram's own night theme (Telegram Desktop), as a Mini App receives it.
DARK = {
    "bg_color": "#17212b", "secondary_bg_color": "#232e3c", "section_bg_color": "#17212b",
    "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
    "button_color": "#5288c1", "button_text_color": "#ffffff", "header_bg_color": "#17212b",
    "accent_text_color": "#6ab2f2", "section_header_text_color": "#6ab3f3",
    "subtitle_text_color": "#708499", "destructive_text_color": "#ec3942",
}  # fmt: skip
LIGHT = {
    "bg_color": "#ffffff", "secondary_bg_color": "#f0f2f5", "section_bg_color": "#ffffff",
    "text_color": "#000000", "hint_color": "#707579", "link_color": "#3390ec",
    "button_color": "#3390ec", "button_text_color": "#ffffff", "header_bg_color": "#ffffff",
    "accent_text_color": "#3390ec", "section_header_text_color": "#3390ec",
    "subtitle_text_color": "#707579", "destructive_text_color": "#e53935",
}  # fmt: skip

PLAN = {
    "title": "Gran fondo build",
    "weeks": [
        {"week": w, "focus": focus, "sessions": [
            {"day": "Tue", "sport": "cycling", "title": "Sweet spot 3x12", "duration_min": 75,
             "intensity": "88-92% FTP", "description": "Three 12-minute blocks, 5 easy between."},
            {"day": "Thu", "sport": "running", "title": "Easy run", "duration_min": 40,
             "intensity": "Z2", "description": "Conversational pace."},
            {"day": "Sat", "sport": "cycling", "title": "Long ride", "duration_min": 150 + 15 * w,
             "intensity": "Z2", "description": "Steady endurance, fuel every 30 minutes."},
            {"day": "Sun", "sport": "cycling", "title": "Recovery spin", "duration_min": 45,
             "intensity": "Z1", "description": ""},
        ]}
        for w, focus in [(1, "Base"), (2, "Build"), (3, "Build"), (4, "Recovery")]
    ],
}  # fmt: skip

_MESG = Profile["mesg_num"]


def fit(start: datetime, *, sport: str, minutes: int, watts: int, hr: int, mps: float) -> bytes:
    """One session with HR (and power on the bike) and distance every 4 s."""
    enc = Encoder()
    file_id = {"type": "activity", "manufacturer": "development", "product": 1,
               "serial_number": 42, "time_created": start}  # fmt: skip
    enc.on_mesg(_MESG["FILE_ID"], file_id)
    seconds = minutes * 60
    for t in range(0, seconds + 1, 4):
        wave = math.sin(t / 300)
        record = {
            "timestamp": start + timedelta(seconds=t),
            "heart_rate": int(hr + 12 * wave + (t // 600) * 2),
            "distance": mps * t,
        }
        if sport == "cycling":
            record["power"] = int(watts + 45 * math.sin(t / 120) + 20 * wave)
        enc.on_mesg(_MESG["RECORD"], record)
    enc.on_mesg(_MESG["SESSION"], {
        "start_time": start, "timestamp": start + timedelta(seconds=seconds),
        "total_timer_time": float(seconds), "total_elapsed_time": float(seconds),
        "total_distance": mps * seconds, "sport": sport,
    })  # fmt: skip
    return bytes(enc.close())


def week_plan(day: date, week: int) -> tuple[str, int, int] | None:
    """What was done on `day`: sport, minutes, watts; a build of three weeks, then a lighter one."""
    light = week % 4 == 3
    scale = 0.6 if light else 1.0 + 0.08 * (week % 4)
    sessions = {
        1: ("cycling", 70, 200),
        2: ("running", 45, 0),
        3: ("cycling", 60, 185),
        5: ("cycling", 150, 165),
        6: ("running", 70, 0),
    }
    found = sessions.get(day.weekday())
    if found is None:
        return None
    sport, minutes, watts = found
    return sport, int(minutes * scale), watts


async def seed(c: Container) -> None:
    services = c.services
    acc = await services.accounts.get_or_create(CHAT, telegram_user_id=CHAT, first_name="Ana")
    await services.accounts.set_timezone(acc.id, TZ)
    await services.accounts.update_profile(acc.id, ftp=240, hr_max=188, hr_rest=48)
    now = utcnow()
    today = local_today(now, TZ)
    for back in range(89, -1, -1):
        day = today - timedelta(days=back)
        found = week_plan(day, (89 - back) // 7)
        if found is None:
            continue
        sport, minutes, watts = found
        start = datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC)
        if start + timedelta(minutes=minutes) > now:
            start = now - timedelta(minutes=minutes + 5)
        mps = 8.2 if sport == "cycling" else 3.1
        data = fit(start, sport=sport, minutes=minutes, watts=watts, hr=138, mps=mps)
        await services.training.import_fit(acc.id, data)
    monday = today - timedelta(days=today.weekday() + 7)
    async with c.uow() as uow:
        await store_plan(uow, acc.id, parse_plan(json.dumps(PLAN)), start=monday,
                         goal="Gran fondo, 160 km, in April", at=now)  # fmt: skip
        await uow.commit()
    for feature, times in (("ai_analysis", 2), ("ai_chat", 4), ("ai_workout", 1), ("ai_plan", 1)):
        for _ in range(times):
            await services.gate.check_and_increment(acc.id, feature)


def init_data(now: datetime) -> str:
    """initData as Telegram signs it for BOT_TOKEN."""
    user = json.dumps({"id": CHAT, "first_name": "Ana", "language_code": "en"},
                      separators=(",", ":"))  # fmt: skip
    fields = {"auth_date": str(int(now.timestamp())), "query_id": "AAE-screenshot", "user": user}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", BOT_TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def launch_url(port: int, theme: dict[str, str]) -> str:
    """/app as Telegram opens it: signed initData and the theme in the fragment."""
    fragment = (
        "tgWebAppData=" + quote(init_data(utcnow()), safe="")
        + "&tgWebAppVersion=7.0&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    )  # fmt: skip
    return f"http://127.0.0.1:{port}/app#{fragment}"


async def shoot(url: str, out: Path, *, dark: bool, width: int, detail: Path | None) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = await browser.new_page(
                viewport={"width": width, "height": 900},
                device_scale_factor=1,
                color_scheme="dark" if dark else "light",
            )
            page.set_default_timeout(WAIT_MS)
            # Offline, as the tests run: Telegram's script is not fetched.
            await page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda r: r.abort())
            await page.goto(url)
            for selector in READY:
                await page.wait_for_selector(selector)
            await page.screenshot(path=str(out), full_page=True)
            if detail is not None:
                await page.click("#activities .activity")
                await page.wait_for_selector(".detail svg path.line-hr")
                await page.screenshot(path=str(detail), full_page=True)
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--light", action="store_true", help="Telegram's day theme")
    parser.add_argument("--width", type=int, default=1000, help="viewport width in CSS pixels")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--detail", type=Path, help="also save the newest activity's page here")
    args = parser.parse_args()
    if not Path(CHROMIUM).is_file():
        print(f"no chromium at {CHROMIUM}: apt-get install -y chromium; no screenshot taken")
        return
    asyncio.run(run(args))
    out = args.out
    print(f"saved {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


async def run(args: argparse.Namespace) -> None:
    async with database("sqlite") as url:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=url,
                data_dir=tmp,
                telegram_bot_token=BOT_TOKEN,
                telegram_api_base="http://127.0.0.1:9",  # nothing is sent to Telegram
                session_secret=secrets.token_urlsafe(32),
            )
            container = build(settings, cipher=Cipher([new_key()]))
            bot = make_bot(settings)
            try:
                await seed(container)
                app = create_app(container, build_dispatcher(container), bot, telegram=False)
                server = AppServer(app, host="127.0.0.1", port=0)
                await server.start()
                try:
                    url_ = launch_url(server.port, LIGHT if args.light else DARK)
                    await shoot(url_, args.out, dark=not args.light, width=args.width,
                                detail=args.detail)  # fmt: skip
                finally:
                    await server.stop()
            finally:
                await bot.session.close()
                await container.close()


if __name__ == "__main__":
    main()
