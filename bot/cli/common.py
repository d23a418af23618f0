"""What the commands share: their exit codes, the store and the digest job."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from bot.settings import ConfigError, database_url_setting, get_settings

if TYPE_CHECKING:
    from bot.storage import Store
    from bot.weekly import DigestJob

EXIT_FAILED = 1  # the command ran, and something it checked failed (a source, a floor)
EXIT_BAD_INPUT = 2  # bad input or settings: one line per problem, nothing done
EXIT_INTERRUPTED = 130  # Ctrl-C: what a shell reports for a command SIGINT ended (128 + 2)

# What `add_subparsers()` returns: each command module's `register` adds its parser to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
# What runs a command: its parsed arguments in, its exit code out (`bot.cli.main` calls it).
Handler: TypeAlias = Callable[[argparse.Namespace], int]


def add_command(
    commands: Commands,
    name: str,
    handler: Handler,
    summary: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """The parser of the command `name`, run by `handler`, for its module to add its arguments
    to: `summary` is its line in the list of commands, `description` the top of its `--help`."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.set_defaults(handler=handler)
    return parser


def open_store() -> Store:
    """The store of DATABASE_URL, its schema current (bot/store_setup.py: no bot, no Alembic
    unless the schema has to change), for a command that reads nothing else of the settings."""
    from bot.store_setup import open_database  # noqa: PLC0415 - SQLAlchemy

    return open_database(database_url_setting())


def digest_job(for_posting: bool) -> DigestJob:
    """The price refresh and digest as the settings configure them; posting needs Slack."""
    from bot.store_setup import digest_job as configured_job  # noqa: PLC0415 - SQLAlchemy
    from bot.store_setup import open_store as open_configured  # noqa: PLC0415

    settings = get_settings()
    client = None
    if for_posting:
        problems = []
        if settings.slack_bot_token is None:
            problems.append("SLACK_BOT_TOKEN is not set: the digest is posted as the bot")
        if not settings.digest_channel:
            problems.append("FTSCOPE_DIGEST_CHANNEL is not set: the channel to post the digest in")
        if problems:
            raise ConfigError(problems)
        assert settings.slack_bot_token is not None
        from bot.slack_poster import make_web_client  # noqa: PLC0415 - slack_sdk only to post

        client = make_web_client(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_url
        )
    return configured_job(settings, open_configured(settings), client)
