"""Settings, read from the environment and an optional ``.env`` file."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.codes import DEFAULT_ROUNDS

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./skedjit.db"
TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"

# Hosting platforms hand out plain libpq URLs; the bot always talks to PostgreSQL through asyncpg.
_POSTGRES_SCHEMES = {
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg2",
    "postgresql+psycopg",
}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}


class ConfigError(Exception):
    """The configuration cannot work; the message is one line meant for the operator."""


# The languages bot/locales has a catalog for (bot/i18n.py names them), by their gettext codes.
LANGUAGE_CODES = ("en", "ru", "es", "pt_BR", "de", "fa")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    default_timezone: str = "UTC"
    # The language of groups that chose none, and of people whose Telegram language the bot lacks.
    default_language: str = "en"
    bcrypt_rounds: int = Field(default=DEFAULT_ROUNDS, ge=4, le=16)
    # Connections each bot process may hold open to PostgreSQL (up to twice this under a burst).
    database_pool_size: int = Field(default=5, ge=1, le=100)
    log_level: str = "INFO"
    # Webhook mode: Telegram posts updates to WEBHOOK_URL; the bot listens on PORT.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    listen: str = "0.0.0.0"
    # How often the bot looks for due reminders, and the least time between two edits of one card.
    reminder_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    card_edit_interval_seconds: float = Field(default=3.0, ge=0, le=60)
    # How often a process looks for card edits left by others (its own changes it edits at once), and
    # how long a process holds the cards it claimed before another may take them over.
    card_sync_poll_seconds: float = Field(default=5.0, gt=0, le=600)
    card_sync_lease_seconds: float = Field(default=30.0, ge=1, le=3600)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA timezone name such as Europe/Paris") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        for code in LANGUAGE_CODES:
            if value.strip().replace("-", "_").lower() == code.lower():
                return code
        raise ValueError(f"{value!r} is not one of the bot's languages: {', '.join(LANGUAGE_CODES)}")

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("telegram_api_base_url")
    @classmethod
    def _check_api_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    def require_token(self) -> str:
        """Return the bot token, or stop with a line that says how to get one."""
        token = self.telegram_bot_token.get_secret_value().strip() if self.telegram_bot_token else ""
        if not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather and put its token in .env"
            )
        return token

    def require_webhook(self) -> tuple[str, str]:
        """Return the webhook URL and secret, or stop with a line saying what is missing."""
        url = (self.webhook_url or "").strip()
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not url.startswith("https://"):
            raise ConfigError("Webhook mode needs WEBHOOK_URL, the public https:// address Telegram posts to")
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise ConfigError(
                "Webhook mode needs WEBHOOK_SECRET: 16-256 characters of A-Z, a-z, 0-9, _ and - "
                '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))")'
            )
        return url, secret

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def normalise_database_url(value: str) -> str:
    """Map the URL to an async driver, or raise ``ValueError`` saying what is wrong with it."""
    try:
        url = make_url(value.strip())
    except ArgumentError as exc:
        raise ValueError(f"cannot parse {value!r} as a database URL") from exc
    if url.drivername in _POSTGRES_SCHEMES:
        if not url.host and not url.query.get("host"):
            raise ValueError("a PostgreSQL URL needs a host, e.g. postgresql://user@localhost/skedjit")
        if not url.database:
            raise ValueError(
                "a PostgreSQL URL needs a database name, e.g. postgresql://user@localhost/skedjit"
            )
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername in _SQLITE_SCHEMES:
        url = url.set(drivername="sqlite+aiosqlite")
    else:
        raise ValueError(
            f"unsupported database {url.drivername!r}; use sqlite:///file.db or postgresql://..."
        )
    return url.render_as_string(hide_password=False)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one ``ConfigError`` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"Invalid configuration: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
