"""Process modes: run (polling, scheduler, web app), web (webhook), worker, console."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import MenuButtonWebApp, WebAppInfo

from bot.runtime.commands import set_menus
from bot.runtime.dispatcher import build_dispatcher, commands_handled
from bot.runtime.telegram import make_bot
from core.bootstrap import Container, build
from core.config import Settings
from core.db import migrate
from core.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

logger = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
MINIAPP_PATH = "/app"
MENU_BUTTON_TEXT = "Dashboard"
# Updates handled at once, by polling and by the webhook alike: a burst waits in Telegram's
# queue instead of piling up on the database pool (SQLite has one connection) until it times out.
UPDATE_CONCURRENCY = 64
# Updates Telegram keeps in flight to the webhook (its maximum): each is answered only once
# handled, so a coach reply streaming for a minute holds one of them that long.
WEBHOOK_MAX_CONNECTIONS = 100
# HTTP requests other than updates (the API, Stripe) get this long to finish at shutdown.
REQUESTS_GRACE_S = 30


async def prepare(settings: Settings) -> Container:
    """Build the services and bring the schema up to date."""
    container = build(settings)
    await migrate.upgrade(container.engine)
    return container


async def set_commands(bot: Bot) -> None:
    """The command menu, in English and in each translated language."""
    await set_menus(bot, commands_handled())


async def set_menu_button(bot: Bot, settings: Settings) -> bool:
    """The chat menu's "Dashboard" button opens the Mini App; Telegram opens Mini Apps only
    over https, so without an https PUBLIC_URL (or WEBHOOK_URL) it is left as it is."""
    url = settings.app_url
    if not url or not url.lower().startswith("https://"):
        why = "no PUBLIC_URL or WEBHOOK_URL is set" if not url else "PUBLIC_URL is not https"
        logger.info(
            "Dashboard menu button not set: %s (Telegram opens Mini Apps over https only); "
            "the dashboard is at http://127.0.0.1:%s%s on this machine",
            why,
            settings.port,
            MINIAPP_PATH,
        )
        return False
    button = MenuButtonWebApp(text=MENU_BUTTON_TEXT, web_app=WebAppInfo(url=url + MINIAPP_PATH))
    try:
        await bot.set_chat_menu_button(menu_button=button)
    except TelegramAPIError as exc:  # the bot works without it
        logger.warning("Dashboard menu button not set: Telegram answered %s", exc.message)
        return False
    return True


async def start(settings: Settings, mode: str) -> None:
    """Entry point of `trainbot run|web|worker|console`."""
    if mode == "console" or (mode == "run" and not settings.telegram_bot_token):
        from bot.runtime.console import run_console

        if mode == "run":
            print(
                "No TELEGRAM_BOT_TOKEN set: opening the local console. To go live, put the token "
                "from @BotFather into .env as TELEGRAM_BOT_TOKEN=... and run `make run` again.\n"
            )
        await run_console(settings, web_port=settings.port)
        return
    container = await prepare(settings)
    try:
        if mode == "run":
            await run_polling(container)
        elif mode == "web":
            await run_web(container)
        elif mode == "worker":
            await run_worker(container)
    finally:
        await container.close()


async def run_polling(container: Container, *, bot: Bot | None = None) -> None:
    """Long polling plus the scheduler, and the web app on PORT (Stripe webhook, health, the
    API and the Mini App) without the Telegram webhook."""
    settings = container.settings
    bot = bot or make_bot(settings)
    dp = build_dispatcher(container, bot_username=None)
    server = None
    scheduler = _make_scheduler(container, bot)
    try:
        me = await bot.get_me()
        dp["bot_username"] = me.username
        await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot)
        await set_menu_button(bot, settings)
        server = AppServer(make_web_app(container, dp, bot, telegram=False), port=settings.port)
        await server.start()  # stopped below, also if this start is interrupted
        if scheduler is not None:
            await scheduler.start()
        await dp.start_polling(
            bot,
            allowed_updates=dp.resolve_used_update_types(),
            handle_signals=True,
            tasks_concurrency_limit=UPDATE_CONCURRENCY,
        )
    finally:
        if scheduler is not None:
            await scheduler.stop()
        if server is not None:
            await server.stop()
        await bot.session.close()


async def run_web(container: Container) -> None:
    """Webhook server with the API and the Mini App; registers the webhook with its secret."""
    settings = container.settings
    if not settings.webhook_url:
        raise ConfigError(
            "`trainbot web` needs WEBHOOK_URL (the public https address of this app)."
        )
    bot = make_bot(settings)
    dp = build_dispatcher(container, bot_username=None)
    shared = await _share_across_instances(container)
    with _on_sigterm() as stopping:
        try:
            me = await bot.get_me()
            dp["bot_username"] = me.username
            app = make_web_app(container, dp, bot)
            if shared is not None:
                app.state.ledger = shared.ledger
            server = AppServer(app, port=settings.port)
            try:
                await server.start()  # listening before Telegram is told to deliver here
                await set_commands(bot)
                await set_menu_button(bot, settings)
                await bot.set_webhook(
                    url=settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
                    secret_token=settings.webhook_secret,
                    allowed_updates=dp.resolve_used_update_types(),
                    max_connections=WEBHOOK_MAX_CONNECTIONS,
                )
                if await _until(stopping, server):
                    logger.info("SIGTERM: stopping the web server")
            finally:
                await server.stop()
        finally:
            await bot.session.close()
            if shared is not None:
                await shared.close()


class _Shared:
    """What several web instances share through Redis: the ledger of handled updates and the
    relay of Garmin codes to the instance holding the sign-in."""

    def __init__(self, redis: Any, prefix: str) -> None:
        from bot.web.telegram_webhook import RedisLedger
        from core.gateways.garmin.pending import RedisMfaRelay

        self.redis = redis
        self.ledger = RedisLedger(redis, prefix=prefix)
        self.relay = RedisMfaRelay(redis, prefix=prefix)

    async def close(self) -> None:
        await self.relay.close()
        await self.ledger.close()
        await self.redis.aclose()


async def _share_across_instances(container: Container) -> _Shared | None:
    """With REDIS_URL: update_ids and Garmin codes go through Redis; without, one process."""
    settings = container.settings
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    shared = _Shared(Redis.from_url(settings.redis_url), settings.redis_prefix)
    container.services.garmin_link.use_relay(shared.relay)
    return shared


@contextlib.contextmanager
def _on_sigterm() -> Iterator[asyncio.Event]:
    """An event set on SIGTERM: platforms stop a process with it, and Python's default is to
    die at once, without the app's shutdown that lets running updates finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        yield stop
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _until(stopping: asyncio.Event, server: AppServer) -> bool:
    """Wait for SIGTERM (True) or for the server to stop by itself (False)."""
    signalled = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({signalled, server.task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        signalled.cancel()
    return stopping.is_set()


async def run_worker(container: Container) -> None:
    """The scheduler, on the one worker holding its lock, and a push sender on every worker
    (they claim pushes row by row); stops cleanly on SIGTERM."""
    from bot.delivery.notifier import make_notifier

    bot = make_bot(container.settings)
    notifier = make_notifier(container, bot)
    scheduler = _make_scheduler(container, bot, notifier)
    if scheduler is None:
        logger.warning("no scheduled jobs in this build; this worker only sends pushes")
    with _on_sigterm() as stopping:
        sender: asyncio.Task[None] | None = None
        metrics = contextlib.AsyncExitStack()
        try:
            await metrics.enter_async_context(_worker_metrics(container))
            if scheduler is not None:
                await scheduler.start()
            sender = asyncio.create_task(notifier.run(stopping))
            signalled = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({sender, signalled}, return_when=asyncio.FIRST_COMPLETED)
            signalled.cancel()
            if stopping.is_set():
                logger.info("SIGTERM: stopping the worker")
        finally:
            if sender is not None:  # sends on the wire finish and are marked, claims go back
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)
            if scheduler is not None:
                await scheduler.stop()
            await notifier.close()
            await bot.session.close()
            await metrics.aclose()


def _worker_metrics(container: Container) -> contextlib.AbstractAsyncContextManager[int | None]:
    """/metrics of this worker on METRICS_PORT (0: none)."""
    from bot.runtime.metrics import OutboxGauge, metrics_server

    settings = container.settings
    outbox = OutboxGauge(container.services.pushes)
    return metrics_server(outbox, port=settings.metrics_port, token=settings.metrics_token)


def _make_scheduler(container: Container, bot: Bot, notifier: Any = None) -> Any:
    try:
        from bot.runtime.jobs import Scheduler
    except ModuleNotFoundError:
        return None
    return Scheduler(container, bot, notifier=notifier)


def make_web_app(
    container: Container, dp: Dispatcher, bot: Bot, *, telegram: bool = True
) -> FastAPI:
    from bot.web.app import create_app

    return create_app(container, dp, bot, telegram=telegram)


class AppServer(uvicorn.Server):
    """uvicorn serving our app inside the running event loop. The caller owns the signals:
    `stop()` is the one way to end it, and it drains the app (see bot.web.app)."""

    def __init__(self, app: FastAPI, *, host: str = "0.0.0.0", port: int) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                lifespan="on",
                access_log=False,
                proxy_headers=False,  # bot.web.deps.client_ip reads X-Forwarded-For itself
                server_header=False,
                log_config=None,  # ours, from logging_setup
                log_level="warning",
                ws="none",
                timeout_graceful_shutdown=REQUESTS_GRACE_S,
            )
        )
        self.app = app
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.port = port

    @property
    def task(self) -> asyncio.Task[None]:
        assert self._task is not None, "start() first"
        return self._task

    async def start(self) -> None:
        """Listen on host:port (port 0: any free one, then `port` says which), serve."""
        config = self.config
        try:
            sock = _listen(config.host, config.port)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on port {config.port} ({exc.strerror}): set PORT to a free port."
            ) from None
        self.port = int(sock.getsockname()[1])
        self._task = asyncio.create_task(self.serve(sockets=[sock]))
        listening = asyncio.ensure_future(self._listening.wait())
        try:
            await asyncio.wait({listening, self._task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            listening.cancel()
        if self._task.done():
            await self._task  # its error
            raise ConfigError("The web app stopped while starting.")
        logger.info("listening on port %s", self.port)

    async def stop(self) -> None:
        """Stop listening, answer what waits, drain the running updates; idempotent."""
        if self._task is None:
            return
        self.should_exit = True
        await self._task

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        except SystemExit:  # uvicorn's way to say the app's startup failed (it logged why)
            raise ConfigError("The web app failed to start (see the log above).") from None
        self._listening.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from bot.web.app import begin_closing, drain

        begin_closing(self.app)  # updates waiting for a slot are answered before the drain
        # Updates are answered once handled: they get the drain's time to finish while the
        # server waits for their requests, and what is cancelled then is answered 503.
        draining = asyncio.ensure_future(drain(self.app))
        try:
            await super().shutdown(sockets=sockets)
        finally:
            await draining

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the process's modes handle SIGTERM and SIGINT themselves


def _listen(host: str, port: int) -> socket.socket:
    """A bound TCP socket. Made with IPPROTO_TCP, unlike socket.create_server's, since asyncio
    turns Nagle's algorithm off only on sockets that say so: without that, every answer waits
    ~40 ms for the client's delayed ACK."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock
