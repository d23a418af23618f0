"""The `ftscope` command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.settings import ConfigError
from knowledge import (
    InputError,
    PriceSheet,
    decide,
    facts_from,
    load_assumptions,
    load_price_sheet,
)
from knowledge.documents import parse_document, read_document

if TYPE_CHECKING:
    from bot.weekly import WeeklyJob

EXIT_BAD_INPUT = 2


def _read_facts(source: str, stdin: TextIO) -> object:
    if source == "-":
        return parse_document(stdin.read(), "stdin")
    return read_document(Path(source))


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_decide(args: argparse.Namespace) -> int:
    problems: list[str] = []
    loaded = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("facts", lambda: facts_from(_read_facts(args.facts, sys.stdin))),
        ("prices", lambda: _sheet_in_use(args.prices)),
        ("assumptions", lambda: load_assumptions(args.assumptions)),
    ]
    for name, step in steps:  # report every broken input at once, not just the first
        try:
            loaded[name] = step()
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    decision = decide(
        loaded["facts"],  # type: ignore[arg-type]
        loaded["prices"],  # type: ignore[arg-type]
        loaded["assumptions"],  # type: ignore[arg-type]
        today=args.today,
    )
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


def _sheet_in_use(path: Path | None) -> PriceSheet:
    """A given file, else the newest refreshed sheet in the database, else the shipped one."""
    if path is not None:
        return load_price_sheet(path)
    from bot.settings import get_settings  # noqa: PLC0415

    url = get_settings().database_url
    # The common case (no refresh ever ran here) must not pay for importing SQLAlchemy.
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return load_price_sheet()
    from bot.prices import stored_sheet  # noqa: PLC0415

    return stored_sheet(url) or load_price_sheet()


def cmd_prices_show(args: argparse.Namespace) -> int:
    from bot import render  # noqa: PLC0415 - see cmd_decide

    print(render.price_sheet_text(_sheet_in_use(args.prices)), end="")
    return 0


def _weekly_job(for_posting: bool) -> WeeklyJob:
    from bot.runtime import open_store, weekly_job  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415
    from bot.slack import make_web_client  # noqa: PLC0415

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
        client = make_web_client(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_url
        )
    return weekly_job(settings, open_store(settings), client)


def cmd_prices_refresh(args: argparse.Namespace) -> int:
    from bot.prices import refresh_prices  # noqa: PLC0415

    job = _weekly_job(for_posting=False)
    refresh = refresh_prices(
        job.store,
        args.source or job.sources,
        max_factor=args.max_factor or job.max_factor,
    )
    for outcome in refresh.merged.outcomes:
        if outcome.applied:
            print(f"ok      {outcome.name}: {outcome.models} models, {outcome.serving} serving")
        else:
            print(f"FAILED  {outcome.name}: {outcome.problem}")
    changes = refresh.merged.changes
    from bot import render  # noqa: PLC0415

    if changes:
        print(f"\n{len(changes)} price change{'s' if len(changes) != 1 else ''}:")
        for change in changes:
            print(f"  {render.change_text(change)}")
    else:
        print("\nno price changed")
    version = refresh.version
    if version is not None:
        state = "stored as" if refresh.stored else "unchanged:"
        print(f"{state} version #{version.id} ({version.created_at:%Y-%m-%d %H:%M} UTC)")
    return 1 if refresh.merged.failed else 0


def cmd_prices_history(args: argparse.Namespace) -> int:
    job = _weekly_job(for_posting=False)
    versions = job.store.price_sheet_history(args.limit)
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


def cmd_digest(args: argparse.Namespace) -> int:
    import datetime as dt  # noqa: PLC0415

    from bot import render  # noqa: PLC0415

    now = dt.datetime.now(dt.UTC)
    if args.post:
        job = _weekly_job(for_posting=True)
        period = f"manual {now.isoformat(timespec='seconds')}"
        job.store.claim_digest(period, "ftscope digest --post")
        try:
            job(period, now)
        except Exception as exc:
            job.store.finish_digest(period, status="failed", error=str(exc))
            raise
        print(f"digest posted to {job.channel}")
        return 0
    job = _weekly_job(for_posting=False)
    print(render.digest_text(job.digest(now, job.latest_sources())), end="")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot import server  # noqa: PLC0415 - uvicorn and Bolt load only for serve
    from bot.logs import configure_logging  # noqa: PLC0415
    from bot.runtime import build_slack_runtime  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415

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


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.terminal import chat  # noqa: PLC0415

    return chat(sys.stdin, sys.stdout, database_url=args.database)


# Floors of the offline eval, set from measurement (README: Evaluating extraction).
EVAL_FLOORS = {"verdict_accuracy": 0.95, "precision": 0.97, "recall": 0.93}


def cmd_eval(args: argparse.Namespace) -> int:
    import logging  # noqa: PLC0415

    from bot import evals  # noqa: PLC0415
    from bot.extraction import Extractor  # noqa: PLC0415
    from bot.offline import OfflineExtractor  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415

    # Refused facts and outages are in the report; the log only needs real trouble.
    logging.basicConfig(level=logging.ERROR, format="ftscope: %(levelname)s %(message)s")
    cases = evals.load_suite(args.suite or [])
    floors = evals.Floors(args.min_verdict_accuracy, args.min_precision, args.min_recall)
    make: Callable[[], Extractor]
    if args.live:
        from bot.runtime import claude_extractor  # noqa: PLC0415

        settings = get_settings()
        if args.model:
            settings = settings.model_copy(update={"claude_model": args.model})
        claude = claude_extractor(settings)  # a ConfigError without a key
        report = evals.evaluate(
            cases,
            lambda: claude,
            floors,
            f"live, {settings.claude_model}",
            conversation_options={"cross_check": True},
            jobs=args.jobs,
        )
    else:
        if args.model:
            raise ConfigError(["--model needs --live: the offline extractor has no model"])
        make = OfflineExtractor
        report = evals.evaluate(cases, make, floors, "offline", jobs=args.jobs)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(evals.report_text(report), end="")
    return 1 if report.below_floors else 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.migrate import current_revision, head_revision, upgrade  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415
    from bot.storage import make_engine  # noqa: PLC0415

    engine = make_engine(get_settings().database_url)
    try:
        before = current_revision(engine)
        upgrade(engine, args.revision)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"database schema already at {after} (head {head_revision()})")
    else:
        print(f"database schema upgraded: {before or 'empty'} → {after}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import report, run_checks  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415

    checks = run_checks(get_settings())
    print(report(checks))
    return 1 if any(c.status == "fail" for c in checks) else 0


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
        "--assumptions",
        type=Path,
        help="assumptions laid over the shipped ones (a file may name only the keys it changes)",
    )
    decide_cmd.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="decide as on this date (retired models are judged on it); default: the system date",
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
    refresh = prices_sub.add_parser(
        "refresh",
        help="read the price sources now and store a new version if a price changed",
        description="Read every price source (FTSCOPE_PRICE_SOURCES, or --source), keep the "
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
    refresh.set_defaults(handler=cmd_prices_refresh)
    history = prices_sub.add_parser("history", help="the stored price sheet versions")
    history.add_argument("--limit", type=int, default=20)
    history.set_defaults(handler=cmd_prices_history)

    digest = commands.add_parser(
        "digest",
        help="the weekly pricing digest: print it, or post it now",
        description="Build the pricing digest from the stored sheets and threads.",
    )
    mode = digest.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print it as text; change nothing")
    mode.add_argument(
        "--post", action="store_true", help="refresh prices and post it to FTSCOPE_DIGEST_CHANNEL"
    )
    digest.set_defaults(handler=cmd_digest)

    db = commands.add_parser("db", help="the database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser(
        "upgrade",
        help="create or upgrade the schema of DATABASE_URL (Alembic migrations)",
        description="Create or upgrade the database schema. Run it before starting a new "
        "version against PostgreSQL (Fly's release command); SQLite is upgraded at start.",
    )
    upgrade.add_argument("revision", nargs="?", default="head", help="default: the newest")
    upgrade.set_defaults(handler=cmd_db_upgrade)

    doctor = commands.add_parser(
        "doctor",
        help="check the configuration and say what to fix",
        description="Check the tokens (and that Slack accepts the bot token), the database and "
        "its schema, the price sheet's age, the Claude model and the weekly digest's settings. "
        "Exit 1 if something must be fixed before the bot can run.",
    )
    doctor.set_defaults(handler=cmd_doctor)

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
        description="Talk to the bot in a terminal, as in a Slack thread. With ANTHROPIC_API_KEY "
        "Claude reads your messages; without it, the offline reader (patterns and keywords).",
    )
    chat_cmd.add_argument(
        "--database",
        default="sqlite://",
        help="where to keep the conversation (default: in memory, gone on exit)",
    )
    chat_cmd.set_defaults(handler=cmd_chat)

    eval_cmd = commands.add_parser(
        "eval",
        help="measure fact extraction on the labeled conversations",
        description="Run labeled scoping conversations through the bot's conversation code and "
        "print per-field precision and recall, verdict accuracy and the conversations that "
        "differ. Offline by default; --live uses Claude (ANTHROPIC_API_KEY) and adds the token "
        "bill. Exit 1 below a floor, 2 for a broken suite or setting.",
    )
    eval_cmd.add_argument(
        "--suite",
        action="append",
        type=Path,
        metavar="PATH",
        help="a YAML file or folder of cases instead of the shipped suite (repeatable)",
    )
    eval_cmd.add_argument("--live", action="store_true", help="read with Claude, not offline")
    eval_cmd.add_argument(
        "--model", help="the Claude model for --live (default FTSCOPE_CLAUDE_MODEL)"
    )
    eval_cmd.add_argument("--json", action="store_true", help="print one JSON object")
    eval_cmd.add_argument(
        "--jobs", type=int, default=1, help="conversations run at once (default 1)"
    )
    for name, default in EVAL_FLOORS.items():
        eval_cmd.add_argument(
            f"--min-{name.replace('_', '-')}",
            type=float,
            default=default,
            metavar="SHARE",
            help=f"exit 1 below this {name.replace('_', ' ')} (default {default})",
        )
    eval_cmd.set_defaults(handler=cmd_eval)
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
