"""The update middlewares: each update counted by type and handler, timed, and its error
counted by class before the error handler answers it; the bearer check of /metrics."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import ErrorEvent, Message, Update

from bot.runtime import metrics as bot_metrics
from core import metrics
from tests.fakes import updates as u


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_updates_are_counted_by_handler_and_errors_by_class() -> None:
    router = Router()
    errors: list[str] = []

    @router.message(Command("boom"))
    async def explode(message: Message) -> None:
        raise RuntimeError("the chat text must not become a label")

    @router.message()
    async def anything(message: Message) -> None:
        return None

    async def on_error(event: ErrorEvent) -> None:
        errors.append(type(event.exception).__name__)

    dp = Dispatcher()
    bot_metrics.install(dp)
    dp.errors.register(on_error)
    dp.include_router(router)
    name = "test_update_metrics"
    before = {
        h: sample("trainbot_updates_total", type="message", handler=f"{name}.{h}")
        for h in ("explode", "anything")
    }
    failed = sample("trainbot_update_errors_total", type="message", error="RuntimeError")
    timed = sample("trainbot_update_seconds_count", type="message")
    bot = Bot(u.DEFAULT_TOKEN)
    try:
        for i, update in enumerate([u.command("boom"), u.text_message("hello"), {}]):
            if not update:  # an update no handler takes
                update = {"edited_message": u.text_message("edit")["message"]}
            await dp.feed_update(bot, Update.model_validate({"update_id": 50 + i, **update}))
    finally:
        await bot.session.close()
    assert errors == ["RuntimeError"]
    assert (
        sample("trainbot_update_errors_total", type="message", error="RuntimeError") == failed + 1
    )
    for h in ("explode", "anything"):
        assert sample("trainbot_updates_total", type="message", handler=f"{name}.{h}") == (
            before[h] + 1
        )
    assert sample("trainbot_updates_total", type="edited_message", handler="none") >= 1
    assert sample("trainbot_update_seconds_count", type="message") == timed + 2


def test_bearer_token_check() -> None:
    check: Any = bot_metrics.authorized
    assert check(None, None) and check("anything", "")
    assert check("Bearer s3cret", "s3cret") and check("bearer s3cret", "s3cret")
    assert not check(None, "s3cret") and not check("Bearer s3cre", "s3cret")
    assert not check("s3cret", "s3cret") and not check("Basic s3cret", "s3cret")
