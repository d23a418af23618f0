"""`ftscope eval`: fact extraction measured on the labeled conversations."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_FAILED, Commands, add_command
from bot.settings import ConfigError, get_settings

if TYPE_CHECKING:
    from bot.extraction import Extractor

# Floors of the offline eval, set from measurement (README: Evaluating extraction).
EVAL_FLOORS = {"verdict_accuracy": 0.93, "precision": 0.97, "recall": 0.93}


def register(commands: Commands) -> None:
    parser = add_command(
        commands,
        "eval",
        cmd_eval,
        "measure fact extraction on the labeled conversations",
        "Run labeled scoping conversations through the bot's conversation code and "
        "print per-field precision and recall, verdict accuracy and the conversations that "
        "differ. Offline by default; --live uses Claude (ANTHROPIC_API_KEY) and adds the token "
        "bill. Exit 1 below a floor, 2 for a broken suite or setting.",
    )
    parser.add_argument(
        "--suite",
        action="append",
        type=Path,
        metavar="PATH",
        help="a YAML file or folder of cases instead of the shipped suite (repeatable)",
    )
    parser.add_argument("--live", action="store_true", help="read with Claude, not offline")
    parser.add_argument(
        "--model", help="the Claude model for --live (default FTSCOPE_CLAUDE_MODEL)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--jobs", type=int, default=1, help="conversations run at once (default 1)")
    for name, default in EVAL_FLOORS.items():
        parser.add_argument(
            f"--min-{name.replace('_', '-')}",
            type=float,
            default=default,
            metavar="SHARE",
            help=f"exit 1 below this {name.replace('_', ' ')} (default {default})",
        )


def cmd_eval(args: argparse.Namespace) -> int:
    import logging  # noqa: PLC0415 - not at the top: `ftscope --help` imports this module

    # the conversation and its storage; Claude only with --live
    from bot import evals  # noqa: PLC0415
    from bot.intent_eval import intent_eval  # noqa: PLC0415
    from bot.offline import OfflineExtractor  # noqa: PLC0415

    # Refused facts and outages are in the report; the log only needs real trouble.
    logging.basicConfig(level=logging.ERROR, format="ftscope: %(levelname)s %(message)s")
    cases = evals.load_suite(args.suite or [])
    floors = evals.Floors(args.min_verdict_accuracy, args.min_precision, args.min_recall)
    settings = get_settings()
    make: Callable[[], Extractor]
    if args.live:
        from bot.runtime import claude_extractor  # noqa: PLC0415

        if args.model:
            settings = settings.model_copy(update={"claude_model": args.model})
        claude = claude_extractor(settings)  # a ConfigError without a key
        report = evals.evaluate(
            cases,
            lambda: claude,
            floors,
            f"live, {settings.claude_model}",
            conversation_options={"cross_check": True, "today": settings.today},
            jobs=args.jobs,
        )
    else:
        if args.model:
            raise ConfigError(["--model needs --live: the offline extractor has no model"])
        make = OfflineExtractor
        report = evals.evaluate(
            cases,
            make,
            floors,
            "offline",
            conversation_options={"today": settings.today},
            jobs=args.jobs,
        )
    # The intent sets go with the shipped suite: a --suite run measures only what it names.
    intents, intents_below = ("", []) if args.suite else intent_eval()
    if args.json:
        data = report.to_json()
        if not args.suite:
            data["intents_below_floors"] = intents_below
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(evals.report_text(report), end="")
        if intents:
            print(f"\n{intents}")
        for line in intents_below:
            print(f"below the floor: {line}")
    return EXIT_FAILED if report.below_floors or intents_below else 0
