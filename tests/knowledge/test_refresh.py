"""Merging price sources over the last good sheet: good data in, bad sources kept out."""

import datetime as dt

import pytest

from knowledge.price_sources import Skipped, SourceData
from knowledge.prices import DedicatedGpuServing, ModelPrice
from knowledge.refresh import (
    SKIP_RETIRED,
    SKIP_SNAPSHOT,
    SourceRead,
    content_hash,
    merge_sources,
    price_changes,
    source_identity,
)

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
    assert haiku.source == f"[litellm] {LITELLM} (read 2026-11-30)"
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


# --- what a source priced is its identity's, wherever it is read from ---------------------


@pytest.mark.parametrize(
    ("name", "kind", "identity"),
    [
        (LITELLM, "litellm", "litellm"),
        ("/srv/ftscope/model_prices_and_context_window.json", "litellm", "litellm"),
        ("/srv/ftscope/team-gpus.yaml", "sheet", "sheet:team-gpus"),
        ("https://files.example.test/ops/team-gpus.json?token=x", "sheet", "sheet:team-gpus"),
        ("team-gpus.yaml", "sheet", "sheet:team-gpus"),
    ],
)
def test_a_source_is_known_by_its_identity(name, kind, identity):
    assert source_identity(name, kind) == identity


def test_a_model_that_vanished_is_caught_when_the_same_map_moved(prices):
    first = merge_sources(
        prices,
        [source(LITELLM, {"claude-haiku-4-5": model(1e-6, 5e-6), "claude-new-1": model(2e-6)})],
        TODAY,
    )
    local = "/srv/ftscope/model_prices_and_context_window.json"
    moved = SourceRead(local, data=source(LITELLM, {"claude-haiku-4-5": model(1e-6, 5e-6)}).data)
    (failed,) = merge_sources(first.sheet, [moved], TODAY).failed
    assert failed.name == local and "claude-new-1 vanished" in failed.problem


def test_sheets_stored_before_identities_are_still_checked_by_location(prices):
    legacy = prices.models["claude-haiku-4-5"].model_copy(
        update={"source": f"{LITELLM} (read 2026-11-23): https://platform.claude.com"}
    )
    sheet = prices.model_copy(update={"models": {**prices.models, "claude-old-1": legacy}})
    (failed,) = merge_sources(sheet, [source(LITELLM, {})], TODAY).failed
    assert "claude-old-1 vanished" in failed.problem


# --- a source sets only the keys it gives ----------------------------------------------------


def test_team_keys_survive_a_source_without_them(prices):
    mythos = prices.models["claude-mythos-5"]
    assert mythos.restricted
    read = model(mythos.input_cost_per_token, mythos.output_cost_per_token)  # LiteLLM's: no flag
    sonnet = prices.models["claude-sonnet-4-5"]
    again = model(sonnet.input_cost_per_token, sonnet.output_cost_per_token)
    merged = merge_sources(
        prices, [source(LITELLM, {"claude-mythos-5": read, "claude-sonnet-4-5": again})], TODAY
    )
    assert merged.failed == []
    assert merged.sheet.models["claude-mythos-5"].restricted
    assert merged.sheet.models["claude-sonnet-4-5"].successor == "claude-sonnet-5-5"


def test_a_source_may_set_a_team_key_it_names(prices):
    mythos = prices.models["claude-mythos-5"]
    opened = model(mythos.input_cost_per_token, mythos.output_cost_per_token, restricted=False)
    merged = merge_sources(prices, [source(TEAM, {"claude-mythos-5": opened})], TODAY)
    assert not merged.sheet.models["claude-mythos-5"].restricted


def test_a_model_new_to_the_sheet_takes_the_team_keys_the_shipped_sheet_knows(prices):
    known = {"claude-new-1": model(2e-6, restricted=True, token_count_factor=1.3)}
    merged = merge_sources(
        prices, [source(LITELLM, {"claude-new-1": model(2e-6)})], TODAY, known=known
    )
    new = merged.sheet.models["claude-new-1"]
    assert new.restricted and new.token_count_factor == 1.3


def test_serving_keys_a_team_sheet_leaves_out_are_kept(prices):
    old = next(o for o in prices.finetune_serving if isinstance(o, DedicatedGpuServing))
    assert old.first_token_ms is not None
    merged = merge_sources(prices, [source(TEAM, serving=[gpu(old.id, 0.99)])], TODAY)
    new = next(o for o in merged.sheet.finetune_serving if o.id == old.id)
    assert new.gpu_hourly_usd == 0.99
    assert (new.first_token_ms, new.scale_to_zero) == (old.first_token_ms, old.scale_to_zero)


# --- every entry accounted for -----------------------------------------------------------


def test_the_outcome_says_what_was_stored_and_what_was_left_out(prices):
    listed = {
        "claude-haiku-4-5": model(1e-6, 5e-6),
        "claude-haiku-4-5-20251001": model(1e-6, 5e-6),
        "claude-gone-1": model(3e-6, deprecation_date=dt.date(2026, 2, 19)),
        "claude-new-1": model(2e-6),
    }
    read = SourceRead(
        LITELLM,
        data=SourceData(
            models=listed,
            serving=[],
            as_of=None,
            label=LITELLM,
            kind="litellm",
            skipped=10,
            entries=14,
            skipped_why=(Skipped("other providers' models", 10),),
        ),
    )
    (outcome,) = merge_sources(prices, [read], TODAY).outcomes
    assert outcome.stored_models == ("claude-haiku-4-5", "claude-new-1")
    assert outcome.skipped == (
        Skipped("other providers' models", 10),
        Skipped(SKIP_SNAPSHOT, 1, ("claude-haiku-4-5-20251001",)),
        Skipped(SKIP_RETIRED, 1, ("claude-gone-1 (retired 2026-02-19)",)),
    )
    assert len(outcome.stored_models) + outcome.skipped_count == outcome.entries
