"""`ftscope decide`: facts in, verdict out, with no Slack, no Claude and no secrets.

This is the command that must start fast: the engine (pydantic) loads, and nothing else unless
asked for (templates for `--format text|blocks`, SQLAlchemy when DATABASE_URL names a
database that exists). The engine loads when a command needs it, not when the parser is built:
`ftscope --help` and the commands that only read the database don't pay for it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from bot.cli.common import EXIT_BAD_INPUT, Commands, add_command
from bot.settings import (
    ConfigError,
    check_database_url,
    database_password,
    decide_settings,
    parse_day,
)

if TYPE_CHECKING:
    from knowledge import Assumptions, Decision, Facts, PriceSheet

T = TypeVar("T")

# `decide` and `prices show` never wait longer than this for DATABASE_URL (connect included)
DATABASE_TIMEOUT_S = 2.0


def register(commands: Commands) -> None:
    parser = add_command(
        commands,
        "decide",
        cmd_decide,
        "facts JSON in, verdict out (no Slack, no Claude)",
        "Read workload facts (JSON or YAML, a file or '-' for stdin) and print the "
        "verdict of the playbook's rules and breakeven math.",
    )
    parser.add_argument(
        "facts",
        nargs="?",
        default=None,
        metavar="FILE|-",
        help="the facts, JSON or YAML; '-' (or nothing, with facts piped in): read stdin",
    )
    parser.add_argument("--prices", type=Path, help="price sheet to use instead of the shipped one")
    parser.add_argument(
        "--assumptions",
        type=Path,
        help="assumptions laid over the shipped ones (a file may name only the keys it changes)",
    )
    parser.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="decide as on this date (retired models are judged on it); default: "
        "FTSCOPE_TODAY, else the system date",
    )
    parser.add_argument(
        "--format",
        choices=("json", "text", "blocks"),
        default="json",
        help="json: the decide JSON; text: a readable verdict; blocks: the Slack message",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        metavar="PNG",
        help="also draw the breakeven chart to this PNG file (its alt text goes to stderr)",
    )
    parser.set_defaults(usage=parser.format_help)  # `ftscope decide` alone, at a terminal


def cmd_decide(args: argparse.Namespace) -> int:
    from knowledge import InputError, decide, facts_from, load_assumptions  # noqa: PLC0415

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
    prices = attempt(lambda: sheet_in_use(args.prices, database_url))
    assumptions = attempt(lambda: load_assumptions(args.assumptions))
    if prices is not None and assumptions is not None:
        checked = facts if facts is not None else _valid_facts(data, problems)
        if checked is not None:
            problems.extend(_model_problems(checked, prices, assumptions, today))
    if problems or facts is None or prices is None or assumptions is None:
        raise InputError(problems)
    decision = decide(facts, prices, assumptions, today=today)
    if args.chart is not None:
        _draw_chart(args.chart, decision, prices, assumptions)
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


def _draw_chart(
    path: Path, decision: Decision, prices: PriceSheet, assumptions: Assumptions
) -> None:
    """The chart Slack gets with this verdict; a verdict without math has none (said, not an
    error: the verdict is still printed)."""
    from bot.chart import breakeven_chart  # noqa: PLC0415 - matplotlib: only to draw
    from knowledge import InputError  # noqa: PLC0415

    chart = breakeven_chart(decision, prices, assumptions)
    if chart is None:
        print(
            f"no chart: this verdict ({decision.verdict.label}) rests on no cost math",
            file=sys.stderr,
        )
        return
    try:
        path.write_bytes(chart.png)
    except OSError as exc:
        raise InputError([f"--chart: can't write {path}: {exc.strerror or exc}"]) from exc
    print(f"chart: {path} ({len(chart.png):,} bytes). {chart.alt_text}", file=sys.stderr)


def _read_facts(source: str, stdin: TextIO) -> object:
    from knowledge.documents import parse_document, read_document  # noqa: PLC0415

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
    from knowledge import InputError  # noqa: PLC0415
    from knowledge.market import check_models  # noqa: PLC0415

    try:
        check_models(facts, prices, assumptions, today or dt.date.today())
    except InputError as exc:
        return list(exc.problems)
    return []


def _valid_facts(data: object, problems: list[str]) -> Facts | None:
    """The facts without the fields that have problems, to check the rest against the sheet."""
    from knowledge import Facts  # noqa: PLC0415

    if not isinstance(data, dict):
        return None
    broken = {_field_of(p) for p in problems}
    try:
        return Facts.model_validate({k: v for k, v in data.items() if k not in broken})
    except ValueError:
        return None


def sheet_in_use(path: Path | None, database_url: str | None) -> PriceSheet:
    """A given file, else the newest refreshed sheet in the database, else the shipped one.

    The database is optional here: none, unreachable, unknown or slow (over
    DATABASE_TIMEOUT_S), the shipped sheet is used, and one line on stderr says why.
    """
    from knowledge import load_price_sheet  # noqa: PLC0415

    if path is not None:
        return load_price_sheet(path)
    url = database_url or "sqlite://"
    # The common case (no refresh ever ran here) must not pay for importing SQLAlchemy.
    if url == "sqlite://" or (
        url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    ):
        return load_price_sheet()
    try:
        url = check_database_url(url)
    except ValueError as exc:  # it says what is wrong, without the password
        return _shipped_sheet(str(exc))
    try:
        stored = _stored_sheet(url, DATABASE_TIMEOUT_S)
    except Exception as exc:  # whatever it is, decide without the database
        return _shipped_sheet(_reason(exc, url))
    return stored or load_price_sheet()


def _shipped_sheet(reason: str) -> PriceSheet:
    from knowledge import load_price_sheet  # noqa: PLC0415

    shipped = load_price_sheet()
    print(
        f"ftscope: can't read the price sheet from DATABASE_URL ({reason}): "
        f"using the shipped price sheet (as of {shipped.as_of})",
        file=sys.stderr,
    )
    return shipped


def _stored_sheet(url: str, timeout_s: float) -> PriceSheet | None:
    """`bot.prices.stored_sheet`, given `timeout_s` in all: PostgreSQL gets a connect
    timeout, and a lookup still running after it (a resolver that hangs) is abandoned."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - only with a database to read

    from bot.prices import stored_sheet  # noqa: PLC0415

    target = make_url(url)
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
    from knowledge import InputError  # noqa: PLC0415

    if isinstance(exc, InputError):
        text = exc.problems[0] if exc.problems else "invalid"
    else:
        original = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
        cause = original if isinstance(original, BaseException) else exc
        detail = str(cause).strip().splitlines()
        text = f"{type(cause).__name__}: {detail[0].strip()}" if detail else type(cause).__name__
    text = text.replace(url, "DATABASE_URL")
    password = database_password(url)
    if password:
        text = text.replace(password, "***")
    return text if len(text) <= 160 else text[:157] + "..."
