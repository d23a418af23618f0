"""`ftscope prices show|refresh|history`: the price sheet in use, its sources and versions."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.common import EXIT_FAILED, Commands, add_command, digest_job, open_store
from bot.cli.decide import sheet_in_use
from bot.settings import decide_settings


def register(commands: Commands) -> None:
    parser = commands.add_parser("prices", help="the price sheet")
    actions = parser.add_subparsers(dest="prices_command", required=True, metavar="ACTION")
    register_show(actions)
    register_refresh(actions)
    register_history(actions)


def register_show(actions: Commands) -> None:
    show = add_command(actions, "show", cmd_prices_show, "the price sheet in use, as a table")
    show.add_argument("--prices", type=Path, help="a price sheet file instead of the shipped one")


def cmd_prices_show(args: argparse.Namespace) -> int:
    from bot import render  # noqa: PLC0415 - Jinja: only to print

    database_url = decide_settings().database_url if args.prices is None else None
    print(render.price_sheet_text(sheet_in_use(args.prices, database_url)), end="")
    return 0


def register_refresh(actions: Commands) -> None:
    refresh = add_command(
        actions,
        "refresh",
        cmd_prices_refresh,
        "read the price sources now and store a new version if a price changed",
        "Read every price source (FTSCOPE_PRICE_SOURCES, or --source), keep the "
        "bad ones out, and store the merged sheet if a price changed. Exit 1 if a source failed.",
    )
    refresh.add_argument(
        "--source",
        action="append",
        metavar="URL|PATH",
        help="a source to read instead of FTSCOPE_PRICE_SOURCES (repeatable)",
    )
    refresh.add_argument(
        "--max-factor",
        type=float,
        help="refuse a source whose price moved more than this factor (default "
        "FTSCOPE_PRICE_MAX_FACTOR, 5)",
    )


def cmd_prices_refresh(args: argparse.Namespace) -> int:
    from bot.prices import refresh_prices, refresh_report  # noqa: PLC0415 - HTTP and storage

    job = digest_job(for_posting=False)
    refresh = refresh_prices(
        job.store,
        args.source or job.sources,
        max_factor=args.max_factor or job.max_factor,
        log_failures=False,  # the report says each failure once
    )
    print(refresh_report(refresh), end="")
    return EXIT_FAILED if refresh.merged.failed else 0


def register_history(actions: Commands) -> None:
    history = add_command(actions, "history", cmd_prices_history, "the stored price sheet versions")
    history.add_argument("--limit", type=int, default=20)


def cmd_prices_history(args: argparse.Namespace) -> int:
    versions = open_store().price_sheets.history(args.limit)
    if not versions:
        print("no refresh yet: the shipped price sheet is in use")
        return 0
    for version in versions:
        sources = version.sources or []
        failed = [s["source"] for s in sources if not s.get("ok")]
        models = len(version.sheet.get("models", {}))
        serving = len(version.sheet.get("finetune_serving", []))
        line = (
            f"#{version.id}  {version.created_at:%Y-%m-%d %H:%M} UTC  as of "
            f"{version.sheet.get('as_of')}  {models} models, {serving} serving options"
        )
        if failed:
            line += f"  (skipped: {', '.join(failed)})"
        print(line)
    return 0
