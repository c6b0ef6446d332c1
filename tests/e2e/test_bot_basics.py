"""The bot's skeleton end to end: commands, dialogs, errors, over real HTTP."""

from __future__ import annotations

import pytest

from bot.views.common import APOLOGY
from core.training.reports import ReportService
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u


async def test_start_creates_account_and_asks_timezone(harness: BotHarness) -> None:
    texts = await harness.texts_after(u.command("start"), 2)
    assert "Hi Alex" in texts[0]
    assert "timezone" in texts[1]
    markup = harness.last_markup()
    assert markup is not None
    buttons = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    assert any("Europe/Berlin" in b for b in buttons)
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None and not account.timezone_set
    commands = [c["command"] for c in harness.api.commands]
    assert {"help", "usage", "settings", "delete"} <= set(commands)


async def test_typed_timezone_bad_then_good(harness: BotHarness) -> None:
    await harness.texts_after(u.command("start"), 2)
    bad = await harness.texts_after(u.text_message("Mars/Olympus"))
    assert "not a timezone I know" in bad[0]
    good = await harness.texts_after(u.text_message("Asia/Tokyo"))
    assert "Asia/Tokyo" in good[0]
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None and account.timezone == "Asia/Tokyo"


async def test_timezone_button(harness: BotHarness) -> None:
    await harness.texts_after(u.command("start"), 2)
    texts = await harness.texts_after(u.callback_query("tz:Europe/Berlin"))
    assert "Europe/Berlin" in texts[0]
    assert harness.api.calls("answerCallbackQuery")


async def test_usage_shows_limits_and_upgrade(harness: BotHarness) -> None:
    text = (await harness.texts_after(u.command("usage")))[0]
    assert "Plan: Free" in text
    assert "10 of 10 left today" in text
    assert "5 of 5 left this month" in text
    markup = harness.last_markup()
    assert markup is not None and "upg" in markup["inline_keyboard"][0][0]["callback_data"]


async def test_settings_dialog_validates_values(harness: BotHarness) -> None:
    await harness.texts_after(u.command("settings"))
    asked = await harness.texts_after(u.callback_query("set:ftp"))
    assert "threshold power" in asked[0]
    refused = await harness.texts_after(u.text_message("2500"))
    assert "FTP must be between" in refused[0]
    saved = await harness.texts_after(u.text_message("260"))
    assert "Saved" in saved[0] and "FTP: 260" in saved[0]


async def test_delete_needs_confirmation(harness: BotHarness) -> None:
    await harness.texts_after(u.command("start"), 2)
    await harness.texts_after(u.command("delete"))
    kept = await harness.texts_after(u.callback_query("del:0"))
    assert "Nothing was deleted" in kept[0]
    assert await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID) is not None
    gone = await harness.texts_after(u.callback_query("del:1"))
    assert "deleted" in gone[0]
    assert await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID) is None


async def test_admin_only_for_admins(harness: BotHarness) -> None:
    denied = await harness.texts_after(u.command("admin"))
    assert "don't know" in denied[0]
    admin = await harness.texts_after(u.command("admin", chat_id=424242), chat_id=424242)
    assert "Users: 2" in admin[0] and "AI cost today" in admin[0]


async def test_unknown_command_sticker_and_forged_callback(harness: BotHarness) -> None:
    unknown = await harness.texts_after(u.command("teleport", "now"))
    assert "/teleport" in unknown[0] and "/help" in unknown[0]
    sticker = await harness.texts_after(u.sticker_message())
    assert ".fit" in sticker[0]
    forged = await harness.texts_after(u.callback_query("set:../../etc"))
    assert "not valid any more" in forged[0]
    before = len(harness.api.calls("answerCallbackQuery"))
    harness.feed(u.callback_query("nonsense:\x00"))
    await harness.api.wait_for("answerCallbackQuery", count=before + 1)
    html = await harness.texts_after(u.text_message("/x<b>"))
    assert "&lt;b&gt;" in html[0]


async def test_an_unexpected_failure_gets_one_apology_and_is_logged(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: ReportService, account: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ReportService, "today", broken)
    [answer] = await harness.texts_after(u.command("today"))
    assert answer == APOLOGY
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)
    [after] = await harness.texts_after(u.command("help"))  # the bot goes on
    assert "/today" in after


async def test_a_domain_error_is_told_with_the_command_that_helps(harness: BotHarness) -> None:
    syncing, answer = await harness.texts_after(u.command("sync"), 2)
    assert syncing.startswith("Syncing")
    assert answer == "Garmin Connect is not linked yet. Send /connect to link it."
