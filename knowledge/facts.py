"""The one facts schema: `ftscope decide` input, a scoping thread's state, and what Claude fills."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.documents import require_mapping
from knowledge.errors import InputError, problems_from


class Request(StrEnum):
    cost = "cost"
    domain_vocabulary = "domain_vocabulary"
    latency = "latency"
    output_format = "output_format"
    brand_voice = "brand_voice"
    knowledge_base = "knowledge_base"
    improve_quality = "improve_quality"
    other = "other"


class TaskType(StrEnum):
    classification = "classification"
    extraction = "extraction"
    generation = "generation"
    chat = "chat"
    other = "other"


class Domain(StrEnum):
    general = "general"
    medical = "medical"
    legal = "legal"
    financial = "financial"
    other_specialized = "other_specialized"


# Strict: JSON `true` is not 1 call, and "5000" is not a number; a wrong type is an error that
# names the field, never a silent conversion. Upper bounds keep absurd input out of the math.
Calls = Annotated[int, Field(ge=0, le=10**13, strict=True)]
Tokens = Annotated[int, Field(ge=0, le=10_000_000, strict=True)]
Examples = Annotated[int, Field(ge=0, le=10**12, strict=True)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]
Dollars = Annotated[float, Field(ge=0.0, le=1e12, allow_inf_nan=False, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
ModelId = Annotated[str, Field(min_length=1, max_length=200)]


class Facts(BaseModel):
    """What is known about a workload. Every field is optional: `None` means unknown."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)

    use_case: Annotated[str, Field(max_length=2000)] | None = Field(
        None, description="One line: what the workload is."
    )
    request: Request | None = Field(None, description="What the buyer asks for.")
    task_type: TaskType | None = Field(None, description="Kind of task the model performs.")
    monthly_calls: Calls | None = Field(None, description="Production calls per month.")
    input_tokens: Tokens | None = Field(None, description="Average input tokens per call.")
    output_tokens: Tokens | None = Field(None, description="Average output tokens per call.")
    cached_prefix_tokens: Tokens | None = Field(
        None,
        description="Stable part of the prompt (instructions, examples) that prompt caching "
        "serves; at most input_tokens.",
    )
    frontier_model: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="Model id prompted today or would be (a key of the price sheet)."
    )
    baseline_measured: Flag | None = Field(
        None, description="Quality of the prompted frontier model was measured on the workload."
    )
    baseline_quality: Share | None = Field(None, description="That measured quality, 0-1.")
    target_quality: Share | None = Field(None, description="'Good enough' quality, 0-1.")
    labeled_examples: Examples | None = Field(
        None, description="Labeled examples of correct output they have."
    )
    domain: Domain | None = Field(None, description="Subject domain of the workload.")
    frontier_drift: Flag | None = Field(
        None, description="Frontier models were seen to get the domain's terminology wrong."
    )
    first_token_ms: Annotated[int, Field(gt=0, le=10**7, strict=True)] | None = Field(
        None, description="Required time to first token, in milliseconds."
    )
    on_device: Flag | None = Field(None, description="Must run on device / at the edge.")
    strict_format: Flag | None = Field(
        None, description="Output must match a format exactly, every call, no parser fallback."
    )
    format_failure_rate: Share | None = Field(
        None, description="Share of frontier outputs that broke the format, 0-1."
    )
    batch_ok: Flag | None = Field(
        None,
        description="Results may come back within 24 hours (Anthropic's Message Batches API, "
        "half price).",
    )
    format_schema: Flag | None = Field(
        None,
        description="The required output format can be written as a JSON schema (so structured "
        "outputs can enforce it).",
    )
    other_baselines: Annotated[dict[ModelId, Share], Field(max_length=50)] | None = Field(
        None,
        description="Quality (0-1) measured on other models than frontier_model, by model id.",
    )
    build_cost_usd: Dollars | None = Field(None, description="Overrides the computed build cost.")
    monthly_ops_usd: Dollars | None = Field(
        None, description="Overrides the assumed monthly operational overhead."
    )

    @model_validator(mode="after")
    def _cached_prefix_within_input(self) -> Facts:
        cached, total = self.cached_prefix_tokens, self.input_tokens
        if cached is not None and total is not None and cached > total:
            raise ValueError(
                f"cached_prefix_tokens: must be ≤ input_tokens ({total:,}), got {cached:,}"
            )
        return self

    def known(self) -> dict[str, Any]:
        """The facts that are set, as JSON-ready values."""
        return self.model_dump(mode="json", exclude_none=True)

    def merged(self, update: Facts) -> Facts:
        """These facts with every known field of `update` laid over them (validated).

        Quality measured on other models accumulates model by model: "Sonnet got 94%" after
        "Haiku 5.5 got 91%" adds a measurement, it does not replace the first one.
        """
        known, new = self.known(), update.known()
        if "other_baselines" in known and "other_baselines" in new:
            new["other_baselines"] = {**known["other_baselines"], **new["other_baselines"]}
        return Facts.model_validate({**known, **new})


FACT_FIELDS: tuple[str, ...] = tuple(Facts.model_fields)


def facts_from(data: object, name: str = "facts") -> Facts:
    """Validated facts from parsed JSON/YAML; every problem named by its field."""
    try:
        return Facts.model_validate(require_mapping(data, name))
    except ValidationError as exc:
        raise InputError(problems_from(exc)) from exc
