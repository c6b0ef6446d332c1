"""The Mini App in a real browser (Debian's chromium through Playwright) against the real app,
API and SQLite database: sign-in from Telegram's launch data or a one-time link, the fitness
chart, the activity list and an activity's charts. telegram.org is unreachable here, as in
any offline run: the page must not need it."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import Container
from tests.e2e.harness import WebClient, serving_web
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fit_files import encode_fit
from tests.webapp_init_data import init_data, launch_fragment

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 30_000  # a loaded CI machine may be slow to start a browser; nothing here waits idly
CHAT = 777001

try:
    from playwright.async_api import Browser, Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


def _browser_missing() -> str | None:
    if async_playwright is None:
        return "the playwright package is not installed"
    if not Path(CHROMIUM).is_file():
        return f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(f"browser tests need chromium: {missing}")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def clock() -> FakeClock:
    """Today, for the server as for the browser: the ride of today is today on both."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def web(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[WebClient]:
    async with serving_web(container, bot_api) as client:
        yield client


def ride(start: datetime, *, minutes: int, watts: int, hr: int) -> bytes:
    """A ride with HR, power and distance every 2 s, written with garmin-fit-sdk's Encoder."""
    seconds = minutes * 60
    records = [
        {"t": t, "heart_rate": hr + (t // 60) % 9, "power": watts + (t // 30) % 40,
         "distance": 8.0 * t, "cadence": 88}
        for t in range(0, seconds + 1, 2)
    ]  # fmt: skip
    session = {
        "start_time": start, "timestamp": start + timedelta(seconds=seconds),
        "total_timer_time": float(seconds), "total_elapsed_time": float(seconds),
        "total_distance": 8.0 * seconds, "sport": "cycling", "sub_sport": "road",
    }  # fmt: skip
    return encode_fit(start=start, records=records, sessions=[session])


async def athlete_with_rides(container: Container, now: datetime) -> tuple[int, datetime]:
    """An athlete with rides 14 and 7 days ago and one today; the start of today's ride."""
    account = await container.services.accounts.get_or_create(
        CHAT, telegram_user_id=CHAT, first_name="Ana"
    )
    midnight = now.replace(hour=0, minute=0, second=0)
    today = max(midnight + timedelta(minutes=1), now - timedelta(minutes=50))
    for start, minutes, watts in [
        (midnight - timedelta(days=14) + timedelta(hours=7), 60, 170),
        (midnight - timedelta(days=7) + timedelta(hours=7), 90, 160),
        (today, 40, 210),
    ]:
        result = await container.services.training.import_fit(
            account.id, ride(start, minutes=minutes, watts=watts, hr=135)
        )
        assert len(result.activities) == 1, result
    return account.id, today


def _errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def _offline(page: Page) -> None:
    """No internet: Telegram's script fails to load, as it does offline or when blocked."""
    await page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())


async def _open(browser: Browser, url: str, **context: Any) -> tuple[Page, list[str]]:
    page = await browser.new_page(**context)
    page.set_default_timeout(WAIT_MS)
    errors = _errors(page)
    await _offline(page)
    await page.goto(url)
    return page, errors


async def test_the_dashboard_signs_in_with_init_data_and_shows_a_ride_of_today(
    browser: Browser, web: WebClient, container: Container, clock: FakeClock
) -> None:
    uid, _ = await athlete_with_rides(container, clock.now)
    token = container.settings.telegram_bot_token or ""
    fragment = launch_fragment(init_data(token, user_id=CHAT, auth_date=clock.now))
    page, errors = await _open(browser, f"{web.base_url}/app{fragment}",
                               viewport={"width": 390, "height": 844})  # fmt: skip

    # The fitness chart: three lines drawn from the days since the first ride.
    ctl = page.locator("#fitness svg path.line-ctl")
    await expect(ctl).to_have_attribute("data-points", re.compile(r"^(1[5-9]|[2-9]\d)$"),
                                        timeout=WAIT_MS)  # fmt: skip
    assert len(re.findall(r"L", await ctl.get_attribute("d") or "")) >= 14
    await expect(page.locator("#fitness svg path.line-atl")).to_have_count(1)
    await expect(page.locator("#fitness svg path.line-tsb")).to_have_count(1)
    await expect(page.locator("#fitness .legend")).to_contain_text("Fitness (CTL)")
    await expect(page.locator("#weekly svg .bar-current rect")).to_have_count(1)
    await expect(page.locator("#who")).to_have_text("Ana")

    # Today's ride heads the list; its detail has the HR and power charts.
    rows = page.locator("#activities .activity-list button.activity")
    await expect(rows).to_have_count(3)
    first = rows.first
    await expect(first).to_contain_text("Ride")
    await expect(first).to_contain_text("19.2 km")  # 40 min at 8 m/s
    await expect(first).to_contain_text("40:00")
    await first.click()

    detail = page.locator(".detail")
    await expect(detail.locator("h2")).to_have_text("Ride")
    hr = detail.locator("svg path.line-hr")
    await expect(hr).to_have_attribute("data-points", re.compile(r"^\d{2,}$"))
    await expect(detail.locator("svg path.line-power")).to_have_count(1)
    await expect(detail.locator(".tiles")).to_contain_text("19.2 km")

    # Back to the dashboard, with the browser's back button.
    await page.go_back()
    await expect(page.locator("#activities")).to_be_visible()
    await expect(detail).to_have_count(0)

    # A session ended on the server is renewed from Telegram's launch data, unnoticed.
    assert await container.services.web_sessions.revoke_all(uid) == 1
    await rows.nth(1).click()
    await expect(detail.locator("svg path.line-hr")).to_have_count(1)
    assert len(await container.services.web_sessions.active(uid)) == 1
    assert errors == []


async def test_a_german_athletes_dashboard_speaks_german(
    browser: Browser, web: WebClient, container: Container, clock: FakeClock
) -> None:
    # The account's language wins over the Telegram client's (English here).
    await container.services.accounts.get_or_create(
        CHAT, telegram_user_id=CHAT, first_name="Ana", language="de"
    )
    await athlete_with_rides(container, clock.now)
    token = container.settings.telegram_bot_token or ""
    init = init_data(token, user_id=CHAT, auth_date=clock.now, language_code="en")
    page, errors = await _open(browser, f"{web.base_url}/app{launch_fragment(init)}")

    legend = page.locator("#fitness .legend")
    await expect(legend).to_contain_text("Ermüdung (ATL)", timeout=WAIT_MS)
    await expect(legend).to_contain_text("Form (TSB)")
    chart = page.locator("#fitness .fitness-chart svg.chart-svg")
    await expect(chart).to_have_attribute(
        "aria-label",
        re.compile(r"^Fitness, Ermüdung und Form über \d+ Tage\. Zuletzt, \w+, \d{1,2}\. \w+:"),
    )
    await expect(page.locator("#weekly-title")).to_have_text("Wochenbelastung")
    await expect(page.locator("#plan-title")).to_have_text("Trainingsplan")
    await expect(page.locator("#plan")).to_contain_text("Kein aktiver Plan.")
    await expect(page.locator("#account-title")).to_have_text("Dein Tarif")
    await expect(page.locator("#account .upgrade")).to_have_text("Upgrade auf Pro")
    first = page.locator("#activities .activity-list button.activity").first
    await expect(first).to_contain_text("Radfahrt")
    await expect(first).to_contain_text("19,2 km")  # the German decimal comma, from Intl
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    assert await page.title() == "Trainings-Dashboard"
    await first.click()
    detail = page.locator(".detail")
    await expect(detail.locator("h2")).to_have_text("Radfahrt")
    await expect(detail.locator(".tiles")).to_contain_text("Bewegungszeit")
    await expect(detail.locator(".series-hr h3")).to_have_text("Herzfrequenz")
    assert errors == []


async def test_a_one_time_link_signs_in_and_leaves_the_address(
    browser: Browser, web: WebClient, container: Container, clock: FakeClock
) -> None:
    uid, _ = await athlete_with_rides(container, clock.now)
    code = await container.services.web_sessions.issue_code(uid)
    page, errors = await _open(browser, f"{web.base_url}/app#code={code.code}")

    await expect(page.locator("#activities .activity")).to_have_count(3, timeout=WAIT_MS)
    assert "code=" not in page.url  # spent: not kept in the address bar or history
    await expect(page.locator("#account .badge")).to_have_text("Free")
    await expect(page.locator("#account .upgrade")).to_be_visible()

    # A reload keeps the session of this tab; the spent code is not asked for again.
    await page.reload()
    await expect(page.locator("#activities .activity")).to_have_count(3, timeout=WAIT_MS)

    # Once the session ends there is nothing to renew it with: the page says how to come back.
    await container.services.web_sessions.revoke_all(uid)
    await page.locator("#activities .activity").first.click()
    await expect(page.locator("#status")).to_contain_text("Open the dashboard from the bot again")
    await expect(page.locator(".dashboard")).to_have_count(0)
    assert errors == []


# Telegram.WebApp as a Telegram client provides it, recording what the page asks of it.
TELEGRAM_STUB = """
window.telegramCalls = [];
const call = (name) => (...args) => { window.telegramCalls.push([name, ...args]); };
window.Telegram = { WebApp: {
  initData: %s, themeParams: { bg_color: "#17212b", text_color: "#f5f5f5" }, colorScheme: "dark",
  isVersionAtLeast: () => true, onEvent: call("onEvent"), ready: call("ready"),
  expand: call("expand"), setHeaderColor: call("setHeaderColor"),
  setBackgroundColor: call("setBackgroundColor"), close: call("close"),
  showAlert: (text, done) => { window.telegramCalls.push(["showAlert", text]); done && done(); },
  BackButton: { show: call("BackButton.show"), hide: call("BackButton.hide"),
                onClick: (f) => { window.telegramBack = f; }, offClick: call("BackOff") },
}};
"""


async def test_inside_telegram_it_uses_the_web_app_object_and_its_back_button(
    browser: Browser, web: WebClient, container: Container, clock: FakeClock
) -> None:
    await athlete_with_rides(container, clock.now)
    init = init_data(container.settings.telegram_bot_token or "", user_id=CHAT,
                     auth_date=clock.now)  # fmt: skip
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    errors = _errors(page)
    await page.add_init_script(TELEGRAM_STUB % json.dumps(init))
    await _offline(page)
    await page.goto(f"{web.base_url}/app")  # no fragment: initData comes from Telegram.WebApp

    await expect(page.locator("#activities .activity")).to_have_count(3, timeout=WAIT_MS)
    assert await page.evaluate("document.documentElement.dataset.scheme") == "dark"
    await page.locator("#activities .activity").first.click()
    await expect(page.locator(".detail svg path.line-hr")).to_have_count(1)
    await page.evaluate("window.telegramBack()")  # Telegram's back button, pressed
    await expect(page.locator("#activities .activity").first).to_be_visible()
    await expect(page.locator(".detail")).to_have_count(0)

    await page.locator("#account .upgrade").click()
    calls = [c[0] for c in await page.evaluate("window.telegramCalls")]
    assert {"ready", "expand"} <= set(calls)
    assert calls.index("BackButton.show") < calls.index("BackButton.hide")
    assert calls[-2:] == ["showAlert", "close"]  # "send /upgrade", then back to the chat
    assert errors == []


async def test_a_card_whose_call_fails_says_so_and_retries_while_the_rest_shows(
    browser: Browser, web: WebClient, container: Container, clock: FakeClock
) -> None:
    await athlete_with_rides(container, clock.now)
    token = container.settings.telegram_bot_token or ""
    fragment = launch_fragment(init_data(token, user_id=CHAT, auth_date=clock.now))
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    errors = _errors(page)
    await _offline(page)
    await page.route("**/api/fitness?*", lambda route: route.abort())  # the network drops it
    await page.goto(f"{web.base_url}/app{fragment}")

    await expect(page.locator("#fitness .notice")).to_contain_text("No connection",
                                                                   timeout=WAIT_MS)  # fmt: skip
    await expect(page.locator("#activities .activity")).to_have_count(3)
    await page.unroute("**/api/fitness?*")
    await page.locator("#fitness .notice button").click()  # "Try again"
    await expect(page.locator("#fitness svg path.line-ctl")).to_have_count(1)
    assert errors == []


async def test_without_launch_data_or_with_bad_data_the_page_says_to_open_it_from_the_bot(
    browser: Browser, web: WebClient, container: Container, clock: FakeClock
) -> None:
    page, errors = await _open(browser, f"{web.base_url}/app")
    await expect(page.locator("#status")).to_contain_text(
        "Open the dashboard from the bot again", timeout=WAIT_MS
    )

    forged = init_data("123:not-this-bots-token", user_id=CHAT, auth_date=clock.now)
    page2, errors2 = await _open(browser, f"{web.base_url}/app{launch_fragment(forged)}")
    await expect(page2.locator("#status")).to_contain_text(
        "Open the dashboard from the bot again", timeout=WAIT_MS
    )
    await expect(page2.locator("#fitness")).to_have_count(0)
    assert errors == errors2 == []


async def test_the_page_and_its_files_are_served_fresh_and_nothing_outside_them(
    web: WebClient,
) -> None:
    page = await web.get("/app")
    assert page.status == 200 and page.content_type == "text/html"
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self' https://telegram.org" in page.headers["Content-Security-Policy"]
    html = await page.text()
    # Telegram's script never holds up the page: it loads async, and the app is a module.
    telegram = r'<script id="telegram-web-app" src="https://telegram\.org/[^"]+" async>'
    assert re.search(telegram, html)
    assert '<script type="module" src="/app/static/app.js">' in html
    assert (await web.get("/app/")).status == 200

    script = await web.get("/app/static/app.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert script.headers["Cache-Control"] == "no-cache"
    assert (await web.get("/app/static/charts.js")).status == 200
    for outside in ("/app/static/../miniapp.py", "/app/static/%2e%2e/miniapp.py",
                    "/app/static/", "/app/static/missing.js", "/app/static/.hidden"):  # fmt: skip
        assert (await web.get(outside)).status == 404, outside
