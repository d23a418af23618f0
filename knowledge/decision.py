"""What `decide` returns, and its JSON form (the public `ftscope decide --format json`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from knowledge.breakeven import Breakeven, FrontierAlternative
from knowledge.facts import Facts


class Verdict(StrEnum):
    fine_tune = "fine_tune"
    prompt = "prompt"
    rag = "rag"
    measure_baseline = "measure_baseline"
    build_dataset = "build_dataset"
    need_info = "need_info"


class Gate(StrEnum):
    passed = "pass"
    failed = "fail"
    skipped = "skipped"
    unknown = "unknown"
    not_reached = "not_reached"


GATE_NAMES = ("q1_baseline", "q2_data", "q3_volume")
CASE_NAMES = ("C1", "C2", "C3", "C4")


@dataclass
class Decision:
    verdict: Verdict
    cases: list[str]
    gates: dict[str, Gate]
    missing: list[str]
    breakeven: Breakeven | None
    assumptions: list[str]
    price_sheet_as_of: str
    price_sheet_source: str
    reasons: list[str]
    # for the templates; not part of the JSON interface
    summary: str = ""  # why the verdict, in a few words
    facts: Facts = field(default_factory=Facts)
    case_notes: dict[str, str] = field(default_factory=dict)
    gate_notes: dict[str, str] = field(default_factory=dict)
    cheaper_frontier: FrontierAlternative | None = None

    def math_json(self) -> dict[str, Any] | None:
        b = self.breakeven
        if b is None:
            return None
        return {
            "frontier_model": b.frontier_model,
            "frontier_cost_per_call": _finite(b.frontier_cost_per_call, 10),
            "finetune_option": b.serving.option.id,
            "finetune_cost_per_call": _finite(b.serving.per_call, 10),
            "savings_per_call": _finite(b.savings_per_call, 10),
            "savings_pct": None if b.savings_pct is None else _finite(b.savings_pct, 4),
            "monthly_savings": _finite(b.monthly_savings, 2),
            "monthly_ops": _finite(b.monthly_ops, 2),
            "build_cost": _finite(b.build_cost, 2),
            "breakeven_calls": _finite(b.breakeven_calls, 0),
            "payback_months": _finite(b.payback_months, 2),
        }

    def to_json(self) -> dict[str, Any]:
        """The `decide` JSON of spec/decision.md, field for field."""
        return {
            "verdict": self.verdict.value,
            "cases": list(self.cases),
            "gates": {name: self.gates[name].value for name in GATE_NAMES},
            "missing": list(self.missing),
            "math": self.math_json(),
            "assumptions": list(self.assumptions),
            "price_sheet": {"as_of": self.price_sheet_as_of, "source": self.price_sheet_source},
            "reasons": list(self.reasons),
        }


def _finite(value: float, digits: int) -> float | None:
    """JSON has no infinity: infinite values are written as null (a reason says why)."""
    if not math.isfinite(value):
        return None
    return float(round(value, digits))
