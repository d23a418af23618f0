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


def test_dedicated_gpus_ship_from_modal_and_runpod(sheet):
    providers = {o.provider for o in sheet.finetune_serving if isinstance(o, DedicatedGpuServing)}
    assert {"Modal", "RunPod"} <= providers


def test_no_per_token_option_serves_a_model_that_is_not_a_small_fine_tune(sheet):
    """GLM 5.3 Flash (a ~320B always-reasoning MoE) is not a 7-13B fine-tune: it must not return."""
    for option in sheet.finetune_serving:
        if isinstance(option, PerTokenServing):
            text = f"{option.id} {option.label} {option.source}".lower()
            assert "glm" not in text, option.id


# ---------------------------------------------------------------- version 2 of the shipped sheet

TODAY = dt.date(2026, 12, 6)

CURRENT_CHAT_MODELS = (
    "claude-haiku-5-5",
    "claude-sonnet-5-5",
    "claude-opus-5-5",
    "claude-fable-5-2",
    "claude-fable-5-1",
    "claude-fable-5",
    "claude-opus-5",
    "claude-sonnet-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
    "claude-opus-4-5",
)
INVITATION_ONLY = ("claude-mythos-5", "claude-mythos-5-1", "claude-mythos-5-2")
OLDER_TOKENIZER = (
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "claude-opus-4-5",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
)
# Claude 4.7 and later (and the Mythos/Fable line) count ~30% more tokens for the same text
NEWER_TOKENIZER = tuple(
    name for name in (*CURRENT_CHAT_MODELS, *INVITATION_ONLY) if name not in OLDER_TOKENIZER
)


def test_the_sheet_is_dated_today(sheet):
    assert sheet.as_of == TODAY
    assert "2026-12-06" in sheet.source


def test_every_current_model_is_priced_for_batch_and_its_limits(sheet):
    for name in (*CURRENT_CHAT_MODELS, *INVITATION_ONLY):
        model = sheet.models[name]
        assert not model.retired_by(TODAY), name
        assert model.prompt_cache_min_tokens, name
        assert model.max_input_tokens, name
        assert model.rates(batch=True, long_context=False) is not None, name
        assert "2026-12-06" in (model.source or ""), name


@pytest.mark.parametrize(
    "name", sorted(set(CURRENT_CHAT_MODELS) | set(INVITATION_ONLY) | {"claude-sonnet-4-5"})
)
def test_batch_is_half_price(sheet, name):
    model = sheet.models[name]
    assert model.input_cost_per_token_batches == pytest.approx(model.input_cost_per_token / 2)
    assert model.output_cost_per_token_batches == pytest.approx(model.output_cost_per_token / 2)
    assert model.cache_read_input_token_cost_batches == pytest.approx(model.cache_read_cost / 2)


def test_haiku_5_5_bills_long_prompts_at_five_times_the_rate(sheet):
    haiku = sheet.models["claude-haiku-5-5"]
    short = haiku.rates(batch=False, long_context=False)
    long = haiku.rates(batch=False, long_context=True)
    long_batch = haiku.rates(batch=True, long_context=True)
    assert (short.input, short.cache_read, short.output) == pytest.approx((1e-7, 1e-8, 5e-7))
    assert (long.input, long.cache_read, long.output) == pytest.approx((5e-7, 5e-8, 2.5e-6))
    assert (long_batch.input, long_batch.cache_read, long_batch.output) == pytest.approx(
        (2.5e-7, 2.5e-8, 1.25e-6)
    )
    # no other model has a long-context band: long prompts fall back to the ordinary rates
    opus = sheet.models["claude-opus-5-5"]
    assert opus.rates(batch=False, long_context=True) == opus.rates(batch=False, long_context=False)


def test_retired_and_deprecated_models_name_a_current_successor(sheet):
    sonnet = sheet.models["claude-sonnet-4-5"]
    assert sonnet.deprecation_date == dt.date(2026, 11, 30)
    assert sonnet.retired_by(TODAY)
    assert sonnet.successor == "claude-sonnet-5-5"
    opus = sheet.models["claude-opus-4-5"]
    assert opus.deprecation_date == dt.date(2027, 1, 22)
    assert opus.successor == "claude-opus-5-5"
    for name, model in sheet.models.items():
        if model.successor is not None:
            successor = sheet.models[model.successor]
            assert not successor.retired_by(TODAY), name
            assert not successor.restricted, name
    assert [n for n, m in sheet.models.items() if m.retired_by(TODAY)] == ["claude-sonnet-4-5"]


def test_only_the_invitation_only_models_are_restricted(sheet):
    assert {n for n, m in sheet.models.items() if m.restricted} == set(INVITATION_ONLY)


def test_token_count_factor_follows_the_tokenizer(sheet):
    assert set(NEWER_TOKENIZER) | set(OLDER_TOKENIZER) == set(sheet.models)
    for name in NEWER_TOKENIZER:
        assert sheet.models[name].token_count_factor == pytest.approx(1.3), name
    for name in OLDER_TOKENIZER:
        assert sheet.models[name].token_count_factor == 1.0, name


def test_cache_minimums_as_anthropic_lists_them(sheet):
    expected = {
        "claude-haiku-4-5": 4096,
        "claude-opus-4-5": 4096,
        "claude-opus-4-6": 4096,
        "claude-opus-4-7": 2048,
        "claude-sonnet-4-5": 1024,
        "claude-sonnet-4-6": 1024,
        "claude-sonnet-5": 1024,
        "claude-opus-4-8": 1024,
        "claude-haiku-5-5": 512,
        "claude-sonnet-5-5": 512,
        "claude-opus-5-5": 512,
        "claude-opus-5": 512,
        "claude-fable-5": 512,
    }
    for name, minimum in expected.items():
        assert sheet.models[name].prompt_cache_min_tokens == minimum, name


def test_thinking_and_structured_output_as_litellm_has_them(sheet):
    always = {n for n, m in sheet.models.items() if m.thinking_always_on}
    assert always == {
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-fable-5-2",
        "claude-fable-5-1",
        "claude-fable-5",
        *INVITATION_ONLY,
    }
    assert sheet.models["claude-haiku-5-5"].thinking_always_on is False
    for name in (*CURRENT_CHAT_MODELS, "claude-sonnet-4-5"):
        assert sheet.models[name].supports_native_structured_output is True, name


def test_every_serving_option_declares_its_latency_and_scaling(sheet):
    for option in sheet.finetune_serving:
        assert option.first_token_ms is not None, option.id
        source = option.source or ""
        assert "MEASURED" in source or "ESTIMATE" in source, option.id
        assert "2026-12-06" in source, option.id
    dedicated = [o for o in sheet.finetune_serving if isinstance(o, DedicatedGpuServing)]
    for option in dedicated:
        flex = "flex" in option.id
        pod_or_active = option.provider == "RunPod" and not flex
        assert option.scale_to_zero is (option.provider == "Modal" or flex), option.id
        assert not (pod_or_active and option.scale_to_zero), option.id
    assert any(o.id.startswith("runpod-serverless-flex") for o in dedicated)
    assert any(o.id.startswith("runpod-serverless-active") for o in dedicated)
    # a sub-100 ms latency case has somewhere to run; a flex worker (cold starts) is not it
    assert any(o.first_token_ms <= 100 for o in dedicated)
    flex_options = [o for o in dedicated if "flex" in o.id]
    assert all(o.first_token_ms >= 1000 for o in flex_options)


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
        ("acme-ticket-routing", "measure_baseline"),
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
