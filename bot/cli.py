"""The `ftscope` command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from bot.settings import ConfigError, decide_settings, parse_day
from knowledge import (
    Assumptions,
    Facts,
    InputError,
    PriceSheet,
    decide,
    facts_from,
    load_assumptions,
    load_price_sheet,
)
from knowledge.documents import parse_document, read_document
from knowledge.market import check_models

if TYPE_CHECKING:
    from bot.weekly import DigestJob

T = TypeVar("T")

EXIT_BAD_INPUT = 2
# `decide` and `prices show` never wait longer than this for DATABASE_URL (connect included)
DATABASE_TIMEOUT_S = 2.0


def _read_facts(source: str, stdin: TextIO) -> object:
    if source == "-":
        return parse_document(stdin.read(), "stdin")
    return read_document(Path(source))


def _day(text: str) -> dt.date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}: {text!r}") from None


def _field_of(problem: str) -> str:
    """The fact a problem line names: "other_baselines.claude-x: ..." → "other_baselines"."""
    return problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]


def _model_problems(
    facts: Facts, prices: PriceSheet, assumptions: Assumptions, today: dt.date | None
) -> list[str]:
    """Every model a fact names must be known, and the input must fit the model."""
    try:
        check_models(facts, prices, assumptions, today or dt.date.today())
    except InputError as exc:
        return list(exc.problems)
    return []


def _valid_facts(data: object, problems: list[str]) -> Facts | None:
    """The facts without the fields that have problems, to check the rest against the sheet."""
    if not isinstance(data, dict):
        return None
    broken = {_field_of(p) for p in problems}
    try:
        return Facts.model_validate({k: v for k, v in data.items() if k not in broken})
    except ValueError:
        return None


def cmd_decide(args: argparse.Namespace) -> int:
    if args.facts is None and sys.stdin.isatty():  # nothing piped in: say how, don't wait
        print(args.usage(), end="", file=sys.stderr)
        return EXIT_BAD_INPUT
    problems: list[str] = []  # every broken input is reported at once, not just the first

    def attempt(step: Callable[[], T]) -> T | None:
        try:
            return step()
        except (InputError, ConfigError) as exc:
            problems.extend(exc.problems)
            return None

    env = None
    if args.prices is None or args.today is None:
        env = attempt(decide_settings)
    today = args.today or (env.today if env is not None else None)
    try:
        data: object = _read_facts(args.facts or "-", sys.stdin)
        facts = attempt(lambda: facts_from(data))
    except InputError as exc:  # no such file, not JSON or YAML
        problems.extend(exc.problems)
        data, facts = None, None
    database_url = env.database_url if env is not None else None
    prices = attempt(lambda: _sheet_in_use(args.prices, database_url))
    assumptions = attempt(lambda: load_assumptions(args.assumptions))
    if prices is not None and assumptions is not None:
        checked = facts if facts is not None else _valid_facts(data, problems)
        if checked is not None:
            problems.extend(_model_problems(checked, prices, assumptions, today))
    if problems or facts is None or prices is None or assumptions is None:
        raise InputError(problems)
    decision = decide(facts, prices, assumptions, today=today)
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


def _sheet_in_use(path: Path | None, database_url: str | None) -> PriceSheet:
    """A given file, else the newest refreshed sheet in the database, else the shipped one.

    The database is optional here: none, unreachable, unknown or slow (over
    DATABASE_TIMEOUT_S), the shipped sheet is used, and one line on stderr says why.
    """
    if path is not None:
        return load_price_sheet(path)
    url = database_url or "sqlite://"
    # The common case (no refresh ever ran here) must not pay for importing SQLAlchemy.
    if url == "sqlite://" or (
        url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    ):
        return load_price_sheet()
    try:
        stored = _stored_sheet(url, DATABASE_TIMEOUT_S)
    except Exception as exc:  # whatever it is, decide without the database
        shipped = load_price_sheet()
        print(
            f"ftscope: can't read the price sheet from DATABASE_URL ({_reason(exc, url)}): "
            f"using the shipped price sheet (as of {shipped.as_of})",
            file=sys.stderr,
        )
        return shipped
    return stored or load_price_sheet()


def _stored_sheet(url: str, timeout_s: float) -> PriceSheet | None:
    """`bot.prices.stored_sheet`, given `timeout_s` in all: PostgreSQL gets a connect
    timeout, and a lookup still running after it (a resolver that hangs) is abandoned."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    from bot.prices import stored_sheet  # noqa: PLC0415
    from bot.storage import normalize_database_url  # noqa: PLC0415

    target = make_url(normalize_database_url(url))
    if target.get_backend_name() == "postgresql" and "connect_timeout" not in target.query:
        # libpq's unit is whole seconds, and it treats anything below 2 as 2
        seconds = str(max(2, int(timeout_s)))
        target = target.update_query_dict({"connect_timeout": seconds})
    outcome: dict[str, Any] = {}

    def look() -> None:
        try:
            outcome["sheet"] = stored_sheet(target.render_as_string(hide_password=False))
        except Exception as exc:  # handed to the caller
            outcome["error"] = exc

    worker = threading.Thread(target=look, name="ftscope-stored-sheet", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("sheet")


def _reason(exc: BaseException, url: str) -> str:
    """A short, one-line reason that never shows the URL's password."""
    if isinstance(exc, InputError):
        text = exc.problems[0] if exc.problems else "invalid"
    else:
        original = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
        cause = original if isinstance(original, BaseException) else exc
        detail = str(cause).strip().splitlines()
        text = f"{type(cause).__name__}: {detail[0].strip()}" if detail else type(cause).__name__
    text = text.replace(url, "DATABASE_URL")
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    return text if len(text) <= 160 else text[:157] + "..."


def _password(url: str) -> str | None:
    """The password of a URL like scheme://user:password@host/..., without parsing it fully."""
    netloc = url.partition("://")[2].partition("/")[0]
    credentials = netloc.rpartition("@")[0]
    return credentials.partition(":")[2] or None


def cmd_prices_show(args: argparse.Namespace) -> int:
    from bot import render  # noqa: PLC0415 - see cmd_decide

    database_url = decide_settings().database_url if args.prices is None else None
    print(render.price_sheet_text(_sheet_in_use(args.prices, database_url)), end="")
    return 0


def _digest_job(for_posting: bool) -> DigestJob:
    from bot.runtime import digest_job, open_store  # noqa: PLC0415
    from bot.settings import get_settings  # noqa: PLC0415
    from bot.slack_poster import make_web_client  # noqa: PLC0415

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
    return digest_job(settings, open_store(settings), client)


def cmd_prices_refresh(args: argparse.Namespace) -> int:
    from bot.prices import refresh_prices  # noqa: PLC0415

    job = _digest_job(for_posting=False)
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
    job = _digest_job(for_posting=False)
    versions = job.store.price_sheets.history(args.limit)
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
        from bot.scheduler import PeriodRunner  # noqa: PLC0415

        job = _digest_job(for_posting=True)
        period = f"manual {now.isoformat(timespec='seconds')}"
        run = PeriodRunner(job.store, job, name="ftscope digest --post").run(period, now)
        if run.error is not None:
            raise run.error
        if not run.claimed:  # a period of its own: only a second `--post` in the same second
            raise RuntimeError(f"digest period {period} is already being posted")
        print(f"digest posted to {job.channel}")
        return 0
    job = _digest_job(for_posting=False)
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
EVAL_FLOORS = {"verdict_accuracy": 0.93, "precision": 0.97, "recall": 0.93}


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
    decide_cmd.add_argument(
        "facts",
        nargs="?",
        default=None,
        metavar="FILE|-",
        help="the facts, JSON or YAML; '-' (or nothing, with facts piped in): read stdin",
    )
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
        help="decide as on this date (retired models are judged on it); default: "
        "FTSCOPE_TODAY, else the system date",
    )
    decide_cmd.add_argument(
        "--format",
        choices=("json", "text", "blocks"),
        default="json",
        help="json: the decide JSON; text: a readable verdict; blocks: the Slack message",
    )
    decide_cmd.set_defaults(handler=cmd_decide, usage=decide_cmd.format_help)

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
