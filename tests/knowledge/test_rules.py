"""Every rule, gate and verdict of spec/decision.md, one row each."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from knowledge import Facts, InputError, decide

# A volume-case workload that clears every question (150M calls pays back in under a month).
READY = {
    "task_type": "classification",
    "monthly_calls": 150_000_000,
    "input_tokens": 600,
    "output_tokens": 10,
    "cached_prefix_tokens": 450,
    "baseline_measured": True,
    "baseline_quality": 0.91,
    "target_quality": 0.93,
    "labeled_examples": 40_000,
    # Haiku 5.5 measured below the baseline: no competitor, and nothing cheaper left to measure
    "other_baselines": {"claude-haiku-5-5": 0.85},
}
# spec/conversation.md's Acme thread: C1 holds, but payback is 17 months.
ACME = {**READY, "monthly_calls": 15_000_000}
SMALL = {**READY, "monthly_calls": 200_000}


@dataclass
class Row:
    id: str
    facts: dict[str, Any]
    verdict: str
    cases: list[str] = field(default_factory=list)
    gates: dict[str, str] | None = None
    missing: list[str] = field(default_factory=list)


def gates(q1: str = "not_reached", q2: str = "not_reached", q3: str = "not_reached"):
    return {"q1_baseline": q1, "q2_data": q2, "q3_volume": q3}


ROWS = [
    # -- anti-patterns, by request --------------------------------------------------------
    Row("knowledge base is RAG", {**READY, "request": "knowledge_base"}, "rag", ["C1"], gates()),
    Row("knowledge base with nothing else known", {"request": "knowledge_base"}, "rag"),
    Row("brand voice is prompting", {**READY, "request": "brand_voice"}, "prompt", ["C1"]),
    Row(
        "brand voice with C3 goes on to the questions",
        {**READY, "request": "brand_voice", "first_token_ms": 80},
        "fine_tune",
        ["C1", "C3"],
        gates("skipped", "pass", "pass"),
    ),
    Row(
        "brand voice with unknown latency counts C3 as false",
        {"request": "brand_voice"},
        "prompt",
    ),
    Row(
        "improve quality, baseline not measured",
        {"request": "improve_quality", "baseline_measured": False},
        "measure_baseline",
        gates=gates("fail"),
    ),
    Row(
        "improve quality, baseline unknown is not measured",
        {"request": "improve_quality"},
        "measure_baseline",
    ),
    Row(
        "improve quality, measured, goes on",
        {**READY, "request": "improve_quality"},
        "fine_tune",
        ["C1"],
        gates("pass", "pass", "pass"),
    ),
    # -- cases ----------------------------------------------------------------------------
    Row("C1 volume, all pass", READY, "fine_tune", ["C1"], gates("pass", "pass", "pass")),
    Row("C1 on extraction", {**READY, "task_type": "extraction"}, "fine_tune", ["C1"]),
    Row("C1 at exactly 10M", {**READY, "monthly_calls": 10_000_000}, "fine_tune", ["C1"]),
    Row("C1 not for generation", {**READY, "task_type": "generation"}, "prompt", []),
    Row("below 10M no case holds", {**READY, "monthly_calls": 9_999_999}, "prompt", [], gates()),
    Row(
        "C1 holds but a $100,000 build pays back in 13 months",
        {**ACME, "build_cost_usd": 100_000},
        "prompt",
        ["C1"],
        gates("pass", "pass", "fail"),
    ),
    Row(
        "C2 domain with a gap",
        {
            **SMALL,
            "task_type": "generation",
            "domain": "medical",
            "frontier_drift": True,
            "monthly_calls": 2_000_000,
            "input_tokens": 3000,
            "output_tokens": 500,
            "cached_prefix_tokens": 0,
        },
        "fine_tune",
        ["C2"],
        gates("pass", "pass", "pass"),
    ),
    Row(
        "C2 with no quality gap is prompting",
        {
            **SMALL,
            "domain": "legal",
            "frontier_drift": True,
            "baseline_quality": 0.95,
            "target_quality": 0.93,
        },
        "prompt",
        ["C2"],
        gates("fail"),
    ),
    Row(
        "C2 needs the qualities when only C2 holds",
        {
            **SMALL,
            "domain": "legal",
            "frontier_drift": True,
            "baseline_quality": None,
            "target_quality": None,
        },
        "need_info",
        ["C2"],
        gates("unknown"),
        ["baseline_quality", "target_quality"],
    ),
    Row("C2 general domain", {**SMALL, "domain": "general", "frontier_drift": True}, "prompt"),
    Row("C2 no drift", {**SMALL, "domain": "medical", "frontier_drift": False}, "prompt"),
    Row(
        "C2 unknown drift counts as false when not requested",
        {**SMALL, "domain": "medical"},
        "prompt",
    ),
    Row(
        "C2 unknown drift is asked when requested",
        {**SMALL, "domain": "medical", "request": "domain_vocabulary"},
        "need_info",
        missing=["frontier_drift"],
    ),
    Row(
        "C2 requested and general is settled",
        {**SMALL, "domain": "general", "request": "domain_vocabulary"},
        "prompt",
    ),
    Row(
        "C3 latency skips Q1 and does not gate Q3",
        {**SMALL, "first_token_ms": 80, "baseline_measured": None},
        "fine_tune",
        ["C3"],
        gates("skipped", "pass", "fail"),
    ),
    Row(
        "C3 on device",
        {**SMALL, "on_device": True, "baseline_measured": False},
        "fine_tune",
        ["C3"],
        gates("skipped", "pass", "skipped"),
    ),
    Row("C3 at exactly 100 ms", {**SMALL, "first_token_ms": 100}, "fine_tune", ["C3"]),
    Row("C3 at 101 ms does not hold", {**SMALL, "first_token_ms": 101}, "prompt", []),
    Row(
        "C3 still needs labeled data",
        {**SMALL, "first_token_ms": 50, "labeled_examples": 300},
        "build_dataset",
        ["C3"],
        gates("skipped", "fail"),
    ),
    Row(
        "C3 requested, latency unknown is asked",
        {**SMALL, "request": "latency"},
        "need_info",
        missing=["first_token_ms", "on_device"],
    ),
    Row(
        "C3 requested, loose latency and unknown device asks the device",
        {**SMALL, "request": "latency", "first_token_ms": 800},
        "need_info",
        missing=["on_device"],
    ),
    Row(
        "C4 format with a gap",
        {
            **READY,
            "task_type": "generation",
            "monthly_calls": 5_000_000,
            "strict_format": True,
            "input_tokens": 2000,
            "output_tokens": 300,
            "cached_prefix_tokens": 0,
        },
        "fine_tune",
        ["C4"],
        gates("pass", "pass", "pass"),
    ),
    Row(
        "C4 with no quality gap is prompting",
        {
            **READY,
            "task_type": "generation",
            "monthly_calls": 5_000_000,
            "strict_format": True,
            "baseline_quality": 0.99,
            "target_quality": 0.98,
        },
        "prompt",
        ["C4"],
        gates("fail"),
    ),
    Row(
        "C4 below 1M does not hold",
        {**SMALL, "task_type": "generation", "strict_format": True},
        "prompt",
        [],
    ),
    Row(
        "C4 requested below 1M is settled without asking",
        {**SMALL, "task_type": "generation", "request": "output_format"},
        "prompt",
    ),
    Row(
        "C4 requested, format unknown is asked",
        {
            **SMALL,
            "task_type": "generation",
            "request": "output_format",
            "monthly_calls": 5_000_000,
        },
        "need_info",
        missing=["strict_format"],
    ),
    Row(
        "C1 with C4: the gap is not required",
        {**READY, "strict_format": True, "baseline_quality": 0.99, "target_quality": 0.9},
        "fine_tune",
        ["C1", "C4"],
    ),
    # -- the three questions --------------------------------------------------------------
    Row(
        "Q1 fails: not measured",
        {**READY, "baseline_measured": False},
        "measure_baseline",
        ["C1"],
        gates("fail"),
    ),
    Row(
        "Q1 unknown asks with Q2 at once",
        {**READY, "baseline_measured": None, "labeled_examples": None},
        "need_info",
        ["C1"],
        gates("unknown"),
        ["baseline_measured", "labeled_examples"],
    ),
    Row(
        "Q2 fails: too few labels",
        {**READY, "labeled_examples": 999},
        "build_dataset",
        ["C1"],
        gates("pass", "fail"),
    ),
    Row("Q2 at exactly 1,000", {**READY, "labeled_examples": 1000}, "fine_tune", ["C1"]),
    Row(
        "Q2 unknown",
        {**READY, "labeled_examples": None},
        "need_info",
        ["C1"],
        gates("pass", "unknown"),
        ["labeled_examples"],
    ),
    Row(
        "Q3 fails when fine-tuning costs more than the frontier model",
        {**ACME, "frontier_model": "claude-haiku-5-5"},
        "prompt",
        ["C1"],
        gates("pass", "pass", "fail"),
    ),
    Row(
        "Q3 uses a given build cost",
        {**ACME, "build_cost_usd": 5000},
        "fine_tune",
        ["C1"],
        gates("pass", "pass", "pass"),
    ),
    Row(
        "Q3 uses given ops",
        {**ACME, "monthly_ops_usd": 0},
        "fine_tune",
        ["C1"],
        gates("pass", "pass", "pass"),
    ),
    # -- need_info lists every missing field at once ---------------------------------------
    Row(
        "nothing known",
        {},
        "need_info",
        missing=["task_type", "monthly_calls", "baseline_measured", "labeled_examples"],
    ),
    Row(
        "only the volume known",
        {"task_type": "classification", "monthly_calls": 15_000_000},
        "need_info",
        ["C1"],
        missing=["baseline_measured", "labeled_examples"],
    ),
    Row(
        "requested case and required facts together",
        {"request": "domain_vocabulary"},
        "need_info",
        missing=[
            "task_type",
            "monthly_calls",
            "domain",
            "frontier_drift",
            "baseline_measured",
            "baseline_quality",
            "target_quality",
            "labeled_examples",
        ],
    ),
    Row(
        "a known failing Q1 is not asked again",
        {"baseline_measured": False},
        "need_info",
        missing=["task_type", "monthly_calls"],
    ),
    Row(
        "under C3 the baseline is not asked",
        {"first_token_ms": 40},
        "need_info",
        ["C3"],
        missing=["task_type", "monthly_calls", "labeled_examples"],
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_procedure(row: Row, prices, assumptions):
    result = decide(Facts.model_validate(row.facts), prices, assumptions).to_json()

    assert result["verdict"] == row.verdict, result["reasons"]
    assert result["cases"] == row.cases
    assert result["missing"] == row.missing
    if row.gates is not None:
        assert result["gates"] == row.gates
    if row.verdict != "need_info":
        assert result["missing"] == []


def test_every_verdict_is_covered():
    assert {r.verdict for r in ROWS} == {
        "fine_tune",
        "prompt",
        "rag",
        "measure_baseline",
        "build_dataset",
        "need_info",
    }


def test_every_case_and_gate_state_is_covered(prices, assumptions):
    decisions = [decide(Facts.model_validate(r.facts), prices, assumptions) for r in ROWS]
    assert {c for d in decisions for c in d.cases} == {"C1", "C2", "C3", "C4"}
    states = {s.value for d in decisions for s in d.gates.values()}
    assert states == {"pass", "fail", "skipped", "unknown", "not_reached"}


def test_same_facts_same_verdict(prices, assumptions):
    facts = Facts.model_validate(ACME)
    assert (
        decide(facts, prices, assumptions).to_json() == decide(facts, prices, assumptions).to_json()
    )


def test_acme_figures_match_the_conversation_sketch(prices, assumptions):
    """spec/conversation.md's version 2 numbers, recomputed by hand from the fixture sheet:
    the 450-token prefix is below Haiku 4.5's 4,096-token cache minimum, so all 600 input
    tokens are billed as input."""
    facts = Facts.model_validate({**ACME, "other_baselines": {"claude-haiku-5-5": 0.85}})
    math = decide(facts, prices, assumptions).to_json()["math"]

    frontier = 600 * 1e-6 + 10 * 5e-6
    gpus = 730 * 0.80
    assert math["frontier_model"] == "claude-haiku-4-5"
    assert math["frontier_mode"] == "realtime"
    assert math["frontier_cost_per_call"] == pytest.approx(frontier)
    assert math["finetune_option"] == "modal-l4-vllm-8b"
    assert math["finetune_cost_per_call"] == pytest.approx(gpus / 15e6, rel=1e-6)
    assert math["monthly_savings"] == pytest.approx(frontier * 15e6 - gpus)
    assert math["build_cost"] == 27_500
    payback = 27_500 / (frontier * 15e6 - gpus - 1500)
    assert math["payback_months"] == pytest.approx(payback, abs=0.01)
    assert math["breakeven_calls"] == pytest.approx(payback * 15e6, rel=1e-3)
    assert math["breakeven_calls_before_ops"] == pytest.approx(
        27_500 / (frontier - gpus / 15e6), rel=1e-6
    )
    assert math["savings_pct"] == pytest.approx(1 - gpus / 15e6 / frontier, abs=1e-4)
    assert math["dataset_cost"] is None


def test_defaults_are_listed_as_assumptions(prices, assumptions):
    facts = Facts(task_type="classification", monthly_calls=15_000_000)
    result = decide(facts, prices, assumptions).to_json()

    assert "input_tokens defaulted to 500 for classification" in result["assumptions"]
    assert "output_tokens defaulted to 5 for classification" in result["assumptions"]
    assert "frontier_model defaulted to claude-haiku-4-5" in result["assumptions"]
    assert any(a.startswith("build cost $27,500") for a in result["assumptions"])


def test_math_is_null_when_volume_unknown(prices, assumptions):
    assert decide(Facts(task_type="classification"), prices, assumptions).to_json()["math"] is None


def test_infinite_values_are_null_with_a_reason(prices, assumptions):
    no_prefix = {"cached_prefix_tokens": 0}  # the fine-tune is sent the whole prompt too
    facts = Facts.model_validate({**SMALL, **no_prefix, "frontier_model": "claude-haiku-5-5"})
    result = decide(facts, prices, assumptions).to_json()

    assert result["math"]["savings_per_call"] < 0
    assert result["math"]["breakeven_calls"] is None
    assert result["math"]["breakeven_calls_before_ops"] is None
    assert result["math"]["payback_months"] is None
    assert any("breakeven_calls is null" in r for r in result["reasons"])
    assert any("payback_months is null" in r for r in result["reasons"])


def test_unknown_model_is_refused_naming_the_field(prices, assumptions):
    with pytest.raises(InputError) as caught:
        decide(Facts(frontier_model="gpt-9"), prices, assumptions)
    assert caught.value.problems[0].startswith("frontier_model: 'gpt-9' is not in the price sheet")


def test_cached_prefix_beyond_assumed_input_asks_for_input(prices, assumptions):
    facts = Facts(task_type="classification", monthly_calls=1000, cached_prefix_tokens=900)
    with pytest.raises(InputError, match=r"cached_prefix_tokens: must be ≤ input_tokens \(500"):
        decide(facts, prices, assumptions)
