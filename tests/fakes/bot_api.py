"""A fake Telegram Bot API server over real HTTP, for end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes import updates as u
from tests.fakes.bot_api_spec import BotApiSpec, is_file, parse_html

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"(\d+):[\w-]+")
MAX_DOWNLOAD = 20 * 1024 * 1024  # bots may download files up to 20 MB
MAX_UPLOAD = 50 * 1024 * 1024
POLL_CAP_S = 1.0  # server-side long-poll wait, short so that shutdown is quick
# Without allowed_updates Telegram sends every kind except these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SENDS = ("send", "copyMessage", "forwardMessage")
_CHAT_SCOPED = ("send", "copyMessage", "forwardMessage", "editMessage")
Params = dict[str, Any]


@dataclass(slots=True)
class Recorded:
    """One Bot API request as the fake decoded it, with the status it answered."""

    method: str
    params: Params
    at: float  # time.monotonic() at arrival
    status: int = 200
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether Telegram would have accepted it."""
        return self.status == 200


class ApiError(Exception):
    """An error answer in Telegram's shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


@dataclass(slots=True)
class _Bucket:
    rate: float
    tokens: float = 0.0
    last: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = max(1.0, self.rate)

    def take(self) -> int:
        """0 if a token was free, else whole seconds to wait (Telegram's retry_after)."""
        now = time.monotonic()
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))


@dataclass(slots=True)
class _File:
    doc: dict[str, Any]
    path: str
    content: bytes


@dataclass(slots=True)
class _Waiter:
    method: str
    count: int
    predicate: Callable[[Recorded], bool] | None
    matched: list[Recorded]
    done: asyncio.Future[None]


class FakeBotAPI:
    """Telegram's Bot API on 127.0.0.1: records requests, serves updates and files, fails on cue."""

    def __init__(
        self,
        *,
        spec: BotApiSpec | None = None,
        rate_limit_per_s: float | None = None,
        chat_rate_limit_per_s: float | None = None,
        bot_username: str = u.BOT_USERNAME,
    ) -> None:
        self.spec = spec or BotApiSpec.load()
        self.token = u.DEFAULT_TOKEN
        self._bot_id = u.DEFAULT_BOT_ID  # from the token of the request being answered
        self.bot_username = bot_username
        self.requests: list[Recorded] = []
        self.messages_by_chat: dict[int | str, list[Recorded]] = {}
        self.violations: list[str] = []
        self.status_counts: Counter[int] = Counter()
        self.downloads: list[str] = []
        self.invoice_links: dict[str, Params] = {}
        self.commands: list[dict[str, Any]] = []
        self.webhook_url = ""
        self._bucket = _Bucket(rate_limit_per_s) if rate_limit_per_s else None
        self._chat_rate = chat_rate_limit_per_s
        self._chat_buckets: dict[Any, _Bucket] = {}
        self._by_method: dict[str, list[Recorded]] = {}
        self._waiters: list[_Waiter] = []
        self._blocked: set[Any] = set()
        self._retry_once: dict[Any, int] = {}
        self._fail_next: dict[str, deque[tuple[int, str]]] = {}
        self._updates: deque[Params] = deque()
        self._next_update_id = 1
        self._allowed = frozenset(self.spec.update_types) - _OPT_IN_UPDATES
        self._skipped: set[int] = set()
        self._poller: asyncio.Future[str] | None = None
        self._polling = asyncio.Event()
        self._files: dict[str, _File] = {}
        self._paths: dict[str, _File] = {}
        self._file_seq = count(1)
        self._last_id: dict[Any, int] = {}
        self._sent: dict[tuple[Any, Any], Params] = {}
        self._message_methods = frozenset(
            n
            for n, m in self.spec.methods.items()
            if n.startswith(_SENDS)
            and {"Message", "Array of Message", "MessageId", "Array of MessageId"} & set(m.returns)
        )
        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getMe": lambda p: self.me,
            "getUpdates": self._get_updates,
            "getFile": self._get_file,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendInvoice": self._send_invoice,
            "editMessageText": self._edit,
            "editMessageCaption": self._edit,
            "editMessageReplyMarkup": self._edit,
            "deleteMessage": self._delete,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "createInvoiceLink": self._invoice_link,
            "setMyCommands": self._set_commands,
            "getMyCommands": lambda p: self.commands,
            "deleteMyCommands": self._delete_commands,
        }
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on an ephemeral port of 127.0.0.1; base_url is set afterwards."""
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=POLL_CAP_S + 0.5
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop serving; a pending long poll returns at once."""
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("closed")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- test controls ---------------------------------------------------------------------------

    @property
    def me(self) -> Params:
        """The bot's User object; its id is the number in the token, as on Telegram."""
        return {
            **u.bot_user(self._bot_id, username=self.bot_username),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @property
    def is_polling(self) -> bool:
        """Whether a getUpdates long poll is waiting right now."""
        return self._poller is not None and not self._poller.done()

    async def wait_until_polling(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates long poll is waiting on the server."""
        await asyncio.wait_for(self._polling.wait(), timeout)

    def feed(self, update: Params) -> Params:
        """Queue an update for getUpdates; assigns update_id and returns the queued dict."""
        queued = {
            "update_id": self._next_update_id,
            **{k: v for k, v in update.items() if k != "update_id"},
        }
        self._next_update_id += 1
        self.violations.extend(f"feed: {p}" for p in self.spec.check_update(queued))
        msg = queued.get("message") or queued.get("edited_message")
        if isinstance(msg, dict) and isinstance(msg.get("message_id"), int):
            # Telegram numbers a private chat's messages in one sequence for both sides.
            chat_id = (msg.get("chat") or {}).get("id")
            self._last_id[chat_id] = max(self._last_id.get(chat_id, 0), msg["message_id"])
        self._updates.append(queued)
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("update")
        return queued

    def feed_many(self, batch: list[Params]) -> list[Params]:
        """feed() each update in order."""
        return [self.feed(x) for x in batch]

    def add_file(
        self,
        content: bytes,
        *,
        file_name: str = "file",
        mime_type: str = "application/octet-stream",
        folder: str = "documents",
    ) -> Params:
        """Register a downloadable file; returns its Document dict for a document message."""
        n = next(self._file_seq)
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        doc: dict[str, Any] = {
            "file_id": f"BQACAgIAAxkBAAIF{n:06d}FakeFileId",
            "file_unique_id": f"AgADF{n:06d}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        stored = _File(doc, f"{folder}/file_{n}.{ext}", content)
        self._files[doc["file_id"]] = self._paths[stored.path] = stored
        return dict(doc)

    def block_chat(self, chat_id: int | str) -> None:
        """Sends to this chat answer 403 as if the user blocked the bot."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        """Undo block_chat."""
        self._blocked.discard(chat_id)

    def retry_after_once(self, chat_id: int | str, seconds: int) -> None:
        """The next send to this chat answers 429 with retry_after=seconds, once."""
        self._retry_once[chat_id] = seconds

    def fail_next(
        self, method: str, status: int = 500, description: str = "Internal Server Error"
    ) -> None:
        """The next call of `method` answers this error (queued: call again to fail more)."""
        self._fail_next.setdefault(method, deque()).append((status, description))

    def calls(self, method: str) -> list[Recorded]:
        """Every recorded request of this method, any status, in arrival order."""
        return list(self._by_method.get(method, ()))

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of accepted sendMessage requests (optionally to one chat), in order."""
        pool = (
            self._by_method.get("sendMessage", [])
            if chat_id is None
            else self.messages_by_chat.get(chat_id, [])
        )
        return [r.params.get("text", "") for r in pool if r.ok and r.method == "sendMessage"]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 30.0,  # noqa: ASYNC109 (test helper; a ceiling, never a wait)
        predicate: Callable[[Recorded], bool] | None = None,
    ) -> list[Recorded]:
        """Wait until `count` requests of `method` (matching predicate) arrived; returns them."""
        matched = [r for r in self._by_method.get(method, ()) if predicate is None or predicate(r)]
        if len(matched) >= count:
            return matched
        done = asyncio.get_running_loop().create_future()
        waiter = _Waiter(method, count, predicate, matched, done)
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter.done, timeout)
        except TimeoutError:
            seen = Counter(r.method for r in self.requests)
            raise TimeoutError(
                f"{len(matched)}/{count} {method} requests after {timeout}s; seen: {dict(seen)}"
            ) from None
        finally:
            self._waiters.remove(waiter)
        return matched

    # -- HTTP ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        name = request.match_info["method"]
        method = self.spec.resolve_method(name) or self._resolve_own(name) or name
        try:
            if not TOKEN_RE.fullmatch(request.match_info["token"]):
                raise ApiError(401, "Unauthorized")
            if method not in self.spec.methods and method not in self._handlers:
                raise ApiError(404, "Not Found: method not found")
            params = await self._read_params(request, method)
        except ApiError as e:
            self._record(Recorded(method, {}, at, e.status))
            return _json(e.status, e.body())
        self._bot_id = int(request.match_info["token"].split(":")[0])
        try:
            result = await self._answer(method, params)
        except ApiError as e:
            self._record(Recorded(method, params, at, e.status))
            return _json(e.status, e.body())
        self._record(Recorded(method, params, at, 200, result))
        return _json(200, {"ok": True, "result": result})

    def _resolve_own(self, name: str) -> str | None:
        return next((m for m in self._handlers if m.lower() == name.lower()), None)

    async def _read_params(self, request: web.Request, method: str) -> Params:
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            return body if isinstance(body, dict) else {}
        form: dict[str, str] = dict(request.query)
        files: dict[str, Params] = {}
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader) and part.name:
                    if part.filename is not None:
                        data = await part.read()
                        files[part.name] = {
                            "filename": part.filename,
                            "size": len(data),
                            "content": bytes(data),
                            "content_type": part.headers.get(
                                "Content-Type", "application/octet-stream"
                            ),
                        }
                    else:
                        form[part.name] = await part.text()
        elif request.method == "POST" and request.can_read_body:
            form.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        return self.spec.decode_form(method, form, files)

    async def _answer(self, method: str, params: Params) -> Any:
        problems = self.spec.problems(method, params) if method in self.spec.methods else []
        self.violations.extend(p.text for p in problems)
        queued = self._fail_next.get(method)
        if queued:
            raise ApiError(*queued.popleft())
        rejection = next((p.error for p in problems if p.error), None)
        if rejection:
            raise ApiError(400, rejection)
        self._gate(method, params.get("chat_id"))
        handler = self._handlers.get(method)
        result = handler(params) if handler else self._generic(method, params)
        return await result if inspect.isawaitable(result) else result

    def _gate(self, method: str, chat_id: Any) -> None:
        """Telegram's refusals for sends: blocked chat, flood wait, rate limits."""
        if chat_id is None or not method.startswith(_CHAT_SCOPED):
            return
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not method.startswith(_SENDS):
            return
        if chat_id in self._retry_once:
            raise ApiError(429, *_flood(self._retry_once.pop(chat_id)))
        wait = self._bucket.take() if self._bucket else 0
        if not wait and self._chat_rate:
            bucket = self._chat_buckets.setdefault(chat_id, _Bucket(self._chat_rate))
            wait = bucket.take()
        if wait:
            raise ApiError(429, *_flood(wait))

    def _record(self, rec: Recorded) -> None:
        self.requests.append(rec)
        self.status_counts[rec.status] += 1
        self._by_method.setdefault(rec.method, []).append(rec)
        if rec.ok and rec.method in self._message_methods:
            self.messages_by_chat.setdefault(rec.params.get("chat_id", ""), []).append(rec)
        for w in self._waiters:
            if w.method == rec.method and (w.predicate is None or w.predicate(rec)):
                w.matched.append(rec)
                if len(w.matched) >= w.count and not w.done.done():
                    w.done.set_result(None)

    async def _serve_file(self, request: web.Request) -> web.Response:
        stored = self._paths.get(request.match_info["path"])
        if not TOKEN_RE.fullmatch(request.match_info["token"]):
            return _json(401, ApiError(401, "Unauthorized").body())
        if stored is None:
            return _json(404, ApiError(404, "Not Found").body())
        failing = self._fail_next.get("file")  # fail_next("file") fails the next download
        if failing:
            status, description = failing.popleft()
            return _json(status, ApiError(status, description).body())
        self.downloads.append(stored.path)
        return web.Response(body=stored.content, content_type=stored.doc["mime_type"])

    # -- methods ---------------------------------------------------------------------------------

    async def _get_updates(self, p: Params) -> list[Params]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if isinstance(p.get("allowed_updates"), list):
            wanted = frozenset(p["allowed_updates"]) or frozenset(self.spec.update_types)
            self._allowed = wanted if p["allowed_updates"] else wanted - _OPT_IN_UPDATES
        self._confirm(p.get("offset"))
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        batch = self._take(limit)
        wait = min(float(p.get("timeout") or 0), POLL_CAP_S)
        if batch or wait <= 0:
            return batch
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("conflict")
        poller = self._poller = asyncio.get_running_loop().create_future()
        self._polling.set()
        try:
            reason = await asyncio.wait_for(poller, wait)
        except TimeoutError:
            reason = "timeout"
        finally:
            if self._poller is poller:
                self._poller = None
                self._polling.clear()
        if reason == "conflict":
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._take(limit)

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int):
            return
        if offset < 0:  # keep only the last -offset updates
            while len(self._updates) > -offset:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def _take(self, limit: int) -> list[Params]:
        batch: list[Params] = []
        for upd in self._updates:
            kind = next((k for k in upd if k != "update_id"), "")
            if kind in self._allowed:
                batch.append(upd)
                if len(batch) >= limit:
                    break
            elif upd["update_id"] not in self._skipped:
                self._skipped.add(upd["update_id"])
                logger.warning(
                    "update %s (%s) not delivered: not in allowed_updates %s",
                    upd["update_id"],
                    kind,
                    sorted(self._allowed),
                )
        return batch

    def _get_file(self, p: Params) -> Params:
        stored = self._files.get(str(p.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        doc = stored.doc
        return {
            "file_id": doc["file_id"],
            "file_unique_id": doc["file_unique_id"],
            "file_size": doc["file_size"],
            "file_path": stored.path,
        }

    def _new_message(self, chat_id: Any, **content: Any) -> Params:
        mid = self._last_id[chat_id] = self._last_id.get(chat_id, 0) + 1
        chat = (
            u.chat(chat_id)
            if isinstance(chat_id, int)
            else {
                "id": -1_000_000_000_000 - len(self._last_id),
                "type": "channel",
                "title": chat_id,
                "username": chat_id.lstrip("@"),
            }
        )
        msg = {
            "message_id": mid,
            "from": self.me,
            "chat": chat,
            "date": u.now(),
            **{k: v for k, v in content.items() if v is not None},
        }
        self._sent[(chat_id, mid)] = msg
        return msg

    def _send_message(self, p: Params) -> Params:
        return self._new_message(
            p["chat_id"],
            text=_visible(p, "text"),
            entities=p.get("entities"),
            reply_markup=_inline_markup(p),
        )

    def _send_photo(self, p: Params) -> Params:
        photo = p["photo"]
        if is_file(photo):
            photo = self.add_file(
                photo["content"],
                file_name=photo["filename"],
                mime_type="image/jpeg",
                folder="photos",
            )["file_id"]
        sizes = [
            {
                "file_id": f"{photo}_{w}",
                "file_unique_id": f"{str(photo)[-8:]}{w}",
                "width": w,
                "height": w * 3 // 4,
                "file_size": w * 60,
            }
            for w in (90, 320, 800)
        ]
        if str(photo) in self._files:  # the largest size downloads the real bytes
            sizes[-1]["file_id"] = photo
        return self._new_message(
            p["chat_id"],
            photo=sizes,
            caption=_visible(p, "caption"),
            reply_markup=_inline_markup(p),
        )

    def _send_document(self, p: Params) -> Params:
        doc = p["document"]
        if is_file(doc):
            doc = self.add_file(
                doc["content"], file_name=doc["filename"], mime_type=doc["content_type"]
            )
        else:
            known = self._files.get(str(doc))
            doc = dict(known.doc) if known else {"file_id": doc, "file_unique_id": str(doc)[-12:]}
        return self._new_message(
            p["chat_id"],
            document=doc,
            caption=_visible(p, "caption"),
            reply_markup=_inline_markup(p),
        )

    def _send_invoice(self, p: Params) -> Params:
        total = sum(int(x.get("amount", 0)) for x in p.get("prices") or [])
        invoice = {
            "title": p.get("title"),
            "description": p.get("description"),
            "start_parameter": p.get("start_parameter", ""),
            "currency": p.get("currency"),
            "total_amount": total,
        }
        return self._new_message(p["chat_id"], invoice=invoice, reply_markup=_inline_markup(p))

    def _generic(self, method: str, p: Params) -> Any:
        returns = self.spec.methods[method].returns
        if "Message" in returns and "chat_id" in p and "message_id" not in p:
            return self._new_message(p["chat_id"], caption=_visible(p, "caption"))
        if returns == ("Array of Message",) and "chat_id" in p:  # an album: one per item
            return [
                self._new_message(p["chat_id"], caption=_visible(m, "caption"))
                for m in p.get("media") or [{}]
                if isinstance(m, dict)
            ]
        if returns == ("MessageId",) and "chat_id" in p:
            return {"message_id": self._new_message(p["chat_id"])["message_id"]}
        if returns == ("Array of MessageId",) and "chat_id" in p:
            return [
                {"message_id": self._new_message(p["chat_id"])["message_id"]}
                for _ in p.get("message_ids") or []
            ]
        if "Boolean" in returns:
            return True
        if returns == ("String",):
            return ""
        raise ApiError(501, f"Not Implemented: the fake Bot API does not answer {method}")

    def _edit(self, p: Params) -> Any:
        if "inline_message_id" in p:
            return True
        key = (p.get("chat_id"), p.get("message_id"))
        old = self._sent.get(key)
        new = (
            dict(old)
            if old
            else {
                "message_id": key[1],
                "from": self.me,
                "chat": u.chat(int(key[0] or 0)),
                "date": u.now(),
            }
        )
        for name in ("text", "caption"):
            if name in p:
                new[name] = _visible(p, name)
        new.pop("reply_markup", None)
        if (markup := _inline_markup(p)) is not None:
            new["reply_markup"] = markup
        if old is not None and {**old, "edit_date": 0} == {**new, "edit_date": 0}:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        new["edit_date"] = u.now()
        self._sent[key] = new
        return new

    def _delete(self, p: Params) -> bool:
        self._sent.pop((p.get("chat_id"), p.get("message_id")), None)
        return True

    def _set_webhook(self, p: Params) -> bool:
        self.webhook_url = str(p.get("url", ""))
        if isinstance(p.get("allowed_updates"), list) and p["allowed_updates"]:
            self._allowed = frozenset(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, p: Params) -> bool:
        self.webhook_url = ""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _webhook_info(self, p: Params) -> Params:
        info: Params = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info.update(max_connections=40, allowed_updates=sorted(self._allowed))
        return info

    def _invoice_link(self, p: Params) -> str:
        link = f"https://t.me/$FakeInvoice{len(self.invoice_links) + 1:04d}"
        self.invoice_links[link] = p
        return link

    def _set_commands(self, p: Params) -> bool:
        self.commands = list(p.get("commands") or [])
        return True

    def _delete_commands(self, p: Params) -> bool:
        self.commands = []
        return True


def _visible(p: Params, name: str) -> str | None:
    """A text as the recipient sees it: HTML tags parsed away."""
    text = p.get(name)
    if not isinstance(text, str):
        return None
    mode = p.get(f"{name}_parse_mode", p.get("parse_mode"))
    return parse_html(text)[0] if isinstance(mode, str) and mode.lower() == "html" else text


def _inline_markup(p: Params) -> Params | None:
    """Telegram echoes inline keyboards (only those) on the sent message."""
    markup = p.get("reply_markup")
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


def _flood(seconds: int) -> tuple[str, int]:
    return f"Too Many Requests: retry after {seconds}", seconds


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")
