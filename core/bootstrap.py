"""The composition root: Settings -> engine, gateways, services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import Clock, utcnow
from core.config import Settings
from core.db.engine import make_engine, make_sessionmaker
from core.db.uow import UnitOfWorkFactory
from core.gateways.cipher import Cipher, load_cipher
from core.services.accounts import AccountService
from core.services.admin import AdminService
from core.services.ai_usage import AIUsageService
from core.services.feature_gate import FeatureGate

logger = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything the bot, the web app and the worker use, built once."""

    settings: Settings
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    cipher: Cipher
    accounts: AccountService
    gate: FeatureGate
    ai_usage: AIUsageService
    admin: AdminService
    extras: dict[str, Any] = field(default_factory=dict)

    def services(self) -> dict[str, Any]:
        """The services by name, as handlers ask for them."""
        return {
            "settings": self.settings,
            "accounts": self.accounts,
            "gate": self.gate,
            "ai_usage": self.ai_usage,
            "admin": self.admin,
            **self.extras,
        }

    async def close(self) -> None:
        await self.engine.dispose()


def build(settings: Settings, *, clock: Clock = utcnow, **overrides: Any) -> Container:
    """Wire the product from settings; `overrides` replace gateways (tests, console)."""
    engine = make_engine(settings.database_url)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    cipher = overrides.pop("cipher", None) or load_cipher(
        settings.credentials_keys, app_env=settings.app_env, data_dir=settings.data_dir
    )
    return Container(
        settings=settings,
        engine=engine,
        uow=uow,
        cipher=cipher,
        accounts=AccountService(uow, clock=clock),
        gate=FeatureGate(uow, clock=clock),
        ai_usage=AIUsageService(uow, prices=settings.ai_prices, clock=clock),
        admin=AdminService(uow, clock=clock),
    )
