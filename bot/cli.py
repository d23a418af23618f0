"""The `ftscope` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.settings import ConfigError
from knowledge import InputError, decide, facts_from, load_assumptions, load_price_sheet
from knowledge.documents import parse_document, read_document

EXIT_BAD_INPUT = 2


def _read_facts(source: str, stdin: TextIO) -> object:
    if source == "-":
        return parse_document(stdin.read(), "stdin")
    return read_document(Path(source))


def cmd_decide(args: argparse.Namespace) -> int:
    problems: list[str] = []
    loaded = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("facts", lambda: facts_from(_read_facts(args.facts, sys.stdin))),
        ("prices", lambda: load_price_sheet(args.prices)),
        ("assumptions", lambda: load_assumptions(args.assumptions)),
    ]
    for name, step in steps:  # report every broken input at once, not just the first
        try:
            loaded[name] = step()
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    decision = decide(loaded["facts"], loaded["prices"], loaded["assumptions"])  # type: ignore[arg-type]
    if args.format == "json":
        print(json.dumps(decision.to_json(), indent=2, ensure_ascii=False))
        return 0
    from bot import render  # noqa: PLC0415 - Jinja and slack_sdk cost ~90 ms of start-up

    if args.format == "text":
        print(render.verdict_text(decision), end="")
    else:
        message = {
            "text": render.verdict_fallback_text(decision),
            "blocks": render.verdict_blocks(decision),
        }
        print(json.dumps(message, indent=2, ensure_ascii=False))
    return 0


def cmd_prices_show(args: argparse.Namespace) -> int:
    from bot import render  # noqa: PLC0415 - see cmd_decide

    print(render.price_sheet_text(load_price_sheet(args.prices)), end="")
    return 0


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from bot import server  # noqa: PLC0415 - uvicorn and Bolt load only for serve
    from bot.runtime import build_slack_runtime  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415

    settings = get_settings()
    socket_mode = settings.slack_app_token is not None
    runtime = build_slack_runtime(settings, socket_mode=socket_mode)
    _configure_logging()
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


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.terminal import chat  # noqa: PLC0415

    return chat(sys.stdin, sys.stdout, database_url=args.database)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftscope",
        description="Should this client fine-tune a model, or keep prompting a frontier model?",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    decide_cmd = commands.add_parser(
        "decide",
        help="facts JSON in, verdict out (no Slack, no Claude)",
        description="Read workload facts (JSON or YAML, a file or '-' for stdin) and print the "
        "verdict of the playbook's rules and breakeven math.",
    )
    decide_cmd.add_argument("facts", nargs="?", default="-", metavar="FILE|-")
    decide_cmd.add_argument(
        "--prices", type=Path, help="price sheet to use instead of the shipped one"
    )
    decide_cmd.add_argument(
        "--assumptions", type=Path, help="assumptions to use instead of the shipped ones"
    )
    decide_cmd.add_argument(
        "--format",
        choices=("json", "text", "blocks"),
        default="json",
        help="json: the decide JSON; text: a readable verdict; blocks: the Slack message",
    )
    decide_cmd.set_defaults(handler=cmd_decide)

    prices_cmd = commands.add_parser("prices", help="the price sheet")
    prices_sub = prices_cmd.add_subparsers(dest="prices_command", required=True, metavar="ACTION")
    show = prices_sub.add_parser("show", help="the price sheet in use, as a table")
    show.add_argument("--prices", type=Path, help="a price sheet file instead of the shipped one")
    show.set_defaults(handler=cmd_prices_show)

    serve = commands.add_parser(
        "serve",
        help="run the Slack bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)",
        description="Run the Slack bot. HTTP mode serves Slack's events, commands and "
        "interactivity at /slack/events and a health check at /healthz; with SLACK_APP_TOKEN "
        "set it connects over Socket Mode instead.",
    )
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="interface to bind (default 0.0.0.0)")
    serve.set_defaults(handler=cmd_serve)

    chat_cmd = commands.add_parser(
        "chat",
        help="the scoping conversation in a terminal, without Slack",
        description="Talk to the bot in a terminal, as in a Slack thread. Needs ANTHROPIC_API_KEY.",
    )
    chat_cmd.add_argument(
        "--database",
        default="sqlite://",
        help="where to keep the conversation (default: in memory, gone on exit)",
    )
    chat_cmd.set_defaults(handler=cmd_chat)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (InputError, ConfigError) as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:  # e.g. a rendered message beyond Slack's limits
        print(f"cannot render: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `ftscope ... | head` is fine
        return 0


if __name__ == "__main__":
    sys.exit(main())
