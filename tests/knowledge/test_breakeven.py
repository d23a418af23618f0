"""Properties of the breakeven math, over generated price sheets and workloads."""

import datetime as dt
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from knowledge import Facts, decide
from knowledge.billing import Mode, price
from knowledge.breakeven import (
    Serving,
    Workload,
    breakeven,
    cheapest_serving,
    replicas_needed,
    serving_cost,
)
from knowledge.prices import DedicatedGpuServing, ModelPrice, PerTokenServing, PriceSheet

per_token_price = st.floats(1e-9, 1e-4)
calls = st.integers(0, 10**10)


@st.composite
def models(draw) -> ModelPrice:
    price_in = draw(per_token_price)
    return ModelPrice(
        input_cost_per_token=price_in,
        output_cost_per_token=draw(per_token_price),
        cache_read_input_token_cost=draw(st.floats(1e-10, 1.0)) * price_in,
    )


@st.composite
def per_token_options(draw, index: int = 0) -> PerTokenServing:
    return PerTokenServing(
        id=f"tok-{index}",
        kind="per_token",
        input_cost_per_token=draw(per_token_price),
        output_cost_per_token=draw(per_token_price),
    )


@st.composite
def gpu_options(draw, index: int = 0) -> DedicatedGpuServing:
    return DedicatedGpuServing(
        id=f"gpu-{index}",
        kind="dedicated_gpu",
        gpu_hourly_usd=draw(st.floats(0.1, 20)),
        prefill_tokens_per_s=draw(st.floats(100, 100_000)),
        decode_tokens_per_s=draw(st.floats(10, 20_000)),
        min_replicas=draw(st.integers(1, 4)),
        max_utilization=draw(st.floats(0.05, 1.0)),
    )


@st.composite
def sheets(draw, per_token_only: bool = False) -> PriceSheet:
    count = draw(st.integers(1, 4))
    kinds = [per_token_options] if per_token_only else [per_token_options, gpu_options]
    options = [draw(draw(st.sampled_from(kinds))(index=i)) for i in range(count)]
    return PriceSheet(
        as_of=dt.date(2026, 11, 20),
        source="generated",
        models={"frontier": draw(models())},
        finetune_serving=options,
    )


@st.composite
def workloads(draw, monthly_calls=calls) -> Workload:
    input_tokens = draw(st.integers(0, 50_000))
    return Workload(
        monthly_calls=draw(monthly_calls),
        input_tokens=input_tokens,
        output_tokens=draw(st.integers(0, 5_000)),
        cached_prefix_tokens=draw(st.integers(0, input_tokens)),
    )


build_costs = st.floats(0, 1e6)
ops_costs = st.floats(0, 1e5)


def against_frontier(sheet, workload, build, ops):
    competitor = price("frontier", sheet.models["frontier"], workload, Mode.realtime)
    return breakeven(competitor, Serving(sheet.finetune_serving), workload, build, ops)


def payback(sheet, workload, build, ops):
    return against_frontier(sheet, workload, build, ops).payback_months


@given(sheets(per_token_only=True), workloads(), st.integers(0, 10**9), build_costs, ops_costs)
def test_more_calls_never_lengthen_payback_on_per_token_serving(sheet, w, extra, build, ops):
    more = Workload(
        w.monthly_calls + extra, w.input_tokens, w.output_tokens, w.cached_prefix_tokens
    )
    assert payback(sheet, more, build, ops) <= payback(sheet, w, build, ops)


@given(sheets(), workloads(), st.integers(0, 10**9), build_costs, ops_costs)
def test_more_calls_never_lengthen_payback_on_the_same_gpus(sheet, w, extra, build, ops):
    """Within a replica count, extra calls only spread the same GPU bill thinner."""
    more = Workload(
        w.monthly_calls + extra, w.input_tokens, w.output_tokens, w.cached_prefix_tokens
    )
    gpus = [o for o in sheet.finetune_serving if isinstance(o, DedicatedGpuServing)]
    assume(all(replicas_needed(o, w) == replicas_needed(o, more) for o in gpus))
    assert payback(sheet, more, build, ops) <= payback(sheet, w, build, ops)


def test_one_more_replica_can_lengthen_payback_by_design():
    """A second GPU is billed for the whole month: the honest cost, not a bug."""
    gpu = DedicatedGpuServing(
        id="gpu",
        kind="dedicated_gpu",
        gpu_hourly_usd=1.0,
        prefill_tokens_per_s=1000,
        decode_tokens_per_s=100,
        min_replicas=1,
        max_utilization=1.0,
    )
    sheet = PriceSheet(
        as_of=dt.date(2026, 11, 20),
        source="t",
        models={"frontier": ModelPrice(input_cost_per_token=1e-6, output_cost_per_token=5e-6)},
        finetune_serving=[gpu],
    )
    per_call_seconds = 0.1 + 0.1  # 100 in / 1000 per s + 10 out / 100 per s
    full = int(730 * 3600 / per_call_seconds)
    at_capacity = Workload(full, 100, 10)
    one_over = Workload(full + 1, 100, 10)

    assert replicas_needed(gpu, at_capacity) == 1
    assert replicas_needed(gpu, one_over) == 2
    assert payback(sheet, one_over, 10_000, 0) > payback(sheet, at_capacity, 10_000, 0)


@given(sheets(), workloads(st.integers(1, 10**10)))
def test_the_cheapest_serving_option_is_chosen(sheet, w):
    chosen = cheapest_serving(Serving(sheet.finetune_serving), w)
    for option in sheet.finetune_serving:
        assert chosen.per_call <= serving_cost(option, w).per_call


@given(models(), workloads(), st.integers(0, 50_000))
def test_cached_prefix_tokens_never_raise_the_frontier_cost(model, w, more_cached):
    cached = min(w.input_tokens, w.cached_prefix_tokens + more_cached)
    more = Workload(w.monthly_calls, w.input_tokens, w.output_tokens, cached)
    assert realtime_cost(model, more) <= realtime_cost(model, w) * (1 + 1e-12)


def realtime_cost(model, workload):
    return price("model", model, workload, Mode.realtime).cost_per_call


@given(sheets(), workloads(), build_costs, ops_costs)
def test_no_savings_means_infinite_breakeven(sheet, w, build, ops):
    result = against_frontier(sheet, w, build, ops)
    if result.savings_per_call <= 0:
        assert result.breakeven_calls_before_ops == math.inf
        assert result.payback_months == math.inf
    else:
        assert result.breakeven_calls_before_ops == pytest.approx(build / result.savings_per_call)


@given(sheets(), workloads(), build_costs, ops_costs)
def test_breakeven_calls_agree_with_the_payback(sheet, w, build, ops):
    """`breakeven_calls` counts ops in, so it is the payback's months of calls, always."""
    result = against_frontier(sheet, w, build, ops)
    if result.payback_months == math.inf:
        assert result.breakeven_calls == math.inf
    else:
        assert result.breakeven_calls == pytest.approx(result.payback_months * w.monthly_calls)


@given(sheets(), workloads(st.integers(10_000_000, 10**10)), build_costs, ops_costs)
def test_no_savings_fails_q3(assumptions, sheet, w, build, ops):
    facts = Facts(
        task_type="classification",
        monthly_calls=w.monthly_calls,
        input_tokens=w.input_tokens,
        output_tokens=w.output_tokens,
        cached_prefix_tokens=w.cached_prefix_tokens,
        frontier_model="frontier",
        baseline_measured=True,
        labeled_examples=5000,
        build_cost_usd=build,
        monthly_ops_usd=ops,
    )
    assumptions = assumptions.model_copy(update={"default_frontier_model": "frontier"})
    decision = decide(facts, sheet, assumptions)
    result = decision.to_json()
    assert decision.breakeven is not None
    if decision.breakeven.savings_per_call <= 0:
        assert result["gates"]["q3_volume"] == "fail"
        assert result["verdict"] == "prompt"
        assert result["math"]["breakeven_calls"] is None
        assert result["math"]["payback_months"] is None
