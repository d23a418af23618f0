"""The `ftscope` command line.

One module per command (or group of commands), each registering its sub-parser beside the
function that runs it. Building the parser imports every command module, so their tops import
only what is cheap; what one command needs (SQLAlchemy, Slack, uvicorn, the Anthropic SDK) it
imports when it runs, so `ftscope decide` never starts the bot and no command pays for an SDK
it doesn't call.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import chat, db, decide, digest, doctor, prices, serve
from bot.cli import eval as evaluate
from bot.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from bot.cli.eval import EVAL_FLOORS

__all__ = ["EVAL_FLOORS", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "build_parser", "main"]

# In the order `ftscope --help` lists them.
COMMANDS = (decide, prices, digest, db, doctor, serve, chat, evaluate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftscope",
        description="Should this client fine-tune a model, or keep prompting a frontier model?",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `ftscope` alone asks what it can do: not a mistake
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except ValueError as exc:
        # Bad input (knowledge.InputError) or settings (ConfigError) name each problem; matched
        # by that, not by class, so that building the parser doesn't import the engine.
        problems = getattr(exc, "problems", None)
        if isinstance(problems, list):
            for problem in problems:
                print(problem, file=sys.stderr)
        else:  # e.g. a rendered message beyond Slack's limits
            print(f"cannot render: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `ftscope ... | head` is fine
        return 0
    except KeyboardInterrupt:  # Ctrl-C ends the command, not with a traceback
        print(file=sys.stderr)  # the shell's prompt starts on a line of its own, after ^C
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
