"""The one place that reads the environment.

`Settings` reads every variable (pydantic-settings, from the environment or a `.env` file).
Importing pydantic-settings costs ~50 ms of start-up, and `ftscope decide` must start fast and
needs two variables only: `decide_settings()` reads those two the way `Settings` does, without
it, and the `Settings` class is defined the first time something asks for it.

A database URL is normalised here and only here (`normalize_database_url`), so the rest of the
bot receives the URL SQLAlchemy needs and never rewrites one again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

DEFAULT_CLAUDE_MODEL = "claude-haiku-4-5"
DEFAULT_DATABASE_URL = "sqlite:///ftscope.db"
ENV_FILE = ".env"  # in the working folder
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The databases ftscope runs on, as SQLAlchemy names them once normalised: the drivers
# installed with it (psycopg 3, the sqlite3 module). Anything else is refused here, named: it
# would fail later, inside SQLAlchemy, with a traceback.
_DATABASES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})
_DATABASE_FORMS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB"
# USER:PASSWORD@ after the scheme, or anywhere in text that is not a URL at all; up to the last
# "@", so an unescaped "@" in a password is masked too (SQLAlchemy would cut it there)
_CREDENTIALS = re.compile(r"(?P<user>[^/:@]*):(?P<password>.*)@")


class ConfigError(ValueError):
    """The environment can't run this command; each problem says what to set."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_day(text: str) -> dt.date:
    """A date written YYYY-MM-DD, and only so ("20261206" or "6/12/2026" are refused)."""
    try:
        if _ISO_DAY.match(text.strip()):
            return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise ValueError("not a date (YYYY-MM-DD)")


def normalize_database_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3.

    Fly hands out `postgres://`, which SQLAlchemy doesn't know, and plain `postgresql://`
    means psycopg2, which isn't installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _credentials(url: str) -> tuple[str, str, re.Match[str] | None]:
    head, sep, rest = url.partition("://")
    if not sep:  # not a URL: a password may still be in it ("postgres//user:pw@host")
        head, rest = "", url
    return head + sep, rest, _CREDENTIALS.search(rest)


def database_password(url: str) -> str | None:
    """The password in a database URL, to keep it out of messages; also in a malformed one."""
    match = _credentials(url)[2]
    return (match["password"] or None) if match else None


def mask_password(url: str) -> str:
    """`url` with its password shown as ***, for messages (a malformed URL included)."""
    start, rest, match = _credentials(url)
    if match is None or not match["password"]:
        return url
    return f"{start}{rest[: match.start('password')]}***{rest[match.end('password') :]}"


def check_database_url(url: str) -> str:
    """`url` normalised, or a ValueError saying what is wrong with it (never its password)."""
    url = normalize_database_url(url)
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: use {_DATABASE_FORMS}")
    if scheme.lower() not in _DATABASES:
        raise ValueError(f"unsupported database {scheme!r}: use {_DATABASE_FORMS}")
    # SQLAlchemy parses the rest; every command that gets here opens the database with it.
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        make_url(url)
    except (ArgumentError, ValueError):  # a port that isn't a number, say
        raise ValueError(f"not a database URL: use {_DATABASE_FORMS}") from None
    return url


def checked_database_url(name: str, url: str) -> str:
    """A database URL given outside the environment (`--database`), checked as DATABASE_URL
    is: normalised, or a ConfigError naming `name`."""
    try:
        return check_database_url(url)
    except ValueError as exc:
        raise ConfigError([_problem(name, str(exc), mask_password(url))]) from None


@cache
def _settings_class() -> type[BaseSettings]:
    """The `Settings` class, defined on first use: pydantic-settings loads only then."""
    from pydantic import Field, SecretStr, field_validator  # noqa: PLC0415
    from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict  # noqa: PLC0415

    class Settings(BaseSettings):
        """Everything ftscope reads from its environment (or a `.env` file)."""

        model_config = SettingsConfigDict(
            env_file=ENV_FILE, env_ignore_empty=True, extra="ignore", populate_by_name=True
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
        # A turn Claude can't answer is read offline, with patterns (reduced mode); off: the
        # reply says Claude is unreachable and the next message reads it.
        offline_fallback: bool = Field(True, alias="FTSCOPE_OFFLINE_FALLBACK")
        database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL")
        price_sources: Annotated[list[str], NoDecode] = Field(
            default_factory=list, alias="FTSCOPE_PRICE_SOURCES"
        )
        price_max_factor: float = Field(5.0, gt=1, le=1000, alias="FTSCOPE_PRICE_MAX_FACTOR")
        digest_channel: str | None = Field(None, alias="FTSCOPE_DIGEST_CHANNEL")
        digest_cron: str = Field("0 9 * * mon", alias="FTSCOPE_DIGEST_CRON")
        timezone: str = Field("UTC", alias="FTSCOPE_TIMEZONE")
        # Turns worked on at once. A turn holds its worker while it waits on Claude (~2 s),
        # not the CPU (some 20 ms of it a turn), so the pool is sized for waiting: 64 answer a
        # burst of 50 `/ftscope` in one Claude call's time, and 40 turns a second at 1.5 s.
        workers: int = Field(64, ge=1, le=256, alias="FTSCOPE_WORKERS")
        # json: one JSON object a line (for Fly's log pipeline); text: for a person.
        log_format: Literal["json", "text"] = Field("json", alias="FTSCOPE_LOG_FORMAT")
        # The date every decision is made on (retired models are judged on it): tests pin it,
        # as `ftscope decide --today` does; unset, the system date of each decision.
        today: dt.date | None = Field(None, alias="FTSCOPE_TODAY")
        # The team's assumptions for the bot: a YAML/JSON file naming only the keys it changes
        # (build cost, ops, thresholds…); the shipped assumptions fill the rest.
        assumptions_file: Path | None = Field(None, alias="FTSCOPE_ASSUMPTIONS")

        @field_validator("price_sources", mode="before")
        @classmethod
        def _split_sources(cls, value: object) -> object:
            """A comma- or whitespace-separated list, as an environment variable can hold."""
            if isinstance(value, str):
                return [part for part in value.replace(",", " ").split() if part]
            return value

        @field_validator("database_url")
        @classmethod
        def _database_url(cls, value: str) -> str:
            """The one place DATABASE_URL is normalised (and refused if ftscope can't use it)."""
            return check_database_url(value)

        @field_validator("today", mode="before")
        @classmethod
        def _iso_day(cls, value: object) -> object:
            """YYYY-MM-DD only: pydantic alone would also take a number of seconds."""
            if value is None or isinstance(value, dt.date):
                return value
            if not isinstance(value, str):
                raise ValueError("not a date (YYYY-MM-DD)")
            return parse_day(value)

    Settings.__module__, Settings.__qualname__ = __name__, "Settings"
    return Settings


def __getattr__(name: str) -> Any:
    """`from bot.settings import Settings` (the class is defined on first use)."""
    if name == "Settings":
        return _settings_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _problem(name: str, message: str, value: object) -> str:
    return f"{name}: {message} (got {value!r})"


@cache
def get_settings() -> Any:
    """The `Settings`, or a ConfigError naming each variable that can't be read."""
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        return _settings_class()()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            value = error.get("input")
            if name == "DATABASE_URL" and isinstance(value, str):
                value = mask_password(value)
            problems.append(_problem(name, message, value))
        raise ConfigError(problems) from exc


@dataclass(frozen=True)
class DecideSettings:
    """What `ftscope decide` reads from its environment."""

    database_url: str
    today: dt.date | None


def _lookup(values: Mapping[str, str | None], name: str) -> str | None:
    """A variable as `Settings` finds it: any case; empty means unset."""
    value = values.get(name)
    if not value:
        folded = name.casefold()
        value = next((v for k, v in values.items() if k.casefold() == folded and v), None)
    return value or None


def _read(*names: str) -> dict[str, str | None]:
    """Variables as `Settings` finds them (the environment, then `.env`), without loading
    pydantic-settings."""
    found = {name: _lookup(os.environ, name) for name in names}
    if None in found.values() and Path(ENV_FILE).is_file():
        from dotenv import dotenv_values  # noqa: PLC0415 - what pydantic-settings reads it with

        dotenv = dotenv_values(ENV_FILE)
        found = {name: found[name] or _lookup(dotenv, name) for name in names}
    return found


def database_url_setting() -> str:
    """DATABASE_URL as `Settings` reads and checks it, and nothing else: for the commands that
    only read the database (`ftscope prices history`), which needn't load pydantic-settings
    (~65 ms of start-up) nor be stopped by a variable they don't use."""
    url = _read("DATABASE_URL")["DATABASE_URL"] or DEFAULT_DATABASE_URL
    return checked_database_url("DATABASE_URL", url)


def decide_settings() -> DecideSettings:
    """DATABASE_URL and FTSCOPE_TODAY as `Settings` reads them (the environment, then `.env`),
    without loading pydantic-settings, and without the rest: a bad value of a variable
    `decide` doesn't use can't stop it."""
    found = _read("DATABASE_URL", "FTSCOPE_TODAY")
    raw_today = found["FTSCOPE_TODAY"]
    try:
        today = parse_day(raw_today) if raw_today is not None else None
    except ValueError:
        problem = _problem("FTSCOPE_TODAY", "not a date (YYYY-MM-DD)", raw_today)
        raise ConfigError([problem]) from None
    # Normalised as `Settings` does, but not refused: `decide` works without the database.
    database_url = normalize_database_url(found["DATABASE_URL"] or DEFAULT_DATABASE_URL)
    return DecideSettings(database_url, today)
