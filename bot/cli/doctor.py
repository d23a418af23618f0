"""`ftscope doctor`: is this deployment configured to work, and if not, what to fix."""

from __future__ import annotations

import argparse

from bot.cli.common import EXIT_FAILED, Commands, add_command
from bot.settings import get_settings


def register(commands: Commands) -> None:
    add_command(
        commands,
        "doctor",
        cmd_doctor,
        "check the configuration and say what to fix",
        "Check the tokens (and that Slack accepts the bot token), the database and "
        "its schema, the price sheet's age, the Claude model and the weekly digest's settings. "
        "Exit 1 if something must be fixed before the bot can run.",
    )


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import report, run_checks  # noqa: PLC0415 - Slack, SQLAlchemy, Alembic

    checks = run_checks(get_settings())
    print(report(checks))
    return EXIT_FAILED if any(c.status == "fail" for c in checks) else 0
