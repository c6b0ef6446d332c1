"""The composition root: Settings -> engine, gateways, services."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.accounts.admin import AdminService
from core.accounts.deletion import AccountDeletion
from core.accounts.service import AccountService
from core.accounts.session_tokens import SessionTokens
from core.accounts.sessions import SessionService
from core.billing.service import BillingService
from core.clock import Clock, utcnow
from core.coach.adaptive_day import AdaptiveDay
from core.coach.service import CoachService
from core.config import Settings
from core.db.engine import make_engine, make_read_engine, make_sessionmaker
from core.db.reader import make_reader
from core.db.uow import UnitOfWorkFactory
from core.garmin.calendar import GarminCalendar
from core.garmin.link import GarminLinkService
from core.garmin.status import GarminStatusService
from core.garmin.sync import GarminSyncService
from core.gateways.cipher import Cipher, load_cipher
from core.gateways.garmin.client import GarminConnectGateway, GarminGateway
from core.gateways.llm import LLM, OpenAILLM, build_llm
from core.gateways.payments import NotConfiguredPayments, Payments, StripePayments
from core.limits.ai_usage import AIUsageService
from core.limits.feature_gate import FeatureGate
from core.notify.daily_summary import DailySummaryService
from core.notify.outbox import PushService
from core.notify.weekly_report import WeeklyReportService
from core.training.bests import BestsService
from core.training.export import ExportService
from core.training.goals import GoalService
from core.training.imports import TrainingService
from core.training.queries import TrainingQueries
from core.training.reports import ReportService
from core.training.rpe import RpeService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """The product's services, built once; handlers ask for them by these field names."""

    settings: Settings
    accounts: AccountService
    gate: FeatureGate
    ai_usage: AIUsageService
    admin: AdminService
    training: TrainingService
    reports: ReportService
    goals: GoalService
    export: ExportService
    pushes: PushService
    garmin_link: GarminLinkService
    garmin_sync: GarminSyncService
    garmin_calendar: GarminCalendar
    daily_summary: DailySummaryService
    weekly_report: WeeklyReportService
    llm: LLM
    coach: CoachService
    payments: Payments
    billing: BillingService
    account_deletion: AccountDeletion
    web_sessions: SessionService
    training_queries: TrainingQueries
    garmin_status: GarminStatusService
    bests: BestsService
    rpe: RpeService

    def as_workflow_data(self) -> dict[str, Any]:
        """The services by name, for `Dispatcher(**services.as_workflow_data())`."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Container:
    """The infrastructure and the services the bot, the web app and the worker use."""

    settings: Settings
    engine: AsyncEngine
    read_engine: AsyncEngine | None
    uow: UnitOfWorkFactory
    cipher: Cipher
    services: Services
    # What build() opened itself, closed in reverse order; gateways passed in are not in it.
    _closing: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    async def close(self) -> None:
        await self._closing.aclose()


def make_payments(settings: Settings) -> StripePayments | NotConfiguredPayments:
    """Stripe when it is configured; otherwise payments answer that they are off."""
    if not settings.stripe_configured:
        return NotConfiguredPayments()
    return StripePayments(
        settings.stripe_api_key or "",
        settings.stripe_webhook_secret or "",
        settings.stripe_api_base,
    )


def build(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    cipher: Cipher | None = None,
    garmin: GarminGateway | None = None,
    llm: LLM | None = None,
    payments: Payments | None = None,
) -> Container:
    """Wire the product from settings; a gateway passed in (tests, console) replaces the real
    one and stays its caller's to close."""
    # garminconnect logs failed calls with Garmin's response text; that text can carry
    # account details, so only its critical messages reach our logs.
    logging.getLogger("garminconnect").setLevel(logging.CRITICAL)
    closing = AsyncExitStack()
    engine = make_engine(settings.database_url)
    closing.push_async_callback(engine.dispose)
    read_engine = make_read_engine(settings.database_url)
    if read_engine is not None:
        closing.push_async_callback(read_engine.dispose)
    reader = make_reader(settings.database_url, engine, read_engine)
    closing.push_async_callback(reader.dispose)
    uow = UnitOfWorkFactory(
        make_sessionmaker(engine),
        make_sessionmaker(read_engine) if read_engine else None,
        reader=reader,
    )
    cipher = cipher or load_cipher(
        settings.credentials_keys, app_env=settings.app_env, data_dir=settings.data_dir
    )
    services = _services(
        settings,
        uow,
        cipher,
        clock=clock,
        garmin=garmin or GarminConnectGateway(),
        llm=llm or _own_llm(settings, closing),
        payments=payments or _own_payments(settings, closing),
        closing=closing,
    )
    return Container(
        settings=settings,
        engine=engine,
        read_engine=read_engine,
        uow=uow,
        cipher=cipher,
        services=services,
        _closing=closing,
    )


def _own_llm(settings: Settings, closing: AsyncExitStack) -> LLM:
    llm = build_llm(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout_s=settings.openai_timeout_s,
        transcribe_model=settings.openai_transcribe_model,
    )
    if isinstance(llm, OpenAILLM):
        closing.push_async_callback(llm.aclose)
    return llm


def _own_payments(settings: Settings, closing: AsyncExitStack) -> Payments:
    payments = make_payments(settings)
    closing.push_async_callback(payments.aclose)
    return payments


def _services(
    settings: Settings,
    uow: UnitOfWorkFactory,
    cipher: Cipher,
    *,
    clock: Clock,
    garmin: GarminGateway,
    llm: LLM,
    payments: Payments,
    closing: AsyncExitStack,
) -> Services:
    gate = FeatureGate(uow, clock=clock)
    ai_usage = AIUsageService(
        uow, prices=settings.ai_prices, minute_prices=settings.ai_minute_prices, clock=clock
    )
    pushes = PushService(uow, clock)
    training = TrainingService(
        uow,
        clock=clock,
        workers=settings.fit_workers,
        timeout_s=settings.fit_timeout_s,
        max_sessions=settings.fit_max_sessions,
    )
    closing.push_async_callback(training.close)  # its decoding processes
    garmin_calendar = GarminCalendar(uow, garmin, cipher, clock=clock)
    # The morning decides each planned day and puts a changed session on the Garmin calendar.
    adaptive_day = AdaptiveDay(uow, clock=clock, calendar=garmin_calendar)
    return Services(
        settings=settings,
        accounts=AccountService(
            uow, clock=clock, default_summary_time=settings.default_summary_time
        ),
        gate=gate,
        ai_usage=ai_usage,
        admin=AdminService(uow, operator_ids=settings.admin_ids, clock=clock),
        training=training,
        reports=ReportService(uow, gate, clock=clock),
        goals=GoalService(uow, clock=clock),
        export=ExportService(uow, gate, clock=clock),
        pushes=pushes,
        garmin_link=GarminLinkService(
            uow,
            garmin,
            cipher,
            clock=clock,
            logins_per_hour=settings.garmin_logins_per_hour,
            login_backoff_minutes=settings.garmin_login_backoff_minutes,
        ),
        garmin_sync=GarminSyncService(uow, garmin, cipher, training, gate, pushes, clock=clock),
        garmin_calendar=garmin_calendar,
        daily_summary=DailySummaryService(uow, pushes, clock=clock, adaptive=adaptive_day),
        weekly_report=WeeklyReportService(uow, clock=clock),
        llm=llm,
        coach=CoachService(uow, llm, gate, ai_usage, clock, voice_max_s=settings.voice_max_s),
        payments=payments,
        billing=BillingService(uow, payments, settings, clock),
        account_deletion=AccountDeletion(uow, payments, clock, calendar=garmin_calendar),
        web_sessions=_web_sessions(settings, uow, clock),
        training_queries=TrainingQueries(uow, clock=clock),
        garmin_status=GarminStatusService(uow),
        bests=BestsService(uow, clock=clock),
        rpe=RpeService(uow),
    )


def _web_sessions(settings: Settings, uow: UnitOfWorkFactory, clock: Clock) -> SessionService:
    """The web app's sessions; the signing key is read (or made, locally) on first use."""
    return SessionService(
        uow,
        AccountService(uow, clock=clock, default_summary_time=settings.default_summary_time),
        SessionTokens(
            settings.session_secret, app_env=settings.app_env, data_dir=settings.data_dir
        ),
        bot_token=settings.telegram_bot_token,
        clock=clock,
        ttl=timedelta(seconds=settings.session_ttl_s),
        init_data_max_age=timedelta(seconds=settings.webapp_auth_max_age_s),
    )
