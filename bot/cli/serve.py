"""`ftscope serve`: the Slack bot, over HTTP or Socket Mode."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import Commands, add_command
from bot.settings import get_settings


def register(commands: Commands) -> None:
    parser = add_command(
        commands,
        "serve",
        cmd_serve,
        "run the Slack bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)",
        "Run the Slack bot. HTTP mode serves Slack's events, commands and "
        "interactivity at /slack/events and a health check at /healthz; with SLACK_APP_TOKEN "
        "set it connects over Socket Mode instead.",
    )
    parser.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="interface to bind (default 0.0.0.0)")


def cmd_serve(args: argparse.Namespace) -> int:
    # uvicorn, Bolt, Claude and the database: the whole bot, for this command only
    from bot import server  # noqa: PLC0415
    from bot.logs import configure_logging  # noqa: PLC0415
    from bot.runtime import build_slack_runtime  # noqa: PLC0415

    settings = get_settings()
    socket_mode = settings.slack_app_token is not None
    configure_logging(json_lines=settings.log_format == "json")
    runtime = build_slack_runtime(settings, socket_mode=socket_mode)
    if settings.slack_app_token is not None:
        print("ftscope: Socket Mode (SLACK_APP_TOKEN is set)", file=sys.stderr)
        server.serve_socket_mode(runtime, settings.slack_app_token.get_secret_value())
    else:
        print(
            f"ftscope: HTTP mode on {args.host}:{args.port}, Slack requests at /slack/events",
            file=sys.stderr,
        )
        server.serve_http(runtime, args.host, args.port)
    return 0
