"""The breakeven math of the playbook: the competitor vs a fine-tuned model, and payback."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from knowledge.billing import Mode, Priced, Workload
from knowledge.prices import (
    HOURS_PER_MONTH,
    DedicatedGpuServing,
    PerTokenServing,
)

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600

ServingOptionT = PerTokenServing | DedicatedGpuServing

__all__ = [
    "Breakeven",
    "Serving",
    "ServingCost",
    "Workload",
    "breakeven",
    "cheapest_serving",
    "gpu_seconds_per_call",
    "payback_months",
    "replicas_needed",
    "serving_cost",
]


@dataclass(frozen=True, slots=True)
class Serving:
    """How the fine-tuned model would run: the options it may use and how they are billed."""

    options: Sequence[ServingOptionT]
    batch: bool = False  # the work can wait: no availability floor, scale-to-zero bills busy time
    min_replicas: int = 1  # the floor for a realtime workload on dedicated GPUs

    def floor(self, option: DedicatedGpuServing) -> int:
        return option.min_replicas if self.batch else max(option.min_replicas, self.min_replicas)

    def scales_to_zero(self, option: DedicatedGpuServing) -> bool:
        return self.batch and option.scale_to_zero


class ServingCost(NamedTuple):
    option: ServingOptionT
    per_call: float  # infinite when a fixed monthly cost is spread over zero calls
    monthly: float
    replicas: int | None = None
    busy_only: bool = False  # scale-to-zero: billed for busy GPU-seconds only


@dataclass(frozen=True, slots=True)
class Breakeven:
    """Q3's numbers against the competitor; infinite values mean 'never pays back'."""

    frontier_model: str
    frontier_mode: Mode
    frontier_cost_per_call: float
    frontier_monthly: float
    monthly_calls: int
    serving: ServingCost
    savings_per_call: float
    savings_pct: float | None
    monthly_savings: float
    monthly_ops: float
    build_cost: float
    breakeven_calls_before_ops: float
    payback_months: float

    @property
    def monthly_net_savings(self) -> float:
        return self.monthly_savings - self.monthly_ops

    @property
    def breakeven_calls(self) -> float:
        """The calls it takes to pay back, ops included: payback months × monthly calls, so
        the two figures always agree."""
        if not math.isfinite(self.payback_months):
            return math.inf
        return self.payback_months * self.monthly_calls


def gpu_seconds_per_call(option: DedicatedGpuServing, workload: Workload) -> float:
    return (
        workload.uncached_input_tokens / option.prefill_tokens_per_s
        + workload.output_tokens / option.decode_tokens_per_s
    )


def replicas_needed(option: DedicatedGpuServing, workload: Workload, floor: int = 1) -> int:
    busy_seconds = workload.monthly_calls * gpu_seconds_per_call(option, workload)
    capacity = SECONDS_PER_MONTH * option.max_utilization
    return max(option.min_replicas, floor, math.ceil(busy_seconds / capacity))


def serving_cost(
    option: ServingOptionT, workload: Workload, serving: Serving | None = None
) -> ServingCost:
    serving = serving or Serving([option])
    if isinstance(option, PerTokenServing):
        per_call = (
            workload.uncached_input_tokens * option.input_cost_per_token
            + workload.output_tokens * option.output_cost_per_token
        )
        return ServingCost(option, per_call, per_call * workload.monthly_calls)
    if serving.scales_to_zero(option):
        per_call = (
            gpu_seconds_per_call(option, workload)
            / option.max_utilization
            / 3600
            * option.gpu_hourly_usd
        )
        return ServingCost(option, per_call, per_call * workload.monthly_calls, busy_only=True)
    replicas = replicas_needed(option, workload, serving.floor(option))
    monthly = replicas * HOURS_PER_MONTH * option.gpu_hourly_usd
    per_call = monthly / workload.monthly_calls if workload.monthly_calls else math.inf
    return ServingCost(option, per_call, monthly, replicas)


def cheapest_serving(serving: Serving, workload: Workload) -> ServingCost:
    """The serving option with the lowest cost at this volume (first listed wins a tie)."""
    costs = [serving_cost(option, workload, serving) for option in serving.options]
    return min(costs, key=lambda cost: (cost.monthly, cost.per_call))


def payback_months(build_cost: float, monthly_net_savings: float) -> float:
    return build_cost / monthly_net_savings if monthly_net_savings > 0 else math.inf


def breakeven(
    competitor: Priced,
    serving: Serving,
    workload: Workload,
    build_cost: float,
    monthly_ops: float,
    *,
    fine_tuned: ServingCost | None = None,
) -> Breakeven:
    """The fine-tune against `competitor`; `fine_tuned` is the cheapest serving of this
    workload when the caller already has it (it depends on the workload alone)."""
    fine_tuned = fine_tuned or cheapest_serving(serving, workload)
    frontier_monthly = competitor.cost_per_call * workload.monthly_calls
    savings_per_call = competitor.cost_per_call - fine_tuned.per_call
    monthly_savings = frontier_monthly - fine_tuned.monthly
    return Breakeven(
        frontier_model=competitor.model,
        frontier_mode=competitor.mode,
        frontier_cost_per_call=competitor.cost_per_call,
        frontier_monthly=frontier_monthly,
        monthly_calls=workload.monthly_calls,
        serving=fine_tuned,
        savings_per_call=savings_per_call,
        savings_pct=(
            savings_per_call / competitor.cost_per_call
            if competitor.cost_per_call > 0 and math.isfinite(savings_per_call)
            else None
        ),
        monthly_savings=monthly_savings,
        monthly_ops=monthly_ops,
        build_cost=build_cost,
        breakeven_calls_before_ops=(
            build_cost / savings_per_call if savings_per_call > 0 else math.inf
        ),
        payback_months=payback_months(build_cost, monthly_savings - monthly_ops),
    )
