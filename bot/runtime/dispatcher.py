"""Builds the Dispatcher: routers, the account middleware, services as workflow data."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from bot.handlers import errors
from bot.runtime import metrics
from bot.runtime.middlewares import AccountMiddleware, PrivateChatsOnly
from core.bootstrap import Container

logger = logging.getLogger(__name__)

# Order matters: dialogs and specific commands first, the coach's free text next to last,
# the fallback last.
HANDLER_MODULES = [
    "secret_guard",  # first: an owed Garmin password must reach no other handler
    "rpe",  # before the commands: any command ends the wait for an RPE note
    "start",
    "usage",
    "settings",
    "language",
    "account",
    "admin",
    "training",
    "bests",
    "goals",
    "garmin",
    "billing",
    "web",
    "voice",  # voice notes to the coach, before its free text and the fallback
    "coach",
    "fallback",
]


def handler_modules() -> list[ModuleType]:
    """The feature modules present in this build, in routing order."""
    modules = []
    for name in HANDLER_MODULES:
        try:
            modules.append(importlib.import_module(f"bot.handlers.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.handlers.{name}":
                raise
    return modules


def commands_handled() -> set[str]:
    return {c for m in handler_modules() for c in getattr(m, "COMMANDS", [])}


def make_storage(
    redis_url: str | None, prefix: str = ""
) -> tuple[BaseStorage, BaseEventIsolation | None]:
    """Memory by default; Redis (shared by every web instance) when REDIS_URL is set, its keys
    under REDIS_PREFIX."""
    if not redis_url:
        return MemoryStorage(), None
    from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage

    keys = DefaultKeyBuilder(prefix=f"{prefix}fsm")
    storage = RedisStorage.from_url(redis_url, key_builder=keys)
    return storage, RedisEventIsolation(redis=storage.redis, key_builder=keys)


def build_dispatcher(container: Container, **extra: Any) -> Dispatcher:
    """The whole bot, wired to the container's services."""
    storage, isolation = make_storage(container.settings.redis_url, container.settings.redis_prefix)
    services = container.services.as_workflow_data()
    dp = Dispatcher(storage=storage, events_isolation=isolation, **services, **extra)
    metrics.install(dp)  # first: its time and error counts cover the whole update
    dp.update.outer_middleware(PrivateChatsOnly())  # before any account is made for a chat
    dp.update.outer_middleware(AccountMiddleware(container.services.accounts))
    # On the dispatcher itself, not a router of its own: every update would walk one more.
    dp.errors.register(errors.on_error)
    for router in [m.router for m in handler_modules()]:
        _detach(router)
        dp.include_router(router)
    return dp


def _detach(router: Router) -> None:
    """Routers are module singletons; a second Dispatcher in one process (tests, benchmarks,
    the console next to polling) takes them over from the first."""
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
