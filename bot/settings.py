"""The one place that reads the environment."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_CLAUDE_MODEL = "claude-haiku-4-5"


class ConfigError(ValueError):
    """The environment can't run this command; each problem says what to set."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Everything ftscope reads from its environment (or a `.env` file)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(None, alias="ANTHROPIC_BASE_URL")
    claude_model: str = Field(DEFAULT_CLAUDE_MODEL, alias="FTSCOPE_CLAUDE_MODEL")
    claude_timeout_s: float = Field(25.0, gt=0, alias="FTSCOPE_CLAUDE_TIMEOUT_S")
    claude_max_retries: int = Field(1, ge=0, le=5, alias="FTSCOPE_CLAUDE_MAX_RETRIES")
    # A turn Claude can't answer is read offline, with patterns (reduced mode); off: the reply
    # says Claude is unreachable and the next message reads it.
    offline_fallback: bool = Field(True, alias="FTSCOPE_OFFLINE_FALLBACK")
    database_url: str = Field("sqlite:///ftscope.db", alias="DATABASE_URL")
    price_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="FTSCOPE_PRICE_SOURCES"
    )
    price_max_factor: float = Field(5.0, gt=1, le=1000, alias="FTSCOPE_PRICE_MAX_FACTOR")
    digest_channel: str | None = Field(None, alias="FTSCOPE_DIGEST_CHANNEL")
    digest_cron: str = Field("0 9 * * mon", alias="FTSCOPE_DIGEST_CRON")
    timezone: str = Field("UTC", alias="FTSCOPE_TIMEZONE")
    workers: int = Field(8, ge=1, le=256, alias="FTSCOPE_WORKERS")
    # json: one JSON object a line (for Fly's log pipeline); text: for a person at a terminal.
    log_format: Literal["json", "text"] = Field("json", alias="FTSCOPE_LOG_FORMAT")

    @field_validator("price_sources", mode="before")
    @classmethod
    def _split_sources(cls, value: object) -> object:
        """A comma- or whitespace-separated list, as an environment variable can hold."""
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value


@cache
def get_settings() -> Settings:
    """The settings, or a ConfigError naming each variable that can't be read."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            problems.append(f"{name}: {error['msg']} (got {error.get('input')!r})")
        raise ConfigError(problems) from exc
