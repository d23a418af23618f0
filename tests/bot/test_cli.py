"""`ftscope decide` and `ftscope prices show`, as a user runs them."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from slack_sdk.models.blocks import Block

from bot.cli import main

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ACME = ROOT / "examples" / "acme-ticket-routing.json"
FIXED = [
    "--prices",
    str(FIXTURES / "prices.yaml"),
    "--assumptions",
    str(FIXTURES / "assumptions.yaml"),
]


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
    ]
    assert list(result["math"]) == [
        "frontier_model",
        "frontier_cost_per_call",
        "finetune_option",
        "finetune_cost_per_call",
        "savings_per_call",
        "savings_pct",
        "monthly_savings",
        "monthly_ops",
        "build_cost",
        "breakeven_calls",
        "payback_months",
    ]
    assert result["verdict"] == "prompt"
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
    code, out, _ = run(capsys, "decide", str(ACME), *FIXED, "--format", "text")
    assert code == 0
    assert out.startswith("Verdict: Prompt the frontier model (fine-tuning doesn't pay back)")
    assert "❌ Q3 volume: payback 17.3 months > 12" in out


def test_decide_blocks_is_a_postable_message(capsys):
    code, out, _ = run(capsys, "decide", str(ACME), *FIXED, "--format", "blocks")
    message = json.loads(out)

    assert code == 0
    assert message["text"] == "Verdict: Prompt the frontier model (fine-tuning doesn't pay back)"
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
    assert err.startswith("frontier_model: 'claude-opus-9' is not in the price sheet (known: ")


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
    assert json.loads(done.stdout)["verdict"] == "prompt"

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
