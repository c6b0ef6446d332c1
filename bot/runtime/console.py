"""Local chat in the terminal: the same dispatcher and database, no network."""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import logging
import os
import re
import sys
import time
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from aiogram import Bot
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, InputFile, Update
from pydantic import ValidationError

from bot.runtime.dispatcher import build_dispatcher
from core.bootstrap import build
from core.config import Settings
from core.db import migrate
from core.errors import AppError

if TYPE_CHECKING:
    from aiogram import Dispatcher

logger = logging.getLogger(__name__)

CHAT_ID = 1
BOT_TOKEN = "1000000001:console"
BOT_USER = {
    "id": 1000000001,
    "is_bot": True,
    "first_name": "Training Analyzer",
    "username": "trainbot_console_bot",
}
FILE_PREFIX = "console://file/"
LOG_FILE = "console.log"  # under DATA_DIR
QUIT = {"/quit", "/exit"}
BANNER = (
    "Training Analyzer Bot, local console. Type commands or text as you would in Telegram;\n"
    "a number picks a button of the bot's last message; /upload <path> sends a file;\n"
    "/quit leaves.\n"
)
_TAGS = {"b": "*", "strong": "*", "i": "_", "em": "_", "code": "`", "pre": "```"}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*)>")
_HREF_RE = re.compile(r"""href\s*=\s*["']([^"']*)["']""")


def plain(text: str, parse_mode: str | None) -> str:
    """HTML as a terminal shows it: emphasis marks, link targets, entities unescaped."""
    if (parse_mode or "").lower() != "html":
        return text
    links: list[str] = []

    def tag(m: re.Match[str]) -> str:
        closing, name = m.group(1), m.group(2).lower()
        if name == "a":
            if not closing:
                href = _HREF_RE.search(m.group(3))
                links.append(html.unescape(href.group(1)) if href else "")
                return ""
            target = links.pop() if links else ""
            return f" ({target})" if target else ""
        return _TAGS.get(name, "")

    return html.unescape(_TAG_RE.sub(tag, text))


class ConsoleSession(BaseSession):
    """A Bot API that prints what the bot sends and remembers the buttons it offered."""

    def __init__(self, out: TextIO, files_dir: Path, *, user_name: str = "you") -> None:
        super().__init__(
            api=TelegramAPIServer(base="console://bot{token}/{method}", file=FILE_PREFIX + "{path}")
        )
        self.out = out
        self.files_dir = files_dir
        self.user_name = user_name
        self.ids = itertools.count(1)  # one message sequence per private chat, both sides
        self.choices: list[str] = []  # callback_data of the last message's buttons
        self.choice_message: dict[str, Any] | None = None
        self.uploads: dict[str, Path] = {}  # file_id -> local file offered by /upload

    async def close(self) -> None:
        """Nothing to release."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (the interface aiogram calls)
    ) -> TelegramType:
        name = method.__api_method__
        handler = getattr(self, f"_m_{name}", None)
        raw = await handler(bot, method) if handler is not None else None
        for candidate in [raw] if raw is not None else self._generic(method):
            try:
                response = Response[method.__returning__].model_validate(  # type: ignore[name-defined]
                    {"ok": True, "result": candidate}, context={"bot": bot}
                )
            except ValidationError:
                continue
            return cast(TelegramType, response.result)
        raise TelegramBadRequest(method=method, message=f"{name} is not available in the console")

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (the interface aiogram calls)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        path = self.uploads.get(url.removeprefix(FILE_PREFIX))
        if path is None:
            raise FileNotFoundError(url)
        with path.open("rb") as fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    # -- what the user sends ----------------------------------------------------------------

    def message(self, **content: Any) -> dict[str, Any]:
        """A message from the local user in the local chat."""
        return {
            "message_id": next(self.ids),
            "from": self._user(),
            "chat": self._chat(),
            "date": int(time.time()),
            **content,
        }

    def choice(self, line: str) -> str | None:
        """The callback data of button number `line`, if it is one."""
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            return self.choices[int(line) - 1]
        return None

    def upload(self, path: Path) -> dict[str, Any]:
        """A Document for a local file, downloadable through getFile."""
        file_id = f"console-{len(self.uploads) + 1}"
        self.uploads[f"uploads/{file_id}/{path.name}"] = path
        self.uploads[file_id] = path
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": path.name,
            "file_size": path.stat().st_size,
        }

    def _user(self) -> dict[str, Any]:
        return {"id": CHAT_ID, "is_bot": False, "first_name": self.user_name}

    def _chat(self) -> dict[str, Any]:
        return {"id": CHAT_ID, "type": "private", "first_name": self.user_name}

    # -- what the bot sends -----------------------------------------------------------------

    def _bot_message(self, method: Any, *, shown: bool = True, **content: Any) -> dict[str, Any]:
        """The Message the bot sent; `shown` messages replace the buttons on offer."""
        msg = {
            "message_id": getattr(method, "message_id", None) or next(self.ids),
            "from": BOT_USER,
            "chat": self._chat(),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v is not None},
        }
        if shown:
            self._show_keyboard(getattr(method, "reply_markup", None), msg)
        return msg

    def _say(self, text: str) -> None:
        lines = text.split("\n")
        body = "\n".join(f"     {line}" if line else "" for line in lines[1:])
        self.out.write(f"bot: {lines[0]}\n" + (body + "\n" if len(lines) > 1 else ""))
        self.out.flush()

    def _text(self, bot: Bot, method: Any, field: str = "text") -> str | None:
        value = getattr(method, field, None)
        if value is None:
            return None
        mode = getattr(method, "parse_mode", None)
        if isinstance(mode, Default):
            mode = bot.default[mode.name]
        return plain(str(value), mode)

    def _show_keyboard(self, markup: Any, msg: dict[str, Any]) -> None:
        if not isinstance(markup, InlineKeyboardMarkup):
            self.choices, self.choice_message = [], None
            return
        msg["reply_markup"] = markup.model_dump(exclude_none=True)
        self.choices, self.choice_message = [], msg
        for row in markup.inline_keyboard:
            cells = []
            for button in row:
                if button.callback_data is not None:
                    self.choices.append(button.callback_data)
                    cells.append(f"[{len(self.choices)}] {button.text}")
                elif button.url is not None:
                    cells.append(f"{button.text}: {button.url}")
                else:
                    cells.append(f"({button.text}: not available in the console)")
            self.out.write("     " + "   ".join(cells) + "\n")

    async def _save(self, bot: Bot, value: Any, default_name: str) -> str:
        if not isinstance(value, InputFile):
            return str(value)  # a file_id or URL the console cannot fetch
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = Path(value.filename or default_name).name
        target = self.files_dir / f"{next(self.ids):04d}-{name}"
        with target.open("wb") as fh:
            async for chunk in value.read(bot):
                fh.write(chunk)
        return str(target)

    async def _m_getMe(self, bot: Bot, method: Any) -> Any:
        return BOT_USER

    async def _m_sendMessage(self, bot: Bot, method: Any) -> Any:
        text = self._text(bot, method) or ""
        self._say(text)
        return self._bot_message(method, text=text)

    async def _m_editMessageText(self, bot: Bot, method: Any) -> Any:
        text = self._text(bot, method) or ""
        self._say("(edited) " + text)
        return True if method.inline_message_id else self._bot_message(method, text=text)

    async def _m_editMessageReplyMarkup(self, bot: Bot, method: Any) -> Any:
        return True if method.inline_message_id else self._bot_message(method)

    async def _m_sendPhoto(self, bot: Bot, method: Any) -> Any:
        return await self._file_message(bot, method, "photo", "photo.png")

    async def _m_sendDocument(self, bot: Bot, method: Any) -> Any:
        return await self._file_message(bot, method, "document", "document.bin")

    async def _file_message(self, bot: Bot, method: Any, field: str, name: str) -> Any:
        where = await self._save(bot, getattr(method, field), name)
        caption = self._text(bot, method, "caption")
        self._say(f"[{field}: {where}]" + (f"\n{caption}" if caption else ""))
        file: dict[str, Any] = {"file_id": f"out-{where}"[:64], "file_unique_id": "console"}
        content: Any = (
            [{**file, "width": 800, "height": 600}]
            if field == "photo"
            else {**file, "file_name": Path(where).name}
        )
        return self._bot_message(method, caption=caption, **{field: content})

    async def _m_sendInvoice(self, bot: Bot, method: Any) -> Any:
        total = sum(p.amount for p in method.prices)
        self._say(f"[invoice: {method.title}, {total} {method.currency}]\n{method.description}")
        return self._bot_message(
            method,
            invoice={
                "title": method.title,
                "description": method.description,
                "start_parameter": "",
                "currency": method.currency,
                "total_amount": total,
            },
        )

    async def _m_answerCallbackQuery(self, bot: Bot, method: Any) -> Any:
        if method.text:
            self._say(f"({method.text})")
        return True

    async def _m_createInvoiceLink(self, bot: Bot, method: Any) -> Any:
        return "https://t.me/$console-invoice"

    async def _m_getFile(self, bot: Bot, method: Any) -> Any:
        path = self.uploads.get(method.file_id)
        if path is None:
            raise TelegramBadRequest(method=method, message="Bad Request: invalid file_id")
        return {
            "file_id": method.file_id,
            "file_unique_id": method.file_id,
            "file_size": path.stat().st_size,
            "file_path": f"uploads/{method.file_id}/{path.name}",
        }

    def _generic(self, method: Any) -> list[Any]:
        """Stand-in answers tried in order: a sent message, success, an empty list."""
        message = [self._bot_message(method, shown=False)] if hasattr(method, "chat_id") else []
        return [*message, True, []]


def console_bot(out: TextIO, files_dir: Path, *, user_name: str = "you") -> Bot:
    """A Bot whose API is the terminal."""
    session = ConsoleSession(out, files_dir, user_name=user_name)
    return Bot(BOT_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def to_update(session: ConsoleSession, line: str, update_id: int) -> dict[str, Any] | None:
    """What the typed line means in Telegram's terms (None: nothing to send)."""
    data = session.choice(line)
    if data is not None and session.choice_message is not None:
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": session.message()["from"],
                "chat_instance": "console",
                "message": session.choice_message,
                "data": data,
            },
        }
    if line.startswith("/upload"):
        path = Path(line.removeprefix("/upload").strip()).expanduser()
        if not path.is_file():
            session.out.write(f"(no such file: {path})\n")
            return None
        return {"update_id": update_id, "message": session.message(document=session.upload(path))}
    content: dict[str, Any] = {"text": line}
    if line.startswith("/"):
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(line.split(maxsplit=1)[0])}
        ]
    return {"update_id": update_id, "message": session.message(**content)}


async def chat_loop(dp: Dispatcher, bot: Bot, stdin: TextIO, out: TextIO) -> None:
    """Read a line, feed it as an update, print the answers; until /quit or end of input."""
    session = bot.session
    assert isinstance(session, ConsoleSession)
    for update_id in itertools.count(1):
        if stdin.isatty():
            out.write("you> ")
            out.flush()
        raw = await asyncio.to_thread(stdin.readline)
        line = raw.strip()
        if not raw or line in QUIT:
            return
        if not line:
            continue
        update = to_update(session, line, update_id)
        if update is None:
            continue
        try:
            await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))
        except Exception:  # the error router answers users; this keeps the console alive
            logger.exception("update %s failed", update_id)


async def run_console(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    web_port: int | None = None,
) -> None:
    """`trainbot console`: chat with the bot in this terminal, on the configured database.

    With `web_port`, the web app (the dashboard that /web links to, the API) is served on
    127.0.0.1 at that port while the console runs; a busy port only costs the dashboard.
    """
    from bot.runtime.app import AppServer, make_web_app

    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    container = build(settings)
    server = None
    logs = contextlib.ExitStack()
    try:
        log_path = logs.enter_context(logs_to_file(settings))
        await migrate.upgrade(container.engine)
        name = os.environ.get("USER") or "you"
        bot = console_bot(out, Path(settings.data_dir) / "console", user_name=name)
        me = await bot.get_me()
        dp = build_dispatcher(container, bot_username=me.username)
        if web_port is not None:
            app = make_web_app(container, dp, bot, telegram=False)
            server = AppServer(app, host="127.0.0.1", port=web_port)
            try:
                await server.start()
            except AppError as exc:  # the port is taken: the chat works without the dashboard
                out.write(f"{exc.message} The dashboard (/web) is off for this session.\n")
                server = None
        out.write(BANNER + f"The log is in {log_path}.\n")
        out.flush()
        await chat_loop(dp, bot, stdin, out)
    finally:
        if server is not None:
            await server.stop()
        await container.close()
        logs.close()


@contextlib.contextmanager
def logs_to_file(settings: Settings) -> Iterator[Path]:
    """While the console runs, log lines go to DATA_DIR/console.log, not between the chat's
    lines: the handlers writing to this terminal step aside for a file handler (same format,
    same redaction of secrets)."""
    from bot.runtime.logging_setup import SecretsFilter, formatter_for, secrets_of

    path = Path(settings.data_dir) / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    terminal = {sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__}
    aside = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
        and h.stream in terminal
    ]
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(formatter_for(settings))
    to_file.addFilter(SecretsFilter(secrets_of(settings)))
    for h in aside:
        root.removeHandler(h)
    root.addHandler(to_file)
    try:
        yield path
    finally:
        root.removeHandler(to_file)
        to_file.close()
        for h in aside:
            root.addHandler(h)
