"""The local console: the real dispatcher and database, driven through stdin and stdout."""

from __future__ import annotations

import io
import logging
import re
import socket
import urllib.request
from pathlib import Path

import pytest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.runtime.console import CHAT_ID, console_bot, plain, run_console
from bot.runtime.logging_setup import configure_logging
from bot.views.start import COMMON_ZONES
from core.bootstrap import build
from core.config import Settings
from core.gateways.cipher import new_key


@pytest.fixture
def console_settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
        data_dir=str(tmp_path / "data"),
        credentials_keys=new_key(),
    )


async def chat(settings: Settings, *lines: str) -> str:
    """Run the console over these typed lines; everything it printed."""
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("".join(f"{x}\n" for x in lines)), stdout=out)
    return out.getvalue()


async def test_start_picks_timezone_by_number_and_usage(
    console_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "Ada")
    berlin = str(COMMON_ZONES.index("Europe/Berlin") + 1)
    out = await chat(console_settings, "/start", berlin, "/usage", "/quit", "/help")
    assert "bot: Hi Ada! I am your training analyst" in out
    assert "Which timezone are you in?" in out
    assert f"[{berlin}] Europe/Berlin" in out and "[1] Europe/London" in out
    assert "Timezone set to *Europe/Berlin*." in out
    assert "<b>" not in out and "&lt;" not in out  # HTML rendered for a terminal
    assert "Plan: Free" in out and "10 of 10 left today" in out
    assert "[1] ⭐ Upgrade to Pro" in out
    assert out.count("What I do") == 1  # nothing after /quit was read
    container = build(console_settings)
    try:
        account = await container.services.accounts.by_chat(CHAT_ID)
    finally:
        await container.close()
    assert account is not None and account.timezone == "Europe/Berlin"
    assert account.first_name == "Ada"


async def test_numbers_are_text_when_the_last_message_has_no_buttons(
    console_settings: Settings,
) -> None:
    out = await chat(console_settings, "/settings", "6", "260")  # 6 is the FTP button; EOF ends
    assert "threshold power" in out
    assert "Saved." in out and "FTP: 260 W" in out


async def test_unknown_command_is_escaped_and_upload_reaches_the_bot(
    console_settings: Settings, tmp_path: Path
) -> None:
    fit = tmp_path / "ride.fit"
    fit.write_bytes(b"\x0e\x10not really a fit file")
    out = await chat(console_settings, "/x<b>", f"/upload {fit}", "/upload /nope/missing.fit")
    assert "bot: I don't know /x<b>." in out
    assert "(no such file: /nope/missing.fit)" in out
    assert out.count("bot: ") >= 2  # the uploaded document got an answer too


async def test_session_saves_files_renders_links_and_serves_uploads(tmp_path: Path) -> None:
    out = io.StringIO()
    bot = console_bot(out, tmp_path / "console")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Pay", url="https://checkout.example/1"),
                InlineKeyboardButton(text="Later", callback_data="later"),
            ]
        ]
    )
    sent = await bot.send_message(
        CHAT_ID, 'See <a href="https://x.example/?a=1&amp;b=2">this</a>', reply_markup=keyboard
    )
    assert sent.text == "See this (https://x.example/?a=1&b=2)"
    photo = await bot.send_photo(
        CHAT_ID, BufferedInputFile(b"\x89PNG", "chart.png"), caption="<i>Form</i>"
    )
    assert photo.photo and photo.caption == "_Form_"
    saved = list((tmp_path / "console").glob("*chart.png"))
    assert len(saved) == 1 and saved[0].read_bytes() == b"\x89PNG"
    assert await bot.send_chat_action(CHAT_ID, "typing") is True
    assert await bot.set_my_commands([]) is True
    session = bot.session
    source = tmp_path / "a.fit"
    source.write_bytes(b"fit-bytes" * 10)
    doc = session.upload(source)  # type: ignore[attr-defined]
    downloaded = await bot.download(doc["file_id"])
    assert downloaded is not None and downloaded.read() == source.read_bytes()
    text = out.getvalue()
    assert "Pay: https://checkout.example/1" in text and "[1] Later" in text
    assert str(saved[0]) in text
    await bot.session.close()


def test_plain_keeps_text_without_parse_mode() -> None:
    assert plain("<b>x</b> &amp;", None) == "<b>x</b> &amp;"
    assert plain("<b>x</b> &amp; <code>y</code>", "HTML") == "*x* & `y`"


class _LinkFollower(io.StringIO):
    """Typed lines; before the last one it opens the dashboard link the console printed (the
    console reads its input on a worker thread, so the app serves the page meanwhile)."""

    def __init__(self, lines: list[str], out: io.StringIO) -> None:
        super().__init__("".join(f"{x}\n" for x in lines))
        self.out = out
        self.opened: list[tuple[int, str]] = []

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        line = super().readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/app#code=([\w-]+)", self.out.getvalue())
        if line == "/quit\n" and found:
            with urllib.request.urlopen(found.group(1) + "/app", timeout=30) as page:
                self.opened.append((page.status, page.read().decode()))
        return line


async def test_the_console_serves_the_dashboard_its_web_link_opens(
    console_settings: Settings,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = console_settings.model_copy(update={"port": port})
    out = io.StringIO()
    typed = _LinkFollower(["/start", "/web", "/quit"], out)
    await run_console(settings, stdin=typed, stdout=out, web_port=port)
    assert f"http://127.0.0.1:{port}/app#code=" in out.getvalue()
    [(status, page)] = typed.opened
    assert status == 200 and "<html" in page.lower()


async def test_log_lines_go_to_console_log_not_into_the_chat(
    console_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    level = root.level
    terminal = configure_logging(console_settings)  # as `trainbot console` does: to stderr
    try:
        out = await chat(console_settings, "/start", "/usage")
        assert terminal in root.handlers  # the terminal's handler is back after the console
        logging.getLogger("tests.console").warning("after the console")
    finally:
        root.removeHandler(terminal)
        for each in root.handlers:
            for f in terminal.filters:
                each.removeFilter(f)
        root.setLevel(level)
    log_file = Path(console_settings.data_dir) / "console.log"
    logged = log_file.read_text(encoding="utf-8")
    assert "Update id=1 is handled" in logged and "Update id=2 is handled" in logged
    assert f"The log is in {log_file}." in out
    assert "is handled" not in out and "Hi " in out
    err = capsys.readouterr().err
    assert "is handled" not in err  # nothing between the chat's lines
    assert "after the console" in err and "after the console" not in logged
