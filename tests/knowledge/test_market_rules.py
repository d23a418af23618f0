"""Version 2 of spec/decision.md, one row per rule: billing as Anthropic bills, retired and
restricted models, the alternatives and the competitor, Q1's measure-first step, C4 and
structured outputs, serving as it would run, consistent figures, thresholds, dataset cost.

All on the fixture sheet (tests/fixtures/prices.yaml), decided as on 2026-12-06.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from knowledge import Facts, InputError, decide
from knowledge.assumptions import assumptions_from
from tests.fakes import acme

TODAY = dt.date(2026, 12, 6)

# Acme, spec/conversation.md: 15M tickets, 600 in / 10 out, 450 of it a stable prefix.
ACME = acme.FACTS
HAIKU_45 = 600 * 1e-6 + 10 * 5e-6  # the 450-token prefix is below its 4,096 minimum
LOWER = {"other_baselines": {"claude-haiku-5-5": 0.85}}  # measured below Haiku 4.5's 91%


@dataclass
class Row:
    id: str
    facts: dict[str, Any]
    expect: dict[str, Any]  # JSON paths ("math.frontier_mode") and the value they hold
    contains: dict[str, str] = field(default_factory=dict)  # list paths and a substring
    today: dt.date = TODAY


def at(result: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        result = result[int(key)] if isinstance(result, list) else result[key]
    return result


ROWS = [
    # -- billing as Anthropic bills ---------------------------------------------------------
    Row(
        "a prefix below the cache minimum is billed as input, with a warning",
        {**ACME, **LOWER},
        {"math.frontier_cost_per_call": pytest.approx(HAIKU_45)},
        {
            "warnings": "The 450-token prefix is below Claude Haiku 4.5's 4,096-token cache "
            "minimum: nothing is cached"
        },
    ),
    Row(
        "a prefix above the cache minimum is billed at the cache-read price",
        {**ACME, **LOWER, "input_tokens": 6000, "cached_prefix_tokens": 5000},
        {
            "math.frontier_cost_per_call": pytest.approx(1000e-6 + 5000e-7 + 10 * 5e-6),
            "warnings": [],
        },
    ),
    Row(
        "above 100,000 input tokens the whole call is billed at the long-context rates",
        {
            **ACME,
            "frontier_model": "claude-haiku-5-5",
            "input_tokens": 150_000,
            "cached_prefix_tokens": 0,
        },
        {"alternatives.0.cost_per_call": pytest.approx(150_000 * 5e-7 + 10 * 2.5e-6)},
    ),
    Row(
        "batch: the competitor is the baseline at batch rates, the GPU bills busy time only",
        {**ACME, **LOWER, "batch_ok": True},
        {
            "competitor": {"model": "claude-haiku-4-5", "mode": "batch"},
            "math.frontier_mode": "batch",
            "math.frontier_cost_per_call": pytest.approx(HAIKU_45 / 2),
            "math.finetune_option": "modal-l4-vllm-8b",
            # 150 / 5,000 + 10 / 450 GPU-seconds per call, at 60% utilisation, $0.80/h
            "math.finetune_cost_per_call": pytest.approx(
                (150 / 5000 + 10 / 450) / 0.6 / 3600 * 0.80, rel=1e-5
            ),
        },
    ),
    Row(
        "without batch_ok only realtime prices are compared",
        {**ACME, **LOWER},
        {"competitor": {"model": "claude-haiku-4-5", "mode": "realtime"}},
    ),
    Row(
        "a model that always thinks pays its thinking tokens",
        {**ACME, **LOWER, "frontier_model": "claude-sonnet-5-5"},
        {
            # Sonnet 5.5: 600 in (below its 512 minimum? no: 450 < 512, uncached) + 10 + 100 out
            "alternatives.2.model": "claude-sonnet-5-5",
            "alternatives.2.cost_per_call": pytest.approx(600 * 2e-6 + 110 * 1e-5),
        },
        {"assumptions": "100 thinking tokens billed per call on Claude Sonnet 5.5, which always"},
    ),
    # -- retired and restricted models ------------------------------------------------------
    Row(
        "a retired model is priced as its successor, with a warning",
        {**ACME, "frontier_model": "claude-sonnet-4-5"},
        {"competitor": {"model": "claude-sonnet-5-5", "mode": "realtime"}},
        {"warnings": "claude-sonnet-4-5 retired on 2026-11-30: priced as claude-sonnet-5-5"},
    ),
    Row(
        "the retired model's score is not its successor's: nobody measured the successor",
        {**ACME, "frontier_model": "claude-sonnet-4-5"},
        {"alternatives.2.model": "claude-sonnet-5-5", "alternatives.2.quality": None},
    ),
    Row(
        "on its retirement date a model is still current",
        {**ACME, **LOWER, "frontier_model": "claude-sonnet-4-5"},
        {"competitor": {"model": "claude-sonnet-4-5", "mode": "realtime"}},
        {"reasons": "claude-sonnet-4-5 retires on 2026-11-30"},
        today=dt.date(2026, 11, 30),
    ),
    # -- the measure-first step of Q1 -------------------------------------------------------
    Row(
        "a cheaper unmeasured model that would make the fine-tune moot: measure it first",
        ACME,
        {
            "verdict": "measure_baseline",
            "measure_models": ["claude-haiku-5-5"],
            "gates": {"q1_baseline": "fail", "q2_data": "not_reached", "q3_volume": "not_reached"},
            "competitor": {"model": "claude-haiku-4-5", "mode": "realtime"},
        },
        {"reasons": "if it doesn't, the fine-tune pays back in 3.6 months against claude-haiku"},
    ),
    Row(
        "a cheaper model measured below the baseline is neither competitor nor to measure",
        {**ACME, **LOWER},
        {"verdict": "fine_tune", "measure_models": []},
    ),
    Row(
        "a cheaper model measured at least as good becomes the competitor",
        {**ACME, "other_baselines": {"claude-haiku-5-5": 0.92}},
        {
            "verdict": "prompt",
            "competitor": {"model": "claude-haiku-5-5", "mode": "realtime"},
            "gates": {"q1_baseline": "pass", "q2_data": "pass", "q3_volume": "fail"},
        },
    ),
    Row(
        "no measure step under C3: no API meets the latency",
        {**ACME, "first_token_ms": 80},
        {"verdict": "fine_tune", "measure_models": [], "cases": ["C1", "C3"]},
    ),
    Row(
        "no measure step when the fine-tune doesn't pay back against the competitor anyway",
        {**ACME, "build_cost_usd": 200_000},
        {"verdict": "prompt", "measure_models": []},
    ),
    Row(
        "an invitation-only model is never an alternative, however cheap",
        ACME,
        {"measure_models": ["claude-haiku-5-5"]},
    ),
    # -- C4 and structured outputs ----------------------------------------------------------
    Row(
        "a format that fits a JSON schema on a model with structured outputs: C4 doesn't hold",
        {**ACME, **LOWER, "task_type": "generation", "monthly_calls": 5_000_000}
        | {"strict_format": True, "format_schema": True},
        {"verdict": "prompt", "cases": []},
        {"reasons": "no case for fine-tuning holds"},
    ),
    Row(
        "an unknown format_schema leaves C4 as it was, with a note to ask it",
        {**ACME, **LOWER, "task_type": "generation", "monthly_calls": 5_000_000}
        | {"strict_format": True, "request": "output_format"},
        {"cases": ["C4"]},
        {"reasons": "format_schema is unknown: ask whether the format can be written"},
    ),
    # -- serving as it would really run -----------------------------------------------------
    Row(
        "under C3 only options that declare a fast enough first token are eligible",
        {**ACME, "monthly_calls": 200_000, "first_token_ms": 80},
        {"verdict": "fine_tune", "math.finetune_option": "modal-l4-vllm-8b"},
    ),
    Row(
        "without a latency need the cheapest option serves, whatever its first token",
        {**ACME, **LOWER, "monthly_calls": 200_000},
        {"math.finetune_option": "openai-ft-gpt-4o-mini"},
    ),
    Row(
        "no option fast enough: still the only path, and a warning says so",
        {**ACME, "first_token_ms": 50},
        # the fastest option the sheet has (60 ms), not the cheapest (a 400 ms per-token host)
        {"verdict": "fine_tune", "math.finetune_option": "modal-l4-vllm-8b"},
        {"warnings": "within 50 ms: the math below prices the fastest option in it (60 ms)"},
    ),
    Row(
        "on device: the build plus the device work, no cloud serving, no Claude model",
        {**ACME, "on_device": True},
        {
            "verdict": "fine_tune",
            "math.build_cost": 37_500,
            "math.frontier_model": None,
            "math.finetune_option": None,
            "alternatives": [],
            "competitor": None,
            "thresholds": None,
            "gates": {"q1_baseline": "skipped", "q2_data": "pass", "q3_volume": "skipped"},
        },
        # no ops: nothing runs in the cloud
        {"assumptions": "on device: $10,000 more to build for the device"},
    ),
    # -- consistent figures and what would have to be true ----------------------------------
    Row(
        "breakeven calls agree with the payback; the playbook's raw figure stays",
        {**ACME, **LOWER},
        {
            "math.payback_months": pytest.approx(27_500 / (HAIKU_45 * 15e6 - 584 - 1500), 1e-3),
            "math.breakeven_calls": pytest.approx(
                27_500 / (HAIKU_45 * 15e6 - 584 - 1500) * 15e6, rel=1e-3
            ),
            "math.breakeven_calls_before_ops": pytest.approx(
                27_500 / (HAIKU_45 - 584 / 15e6), rel=1e-6
            ),
        },
    ),
    Row(
        "thresholds: the volume, build, ops and price at which the payback meets 12 months",
        {**ACME, **LOWER},
        {
            # below ~30M calls one L4 carries the load, but the per-token option is cheaper
            # at low volume: 3,791.67 a month needed / (0.00065 - 0.000057) per call
            "thresholds.min_monthly_calls": pytest.approx(6_394_042, abs=1),
            "thresholds.dead_zones": [],
            "thresholds.always_pays_above_calls": pytest.approx(6_394_042, abs=1),
            "thresholds.max_build_cost_usd": pytest.approx((9750 - 584 - 1500) * 12, abs=0.01),
            "thresholds.max_monthly_ops_usd": pytest.approx(9750 - 584 - 27_500 / 12, abs=0.01),
            "thresholds.frontier_price_factor": pytest.approx(
                (584 + 1500 + 27_500 / 12) / 9750, abs=1e-4
            ),
        },
    ),
    Row(
        "no thresholds without math",
        {"task_type": "classification"},
        {"math": None, "thresholds": None, "alternatives": [], "competitor": None},
    ),
    # -- building the dataset ---------------------------------------------------------------
    Row(
        "build_dataset prices the missing examples at the domain's labelling rate",
        {**ACME, **LOWER, "labeled_examples": 300, "domain": "medical"},
        {"verdict": "build_dataset", "math.dataset_cost": pytest.approx(700 * 1.00)},
    ),
    Row(
        "a baseline that meets the target can label the set itself",
        {**ACME, **LOWER, "labeled_examples": 400, "baseline_quality": 0.95},
        {"verdict": "build_dataset", "math.dataset_cost": pytest.approx(600 * 0.10)},
        {"reasons": "labelling the 600 missing examples with claude-haiku-4-5's own outputs"},
    ),
    Row(
        "dataset_cost is null outside build_dataset",
        {**ACME, **LOWER},
        {"math.dataset_cost": None},
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_version_2(row: Row, prices, assumptions):
    result = decide(Facts.model_validate(row.facts), prices, assumptions, today=row.today)
    as_json = result.to_json()
    for path, value in row.expect.items():
        assert at(as_json, path) == value, (path, as_json["reasons"])
    for path, text in row.contains.items():
        assert any(text in line for line in at(as_json, path)), (path, at(as_json, path))


def test_every_key_of_version_2_is_always_present(prices, assumptions):
    for facts in ({}, ACME, {**ACME, "on_device": True}):
        result = decide(Facts.model_validate(facts), prices, assumptions, today=TODAY).to_json()
        for key in (
            "alternatives",
            "competitor",
            "measure_models",
            "thresholds",
            "warnings",
        ):
            assert key in result
        if result["math"] is not None:
            for key in ("frontier_mode", "breakeven_calls_before_ops", "dataset_cost"):
                assert key in result["math"]


def test_alternatives_are_every_current_model_cheapest_first(prices, assumptions):
    result = decide(Facts.model_validate({**ACME, "batch_ok": True}), prices, assumptions)
    listed = [(a["model"], a["mode"]) for a in result.to_json()["alternatives"]]
    costs = [a["cost_per_call"] for a in result.to_json()["alternatives"]]

    assert costs == sorted(costs)
    assert {m for m, _ in listed} == {"claude-haiku-4-5", "claude-haiku-5-5", "claude-sonnet-5-5"}
    assert {mode for _, mode in listed} == {"realtime", "batch"}
    baseline = next(
        a for a in result.to_json()["alternatives"] if a["model"] == ACME["frontier_model"]
    )
    assert baseline["quality"] == 0.91


def test_a_token_count_factor_can_lift_a_prefix_over_the_cache_minimum(prices, assumptions):
    haiku = prices.models["claude-haiku-5-5"].model_copy(update={"token_count_factor": 1.3})
    sheet = prices.model_copy(update={"models": {**prices.models, "claude-haiku-5-5": haiku}})
    facts = Facts.model_validate({**ACME, "frontier_model": "claude-haiku-5-5"})
    result = decide(facts, sheet, assumptions, today=TODAY).to_json()

    # 450 × 1.3 = 585 tokens ≥ 512: cached; every count is Haiku 5.5's own
    expected = 585 * 1e-8 + (780 - 585) * 1e-7 + 13 * 5e-7
    assert result["math"]["frontier_cost_per_call"] == pytest.approx(expected)
    assert result["warnings"] == []


def test_realtime_gpus_run_the_assumed_floor_of_replicas(prices, assumptions):
    gpus_only = prices.model_copy(
        update={"finetune_serving": [o for o in prices.finetune_serving if o.kind != "per_token"]}
    )
    two = assumptions.model_copy(update={"min_replicas_realtime": 2})
    facts = Facts.model_validate({**ACME, **LOWER})
    one_gpu = decide(facts, gpus_only, assumptions, today=TODAY).to_json()["math"]
    two_gpus = decide(facts, gpus_only, two, today=TODAY).to_json()["math"]
    batch = decide(facts.model_copy(update={"batch_ok": True}), gpus_only, two, today=TODAY)

    assert one_gpu["finetune_cost_per_call"] * 15e6 == pytest.approx(730 * 0.80)
    assert two_gpus["finetune_cost_per_call"] * 15e6 == pytest.approx(2 * 730 * 0.80)
    assert batch.breakeven is not None and batch.breakeven.serving.busy_only  # no floor


@pytest.mark.parametrize(
    ("facts", "problem"),
    [
        (
            {**ACME, "input_tokens": 300_000, "cached_prefix_tokens": 0},
            "input_tokens: 300,000 is above claude-haiku-4-5's maximum input of 200,000 tokens",
        ),
        (
            {**ACME, "other_baselines": {"gpt-9": 0.9}},
            "other_baselines: 'gpt-9' is not in the price sheet",
        ),
    ],
)
def test_bad_input_names_the_field(prices, assumptions, facts, problem):
    with pytest.raises(InputError) as caught:
        decide(Facts.model_validate(facts), prices, assumptions, today=TODAY)
    assert problem in caught.value.problems


def test_a_partial_assumptions_file_overrides_only_what_it_names(assumptions):
    partial = assumptions_from(
        {"monthly_ops_usd": 0, "thinking_tokens": {"chat": 50}}, "partial", defaults=assumptions
    )
    assert partial.monthly_ops_usd == 0
    assert partial.thinking_tokens["chat"] == 50
    assert (
        partial.thinking_tokens["classification"] == assumptions.thinking_tokens["classification"]
    )
    assert partial.engineering_weeks == assumptions.engineering_weeks


def test_snapshot_ids_are_priced_as_their_alias(prices, assumptions):
    facts = Facts.model_validate({**ACME, **LOWER, "frontier_model": "claude-haiku-4-5-20251001"})
    result = decide(facts, prices, assumptions, today=TODAY).to_json()
    assert result["competitor"] == {"model": "claude-haiku-4-5", "mode": "realtime"}


def test_on_device_assumes_no_cloud_ops(prices, assumptions):
    result = decide(Facts.model_validate({**ACME, "on_device": True}), prices, assumptions)
    assert not any("ops overhead" in line for line in result.assumptions)


def test_a_price_changed_by_copy_is_seen_and_in_place_is_refused(prices, assumptions):
    facts = Facts.model_validate({**ACME, **LOWER})
    before = decide(facts, prices, assumptions, today=TODAY).to_json()["math"]
    haiku = prices.models["claude-haiku-4-5"]
    with pytest.raises(ValueError, match="frozen"):
        haiku.input_cost_per_token = 2e-6  # its rates are cached: a change must be a copy
    dearer = haiku.model_copy(update={"input_cost_per_token": 2e-6})
    sheet = prices.model_copy(update={"models": {**prices.models, "claude-haiku-4-5": dearer}})
    after = decide(facts, sheet, assumptions, today=TODAY).to_json()["math"]

    assert after["frontier_cost_per_call"] == pytest.approx(
        before["frontier_cost_per_call"] + 600 * 1e-6
    )
