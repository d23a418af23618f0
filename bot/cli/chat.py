"""`ftscope chat`: the scoping conversation in a terminal, without Slack."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import Commands, add_command
from bot.settings import checked_database_url


def register(commands: Commands) -> None:
    parser = add_command(
        commands,
        "chat",
        cmd_chat,
        "the scoping conversation in a terminal, without Slack",
        "Talk to the bot in a terminal, as in a Slack thread. With ANTHROPIC_API_KEY Claude reads "
        "your messages; without it, the offline reader (patterns and keywords).",
    )
    parser.add_argument(
        "--database",
        default="sqlite://",
        help="where to keep the conversation (default: in memory, gone on exit)",
    )


def cmd_chat(args: argparse.Namespace) -> int:
    database_url = checked_database_url("--database", args.database)
    from bot.terminal import chat  # noqa: PLC0415 - the conversation, storage, maybe Claude

    return chat(sys.stdin, sys.stdout, database_url=database_url)
