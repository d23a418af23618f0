"""The shipped price sheet and assumptions: valid, current, cited."""

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from knowledge import Facts, decide, load_assumptions, load_price_sheet
from knowledge.prices import DedicatedGpuServing, PerTokenServing

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def sheet():
    return load_price_sheet()


def test_every_current_claude_model_is_on_the_sheet(sheet):
    for model in (
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-haiku-4-5",
        "claude-sonnet-4-5",
        "claude-opus-4-5",
    ):
        price = sheet.models[model]
        assert price.cache_read_input_token_cost is not None, model
        assert price.cache_creation_input_token_cost is not None, model
    assert sheet.models["claude-sonnet-4-5"].deprecation_date == dt.date(2026, 11, 30)


def test_haiku_4_5_is_the_playbooks_base_case(sheet):
    haiku = sheet.models["claude-haiku-4-5"]
    assert haiku.input_cost_per_token == pytest.approx(1e-6)
    assert haiku.prompt_cache_min_tokens == 4096


def test_both_kinds_of_serving_ship(sheet):
    kinds = {type(o) for o in sheet.finetune_serving}
    assert kinds == {PerTokenServing, DedicatedGpuServing}
    providers = {o.provider for o in sheet.finetune_serving if isinstance(o, DedicatedGpuServing)}
    assert {"Modal", "RunPod"} <= providers


def test_every_number_carries_its_source(sheet):
    assert sheet.source
    for name, model in sheet.models.items():
        assert model.source, name
    for option in sheet.finetune_serving:
        assert option.source, option.id
        assert option.label, option.id


def test_every_assumption_has_a_rationale():
    raw = yaml.safe_load((Path(__file__).parents[2] / "knowledge/assumptions.yaml").read_text())
    keys = set(raw) - {"as_of", "source", "rationale"}
    assert keys <= set(raw["rationale"])
    assumptions = load_assumptions()
    assert assumptions.as_of is not None


def test_the_default_frontier_model_is_priced(sheet):
    assert load_assumptions().default_frontier_model in sheet.models


@pytest.mark.parametrize(
    ("example", "verdict"),
    [
        ("acme-ticket-routing", "prompt"),
        ("payments-fraud-tagging", "fine_tune"),
        ("icd10-coding-no-labels", "build_dataset"),
        ("voice-agent-latency", "fine_tune"),
        ("brand-voice", "prompt"),
        ("knowledge-base", "rag"),
        ("improve-quality", "measure_baseline"),
        ("first-message", "need_info"),
    ],
)
def test_readme_examples_give_their_verdicts_on_the_shipped_sheet(sheet, example, verdict):
    facts = Facts.model_validate(json.loads((EXAMPLES / f"{example}.json").read_text()))
    assert decide(facts, sheet, load_assumptions()).verdict.value == verdict
