"""Bad facts, price sheets and assumptions are refused with one line per problem, field first."""

import copy

import pytest

from knowledge import InputError, assumptions_from, facts_from, price_sheet_from
from knowledge.documents import parse_document

GOOD_SHEET = {
    "as_of": "2026-11-20",
    "source": "t",
    "models": {"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 5e-6}},
    "finetune_serving": [
        {
            "id": "g",
            "kind": "dedicated_gpu",
            "gpu_hourly_usd": 1.0,
            "prefill_tokens_per_s": 1000,
            "decode_tokens_per_s": 100,
        },
    ],
}


def problems(call, *args):
    with pytest.raises(InputError) as caught:
        call(*args)
    return caught.value.problems


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"monthly_calls": -5}, "monthly_calls: must be ≥ 0, got -5"),
        ({"monthly_calls": 1.5}, "monthly_calls: must be a whole number, got 1.5"),
        ({"baseline_quality": 1.2}, "baseline_quality: must be ≤ 1.0, got 1.2"),
        ({"target_quality": -0.1}, "target_quality: must be ≥ 0.0, got -0.1"),
        ({"first_token_ms": 0}, "first_token_ms: must be > 0, got 0"),
        ({"request": "vibes"}, "request: must be one of"),
        ({"domain": "space"}, "domain: must be one of"),
        ({"on_device": "sometimes"}, "on_device: must be true or false, got 'sometimes'"),
        ({"build_cost_usd": float("inf")}, "build_cost_usd: must be a finite number"),
        ({"calls": 5}, "calls: is not a known field"),
        ({"use_case": "x" * 2001}, "use_case: must be at most 2,000 long, got 2,001"),
        ({"first_token_ms": True}, "first_token_ms: must be a whole number, got True"),
        ({"labeled_examples": "5000"}, "labeled_examples: must be a whole number, got '5000'"),
        ({"baseline_measured": "yes"}, "baseline_measured: must be true or false, got 'yes'"),
        ({"on_device": 1}, "on_device: must be true or false, got 1"),
        ({"monthly_calls": 10**400}, "monthly_calls: must be ≤ 10000000000000"),
        ({"input_tokens": 10**30}, "input_tokens: must be ≤ 10000000"),
        ({"baseline_quality": float("nan")}, "baseline_quality: must be a finite number"),
        (
            {"input_tokens": 10, "cached_prefix_tokens": 20},
            "cached_prefix_tokens: must be ≤ input_tokens (10), got 20",
        ),
    ],
)
def test_bad_facts_name_the_field(facts, expected):
    assert problems(facts_from, facts)[0].startswith(expected)


def test_every_bad_fact_is_reported_at_once():
    found = problems(facts_from, {"monthly_calls": -1, "labeled_examples": -2, "domain": "x"})
    assert len(found) == 3


def test_facts_must_be_an_object():
    assert (
        problems(facts_from, [1, 2])[0]
        == "facts: must be an object (a mapping of fields), got list"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["models"]["m"].update(input_cost_per_token=-1e-6),
            "sheet: models.m.input_cost_per_token: must be > 0.0",
        ),
        (
            lambda s: s["models"]["m"].update(output_cost_per_token=0),
            "sheet: models.m.output_cost_per_token: must be > 0.0",
        ),
        (
            lambda s: s["models"]["m"].update(cache_read_input_token_cost=2e-6),
            "sheet: models.m.cache_read_input_token_cost: must be ≤ input_cost_per_token",
        ),
        (
            lambda s: s["finetune_serving"][0].update(gpu_hourly_usd=-3),
            "sheet: finetune_serving[0].dedicated_gpu.gpu_hourly_usd: must be > 0.0",
        ),
        (
            lambda s: s["finetune_serving"][0].update(prefill_tokens_per_s=1e-300),
            "sheet: finetune_serving[0].dedicated_gpu.prefill_tokens_per_s: must be ≥ 1.0",
        ),
        (
            lambda s: s["finetune_serving"][0].update(min_replicas=True),
            "sheet: finetune_serving[0].dedicated_gpu.min_replicas: must be a whole number",
        ),
        (
            lambda s: s["finetune_serving"][0].update(label="x" * 2500),
            "sheet: finetune_serving[0].dedicated_gpu.label",
        ),
        (lambda s: s["finetune_serving"][0].update(kind="magic"), "sheet: finetune_serving[0]"),
        (lambda s: s["finetune_serving"].clear(), "sheet: finetune_serving"),
        (lambda s: s["models"].clear(), "sheet: models: must list at least one model"),
        (lambda s: s.update(as_of="last week"), "sheet: as_of"),
        (
            lambda s: s["finetune_serving"].append(dict(s["finetune_serving"][0])),
            "sheet: finetune_serving: id 'g' appears twice",
        ),
    ],
)
def test_bad_price_sheets_are_refused(change, expected):
    sheet = copy.deepcopy(GOOD_SHEET)
    change(sheet)
    assert any(p.startswith(expected) for p in problems(price_sheet_from, sheet, "sheet"))


def test_a_good_sheet_loads_and_keeps_litellm_keys():
    sheet = copy_with = dict(GOOD_SHEET)
    copy_with["models"] = {"m": {**GOOD_SHEET["models"]["m"], "supports_vision": True}}
    assert price_sheet_from(sheet).models["m"].model_extra == {"supports_vision": True}


def test_bad_assumptions_are_refused():
    found = problems(assumptions_from, {"engineering_weeks": -1}, "a.yaml")
    assert "a.yaml: engineering_weeks: must be ≥ 0.0, got -1" in found
    assert "a.yaml: weekly_rate_usd: is required" in found


def test_malformed_documents_say_where():
    assert problems(parse_document, "{not json", "f.json")[0].startswith(
        "f.json: not valid JSON (line 1"
    )
    assert problems(parse_document, "a: [1,\n", "f.yaml")[0].startswith("f.yaml: not valid YAML")
