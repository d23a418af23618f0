"""`ftscope eval`: the labeled suite, its scoring, its report, the live path with Claude mocked."""

import json
import math
from pathlib import Path

import httpx
import pytest
import yaml

from bot import evals
from bot.cli import EVAL_FLOORS, main
from bot.offline import OfflineExtractor
from bot.settings import get_settings
from knowledge import (
    InputError,
    PriceSheet,
    Verdict,
    decide,
    facts_from,
    load_assumptions,
    load_price_sheet,
)
from tests.fakes import claude_api
from tests.fakes.acme import SCRIPT

API = "https://api.anthropic.test"

ACME_CASE = """\
name: acme
messages:
  - "Acme wants to fine-tune for support ticket routing, ~15M tickets/mo"
  - "we ran haiku 4.5, 91% vs their 93% bar. they have ~40k labeled. ~600 tokens in, 10 out,
    450 of it is the instructions"
facts:
  request: other
  task_type: classification
  monthly_calls: 15000000
  frontier_model: claude-haiku-4-5
  baseline_measured: true
  baseline_quality: 0.91
  target_quality: 0.93
  labeled_examples: 40000
  input_tokens: 600
  output_tokens: 10
  cached_prefix_tokens: 450
verdict: VERDICT
"""
# Labeled brand voice where the words ask for a knowledge base: the reader is right, the label is
# not, so this case must fail on request, and on the verdict it changes (rag, not prompt: the
# anti-patterns decide first whatever the rest of the rules say).
MISLABELED = """\
name: mislabeled
messages:
  - "Beta wants to train a model on their policy PDFs so it knows the answers, ~20M questions a
    month"
facts:
  request: brand_voice
  monthly_calls: 20000000
verdict: prompt
"""


def verdict_of(document: str, prices: PriceSheet | None = None) -> str:
    """What the rules decide for a case's facts (the shipped sheet unless told): these tests are
    about the eval, whatever the engine decides for Acme."""
    facts = facts_from(yaml.safe_load(document.replace("VERDICT", "need_info"))["facts"])
    sheet = prices or load_price_sheet()
    return decide(facts, sheet, load_assumptions()).verdict.value


ACME_VERDICT = verdict_of(ACME_CASE)
ACME = ACME_CASE.replace("VERDICT", ACME_VERDICT)


def suite(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text("---\n".join(documents), encoding="utf-8")
    return path


def offline_report(path: Path, floors: evals.Floors | None = None) -> evals.Report:
    cases = evals.load_suite([path])
    return evals.evaluate(
        cases, OfflineExtractor, floors or evals.Floors(0.9, 0.9, 0.85), "offline"
    )


# --- the shipped suite --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return evals.load_suite()


def test_every_shipped_label_is_the_verdict_its_facts_give(shipped):
    wrong = [
        case.name
        for case in shipped
        if decide(case.facts, case.prices, case.assumptions).verdict is not case.verdict
    ]
    assert wrong == []


def test_the_shipped_suite_covers_every_verdict_case_and_anti_pattern(shipped):
    assert len(shipped) >= 40
    decisions = [decide(c.facts, c.prices, c.assumptions) for c in shipped]
    assert {d.verdict for d in decisions} == set(Verdict)
    held = {case for d in decisions for case in d.cases}
    assert {"C1", "C2", "C3", "C4"} <= held
    requests = {c.facts.request for c in shipped}
    assert {"knowledge_base", "brand_voice", "improve_quality"} <= {r.value for r in requests if r}


def test_the_offline_reader_holds_the_ci_floors_on_the_shipped_suite(shipped):
    floors = evals.Floors(**EVAL_FLOORS)
    report = evals.evaluate(shipped, OfflineExtractor, floors, "offline")
    assert report.below_floors == [], evals.report_text(report)
    assert not any(r.error for r in report.results)


def test_the_offline_reader_holds_each_new_facts_floors_on_the_shipped_suite(shipped):
    """batch_ok, format_schema and other_baselines are stated in a few dozen conversations:
    their own floors catch a regression the averages hide (and verdicts don't enter into it)."""
    assert set(evals.FIELD_FLOORS) == {"batch_ok", "format_schema", "other_baselines"}
    report = evals.evaluate(shipped, OfflineExtractor, evals.Floors(0.0, 0.0, 0.0), "offline")
    assert report.below_floors == [], evals.report_text(report)
    scores = {f.name: f for f in report.fields}
    for name in evals.FIELD_FLOORS:
        assert scores[name].support >= 12, name  # positives, negatives and hard parts


def test_the_suite_labels_the_new_facts_both_ways(shipped):
    said = {
        name: {c.facts.known()[name] for c in shipped if name in c.facts.known()}
        for name in ("batch_ok", "format_schema")
    }
    assert said == {"batch_ok": {True, False}, "format_schema": {True, False}}
    models = {m for c in shipped for m in (c.facts.other_baselines or {})}
    assert {"claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"} <= models


# --- loading ------------------------------------------------------------------------------------


def test_every_problem_of_a_broken_suite_is_named_with_its_file_and_case(tmp_path):
    path = suite(
        tmp_path,
        ACME,
        ACME,  # the same name twice
        "name: bad\nmessages: []\nfacts: {monthly_calls: -5, colour: blue}\nverdict: maybe\n",
        "- just a list\n",
    )
    with pytest.raises(InputError) as caught:
        evals.load_suite([path])
    problems = "\n".join(caught.value.problems)
    assert f"{path} #2: name 'acme' is also used by {path} #1" in problems
    assert f"{path} #3: messages: a list of non-empty strings is required" in problems
    assert f"{path} #3: facts: monthly_calls" in problems
    assert f"{path} #3: facts: colour" in problems
    assert f"{path} #3: verdict: 'maybe' is not one of fine_tune" in problems
    assert f"{path} #4: a case is a mapping" in problems


def test_a_missing_path_and_an_empty_folder_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as caught:
        evals.load_suite([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert caught.value.problems == [
        f"{tmp_path / 'nope.yaml'}: no such file or folder",
        f"{tmp_path / 'empty'}: no .yaml files in this folder",
    ]


def test_a_case_can_name_its_own_price_sheet(tmp_path, prices):
    # Haiku 4.5 100× dearer and no cheaper model to measure first: the fine-tune pays back
    sheet = prices.model_dump(mode="json")
    haiku = {**sheet["models"]["claude-haiku-4-5"], "input_cost_per_token": 1e-4}
    dearer = {**haiku, "input_cost_per_token": 2e-4, "output_cost_per_token": 1e-3}
    dearer = {k: v for k, v in dearer.items() if "batches" not in k and "above" not in k}
    sheet["models"] = {"claude-haiku-4-5": haiku, "claude-haiku-5-5": dearer}
    (tmp_path / "dear.json").write_text(json.dumps(sheet), encoding="utf-8")
    dear_verdict = verdict_of(ACME_CASE, PriceSheet.model_validate(sheet))
    assert dear_verdict == "fine_tune" != ACME_VERDICT  # the sheet decides it
    dear = ACME.replace(f"verdict: {ACME_VERDICT}", f"verdict: {dear_verdict}")
    report = offline_report(suite(tmp_path, dear + "prices: dear.json\n"))
    assert report.verdict_accuracy == 1.0


# --- scoring and the report ---------------------------------------------------------------------


def test_precision_recall_and_verdict_accuracy_count_each_fact(tmp_path):
    report = offline_report(suite(tmp_path, ACME, MISLABELED))
    assert report.verdict_accuracy == 0.5
    fields = {f.name: f for f in report.fields}
    request = fields["request"]
    assert (request.support, request.true_positives, request.false_positives) == (2, 1, 1)
    assert request.precision == request.recall == 0.5
    assert fields["monthly_calls"].precision == fields["monthly_calls"].recall == 1.0
    # 13 labeled facts, 12 read right, one wrong value: a false positive and a false negative
    assert math.isclose(report.precision, 12 / 13) and math.isclose(report.recall, 12 / 13)
    (failed,) = report.failed
    assert failed.case.name == "mislabeled"
    assert failed.diff() == ["request: expected 'brand_voice', got 'knowledge_base'"]


BATCH_MISREAD = """\
name: batch-mislabeled
messages:
  - "Kiwi routes 8M chats a month, the customer is waiting in the widget for each answer"
facts:
  task_type: classification
  monthly_calls: 8000000
  batch_ok: true
verdict: need_info
"""


def test_a_new_fact_below_its_own_floor_fails_the_run(tmp_path):
    # labeled true where the words say someone waits: the reader's "false" misses it twice over
    report = offline_report(suite(tmp_path, ACME, BATCH_MISREAD), evals.Floors(0.0, 0.0, 0.0))
    assert report.below_floors == [
        "batch_ok precision 0.000 < floor 0.950",
        "batch_ok recall 0.000 < floor 0.850",
    ]
    assert report.to_json()["floors"]["fields"]["batch_ok"] == {"precision": 0.95, "recall": 0.85}
    assert "BELOW FLOORS: batch_ok precision 0.000 < floor 0.950" in evals.report_text(report)
    # a fact no case states or reads is not held
    held = offline_report(suite(tmp_path, ACME), evals.Floors(0.0, 0.0, 0.0))
    assert held.below_floors == []
    assert "precision/recall batch_ok ≥ 0.95/0.85" in evals.report_text(held)


def test_a_conversation_that_raises_fails_the_run_whatever_the_averages(tmp_path):
    class Broken(OfflineExtractor):
        def extract(self, request):
            if "Beta" in request.message:
                raise RuntimeError("boom")
            return super().extract(request)

    cases = evals.load_suite([suite(tmp_path, ACME, MISLABELED)])
    report = evals.evaluate(cases, Broken, evals.Floors(0.0, 0.0, 0.0), "offline")
    assert report.below_floors == ["1 conversation raised an error"]
    assert report.to_json()["passed"] is False
    assert "    error: RuntimeError: boom" in evals.report_text(report)


def test_the_text_report_shows_the_table_the_failures_and_the_floors(tmp_path):
    text = evals.report_text(offline_report(suite(tmp_path, ACME, MISLABELED)))
    assert f"{'request':<22} {2:>5} {'0.500':>9} {'0.500':>7}" in text
    assert "verdict accuracy: 0.500 (1/2)" in text
    assert "✗ mislabeled" in text and "verdict expected prompt, got rag" in text
    assert "    request: expected 'brand_voice', got 'knowledge_base'" in text
    assert "BELOW FLOORS: verdict accuracy 0.500 < floor 0.900" in text


def test_cli_exit_codes_and_json(tmp_path, capsys):
    good, bad = suite(tmp_path, ACME), tmp_path / "bad.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    assert main(["eval", "--suite", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict_accuracy"] == 1.0 and out["passed"] is True
    (case,) = out["per_case"]
    assert case["name"] == "acme" and case["verdict_ok"] is True
    assert case["expected"]["verdict"] == case["got"]["verdict"] == ACME_VERDICT
    assert case["got"]["facts"]["labeled_examples"] == 40_000
    assert out["token_bill"] is None  # offline: no Claude call

    assert main(["eval", "--suite", str(good), "--min-recall", "1.01"]) == 1
    assert "BELOW FLOORS: recall" in capsys.readouterr().out
    assert main(["eval", "--suite", str(bad)]) == 2
    assert "messages: a list of non-empty strings is required" in capsys.readouterr().err
    assert main(["eval", "--suite", str(good), "--model", "claude-sonnet-4-5"]) == 2
    assert "--model needs --live" in capsys.readouterr().err


# --- the live path, Claude mocked ---------------------------------------------------------------

# What an honest Claude says for each of ACME's messages (the conversation tests' script), and
# one sloppy number: the 91% baseline also given as a format failure rate. It is in the words,
# so provenance lets it through; the offline check places it elsewhere and flags it.
CLAUDE_SAYS = {
    "ticket routing": [("request", "other", "wants to fine-tune"), *SCRIPT["ticket routing"]],
    "we ran haiku": [*SCRIPT["we ran haiku"], ("format_failure_rate", "0.91", "91%")],
}


@pytest.fixture
def live_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", API)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def claude_reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    newest = body["messages"][-1]["content"][0]["text"]
    updates = [
        {"field": f, "value": v, "quote": q}
        for key, said in CLAUDE_SAYS.items()
        if key in newest
        for f, v, q in said
    ]
    first_turn = len(body["messages"]) == 1
    usage = {
        "input_tokens": 200,
        "cache_creation_input_tokens": 5000 if first_turn else 300,
        "cache_read_input_tokens": 0 if first_turn else 5000,
        "output_tokens": 100,
    }
    return claude_api.extraction(updates, model=f"{body['model']}-20251001", usage=usage)


def test_live_eval_reads_with_claude_and_adds_the_token_bill(
    httpx2_mock, live_env, tmp_path, capsys, prices
):
    route = httpx2_mock.post(f"{API}/v1/messages").mock(side_effect=claude_reply)
    path = suite(tmp_path, ACME)
    code = main(["eval", "--live", "--model", "claude-haiku-4-5", "--suite", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert route.call_count == 2  # one call per message
    assert json.loads(route.calls[0].request.content)["model"] == "claude-haiku-4-5"
    assert out["mode"] == "live, claude-haiku-4-5"
    bill = out["token_bill"]
    assert bill["calls"] == 2
    assert (bill["input_tokens"], bill["cache_creation_input_tokens"]) == (400, 5300)
    assert (bill["cache_read_input_tokens"], bill["output_tokens"]) == (5000, 200)
    haiku = prices.models["claude-haiku-4-5"]
    cost = (
        400 * haiku.input_cost_per_token
        + 5300 * haiku.cache_creation_input_token_cost
        + 5000 * haiku.cache_read_cost
        + 200 * haiku.output_cost_per_token
    )
    assert math.isclose(bill["cost_usd"], cost, rel_tol=1e-6)
    assert bill["cache_read_share"] == round(5000 / 10700, 4)
    # Claude's stray number is a wrong fact (precision), and the offline check flagged it
    assert out["flagged_numbers"] == 1
    (case,) = out["per_case"]
    assert case["diff"] == ["format_failure_rate: expected nothing, got 0.91"]
    # one stray fact among 12 is a precision of 11/12, below the default floor
    assert code == 1 and out["below_floors"] == ["precision 0.917 < floor 0.970"]


def test_live_eval_counts_a_claude_outage_as_a_failed_case(httpx2_mock, live_env, tmp_path, capsys):
    overloaded = httpx.Response(
        529, json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    )
    httpx2_mock.post(f"{API}/v1/messages").mock(return_value=overloaded)
    path = suite(tmp_path, ACME)
    assert main(["eval", "--live", "--suite", str(path)]) == 1
    text = capsys.readouterr().out
    assert f"verdict expected {ACME_VERDICT}, got need_info" in text
    assert "BELOW FLOORS" in text


def test_live_eval_without_a_key_says_what_to_set(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["eval", "--live", "--suite", str(suite(tmp_path, ACME))]) == 2
    finally:
        get_settings.cache_clear()
    assert "ANTHROPIC_API_KEY is not set" in capsys.readouterr().err
