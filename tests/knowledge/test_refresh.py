"""Merging price sources over the last good sheet: good data in, bad sources kept out."""

import datetime as dt

import pytest

from knowledge.price_sources import SourceData
from knowledge.prices import DedicatedGpuServing, ModelPrice
from knowledge.refresh import SourceRead, content_hash, merge_sources, price_changes

TODAY = dt.date(2026, 11, 30)
LITELLM = "https://raw.githubusercontent.com/BerriAI/litellm/main/prices.json"
TEAM = "team-gpus.yaml"


def model(input_cost: float, output_cost: float | None = None, **extra) -> ModelPrice:
    return ModelPrice(
        litellm_provider="anthropic",
        mode="chat",
        input_cost_per_token=input_cost,
        output_cost_per_token=output_cost or input_cost * 5,
        cache_read_input_token_cost=input_cost / 10,
        **extra,
    )


def gpu(option_id: str, hourly: float) -> DedicatedGpuServing:
    return DedicatedGpuServing(
        id=option_id,
        kind="dedicated_gpu",
        gpu_hourly_usd=hourly,
        prefill_tokens_per_s=20_000,
        decode_tokens_per_s=2_500,
    )


def source(name, models=None, serving=None) -> SourceRead:
    data = SourceData(
        models=models or {},
        serving=serving or [],
        as_of=None,
        label=name,
        kind="litellm" if name == LITELLM else "sheet",
        skipped=0,
    )
    return SourceRead(name, data=data)


def test_a_good_source_updates_prices_and_says_what_changed(prices):
    merged = merge_sources(
        prices, [source(LITELLM, {"claude-haiku-4-5": model(0.8e-6, 5e-6)})], TODAY
    )
    assert merged.failed == []
    haiku = merged.sheet.models["claude-haiku-4-5"]
    assert haiku.input_cost_per_token == 0.8e-6
    assert haiku.source.startswith(f"{LITELLM} (read 2026-11-30)")
    assert merged.sheet.as_of == TODAY and LITELLM in merged.sheet.source
    inputs = [c for c in merged.changes if c.field == "input_cost_per_token"]
    assert [(c.item, c.old, c.new) for c in inputs] == [("claude-haiku-4-5", 1e-6, 0.8e-6)]
    assert inputs[0].ratio == pytest.approx(0.8)


def test_an_unreadable_source_is_skipped_and_the_others_apply(prices):
    merged = merge_sources(
        prices,
        [
            SourceRead(TEAM, problem="timed out after 20 s"),
            source(LITELLM, {"claude-haiku-4-5": model(0.8e-6, 5e-6)}),
        ],
        TODAY,
    )
    assert [(o.name, o.applied, o.problem) for o in merged.outcomes] == [
        (TEAM, False, "timed out after 20 s"),
        (LITELLM, True, None),
    ]
    assert merged.sheet.models["claude-haiku-4-5"].input_cost_per_token == 0.8e-6


@pytest.mark.parametrize(
    ("new_input", "applied"),
    [(0.21e-6, True), (0.19e-6, False), (4.9e-6, True), (5.1e-6, False)],
    ids=["4.8x down", "5.3x down", "4.9x up", "5.1x up"],
)
def test_a_price_that_moved_more_than_the_factor_holds_the_source_back(prices, new_input, applied):
    update = {"claude-haiku-4-5": model(new_input, 5e-6)}
    merged = merge_sources(prices, [source(LITELLM, update)], TODAY)
    assert (merged.failed == []) is applied
    kept = merged.sheet.models["claude-haiku-4-5"].input_cost_per_token
    assert kept == (new_input if applied else 1e-6)
    if not applied:
        assert "moved more than 5×" in merged.failed[0].problem
        assert "claude-haiku-4-5 input_cost_per_token" in merged.failed[0].problem
        assert merged.changes == []


def test_the_factor_is_configurable(prices):
    update = {"claude-haiku-4-5": model(0.1e-6, 5e-6)}  # the 2026 tenfold drop
    assert merge_sources(prices, [source(LITELLM, update)], TODAY).failed
    assert not merge_sources(prices, [source(LITELLM, update)], TODAY, max_factor=11).failed
    with pytest.raises(ValueError, match="above 1"):
        merge_sources(prices, [], TODAY, max_factor=1)


def test_a_model_that_vanished_from_its_source_holds_the_source_back(prices):
    first = merge_sources(
        prices,
        [source(LITELLM, {"claude-haiku-4-5": model(1e-6, 5e-6), "claude-new-1": model(2e-6)})],
        TODAY,
    )
    later = merge_sources(
        first.sheet,
        [source(LITELLM, {"claude-haiku-4-5": model(0.9e-6, 5e-6)})],
        TODAY + dt.timedelta(days=7),
    )
    (failed,) = later.failed
    assert "claude-new-1 vanished" in failed.problem
    assert later.sheet.models["claude-new-1"].input_cost_per_token == 2e-6  # kept
    assert later.sheet.models["claude-haiku-4-5"].input_cost_per_token == 1e-6


def test_models_other_sources_priced_may_be_missing_from_this_one(prices):
    # the shipped sheet's own models were never read from LiteLLM: not "vanished"
    merged = merge_sources(prices, [source(LITELLM, {"claude-new-1": model(2e-6)})], TODAY)
    assert merged.failed == [] and "claude-sonnet-4-5" in merged.sheet.models


def test_serving_options_are_replaced_by_id_and_checked_too(prices):
    option_id = prices.finetune_serving[-1].id
    old = prices.finetune_serving[-1]
    assert isinstance(old, DedicatedGpuServing)
    merged = merge_sources(prices, [source(TEAM, serving=[gpu(option_id, 0.99)])], TODAY)
    new = next(o for o in merged.sheet.finetune_serving if o.id == option_id)
    assert new.gpu_hourly_usd == 0.99
    assert len(merged.sheet.finetune_serving) == len(prices.finetune_serving)
    jump = merge_sources(prices, [source(TEAM, serving=[gpu(option_id, 99.0)])], TODAY)
    assert jump.failed and option_id in jump.failed[0].problem


def test_dated_snapshot_ids_collapse_into_their_alias(prices):
    merged = merge_sources(
        prices,
        [
            source(
                LITELLM,
                {
                    "claude-haiku-4-5": model(1e-6, 5e-6),
                    "claude-haiku-4-5-20251001": model(1e-6, 5e-6),
                    "claude-lone-4-20250101": model(3e-6),
                },
            )
        ],
        TODAY,
    )
    assert "claude-haiku-4-5-20251001" not in merged.sheet.models
    assert "claude-lone-4-20250101" in merged.sheet.models  # no alias: kept as it is


def test_the_content_hash_ignores_dates_and_source_notes(prices):
    again = prices.models["claude-haiku-4-5"].model_copy(update={"source": "LiteLLM again"})
    same = merge_sources(prices, [source(LITELLM, {"claude-haiku-4-5": again})], TODAY)
    assert same.sheet.as_of != prices.as_of and same.changes == []
    assert content_hash(same.sheet) == content_hash(prices)
    moved = merge_sources(
        prices, [source(LITELLM, {"claude-haiku-4-5": model(0.9e-6, 5e-6)})], TODAY
    )
    assert content_hash(moved.sheet) != content_hash(prices)


def test_price_changes_list_additions_and_removals(prices):
    grown = merge_sources(prices, [source(LITELLM, {"claude-new-1": model(2e-6)})], TODAY).sheet
    added = [c for c in price_changes(prices, grown) if c.item == "claude-new-1"]
    assert {(c.field, c.old) for c in added} >= {("input_cost_per_token", None)}
    removed = [c for c in price_changes(grown, prices) if c.item == "claude-new-1"]
    assert all(c.new is None for c in removed)


def test_a_model_retired_before_it_was_ever_listed_is_not_added(prices):
    gone = model(3e-6, deprecation_date=dt.date(2026, 2, 19))
    merged = merge_sources(prices, [source(LITELLM, {"claude-3-7-sonnet-20250219": gone})], TODAY)
    assert "claude-3-7-sonnet-20250219" not in merged.sheet.models
    retiring = {"claude-sonnet-4-5": model(3e-6, 1.5e-5, deprecation_date=dt.date(2026, 11, 30))}
    kept = merge_sources(prices, [source(LITELLM, retiring)], TODAY).sheet
    assert kept.models["claude-sonnet-4-5"].deprecation_date == dt.date(2026, 11, 30)
