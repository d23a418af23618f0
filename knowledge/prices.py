"""The price sheet: frontier model prices (LiteLLM key names) and fine-tuned serving options."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.documents import parse_document, read_document, require_mapping
from knowledge.errors import InputError, problems_from

PositivePrice = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
# At least a token a second: anything slower is a typo, and would overflow the replica count.
PositiveRate = Annotated[float, Field(ge=1.0, le=1e9, allow_inf_nan=False)]
ServingId = Annotated[str, Field(min_length=1, max_length=100)]
Label = Annotated[str, Field(max_length=200)]

HOURS_PER_MONTH = 730  # 8,760 h / 12, the convention cloud price pages use


class ModelPrice(BaseModel):
    """One model of the sheet, in USD per token; extra LiteLLM keys are kept as they are."""

    model_config = ConfigDict(extra="allow")

    litellm_provider: str | None = None
    mode: str | None = None
    input_cost_per_token: PositivePrice
    output_cost_per_token: PositivePrice
    cache_read_input_token_cost: PositivePrice | None = None
    cache_creation_input_token_cost: PositivePrice | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    prompt_cache_min_tokens: int | None = None
    deprecation_date: dt.date | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _cache_read_is_a_discount(self) -> ModelPrice:
        read = self.cache_read_input_token_cost
        if read is not None and read > self.input_cost_per_token:
            raise ValueError(
                "cache_read_input_token_cost: must be ≤ input_cost_per_token "
                f"({self.input_cost_per_token:g}), got {read:g}"
            )
        return self

    @property
    def cache_read_cost(self) -> float:
        """Price of a cached input token; uncached price where the model has no caching."""
        return (
            self.input_cost_per_token
            if self.cache_read_input_token_cost is None
            else self.cache_read_input_token_cost
        )

    def retired_by(self, day: dt.date) -> bool:
        return self.deprecation_date is not None and self.deprecation_date <= day


class PerTokenServing(BaseModel):
    """A host that serves the fine-tuned model per token."""

    model_config = ConfigDict(extra="forbid")

    id: ServingId
    kind: Literal["per_token"]
    label: Label | None = None
    provider: str | None = None
    input_cost_per_token: PositivePrice
    output_cost_per_token: PositivePrice
    source: str | None = None

    @property
    def title(self) -> str:
        return self.label or self.id


class DedicatedGpuServing(BaseModel):
    """Rented GPUs running the fine-tuned model (e.g. vLLM), billed per GPU-hour."""

    model_config = ConfigDict(extra="forbid")

    id: ServingId
    kind: Literal["dedicated_gpu"]
    label: Label | None = None
    provider: str | None = None
    gpu: str | None = None
    gpu_hourly_usd: PositivePrice
    prefill_tokens_per_s: PositiveRate
    decode_tokens_per_s: PositiveRate
    min_replicas: Annotated[int, Field(ge=1, le=10_000, strict=True)] = 1
    max_utilization: Annotated[float, Field(ge=0.01, le=1.0)] = 0.6
    source: str | None = None

    @property
    def title(self) -> str:
        return self.label or self.id


ServingOption = Annotated[PerTokenServing | DedicatedGpuServing, Field(discriminator="kind")]


class PriceSheet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date
    source: str
    models: dict[str, ModelPrice]
    finetune_serving: list[ServingOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _serving_ids_unique(self) -> PriceSheet:
        seen: set[str] = set()
        for option in self.finetune_serving:
            if option.id in seen:
                raise ValueError(f"finetune_serving: id {option.id!r} appears twice")
            seen.add(option.id)
        if not self.models:
            raise ValueError("models: must list at least one model")
        return self

    def model(self, name: str) -> ModelPrice:
        return self.models[name]


def price_sheet_from(data: Any, name: str = "price sheet") -> PriceSheet:
    try:
        return PriceSheet.model_validate(require_mapping(data, name))
    except ValidationError as exc:
        raise InputError(f"{name}: {line}" for line in problems_from(exc)) from exc


def load_price_sheet(path: Path | None = None) -> PriceSheet:
    """The sheet at `path`, or the shipped one."""
    if path is None:
        text = resources.files("knowledge").joinpath("prices.yaml").read_text(encoding="utf-8")
        return price_sheet_from(parse_document(text, "prices.yaml"), "prices.yaml")
    return price_sheet_from(read_document(path), str(path))
