"""Typed configuration, read once at start: real environment beats `.env` beats defaults.

The variable names are a public contract (README, `.env.example`); keep them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.api.case_ids import Entity
from bot.api.routes import REGION_HOSTS, ApiVersion, Region
from bot.database_url import checked_database_url

# Slack conversation ids: public channels C…, private G…, direct messages D… (names change; ids do not).
CONVERSATION_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
# A channel, public or private: where alert messages may go (never a DM).
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


# DATABASE_URL as the settings hold it: checked, and with the async driver named.
DatabaseUrl = Annotated[str, AfterValidator(checked_database_url)]
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///coralogix-bot.sqlite3"
# Stands in for an incident id when checking CORALOGIX_INCIDENT_URL.
_SAMPLE_ID = "3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a15"


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    SLACK_BOT_TOKEN: SecretStr
    SLACK_APP_TOKEN: SecretStr | None = None
    # Declared after SLACK_APP_TOKEN: its validator needs the mode, and runs even when it is unset.
    SLACK_SIGNING_SECRET: SecretStr | None = Field(default=None, validate_default=True)
    SLACK_API_URL: str = "https://slack.com/api/"
    CORALOGIX_API_KEY: SecretStr
    CORALOGIX_REGION: Region = Region.EU1
    CORALOGIX_API_URL: str | None = None
    CORALOGIX_API_VERSION: ApiVersion = ApiVersion.LTS
    CORALOGIX_INCIDENT_URL: str | None = None
    # What a UUID names: `incidents`, or `cases` (Coralogix Cases). A readable id (CASE-123) is always a case.
    CORALOGIX_ENTITY: Entity = Entity.INCIDENTS
    CORALOGIX_WEBHOOK_SECRET: SecretStr | None = None
    SLACK_ALERT_CHANNEL: str | None = None
    # Comma-separated in the environment; with SLACK_ALERT_CHANNEL, the only channels a notification may name.
    SLACK_ALERT_CHANNELS_ALLOWED: frozenset[str] = frozenset()
    # Who may act: the access policy file, teams besides the bot's own, and the bot's own app id.
    ACCESS_POLICY: Path | None = None
    SLACK_ALLOWED_TEAMS: frozenset[str] = frozenset()
    SLACK_APP_ID: str | None = Field(default=None, pattern=r"^A[A-Z0-9]{2,}$")
    RETENTION_DAYS: int = Field(default=90, ge=1, le=36500)
    # Audit records (who did what, `python -m bot audit`) older than this many days are pruned.
    AUDIT_RETENTION_DAYS: int = Field(default=400, ge=1, le=36500)
    # Seconds between reads of Coralogix for changes made elsewhere (0: off).
    RECONCILE_INTERVAL: int = Field(default=300, ge=0, le=86400)
    # Storm mode: more than this many new alerts in a channel within 60 s make one storm message (0: off);
    # it ends after this many seconds without a new alert.
    STORM_THRESHOLD: int = Field(default=10, ge=0, le=10000)
    STORM_QUIET: int = Field(default=300, ge=1, le=86400)
    # A storm message is updated at most this often (Slack allows about 50 updates a minute per workspace).
    STORM_UPDATE_SECONDS: float = Field(default=5.0, ge=0.5, le=300)
    # How long a job stays with a process that stopped renewing it (crashed) before another takes it.
    JOB_LEASE_SECONDS: int = Field(default=30, ge=2, le=60)
    # At SIGTERM, work in flight may finish for this long before it is handed to another process.
    SHUTDOWN_GRACE_SECONDS: int = Field(default=20, ge=0, le=120)
    # How fast the bot writes to Slack (a little under Slack's limits): posts per channel, after a burst,
    # and message updates per workspace (two thirds of them for updates nobody waits for).
    SLACK_POSTS_PER_SECOND: float = Field(default=1.0, gt=0, le=1000)
    SLACK_POST_BURST: int = Field(default=3, ge=1, le=1000)
    SLACK_UPDATES_PER_MINUTE: float = Field(default=45, gt=0, le=60000)
    DATABASE_URL: DatabaseUrl = DEFAULT_DATABASE_URL
    PORT: int = Field(default=3000, ge=1, le=65535)
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    LOG_FORMAT: Literal["text", "json"] = "text"
    METRICS_TOKEN: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read only what `load_settings` merged, so tests never depend on the process environment."""
        return (init_settings,)

    @field_validator("CORALOGIX_REGION", "CORALOGIX_API_VERSION", "LOG_LEVEL", "LOG_FORMAT", mode="before")
    @classmethod
    def _normalise_case(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.strip().lower() if value.strip().lower() in {"lts", "text", "json"} else value.strip().upper()

    @field_validator("CORALOGIX_ENTITY", mode="before")
    @classmethod
    def _entity(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb- (OAuth & Permissions page)")
        return value

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (Basic Information page)")
        return value

    @field_validator("SLACK_API_URL")
    @classmethod
    def _slack_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("CORALOGIX_API_URL")
    @classmethod
    def _coralogix_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise ValueError("must be scheme://host[:port] with no path, e.g. https://api.eu2.coralogix.com")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials: the key goes in CORALOGIX_API_KEY")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("SLACK_SIGNING_SECRET")
    @classmethod
    def _signing_secret_in_http_mode(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # A field validator, not a model one, so it is reported together with every other problem.
        # SLACK_APP_TOKEN absent from `info.data` means it was set but invalid: that error suffices.
        if value is None and "SLACK_APP_TOKEN" in info.data and info.data["SLACK_APP_TOKEN"] is None:
            raise ValueError(
                "is required in HTTP mode (Basic Information → App Credentials); "
                "or set SLACK_APP_TOKEN to use Socket Mode"
            )
        return value

    @field_validator("CORALOGIX_WEBHOOK_SECRET", "METRICS_TOKEN")
    @classmethod
    def _secret_strength(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (e.g. the output of `openssl rand -hex 24`)")
        return value

    @field_validator("SLACK_ALERT_CHANNEL")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL_ID.match(value.strip()):
            raise ValueError(
                "must be a channel id like C0123ABCD or G0123ABCD (channel details → bottom), not a #name or a DM"
            )
        return value.strip() if value else value

    @field_validator("SLACK_ALLOWED_TEAMS", mode="before")
    @classmethod
    def _team_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if wrong := [i for i in ids if not re.match(r"^[TE][A-Z0-9]{2,}$", i)]:
            raise ValueError(f"must be team ids like T0123ABCD, separated by commas: {', '.join(wrong[:5])}")
        return frozenset(ids)

    @field_validator("ACCESS_POLICY")
    @classmethod
    def _policy_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"names no file: {value} (see access-policy.example.yml)")
        return value

    @field_validator("SLACK_ALERT_CHANNELS_ALLOWED", mode="before")
    @classmethod
    def _channel_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if wrong := [i for i in ids if not CHANNEL_ID.match(i)]:
            raise ValueError(
                f"must be channel ids like C0123ABCD, separated by commas (not #names or DMs): {', '.join(wrong[:5])}"
            )
        return frozenset(ids)

    @field_validator("CORALOGIX_INCIDENT_URL")
    @classmethod
    def _incident_url(cls, value: str | None) -> str | None:
        from bot.formatters.common import safe_url  # here: the formatters import the API client, which imports us

        if value is None:
            return None
        if "{id}" not in value or safe_url(value.replace("{id}", _SAMPLE_ID)) is None:
            raise ValueError(
                "must be an http(s) URL containing {id}, without spaces, <, > or |, "
                "e.g. https://myteam.coralogix.com/#/incidents/{id}"
            )
        return value

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.SLACK_APP_TOKEN is not None

    def incident_url(self, incident_id: str) -> str | None:
        """The web-UI link of an incident, when CORALOGIX_INCIDENT_URL says how to build one."""
        return self.CORALOGIX_INCIDENT_URL.replace("{id}", incident_id) if self.CORALOGIX_INCIDENT_URL else None

    @property
    def alert_channels(self) -> frozenset[str]:
        """Every channel a notification may name: SLACK_ALERT_CHANNEL and SLACK_ALERT_CHANNELS_ALLOWED."""
        default = {self.SLACK_ALERT_CHANNEL} if self.SLACK_ALERT_CHANNEL else set()
        return self.SLACK_ALERT_CHANNELS_ALLOWED | default

    @property
    def coralogix_host(self) -> str:
        """The API host: the explicit override, else the region's host."""
        return self.CORALOGIX_API_URL or REGION_HOSTS[self.CORALOGIX_REGION]


FIELD_NAMES = frozenset(Settings.model_fields)


def load_settings(environ: Mapping[str, str], env_file: Path | None = None) -> Settings:
    """Build settings from `environ` over the `.env` file's values over defaults.

    Empty strings count as unset, so `PORT=` in a `.env` falls back to the default.
    Raises `pydantic.ValidationError`; `describe_errors` turns it into one message.
    """
    return Settings(**_merged(environ, env_file, FIELD_NAMES))  # type: ignore[arg-type]  # validated by pydantic


class DatabaseSettings(BaseModel):
    """What a command that only reads the database needs (`python -m bot audit`): no Slack or Coralogix secret."""

    model_config = ConfigDict(frozen=True)

    DATABASE_URL: DatabaseUrl = DEFAULT_DATABASE_URL


def load_database_settings(environ: Mapping[str, str], env_file: Path | None = None) -> DatabaseSettings:
    """DATABASE_URL alone, read as `load_settings` reads it; raises `pydantic.ValidationError` likewise."""
    return DatabaseSettings(**_merged(environ, env_file, frozenset(DatabaseSettings.model_fields)))


def _merged(environ: Mapping[str, str], env_file: Path | None, names: frozenset[str]) -> dict[str, str]:
    """The variables `names` from `environ` over the `.env` file's values, empty ones left out."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if k in names and v})
    merged.update({k: v for k, v in environ.items() if k in names and v})
    return merged


def describe_errors(error: ValidationError, env_file: Path | None = None) -> str:
    """One message naming every configuration problem and where to fix it, never a value."""
    if env_file is None:
        where = "the environment"
    elif env_file.is_file():
        where = f"the environment or {env_file}"
    else:
        where = f"the environment, or in a .env file (none found in {env_file.parent}; copy .env.example there)"
    lines = [f"Configuration is not valid; fix these in {where} (see .env.example and README.md):"]
    for item in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but not set"
        lines.append(f"  - {name}: {message}")
    return "\n".join(lines)
