"""What `decide` returns, and its JSON form (the public `ftscope decide --format json`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from knowledge.billing import Priced
from knowledge.breakeven import Breakeven
from knowledge.facts import Facts
from knowledge.labels import Labelled
from knowledge.thresholds import Thresholds


class Verdict(Labelled):
    """What the decision recommends; `label` is how a reply titles it."""

    fine_tune = "fine_tune", "Fine-tune"
    prompt = "prompt", "Prompt the frontier model"
    rag = "rag", "RAG or long context with caching"
    measure_baseline = "measure_baseline", "Measure the prompted baseline first"
    build_dataset = "build_dataset", "Build the training set first"
    need_info = "need_info", "More facts needed"


class Gate(Labelled):
    """A gate's state; its label is the icon a reply marks it with."""

    passed = "pass", "✅"
    failed = "fail", "❌"
    skipped = "skipped", "⏭️"
    unknown = "unknown", "❔"
    not_reached = "not_reached", "▫️"

    @property
    def icon(self) -> str:
        return self.label


class GateName(Labelled):
    """The playbook's three questions, in the order they are asked; `label` titles each."""

    q1_baseline = "q1_baseline", "Q1 baseline"
    q2_data = "q2_data", "Q2 labeled data"
    q3_volume = "q3_volume", "Q3 volume"


class Case(Labelled):
    """The four cases where fine-tuning can win; `label` titles each."""

    C1 = "C1", "C1 volume"
    C2 = "C2", "C2 domain language"
    C3 = "C3", "C3 latency"
    C4 = "C4", "C4 output format"


GATE_NAMES: tuple[GateName, ...] = tuple(GateName)
MATH_KEYS = (
    "frontier_model",
    "frontier_mode",
    "frontier_cost_per_call",
    "finetune_option",
    "finetune_cost_per_call",
    "savings_per_call",
    "savings_pct",
    "monthly_savings",
    "monthly_ops",
    "build_cost",
    "breakeven_calls",
    "breakeven_calls_before_ops",
    "payback_months",
    "dataset_cost",
)
CASE_NAMES: tuple[Case, ...] = tuple(Case)


@dataclass(frozen=True)
class DatasetCost:
    """Under build_dataset: what the missing labeled examples would cost."""

    examples_needed: int
    per_example_usd: float
    frontier_labels_usd: float | None  # labelled by the baseline model, when it meets the target

    @property
    def human_labels_usd(self) -> float:
        return self.examples_needed * self.per_example_usd


@dataclass
class Decision:
    verdict: Verdict
    cases: list[Case]
    gates: dict[GateName, Gate]
    missing: list[str]
    breakeven: Breakeven | None
    assumptions: list[str]
    price_sheet_as_of: str
    price_sheet_source: str
    reasons: list[str]
    # for the templates; not part of the JSON interface
    summary: str = ""  # why the verdict, in a few words
    facts: Facts = field(default_factory=Facts)
    case_notes: dict[Case, str] = field(default_factory=dict)
    gate_notes: dict[GateName, str] = field(default_factory=dict)
    # the market of version 2 (spec/decision.md, "Version 2")
    baseline: Priced | None = None  # the buyer's model (after retirements), realtime
    alternatives: list[Priced] = field(default_factory=list)
    competitor: Priced | None = None
    measure_models: list[str] = field(default_factory=list)
    # the fine-tune against the cheapest way of prompting, when that is cheaper than the
    # competitor (its quality unknown or lower): what a buyer asks next
    against_cheapest: Breakeven | None = None
    thresholds: Thresholds | None = None
    warnings: list[str] = field(default_factory=list)
    dataset: DatasetCost | None = None
    on_device_build_cost: float | None = None  # on device: no serving or frontier to compare
    horizon_months: float = 12.0

    @property
    def cheaper_frontier(self) -> Priced | None:
        """The cheapest way of prompting, when it is cheaper than the competitor."""
        if not self.alternatives or self.competitor is None:
            return None
        cheapest = self.alternatives[0]
        return cheapest if cheapest.cost_per_call < self.competitor.cost_per_call else None

    def math_json(self) -> dict[str, Any] | None:
        b = self.breakeven
        dataset = None if self.dataset is None else _finite(self.dataset.human_labels_usd, 2)
        if b is None:
            if self.on_device_build_cost is None:
                return None
            return {
                **dict.fromkeys(MATH_KEYS),
                "build_cost": _finite(self.on_device_build_cost, 2),
                "dataset_cost": dataset,
            }
        return {
            "frontier_model": b.frontier_model,
            "frontier_mode": b.frontier_mode.value,
            "frontier_cost_per_call": _finite(b.frontier_cost_per_call, 10),
            "finetune_option": b.serving.option.id,
            "finetune_cost_per_call": _finite(b.serving.per_call, 10),
            "savings_per_call": _finite(b.savings_per_call, 10),
            "savings_pct": None if b.savings_pct is None else _finite(b.savings_pct, 4),
            "monthly_savings": _finite(b.monthly_savings, 2),
            "monthly_ops": _finite(b.monthly_ops, 2),
            "build_cost": _finite(b.build_cost, 2),
            "breakeven_calls": _finite(b.breakeven_calls, 0),
            "breakeven_calls_before_ops": _finite(b.breakeven_calls_before_ops, 0),
            "payback_months": _finite(b.payback_months, 2),
            "dataset_cost": dataset,
        }

    def to_json(self) -> dict[str, Any]:
        """The `decide` JSON of spec/decision.md, field for field."""
        return {
            "verdict": self.verdict.value,
            "cases": [str(case) for case in self.cases],
            "gates": {name.value: self.gates[name].value for name in GATE_NAMES},
            "missing": list(self.missing),
            "math": self.math_json(),
            "assumptions": list(self.assumptions),
            "price_sheet": {"as_of": self.price_sheet_as_of, "source": self.price_sheet_source},
            "reasons": list(self.reasons),
            "alternatives": [p.to_json() for p in self.alternatives],
            "competitor": (
                None
                if self.competitor is None
                else {"model": self.competitor.model, "mode": self.competitor.mode.value}
            ),
            "measure_models": list(self.measure_models),
            "thresholds": None if self.thresholds is None else self.thresholds.to_json(),
            "warnings": list(self.warnings),
        }


def _finite(value: float, digits: int) -> float | None:
    """JSON has no infinity: infinite values are written as null (a reason says why)."""
    if not math.isfinite(value):
        return None
    return float(round(value, digits))
