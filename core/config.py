"""One Settings object, read from the environment and `.env`."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

# Placeholders that example files ship with; a production start refuses them.
_PLACEHOLDERS = {"", "changeme", "change-me", "xxx", "your-token-here", "secret", "todo"}

# US cents per one million tokens (input, output); override with AI_PRICES.
DEFAULT_AI_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (15.0, 60.0),
    "gpt-4o": (250.0, 1000.0),
    "gpt-4.1-mini": (40.0, 160.0),
    "gpt-4.1": (200.0, 800.0),
}

# US cents per minute of audio for models billed by duration (transcription); override with
# AI_MINUTE_PRICES. A model listed here is priced by the minute, not by its tokens.
DEFAULT_AI_MINUTE_PRICES: dict[str, float] = {
    "whisper-1": 0.6,
    "gpt-4o-transcribe": 0.6,
    "gpt-4o-mini-transcribe": 0.3,
}


class Settings(BaseSettings):
    """Every setting of the product; README.md lists them with their meaning."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_env: Literal["local", "production"] = "local"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Prometheus: the worker's own /metrics port (web and run serve /metrics on PORT), and the
    # bearer token every /metrics asks for when set. Off by default: 9100 is node_exporter's,
    # and two workers on one host need two ports.
    metrics_port: int = Field(0, ge=0, le=65535)
    metrics_token: str | None = None

    telegram_bot_token: str | None = None
    telegram_api_base: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./data/trainbot.db"
    redis_url: str | None = None
    # Put before every Redis key the bot writes: several bots (or test runs) on one Redis.
    redis_prefix: str = ""
    credentials_keys: str | None = None
    data_dir: str = "./data"

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_s: float = 60.0
    ai_prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: DEFAULT_AI_PRICES)
    ai_minute_prices: dict[str, float] = Field(default_factory=lambda: DEFAULT_AI_MINUTE_PRICES)
    # Voice notes to the coach: off until a transcription model is named.
    openai_transcribe_model: str | None = None
    voice_max_s: int = Field(180, ge=1)

    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_price_id: str | None = None
    past_due_grace_days: int = 3
    stars_price: int = 500

    webhook_url: str | None = None
    webhook_secret: str | None = None
    port: int = 8080
    # The web half: the app's public address (Mini App, sign-in links), the proxies whose
    # X-Forwarded-For is believed, and the API's sessions.
    public_url: str | None = None
    trusted_proxies: str = ""
    session_secret: str | None = None
    session_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    webapp_auth_max_age_s: int = Field(24 * 3600, ge=60)
    admin_chat_ids: str = ""

    push_rate_per_s: float = 25.0
    max_concurrent_syncs: int = 4
    garmin_logins_per_hour: int = Field(default=5, ge=1)
    garmin_login_backoff_minutes: int = Field(default=30, ge=1)
    fit_workers: int = Field(2, ge=1)
    fit_timeout_s: float = Field(120.0, gt=0)
    fit_max_sessions: int = Field(50, ge=1)
    default_summary_time: time = time(7, 0)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        known = ("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://", "postgres://")
        if not value.startswith(known):
            raise ValueError(
                "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        if value.startswith(("postgresql://", "postgres://")):
            # Heroku-style platforms hand out plain postgres:// URLs; we speak asyncpg.
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        return value

    @cached_property
    def admin_ids(self) -> frozenset[int]:
        """ADMIN_CHAT_IDS as a set of ints."""
        ids: set[int] = set()
        for part in self.admin_chat_ids.replace(" ", "").split(","):
            if part:
                try:
                    ids.add(int(part))
                except ValueError as exc:
                    raise ConfigError(f"ADMIN_CHAT_IDS has a non-numeric id: {part!r}") from exc
        return frozenset(ids)

    @property
    def app_url(self) -> str | None:
        """PUBLIC_URL, else WEBHOOK_URL: where browsers and Telegram reach the web app."""
        url = self.public_url or self.webhook_url
        return url.rstrip("/") if url else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_api_key and self.stripe_price_id)

    def missing_production_secrets(self) -> list[str]:
        """Names of the secrets production needs for the features that are configured."""
        needed: list[tuple[str, str | None]] = [
            ("TELEGRAM_BOT_TOKEN", self.telegram_bot_token),
            ("CREDENTIALS_KEYS", self.credentials_keys),
        ]
        if self.webhook_url:
            needed.append(("WEBHOOK_SECRET", self.webhook_secret))
        if self.app_url:
            needed.append(("SESSION_SECRET", self.session_secret))
        if self.stripe_api_key or self.stripe_price_id:
            needed += [
                ("STRIPE_API_KEY", self.stripe_api_key),
                ("STRIPE_PRICE_ID", self.stripe_price_id),
                ("STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret),
            ]
        return [name for name, value in needed if (value or "").strip().lower() in _PLACEHOLDERS]

    def check_for_start(self) -> None:
        """Refuse to start in production with a missing or placeholder secret."""
        _ = self.admin_ids
        if self.app_env == "production":
            missing = self.missing_production_secrets()
            if missing:
                raise ConfigError(
                    "Cannot start in production: missing or placeholder " + ", ".join(missing) + "."
                )


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation error into one clear sentence."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper()
            parts.append(f"{name}: {err['msg']}")
        raise ConfigError("Bad setting " + "; ".join(parts)) from exc
