"""What would have to be true for the verdict to flip: the volumes, build cost, ops and price
at which a fine-tune pays back within the horizon.

Computed by replica band, not by sampling volumes. At a volume V the fine-tune saves
g(V) = V × competitor price − serving(V) a month; it pays back within H months when
g(V) − ops > 0 and build ÷ (g(V) − ops) ≤ H. A per-token (or scale-to-zero) option makes g
linear, so it passes from one volume on. A dedicated GPU costs a whole replica more at each
capacity step, so g drops at every step and the passing volumes are ranges: within a band
of k replicas, g rises with V, so each band passes from some volume to its top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from knowledge.billing import Workload
from knowledge.breakeven import (
    SECONDS_PER_MONTH,
    Serving,
    ServingOptionT,
    cheapest_serving,
    gpu_seconds_per_call,
    payback_months,
    serving_cost,
)
from knowledge.prices import HOURS_PER_MONTH, DedicatedGpuServing

MAX_CALLS = 10**11  # beyond this no volume is reported
MAX_DEAD_ZONES = 5
MAX_PARTIAL_BANDS = 1000  # replica bands that pass only in part, per option, before the tail

Interval = tuple[int, int | None]  # [from, to] calls a month, inclusive; None: no upper end


@dataclass(frozen=True)
class Thresholds:
    min_monthly_calls: int | None
    dead_zones: list[tuple[int, int]]  # [from, to): one more GPU breaks the payback there
    always_pays_above_calls: int | None
    max_build_cost_usd: float | None
    max_monthly_ops_usd: float | None
    frontier_price_factor: float | None

    def to_json(self) -> dict[str, object]:
        def rounded(value: float | None, digits: int) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "min_monthly_calls": self.min_monthly_calls,
            "dead_zones": [[start, end] for start, end in self.dead_zones],
            "always_pays_above_calls": self.always_pays_above_calls,
            "max_build_cost_usd": rounded(self.max_build_cost_usd, 2),
            "max_monthly_ops_usd": rounded(self.max_monthly_ops_usd, 2),
            "frontier_price_factor": rounded(self.frontier_price_factor, 4),
        }


@dataclass(frozen=True)
class _Payback:
    """The pass test at one volume, exactly as the decision computes it."""

    frontier_per_call: float
    serving: Serving
    workload: Workload
    build_cost: float
    monthly_ops: float
    horizon: float

    def option_pays(self, option: ServingOptionT, calls: int) -> bool:
        if calls <= 0:
            return False
        workload = self.workload.with_calls(calls)
        cost = serving_cost(option, workload, self.serving)
        net = calls * self.frontier_per_call - cost.monthly - self.monthly_ops
        return payback_months(self.build_cost, net) <= self.horizon

    @property
    def need(self) -> float:
        """Monthly savings (before ops) the fine-tune must reach: ops plus build ÷ horizon."""
        return self.monthly_ops + self.build_cost / self.horizon

    def first_passing(self, option: ServingOptionT, estimate: float, low: int, high: int) -> int:
        """The lowest volume in [low, high] from which `option` passes, near `estimate`
        (rounding can put the exact one a call or two off); high + 1 when none does."""
        if estimate > high:
            return high + 1
        calls = max(low, math.ceil(estimate) if math.isfinite(estimate) else high + 1)
        if calls > high:
            return high + 1
        while calls > low and self.option_pays(option, calls - 1):
            calls -= 1
        while calls <= high and not self.option_pays(option, calls):
            calls += 1
            if calls - max(low, math.ceil(estimate)) > 3:  # g rises in a band: not far off
                return high + 1
        return calls


def _linear_intervals(p: _Payback, option: ServingOptionT) -> list[Interval]:
    per_call = serving_cost(option, p.workload.with_calls(1), p.serving).per_call
    margin = p.frontier_per_call - per_call
    if margin <= 0:
        return []
    start = p.first_passing(option, p.need / margin, 1, MAX_CALLS)
    return [(start, None)] if start <= MAX_CALLS else []


def _band_top(option: DedicatedGpuServing, seconds: float, replicas: int) -> int:
    """The highest volume `replicas` GPUs carry (GPU count steps up right above it)."""
    capacity = SECONDS_PER_MONTH * option.max_utilization
    top = math.floor(replicas * capacity / seconds)
    # the decision counts replicas as ceil(calls × seconds ÷ capacity): agree with it exactly
    while top > 0 and math.ceil(top * seconds / capacity) > replicas:
        top -= 1
    while math.ceil((top + 1) * seconds / capacity) <= replicas:
        top += 1
    return top


def _band_intervals(p: _Payback, option: DedicatedGpuServing) -> list[Interval]:
    seconds = gpu_seconds_per_call(option, p.workload)
    floor = p.serving.floor(option)
    replica_month = HOURS_PER_MONTH * option.gpu_hourly_usd
    f = p.frontier_per_call
    if f <= 0:
        return []
    if seconds <= 0:  # nothing to compute: the floor of replicas carries any volume
        start = p.first_passing(option, (p.need + floor * replica_month) / f, 1, MAX_CALLS)
        return [(start, None)] if start <= MAX_CALLS else []
    per_replica = SECONDS_PER_MONTH * option.max_utilization / seconds  # calls a GPU carries
    margin = per_replica * f - replica_month  # what one more full GPU adds to g
    if margin <= 0:
        return []  # at the top of a band of k GPUs g is at most k × margin: it never pays
    # a band of k GPUs passes nowhere below k × margin ≥ need: skip those bands
    replicas = max(floor, math.floor(p.need / margin) - 1)
    low = 1 if replicas == floor else _band_top(option, seconds, replicas - 1) + 1
    intervals: list[Interval] = []
    while low <= MAX_CALLS:
        high = _band_top(option, seconds, replicas)
        estimate = (p.need + replicas * replica_month) / f
        start = p.first_passing(option, estimate, low, high)
        if start == low and replicas > floor:
            intervals.append((low, None))  # a whole band passes: so does every band above
            break
        if start <= high:
            intervals.append((start, high))
        if len(intervals) >= MAX_PARTIAL_BANDS:
            tail = max(replicas + 1, math.ceil((p.need + per_replica * f) / margin))
            intervals.append((_band_top(option, seconds, tail - 1) + 1, None))
            break
        replicas += 1
        low = high + 1
    return [(start, end) for start, end in intervals if start <= MAX_CALLS]


def passing_volumes(p: _Payback) -> list[Interval]:
    """The monthly volumes at which the cheapest eligible option pays back, as merged ranges."""
    ranges: list[Interval] = []
    for option in p.serving.options:
        linear = not isinstance(option, DedicatedGpuServing) or p.serving.scales_to_zero(option)
        ranges += _linear_intervals(p, option) if linear else _band_intervals(p, option)  # type: ignore[arg-type]
    ranges.sort(key=lambda r: r[0])
    merged: list[Interval] = []
    for start, end in ranges:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end + 1:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def thresholds(
    frontier_per_call: float,
    serving: Serving,
    workload: Workload,
    *,
    build_cost: float,
    monthly_ops: float,
    horizon: float,
) -> Thresholds:
    p = _Payback(frontier_per_call, serving, workload, build_cost, monthly_ops, horizon)
    ranges = passing_volumes(p)
    dead_zones = [(end + 1, start) for (_, end), (start, _) in pairwise(ranges)][:MAX_DEAD_ZONES]
    always = ranges[-1][0] if ranges and ranges[-1][1] is None else None
    today = workload.monthly_calls
    fine_tuned = cheapest_serving(serving, workload)
    frontier_monthly = today * frontier_per_call
    savings = frontier_monthly - fine_tuned.monthly
    net = savings - monthly_ops
    return Thresholds(
        min_monthly_calls=ranges[0][0] if ranges else None,
        dead_zones=[(start, end) for start, end in dead_zones if end is not None],
        always_pays_above_calls=always,
        max_build_cost_usd=net * horizon if net > 0 and math.isfinite(net) else None,
        max_monthly_ops_usd=(
            savings - build_cost / horizon
            if math.isfinite(savings) and savings - build_cost / horizon >= 0
            else None
        ),
        frontier_price_factor=(
            (fine_tuned.monthly + monthly_ops + build_cost / horizon) / frontier_monthly
            if frontier_monthly > 0 and math.isfinite(fine_tuned.monthly)
            else None
        ),
    )
