"""The composition root: Settings -> engine, gateways, services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.accounts.admin import AdminService
from core.accounts.deletion import AccountDeletion
from core.accounts.service import AccountService
from core.billing.service import BillingService
from core.clock import Clock, utcnow
from core.coach.service import CoachService
from core.config import Settings
from core.db.engine import make_engine, make_read_engine, make_sessionmaker
from core.db.uow import UnitOfWorkFactory
from core.garmin.link import GarminLinkService
from core.garmin.sync import GarminSyncService
from core.gateways.cipher import Cipher, load_cipher
from core.gateways.garmin.client import GarminConnectGateway
from core.gateways.llm import build_llm
from core.gateways.payments import NotConfiguredPayments, Payments, StripePayments
from core.limits.ai_usage import AIUsageService
from core.limits.feature_gate import FeatureGate
from core.notify.daily_summary import DailySummaryService
from core.notify.outbox import PushService
from core.training.export import ExportService
from core.training.goals import GoalService
from core.training.imports import TrainingService
from core.training.reports import ReportService

logger = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything the bot, the web app and the worker use, built once."""

    settings: Settings
    engine: AsyncEngine
    read_engine: AsyncEngine | None
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
        training = self.extras.get("training")
        if training is not None:
            await training.close()
        for name in ("llm", "payments"):
            aclose = getattr(self.extras.get(name), "aclose", None)
            if aclose is not None:
                await aclose()
        if self.read_engine is not None:
            await self.read_engine.dispose()
        await self.engine.dispose()


def make_payments(settings: Settings) -> Payments:
    """Stripe when it is configured; otherwise payments answer that they are off."""
    if not settings.stripe_configured:
        return NotConfiguredPayments()
    return StripePayments(
        settings.stripe_api_key or "",
        settings.stripe_webhook_secret or "",
        settings.stripe_api_base,
    )


def build(settings: Settings, *, clock: Clock = utcnow, **overrides: Any) -> Container:
    """Wire the product from settings; `overrides` replace gateways (tests, console)."""
    # garminconnect logs failed calls with Garmin's response text; that text can carry
    # account details, so only its critical messages reach our logs.
    logging.getLogger("garminconnect").setLevel(logging.CRITICAL)
    engine = make_engine(settings.database_url)
    read_engine = make_read_engine(settings.database_url)
    uow = UnitOfWorkFactory(
        make_sessionmaker(engine), make_sessionmaker(read_engine) if read_engine else None
    )
    cipher = overrides.pop("cipher", None) or load_cipher(
        settings.credentials_keys, app_env=settings.app_env, data_dir=settings.data_dir
    )
    gate = FeatureGate(uow, clock=clock)
    ai_usage = AIUsageService(uow, prices=settings.ai_prices, clock=clock)
    garmin = overrides.pop("garmin", None) or GarminConnectGateway()
    llm = overrides.pop("llm", None) or build_llm(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout_s=settings.openai_timeout_s,
    )
    payments = overrides.pop("payments", None) or make_payments(settings)
    pushes = PushService(uow, clock)
    training = TrainingService(
        uow,
        clock=clock,
        workers=settings.fit_workers,
        timeout_s=settings.fit_timeout_s,
        max_sessions=settings.fit_max_sessions,
    )
    reports = ReportService(uow, gate, clock=clock)
    # The feature services, by the names handlers ask for them.
    extras: dict[str, Any] = {
        "training": training,
        "reports": reports,
        "goals": GoalService(uow, clock=clock),
        "export": ExportService(uow, gate, clock=clock),
        "pushes": pushes,
        "garmin_link": GarminLinkService(
            uow,
            garmin,
            cipher,
            clock=clock,
            logins_per_hour=settings.garmin_logins_per_hour,
            login_backoff_minutes=settings.garmin_login_backoff_minutes,
        ),
        "garmin_sync": GarminSyncService(uow, garmin, cipher, training, gate, pushes, clock=clock),
        "daily_summary": DailySummaryService(uow, pushes, clock=clock),
        "llm": llm,
        "coach": CoachService(uow, llm, gate, ai_usage, clock),
        "payments": payments,
        "billing": BillingService(uow, payments, settings, clock),
        "account_deletion": AccountDeletion(uow, payments, clock),
    }
    return Container(
        settings=settings,
        engine=engine,
        read_engine=read_engine,
        uow=uow,
        cipher=cipher,
        accounts=AccountService(
            uow, clock=clock, default_summary_time=settings.default_summary_time
        ),
        gate=gate,
        ai_usage=ai_usage,
        admin=AdminService(uow, clock=clock),
        extras=extras,
    )
