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
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from knowledge.billing import Workload
from knowledge.breakeven import (
    SECONDS_PER_MONTH,
    Serving,
    ServingOptionT,
    gpu_seconds_per_call,
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

    @property
    def need(self) -> float:
        """Monthly savings (before ops) the fine-tune must reach: ops plus build ÷ horizon."""
        return self.monthly_ops + self.build_cost / self.horizon

    def pays(self, monthly: Callable[[int], float]) -> Callable[[int], bool]:
        """The decision's test at a volume (`payback_months` ≤ horizon) for one option."""
        f, ops, build, horizon = (
            self.frontier_per_call,
            self.monthly_ops,
            self.build_cost,
            self.horizon,
        )

        def pays(calls: int) -> bool:
            if calls <= 0:
                return False
            net = calls * f - monthly(calls) - ops
            return (build / net if net > 0 else math.inf) <= horizon

        return pays


@dataclass(slots=True)
class _Option:
    """One serving option for this workload, its figures that don't depend on the volume
    computed once (a search asks for dozens of volumes a decision).

    `monthly(calls)` is `serving_cost(option, workload at calls, serving).monthly`: the same
    float operations in the same order, so every answer is identical to the decision's.
    """

    option: ServingOptionT
    linear: bool  # per token, or billed for busy GPU-seconds only (scale to zero)
    per_call: float  # linear: a call's cost at any volume; GPUs: on full replicas (search order)
    monthly: Callable[[int], float]
    # dedicated GPUs only:
    seconds: float = 0.0  # GPU-seconds per call
    capacity: float = 0.0  # GPU-seconds a replica serves a month
    floor: int = 0  # the replicas it runs at any volume
    replica_month: float = 0.0  # what a replica costs a month

    @classmethod
    def of(cls, option: ServingOptionT, serving: Serving, workload: Workload) -> _Option:
        if not isinstance(option, DedicatedGpuServing) or serving.scales_to_zero(option):
            per_call = serving_cost(option, workload.with_calls(1), serving).per_call
            return cls(option, True, per_call, lambda calls: per_call * calls)
        seconds = gpu_seconds_per_call(option, workload)
        capacity = SECONDS_PER_MONTH * option.max_utilization
        floor = serving.floor(option)
        least = max(option.min_replicas, floor)
        hourly = option.gpu_hourly_usd

        def monthly(calls: int) -> float:
            replicas = max(least, math.ceil(calls * seconds / capacity))
            return replicas * HOURS_PER_MONTH * hourly

        return cls(
            option,
            False,
            seconds / capacity * HOURS_PER_MONTH * hourly,
            monthly,
            seconds,
            capacity,
            floor,
            HOURS_PER_MONTH * hourly,
        )


def _first_passing(pays: Callable[[int], bool], estimate: float, low: int, high: int) -> int:
    """The lowest volume in [low, high] from which `pays` holds, near `estimate` (rounding
    can put the exact one a call or two off); high + 1 when none does."""
    if estimate > high:
        return high + 1
    calls = max(low, math.ceil(estimate) if math.isfinite(estimate) else high + 1)
    if calls > high:
        return high + 1
    while calls > low and pays(calls - 1):
        calls -= 1
    while calls <= high and not pays(calls):
        calls += 1
        if calls - max(low, math.ceil(estimate)) > 3:  # g rises in a band: not far off
            return high + 1
    return calls


def _linear_intervals(p: _Payback, o: _Option) -> list[Interval]:
    margin = p.frontier_per_call - o.per_call
    if margin <= 0:
        return []
    start = _first_passing(p.pays(o.monthly), p.need / margin, 1, MAX_CALLS)
    return [(start, None)] if start <= MAX_CALLS else []


def _band_top(o: _Option, replicas: int) -> int:
    """The highest volume `replicas` GPUs carry (GPU count steps up right above it)."""
    seconds, capacity = o.seconds, o.capacity
    top = math.floor(replicas * capacity / seconds)
    # the decision counts replicas as ceil(calls × seconds ÷ capacity): agree with it exactly
    while top > 0 and math.ceil(top * seconds / capacity) > replicas:
        top -= 1
    while math.ceil((top + 1) * seconds / capacity) <= replicas:
        top += 1
    return top


def _band_intervals(p: _Payback, o: _Option, bound: int = MAX_CALLS + 1) -> list[Interval]:
    """The volumes at which `o` pays, band by band, below `bound` (from where the answer is
    known already: another option pays at every volume from there on)."""
    seconds, floor, replica_month = o.seconds, o.floor, o.replica_month
    f = p.frontier_per_call
    if f <= 0:
        return []
    pays = p.pays(o.monthly)
    need = p.need
    if seconds <= 0:  # nothing to compute: the floor of replicas carries any volume
        start = _first_passing(pays, (need + floor * replica_month) / f, 1, MAX_CALLS)
        return [(start, None)] if start <= MAX_CALLS else []
    per_replica = o.capacity / seconds  # calls a GPU carries
    margin = per_replica * f - replica_month  # what one more full GPU adds to g
    if margin <= 0:
        return []  # at the top of a band of k GPUs g is at most k × margin: it never pays
    # a band of k GPUs passes nowhere below k × margin ≥ need: skip those bands
    replicas = max(floor, math.floor(need / margin) - 1)
    low = 1 if replicas == floor else _band_top(o, replicas - 1) + 1
    intervals: list[Interval] = []
    while low < bound:
        high = _band_top(o, replicas)
        estimate = (need + replicas * replica_month) / f
        start = _first_passing(pays, estimate, low, high)
        if start == low and replicas > floor:
            intervals.append((low, None))  # a whole band passes: so does every band above
            break
        if start <= high:
            intervals.append((start, high))
        if len(intervals) >= MAX_PARTIAL_BANDS:
            tail = max(replicas + 1, math.ceil((need + per_replica * f) / margin))
            intervals.append((_band_top(o, tail - 1) + 1, None))
            break
        replicas += 1
        low = high + 1
    return [(start, end) for start, end in intervals if start <= MAX_CALLS]


def passing_volumes(p: _Payback, options: list[_Option] | None = None) -> list[Interval]:
    """The monthly volumes at which the cheapest eligible option pays back, as merged ranges."""
    if options is None:
        options = [_Option.of(option, p.serving, p.workload) for option in p.serving.options]
    ranges: list[Interval] = []
    # Every volume from `bound` on passes on some option: ranges starting there change nothing
    # in the merge below, so the band search stops there. Linear options first, then GPUs by
    # their cost per call when full, make it low early. (Speed only: the union is the same.)
    bound = MAX_CALLS + 1
    linear = [o for o in options if o.linear]
    dedicated = sorted((o for o in options if not o.linear), key=lambda o: o.per_call)
    for o in linear + dedicated:
        found = _linear_intervals(p, o) if o.linear else _band_intervals(p, o, bound)
        for start, end in found:
            if end is None:
                bound = min(bound, start)
        ranges += found
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
    options = [_Option.of(option, serving, workload) for option in serving.options]
    ranges = passing_volumes(p, options)
    dead_zones = [(end + 1, start) for (_, end), (start, _) in pairwise(ranges)][:MAX_DEAD_ZONES]
    always = ranges[-1][0] if ranges and ranges[-1][1] is None else None
    today = workload.monthly_calls
    # the cheapest option's monthly cost today (`cheapest_serving(serving, workload).monthly`)
    fine_tuned_monthly = min(o.monthly(today) for o in options)
    frontier_monthly = today * frontier_per_call
    savings = frontier_monthly - fine_tuned_monthly
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
            (fine_tuned_monthly + monthly_ops + build_cost / horizon) / frontier_monthly
            if frontier_monthly > 0 and math.isfinite(fine_tuned_monthly)
            else None
        ),
    )
