"""`ftscope decide` and `ftscope prices show`, as a user runs them."""

import io
import json
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from bot import cli
from bot.cli import main
from knowledge.decision import MATH_KEYS

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ACME = ROOT / "examples" / "acme-ticket-routing.json"
FIXED = [
    "--prices",
    str(FIXTURES / "prices.yaml"),
    "--assumptions",
    str(FIXTURES / "assumptions.yaml"),
    "--today",
    "2026-12-06",
]
# the day after claude-sonnet-4-5 retires in the fixture sheet (its deprecation date 2026-11-30)
SONNET_45 = {
    "task_type": "classification",
    "monthly_calls": 15_000_000,
    "input_tokens": 600,
    "output_tokens": 10,
    "frontier_model": "claude-sonnet-4-5",
}


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_decide_prints_the_spec_json(capsys):
    code, out, err = run(capsys, "decide", str(ACME), *FIXED)
    result = json.loads(out)

    assert code == 0
    assert err == ""
    assert list(result) == [
        "verdict",
        "cases",
        "gates",
        "missing",
        "math",
        "assumptions",
        "price_sheet",
        "reasons",
        "alternatives",
        "competitor",
        "measure_models",
        "thresholds",
        "warnings",
    ]
    # the engine's order is the contract (knowledge.decision.MATH_KEYS): the CLI keeps it
    assert list(result["math"]) == list(MATH_KEYS)
    # Haiku 5.5 is a tenth of Haiku 4.5's price and unmeasured: measure it first
    assert result["verdict"] == "measure_baseline"
    assert result["measure_models"] == ["claude-haiku-5-5"]
    assert result["price_sheet"] == {"as_of": "2026-11-20", "source": "test fixture"}


def test_decide_reads_stdin(capsys, monkeypatch):
    code, out, _ = run(
        capsys, "decide", "-", *FIXED, stdin=ACME.read_text(), monkeypatch=monkeypatch
    )
    assert code == 0
    assert json.loads(out)["cases"] == ["C1"]


def test_decide_reads_yaml_facts(capsys, monkeypatch):
    yaml_facts = "request: knowledge_base\ntask_type: chat\n"
    code, out, _ = run(capsys, "decide", *FIXED, stdin=yaml_facts, monkeypatch=monkeypatch)
    assert code == 0
    assert json.loads(out)["verdict"] == "rag"


def test_decide_text_is_readable(capsys):
    # the wording is bot/render's (tests/bot/test_render.py): here, that the CLI prints it
    code, out, err = run(capsys, "decide", str(ACME), *FIXED, "--format", "text")
    assert (code, err) == (0, "")
    assert out.endswith("\n") and "{" not in out
    assert "measure" in out.lower()


def test_decide_blocks_is_a_postable_message(capsys):
    code, out, _ = run(capsys, "decide", str(ACME), *FIXED, "--format", "blocks")
    message = json.loads(out)

    assert code == 0
    assert message["text"]
    assert [b.to_dict() for b in Block.parse_all(message["blocks"])] == message["blocks"]


def test_bad_facts_exit_2_with_one_line_per_problem(capsys, monkeypatch):
    facts = '{"monthly_calls": -5, "baseline_quality": 2}'
    code, out, err = run(capsys, "decide", *FIXED, stdin=facts, monkeypatch=monkeypatch)

    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "monthly_calls: must be ≥ 0, got -5",
        "baseline_quality: must be ≤ 1.0, got 2",
    ]


def test_every_bad_input_is_reported_together(capsys, tmp_path, monkeypatch):
    sheet = tmp_path / "prices.yaml"
    sheet.write_text((FIXTURES / "prices.yaml").read_text().replace("0.80", "-0.80"))
    code, _, err = run(
        capsys,
        "decide",
        "--prices",
        str(sheet),
        stdin='{"monthly_calls": -1}',
        monkeypatch=monkeypatch,
    )
    assert code == 2
    assert err.splitlines()[0] == "monthly_calls: must be ≥ 0, got -1"
    assert "finetune_serving[1].dedicated_gpu.gpu_hourly_usd: must be > 0.0, got -0.8" in err


def test_a_model_missing_from_the_sheet_is_refused(capsys, monkeypatch):
    facts = '{"frontier_model": "claude-opus-9", "task_type": "chat", "monthly_calls": 5}'
    code, _, err = run(capsys, "decide", *FIXED, stdin=facts, monkeypatch=monkeypatch)
    assert code == 2
    assert err.startswith("frontier_model: 'claude-opus-9' is not in the price sheet (current ")
    assert len(err.splitlines()) == 1


def test_missing_file_and_bad_json(capsys, monkeypatch, tmp_path):
    code, _, err = run(capsys, "decide", str(tmp_path / "nope.json"))
    assert (code, err.strip()) == (2, f"{tmp_path / 'nope.json'}: no such file")

    code, _, err = run(capsys, "decide", stdin="{oops", monkeypatch=monkeypatch)
    assert code == 2
    assert err.startswith("stdin: not valid JSON")


def test_prices_show_lists_models_serving_and_date(capsys):
    code, out, _ = run(capsys, "prices", "show", "--prices", str(FIXTURES / "prices.yaml"))
    assert code == 0
    assert out.startswith("Price sheet as of 2026-11-20\nSource: test fixture")
    assert "claude-sonnet-4-5" in out
    assert "retires 2026-11-30" in out
    assert "modal-l4-vllm-8b" in out


def test_shipped_sheet_shows(capsys):
    code, out, _ = run(capsys, "prices", "show")
    assert code == 0
    assert "claude-haiku-5-5" in out


def test_console_script_end_to_end():
    """The installed `ftscope` command: a newcomer's real process, exit codes and all."""
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent))
    assert ftscope, "the ftscope console script is not installed beside this Python"
    done = subprocess.run(
        [ftscope, "decide", str(ACME), *FIXED, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "measure_baseline"

    bad = subprocess.run(
        [ftscope, "decide", "-"],
        input='{"monthly_calls": -5}',
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr == "monthly_calls: must be ≥ 0, got -5\n"
    assert "Traceback" not in bad.stderr


# --- version 2: bad input all at once, the date, and no database needed ------------------------


def console(*argv, stdin=None, env=None, cwd=None, timeout=60):
    """The installed `ftscope` script, run as a user runs it (a clean working folder)."""
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent))
    assert ftscope, "the ftscope console script is not installed beside this Python"
    return subprocess.run(
        [ftscope, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_independent_problems_are_reported_together(tmp_path):
    facts = {
        "task_type": "classification",
        "monthly_calls": 1_000_000,
        "input_tokens": 300_000,
        "frontier_model": "claude-haiku-4-5",
        "other_baselines": {"claude-haiku-5-5": 0.9, "claude-nope-1": 0.8},
        "batch_ok": "yes",
    }
    done = console("decide", "-", *FIXED, stdin=json.dumps(facts), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "batch_ok: must be true or false, got 'yes'",
        "other_baselines: 'claude-nope-1' is not in the price sheet",
        "input_tokens: 300,000 is above claude-haiku-4-5's maximum input of 200,000 tokens",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"batch_ok": "yes"}, ["batch_ok: must be true or false, got 'yes'"]),
        (
            {"other_baselines": {"claude-nope-1": 0.8}},
            ["other_baselines: 'claude-nope-1' is not in the price sheet"],
        ),
        (
            {"input_tokens": 300_000, "frontier_model": "claude-haiku-4-5"},
            ["input_tokens: 300,000 is above claude-haiku-4-5's maximum input of 200,000 tokens"],
        ),
    ],
)
def test_each_bad_input_names_its_field(capsys, monkeypatch, change, expected):
    facts = json.dumps(dict(json.loads(ACME.read_text()), **change))
    code, out, err = run(capsys, "decide", *FIXED, stdin=facts, monkeypatch=monkeypatch)
    assert (code, out) == (2, "")
    assert err.splitlines() == expected


def test_a_problem_that_depends_on_another_is_not_guessed(capsys, monkeypatch):
    # the input limit is the frontier model's: an unknown model has none to check against
    facts = {"frontier_model": "claude-opus-9", "input_tokens": 300_000, "task_type": "chat"}
    code, _, err = run(capsys, "decide", *FIXED, stdin=json.dumps(facts), monkeypatch=monkeypatch)
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("frontier_model: 'claude-opus-9' is not in the price sheet")


def decided_on(capsys, monkeypatch, *argv):
    code, out, err = run(
        capsys, "decide", *FIXED[:4], *argv, stdin=json.dumps(SONNET_45), monkeypatch=monkeypatch
    )
    assert (code, err) == (0, ""), err
    result = json.loads(out)
    return result["math"]["frontier_model"], result["warnings"]


def test_today_decides_which_models_are_retired(capsys, monkeypatch):
    monkeypatch.delenv("FTSCOPE_TODAY", raising=False)
    model, warnings = decided_on(capsys, monkeypatch, "--today", "2026-11-30")
    assert model == "claude-sonnet-4-5"  # retires on the 30th: still sold that day
    assert not any("retired" in w for w in warnings)

    model, warnings = decided_on(capsys, monkeypatch, "--today", "2026-12-01")
    assert model == "claude-sonnet-5-5"  # its successor
    assert any("claude-sonnet-4-5 retired" in w for w in warnings)


def test_ftscope_today_is_the_default_and_today_wins(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("FTSCOPE_TODAY", "2026-12-01")
    assert decided_on(capsys, monkeypatch)[0] == "claude-sonnet-5-5"
    assert decided_on(capsys, monkeypatch, "--today", "2026-11-01")[0] == "claude-sonnet-4-5"


def test_a_bad_date_is_refused(capsys, monkeypatch, tmp_path):
    with pytest.raises(SystemExit) as exited:
        main(["decide", str(ACME), "--today", "6/12/2026"])
    assert exited.value.code == 2
    assert "argument --today: not a date (YYYY-MM-DD): '6/12/2026'" in capsys.readouterr().err

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FTSCOPE_TODAY", "2026-13-01")
    code, out, err = run(capsys, "decide", str(ACME), *FIXED[:4])
    assert (code, out) == (2, "")
    assert err == "FTSCOPE_TODAY: not a date (YYYY-MM-DD) (got '2026-13-01')\n"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody@127.0.0.1:1/x",  # nothing listens there
        "postgres://nobody:hunter2@127.0.0.1:1/x",  # Fly's scheme, with a password
        "bogus://somewhere/x",  # no such database kind
        "postgres//nobody:hunter2@host",  # not a URL at all
    ],
)
def test_decide_never_needs_the_database(tmp_path, url):
    started = time.monotonic()
    done = console("decide", str(ACME), env={"DATABASE_URL": url}, cwd=tmp_path)
    took = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"]
    (line,) = done.stderr.splitlines()
    assert line.startswith("ftscope: can't read the price sheet from DATABASE_URL (")
    assert line.endswith(")") and "using the shipped price sheet (as of " in line
    assert "hunter2" not in line and "Traceback" not in done.stderr
    assert took < 15  # a connect timeout of 2 s, the rest is start-up


def test_a_database_that_does_not_answer_is_abandoned(capsys, monkeypatch, tmp_path):
    database = tmp_path / "ftscope.db"
    database.write_bytes(b"")  # a file exists, so the database is asked

    def hangs(url):
        time.sleep(30)

    monkeypatch.setattr("bot.prices.stored_sheet", hangs)
    monkeypatch.setattr(cli.decide, "DATABASE_TIMEOUT_S", 0.3)  # the decide command's module
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    started = time.monotonic()
    code, out, err = run(capsys, "decide", str(ACME), "--today", "2026-12-06")
    assert time.monotonic() - started < 5
    assert code == 0 and json.loads(out)["verdict"]
    (line,) = err.splitlines()
    assert "(TimeoutError: no answer within 0.3 s): using the shipped price sheet" in line


def test_no_file_and_a_terminal_prints_the_usage(tmp_path):
    """`ftscope decide` typed alone must not sit waiting for stdin."""
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent))
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [ftscope, "decide"],
            stdin=follower,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            cwd=tmp_path,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: ftscope decide")
    assert "FILE|-" in done.stderr and "--today" in done.stderr


def loaded(tmp_path, argv, modules, env) -> subprocess.CompletedProcess[str]:
    """`ftscope ARGV` run in a Python of its own, as `main`: its stdout says the exit code and
    which of `modules` the command imported ("0 []": none)."""
    probe = (
        "import contextlib, io, sys\n"
        "from bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(sys.argv[1:])\n"
        f"print(code, sorted(m for m in {tuple(modules)!r} if m in sys.modules))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )


def test_decide_json_loads_no_database_settings_or_templates(tmp_path):
    """Start-up is most of `ftscope decide`'s time: the JSON path loads the engine only."""
    heavy = ("sqlalchemy", "pydantic_settings", "dotenv", "jinja2", "slack_sdk", "httpx2")
    env = {k: v for k, v in os.environ.items() if k.upper() != "DATABASE_URL"}
    done = loaded(tmp_path, ["decide", str(ACME)], heavy, env)
    assert done.stdout == "0 []\n", done.stderr


# What each command that reads the database must not import, its schema current: the bot and
# Alembic never; `prices history` none of the engine, templates, HTTP or pydantic-settings; and
# no command HTTP unless a price source is a URL (bot/prices.py imports it to fetch one).
NOT_LOADED = {
    "prices history": ("knowledge", "yaml", "jinja2", "pydantic_settings", "bot.prices"),
    "decide": ("jinja2", "pydantic_settings"),
    "digest --dry-run": (
        "apscheduler",
        "bot.scheduler",
        "bot.conversation",
        "matplotlib",
        "knowledge.reader",
    ),
}
NEVER_LOADED = ("httpx2", "alembic", "slack_sdk", "slack_bolt", "anthropic")


@pytest.mark.parametrize("command", list(NOT_LOADED))
def test_database_commands_load_only_what_they_use(tmp_path, command):
    argv = {"decide": ["decide", str(ACME)]}.get(command, command.split())
    env = {k: v for k, v in os.environ.items() if k.upper() != "DATABASE_URL"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'ftscope.db'}"
    env["FTSCOPE_PRICE_SOURCES"] = str(ROOT / "knowledge" / "prices.yaml")  # a file, not a URL
    unwanted = (*NEVER_LOADED, *NOT_LOADED[command])
    assert loaded(tmp_path, ["prices", "history"], (), env).returncode == 0  # creates the schema
    done = loaded(tmp_path, argv, unwanted, env)
    assert done.stdout == "0 []\n", done.stderr


def test_ctrl_c_ends_any_command_with_130_and_a_newline(capsys, monkeypatch):
    """`decide -` waiting on stdin stands for every command: KeyboardInterrupt is caught once,
    in main (tests/bot/test_console_script.py sends a real SIGINT to `ftscope chat`)."""

    class Interrupted(io.StringIO):
        def read(self, *args):
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdin", Interrupted())
    assert main(["decide", "-"]) == 130
    assert capsys.readouterr() == ("", "\n")


def test_decide_draws_the_breakeven_chart_slack_gets_with_the_verdict(capsys, tmp_path):
    png = tmp_path / "acme.png"
    code, out, err = run(capsys, "decide", str(ACME), *FIXED, "--chart", str(png))
    assert code == 0 and json.loads(out)["verdict"]
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert err.startswith(f"chart: {png} (") and "calls a month" in err


def test_decide_says_why_it_cannot_write_the_chart_and_draws_no_verdict(capsys, tmp_path):
    code, out, err = run(capsys, "decide", str(ACME), *FIXED, "--chart", str(tmp_path / "no/x.png"))
    assert code == 2 and out == ""
    assert "--chart: can't write" in err and "No such file or directory" in err
