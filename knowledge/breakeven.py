"""The breakeven math of the playbook: frontier vs fine-tuned cost per call, and payback."""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.prices import (
    HOURS_PER_MONTH,
    DedicatedGpuServing,
    ModelPrice,
    PerTokenServing,
    PriceSheet,
)

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass(frozen=True)
class Workload:
    monthly_calls: int
    input_tokens: int
    output_tokens: int
    cached_prefix_tokens: int = 0

    @property
    def uncached_input_tokens(self) -> int:
        """The prompt without its stable prefix: what a fine-tuned model is sent."""
        return self.input_tokens - self.cached_prefix_tokens


@dataclass(frozen=True)
class ServingCost:
    option: PerTokenServing | DedicatedGpuServing
    per_call: float  # infinite when a fixed monthly cost is spread over zero calls
    monthly: float
    replicas: int | None = None


@dataclass(frozen=True)
class Breakeven:
    """Q3's numbers; infinite values mean 'never pays back'."""

    frontier_model: str
    frontier_cost_per_call: float
    frontier_monthly: float
    serving: ServingCost
    savings_per_call: float
    savings_pct: float | None
    monthly_savings: float
    monthly_ops: float
    build_cost: float
    breakeven_calls: float
    payback_months: float

    @property
    def monthly_net_savings(self) -> float:
        return self.monthly_savings - self.monthly_ops


def frontier_cost_per_call(model: ModelPrice, workload: Workload) -> float:
    return (
        workload.uncached_input_tokens * model.input_cost_per_token
        + workload.cached_prefix_tokens * model.cache_read_cost
        + workload.output_tokens * model.output_cost_per_token
    )


def gpu_seconds_per_call(option: DedicatedGpuServing, workload: Workload) -> float:
    return (
        workload.uncached_input_tokens / option.prefill_tokens_per_s
        + workload.output_tokens / option.decode_tokens_per_s
    )


def replicas_needed(option: DedicatedGpuServing, workload: Workload) -> int:
    busy_seconds = workload.monthly_calls * gpu_seconds_per_call(option, workload)
    capacity = SECONDS_PER_MONTH * option.max_utilization
    return max(option.min_replicas, math.ceil(busy_seconds / capacity))


def serving_cost(option: PerTokenServing | DedicatedGpuServing, workload: Workload) -> ServingCost:
    if isinstance(option, PerTokenServing):
        per_call = (
            workload.uncached_input_tokens * option.input_cost_per_token
            + workload.output_tokens * option.output_cost_per_token
        )
        return ServingCost(option, per_call, per_call * workload.monthly_calls)
    replicas = replicas_needed(option, workload)
    monthly = replicas * HOURS_PER_MONTH * option.gpu_hourly_usd
    per_call = monthly / workload.monthly_calls if workload.monthly_calls else math.inf
    return ServingCost(option, per_call, monthly, replicas)


def cheapest_serving(sheet: PriceSheet, workload: Workload) -> ServingCost:
    """The serving option with the lowest cost at this volume (first listed wins a tie)."""
    costs = [serving_cost(option, workload) for option in sheet.finetune_serving]
    return min(costs, key=lambda cost: (cost.monthly, cost.per_call))


def breakeven(
    sheet: PriceSheet,
    frontier_model: str,
    workload: Workload,
    build_cost: float,
    monthly_ops: float,
) -> Breakeven:
    model = sheet.models[frontier_model]
    frontier_per_call = frontier_cost_per_call(model, workload)
    frontier_monthly = frontier_per_call * workload.monthly_calls
    serving = cheapest_serving(sheet, workload)
    savings_per_call = frontier_per_call - serving.per_call
    monthly_savings = frontier_monthly - serving.monthly
    net = monthly_savings - monthly_ops
    return Breakeven(
        frontier_model=frontier_model,
        frontier_cost_per_call=frontier_per_call,
        frontier_monthly=frontier_monthly,
        serving=serving,
        savings_per_call=savings_per_call,
        savings_pct=(
            savings_per_call / frontier_per_call
            if frontier_per_call > 0 and math.isfinite(savings_per_call)
            else None
        ),
        monthly_savings=monthly_savings,
        monthly_ops=monthly_ops,
        build_cost=build_cost,
        breakeven_calls=build_cost / savings_per_call if savings_per_call > 0 else math.inf,
        payback_months=build_cost / net if net > 0 else math.inf,
    )


@dataclass(frozen=True)
class FrontierAlternative:
    model: str
    cost_per_call: float
    monthly: float


def cheapest_frontier(sheet: PriceSheet, workload: Workload) -> FrontierAlternative | None:
    """The model of the sheet that serves this workload for least, retired ones left out."""
    options = [
        FrontierAlternative(name, cost, cost * workload.monthly_calls)
        for name, model in sheet.models.items()
        if not model.retired_by(sheet.as_of)
        for cost in [frontier_cost_per_call(model, workload)]
    ]
    return min(options, key=lambda alt: (alt.cost_per_call, alt.model), default=None)
