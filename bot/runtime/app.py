"""Process modes: run (polling + scheduler), web (webhook), worker (scheduler), console."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.runtime.commands import bot_commands
from bot.runtime.dispatcher import build_dispatcher, commands_handled
from bot.runtime.telegram import make_bot
from core.bootstrap import Container, build
from core.config import Settings
from core.db import migrate

logger = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
# Updates handled at once, by polling and by the webhook alike: a burst waits in Telegram's
# queue instead of piling up on the database pool (SQLite has one connection) until it times out.
UPDATE_CONCURRENCY = 64


async def prepare(settings: Settings) -> Container:
    """Build the services and bring the schema up to date."""
    container = build(settings)
    await migrate.upgrade(container.engine)
    return container


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands(bot_commands(commands_handled()))


async def start(settings: Settings, mode: str) -> None:
    """Entry point of `trainbot run|web|worker|console`."""
    if mode == "console" or (mode == "run" and not settings.telegram_bot_token):
        from bot.runtime.console import run_console

        if mode == "run":
            print(
                "No TELEGRAM_BOT_TOKEN set: opening the local console. To go live, put the token "
                "from @BotFather into .env as TELEGRAM_BOT_TOKEN=... and run `make run` again.\n"
            )
        await run_console(settings)
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
    """Long polling plus the scheduler (and the Stripe webhook if configured)."""
    bot = bot or make_bot(container.settings)
    dp = build_dispatcher(container, bot_username=None)
    runner = None
    scheduler = _make_scheduler(container, bot)
    try:
        me = await bot.get_me()
        dp["bot_username"] = me.username
        await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot)
        if container.settings.stripe_webhook_secret:
            runner = await _serve(make_web_app(container, dp, bot, telegram=False), container)
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
        if runner is not None:
            await runner.cleanup()
        await bot.session.close()


async def run_web(container: Container) -> None:
    """Webhook server; registers the webhook with its secret at start-up."""
    settings = container.settings
    if not settings.webhook_url:
        from core.errors import ConfigError

        raise ConfigError(
            "`trainbot web` needs WEBHOOK_URL (the public https address of this app)."
        )
    bot = make_bot(settings)
    dp = build_dispatcher(container, bot_username=None)
    me = await bot.get_me()
    dp["bot_username"] = me.username
    await set_commands(bot)
    await bot.set_webhook(
        url=settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
        secret_token=settings.webhook_secret,
        allowed_updates=dp.resolve_used_update_types(),
    )
    runner = await _serve(make_web_app(container, dp, bot), container)
    try:
        await _until_sigterm()
        logger.info("SIGTERM: stopping the web server")
    finally:
        await runner.cleanup()
        await bot.session.close()


async def _until_sigterm() -> None:
    """Return on SIGTERM: platforms stop a process with it, and Python's default is to die at
    once, without the web app's shutdown that lets running updates finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def run_worker(container: Container) -> None:
    """The scheduler alone."""
    bot = make_bot(container.settings)
    scheduler = _make_scheduler(container, bot)
    if scheduler is None:
        logger.warning("no scheduled jobs in this build; the worker has nothing to do")
        return
    try:
        await scheduler.start()
        await asyncio.Event().wait()
    finally:
        await scheduler.stop()
        await bot.session.close()


def _make_scheduler(container: Container, bot: Bot) -> Any:
    try:
        from bot.runtime.jobs import Scheduler
    except ModuleNotFoundError:
        return None
    return Scheduler(container, bot)


def make_web_app(
    container: Container, dp: Dispatcher, bot: Bot, *, telegram: bool = True
) -> web.Application:
    from bot.web.app import create_app

    return create_app(container, dp, bot, telegram=telegram)


async def _serve(app: web.Application, container: Container) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=container.settings.port)
    await site.start()
    logger.info("listening on port %s", container.settings.port)
    return runner
