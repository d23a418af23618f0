"""Thresholds, build and ops costs, and default token sizes the decision uses."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.documents import parse_document, read_document, require_mapping
from knowledge.errors import InputError, problems_from
from knowledge.facts import TaskType

NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class TokenSizes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: Annotated[int, Field(ge=0)]
    output: Annotated[int, Field(ge=0)]


class Assumptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = None
    source: str | None = None
    engineering_weeks: NonNegative
    weekly_rate_usd: NonNegative
    training_compute_usd: NonNegative
    eval_suite_usd: NonNegative
    monthly_ops_usd: NonNegative
    payback_horizon_months: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    min_labeled_examples: Annotated[int, Field(ge=0)]
    volume_case_min_calls: Annotated[int, Field(ge=0)]
    format_case_min_calls: Annotated[int, Field(ge=0)]
    latency_case_max_first_token_ms: Annotated[int, Field(gt=0)]
    default_frontier_model: str
    default_tokens: dict[TaskType, TokenSizes]
    rationale: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_task_type_has_token_sizes(self) -> Assumptions:
        missing = [t.value for t in TaskType if t not in self.default_tokens]
        if missing:
            raise ValueError(f"default_tokens: missing {', '.join(missing)}")
        return self

    @property
    def computed_build_cost(self) -> float:
        return (
            self.engineering_weeks * self.weekly_rate_usd
            + self.training_compute_usd
            + self.eval_suite_usd
        )


def assumptions_from(data: Any, name: str = "assumptions") -> Assumptions:
    try:
        return Assumptions.model_validate(require_mapping(data, name))
    except ValidationError as exc:
        raise InputError(f"{name}: {line}" for line in problems_from(exc)) from exc


def load_assumptions(path: Path | None = None) -> Assumptions:
    """The assumptions at `path`, or the shipped ones."""
    if path is None:
        text = resources.files("knowledge").joinpath("assumptions.yaml").read_text("utf-8")
        return assumptions_from(parse_document(text, "assumptions.yaml"), "assumptions.yaml")
    return assumptions_from(read_document(path), str(path))
