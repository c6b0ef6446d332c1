"""`trainbot web` with FakeGarmin behind the gateway, for tests that start real processes.

The settings come from the environment as for `trainbot web`; FAKE_GARMIN_ACCOUNT holds
"email:password:code" of one Garmin account that asks for a one-time code.
"""

from __future__ import annotations

import asyncio
import os

from bot.runtime.app import run_web
from bot.runtime.logging_setup import configure_logging
from core.bootstrap import build
from core.config import Settings, load_settings
from core.db import migrate
from tests.fakes.garmin import FakeGarmin


async def serve(settings: Settings) -> None:
    fake = FakeGarmin()
    account = os.environ.get("FAKE_GARMIN_ACCOUNT")
    if account:
        email, password, code = account.rsplit(":", 2)
        fake.add_account(email, password, mfa=True, code=code)
    container = build(settings, garmin=fake)
    try:
        await migrate.upgrade(container.engine)
        await run_web(container)
    finally:
        await container.close()


def main() -> None:
    settings = load_settings()
    configure_logging(settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
