"""Thresholds, build and ops costs, and default token sizes the decision uses."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.documents import parse_document, read_document, require_mapping
from knowledge.errors import InputError, problems_from
from knowledge.facts import Domain, TaskType

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
    # extra output tokens a call pays on a model whose thinking can't be turned off
    thinking_tokens: dict[TaskType, Annotated[int, Field(ge=0, le=1_000_000)]]
    min_replicas_realtime: Annotated[int, Field(ge=1, le=1000)]
    on_device_build_extra_usd: NonNegative
    labeling_cost_per_example_usd: dict[Domain, NonNegative]
    rationale: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _every_kind_has_a_value(self) -> Assumptions:
        for key, kinds in (
            ("default_tokens", TaskType),
            ("thinking_tokens", TaskType),
            ("labeling_cost_per_example_usd", Domain),
        ):
            missing = [k.value for k in kinds if k not in getattr(self, key)]
            if missing:
                raise ValueError(f"{key}: missing {', '.join(missing)}")
        return self

    @property
    def computed_build_cost(self) -> float:
        return (
            self.engineering_weeks * self.weekly_rate_usd
            + self.training_compute_usd
            + self.eval_suite_usd
        )


def assumptions_from(
    data: Any, name: str = "assumptions", defaults: Assumptions | None = None
) -> Assumptions:
    """Assumptions from parsed YAML/JSON. With `defaults`, the document may be partial: it
    overrides the keys it names (a per-kind table key by key) and the defaults fill the rest."""
    document = require_mapping(data, name)
    try:
        if defaults is not None:
            document = _laid_over(defaults.model_dump(mode="json"), document)
        return Assumptions.model_validate(document)
    except ValidationError as exc:
        raise InputError(f"{name}: {line}" for line in problems_from(exc)) from exc


def _laid_over(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def shipped_assumptions() -> Assumptions:
    text = resources.files("knowledge").joinpath("assumptions.yaml").read_text("utf-8")
    return assumptions_from(parse_document(text, "assumptions.yaml"), "assumptions.yaml")


def load_assumptions(path: Path | None = None) -> Assumptions:
    """The shipped assumptions, with the keys a file at `path` names laid over them."""
    if path is None:
        return shipped_assumptions()
    return assumptions_from(read_document(path), str(path), defaults=shipped_assumptions())
