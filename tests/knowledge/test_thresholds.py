"""`thresholds` against a brute-force scan of the decision's own payback over volume.

The scan asks the same question the verdict asks at each volume (does the fine-tune, on the
cheapest eligible option, pay back within the horizon against the competitor?), at every
volume up to a few thousand, on a geometric grid up to 10^11, and on both sides of every
replica step, found by bisection on the replica count.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.billing import Mode, Priced, Workload
from knowledge.breakeven import Serving, breakeven, replicas_needed
from knowledge.prices import DedicatedGpuServing, PerTokenServing
from knowledge.thresholds import MAX_CALLS, MAX_DEAD_ZONES, thresholds

HORIZON = 12.0


@st.composite
def gpu_options(draw, index: int) -> DedicatedGpuServing:
    return DedicatedGpuServing(
        id=f"gpu-{index}",
        kind="dedicated_gpu",
        gpu_hourly_usd=draw(st.floats(0.1, 8)),
        # slow GPUs and long prompts keep replica steps at volumes a scan can reach
        prefill_tokens_per_s=draw(st.floats(50, 20_000)),
        decode_tokens_per_s=draw(st.floats(5, 3_000)),
        min_replicas=draw(st.integers(1, 3)),
        max_utilization=draw(st.floats(0.05, 1.0)),
        scale_to_zero=draw(st.booleans()),
    )


@st.composite
def per_token_options(draw, index: int) -> PerTokenServing:
    return PerTokenServing(
        id=f"tok-{index}",
        kind="per_token",
        input_cost_per_token=draw(st.floats(1e-9, 1e-5)),
        output_cost_per_token=draw(st.floats(1e-9, 1e-5)),
    )


@st.composite
def servings(draw) -> Serving:
    count = draw(st.integers(1, 3))
    options = [
        draw(draw(st.sampled_from([gpu_options, gpu_options, per_token_options]))(index=i))
        for i in range(count)
    ]
    return Serving(options, batch=draw(st.booleans()), min_replicas=draw(st.integers(1, 3)))


@st.composite
def cases(draw):
    input_tokens = draw(st.integers(1, 20_000))
    workload = Workload(
        monthly_calls=draw(st.integers(0, 10**9)),
        input_tokens=input_tokens,
        output_tokens=draw(st.integers(0, 2_000)),
        cached_prefix_tokens=draw(st.integers(0, input_tokens)),
    )
    frontier = draw(st.floats(1e-6, 1e-2))
    build = draw(st.sampled_from([0.0, 1_000.0, 27_500.0, draw(st.floats(1, 1e6))]))
    ops = draw(st.sampled_from([0.0, 2_000.0, draw(st.floats(1, 1e5))]))
    return draw(servings()), workload, frontier, build, ops


def pays(serving, workload, frontier, build, ops, calls: int) -> bool:
    """The verdict's own Q3 at `calls` a month."""
    at = workload.with_calls(calls)
    competitor = Priced("frontier", Mode.realtime, frontier, calls, cached=False)
    return breakeven(competitor, serving, at, build, ops).payback_months <= HORIZON


def replica_steps(serving, workload) -> set[int]:
    """Volumes on both sides of every GPU-count step below 10^11 (bisection, 40 steps each)."""
    found: set[int] = set()
    for option in serving.options:
        if not isinstance(option, DedicatedGpuServing) or serving.scales_to_zero(option):
            continue

        def count(calls: int, option=option) -> int:
            return replicas_needed(option, workload.with_calls(calls), serving.floor(option))

        low = 1
        for _ in range(40):
            if count(low) == count(MAX_CALLS):
                break
            lo, hi = low, MAX_CALLS
            while hi - lo > 1:  # the last volume with count(low) GPUs
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if count(mid) == count(low) else (lo, mid)
            found |= {lo - 1, lo, lo + 1, lo + 2}
            low = lo + 1
    return found


def scan_points(serving, workload, result) -> list[int]:
    points = set(range(1, 3001))
    points |= {int(1.05**k) for k in range(int(math.log(MAX_CALLS) / math.log(1.05)))}
    points |= replica_steps(serving, workload)
    for edge in (
        result.min_monthly_calls,
        result.always_pays_above_calls,
        *(v for zone in result.dead_zones for v in zone),
    ):
        if edge is not None:
            points |= {edge - 1, edge, edge + 1}
    return sorted(p for p in points if 1 <= p <= MAX_CALLS)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_thresholds_agree_with_a_scan_of_the_payback(case):
    serving, workload, frontier, build, ops = case
    result = thresholds(frontier, serving, workload, build_cost=build, monthly_ops=ops, horizon=12)
    points = scan_points(serving, workload, result)
    passing = [p for p in points if pays(serving, workload, frontier, build, ops, p)]

    if result.min_monthly_calls is None:
        assert passing == []
        return
    low = result.min_monthly_calls
    assert pays(serving, workload, frontier, build, ops, low)
    assert low == 1 or not pays(serving, workload, frontier, build, ops, low - 1)
    assert min(passing) == low
    for start, end in result.dead_zones:  # [start, end): fails inside, passes at both edges
        assert low < start < end
        assert not pays(serving, workload, frontier, build, ops, start)
        assert not pays(serving, workload, frontier, build, ops, end - 1)
        assert pays(serving, workload, frontier, build, ops, start - 1)
        assert pays(serving, workload, frontier, build, ops, end)
    if len(result.dead_zones) < MAX_DEAD_ZONES:
        # every failing scanned volume above the minimum lies in a listed zone or past the end
        tail = result.always_pays_above_calls
        for p in points:
            if p < low or (tail is not None and p >= tail):
                continue
            inside = any(start <= p < end for start, end in result.dead_zones)
            assert pays(serving, workload, frontier, build, ops, p) != inside, p
    if result.always_pays_above_calls is not None:
        tail = result.always_pays_above_calls
        assert all(pays(serving, workload, frontier, build, ops, p) for p in points if p >= tail)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_today_figures_mark_the_horizon_exactly(case):
    serving, workload, frontier, build, ops = case
    calls = max(workload.monthly_calls, 1)
    workload = workload.with_calls(calls)
    result = thresholds(frontier, serving, workload, build_cost=build, monthly_ops=ops, horizon=12)
    competitor = Priced("frontier", Mode.realtime, frontier, calls, cached=False)
    today = breakeven(competitor, serving, workload, build, ops)
    if result.max_build_cost_usd is not None:
        at_limit = breakeven(competitor, serving, workload, result.max_build_cost_usd, ops)
        assert math.isclose(at_limit.payback_months, HORIZON, rel_tol=1e-6) or (
            result.max_build_cost_usd == 0
        )
    if result.max_monthly_ops_usd is not None and build > 0:
        at_limit = breakeven(competitor, serving, workload, build, result.max_monthly_ops_usd)
        assert math.isclose(at_limit.payback_months, HORIZON, rel_tol=1e-6)
    if result.frontier_price_factor is not None and build > 0:
        scaled = Priced(
            "frontier", Mode.realtime, frontier * result.frontier_price_factor, calls, False
        )
        at_limit = breakeven(scaled, serving, workload, build, ops)
        assert math.isclose(at_limit.payback_months, HORIZON, rel_tol=1e-6)
        assert (result.frontier_price_factor <= 1) == (today.payback_months <= HORIZON)
