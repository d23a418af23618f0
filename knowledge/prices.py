"""The price sheet: frontier model prices (LiteLLM key names) and fine-tuned serving options."""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.documents import parse_document, read_document, require_mapping
from knowledge.errors import InputError, problems_from

PositivePrice = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
# At least a token a second: anything slower is a typo, and would overflow the replica count.
PositiveRate = Annotated[float, Field(ge=1.0, le=1e9, allow_inf_nan=False)]
ServingId = Annotated[str, Field(min_length=1, max_length=100)]
Label = Annotated[str, Field(max_length=200)]

# Typical time to first token at the option's utilisation (own key, cited per option)
FirstTokenMs = Annotated[int, Field(gt=0, le=10**7)]

SNAPSHOT_SUFFIX = re.compile(r"-\d{8}$")


def snapshot_alias(name: str) -> str:
    """The alias a dated snapshot is priced as ("claude-haiku-4-5-20251001" -> "claude-haiku-4-5");
    any other name as it is."""
    return SNAPSHOT_SUFFIX.sub("", name)


# The team's own model keys (LiteLLM has none of them): a refresh from a source that doesn't
# give them keeps the sheet's values.
TEAM_MODEL_KEYS = ("successor", "restricted", "token_count_factor")

HOURS_PER_MONTH = 730  # 8,760 h / 12, the convention cloud price pages use


class Rates(NamedTuple):
    """USD per token for one way of calling a model."""

    input: float
    cache_read: float
    output: float


class ModelPrice(BaseModel):
    """One model of the sheet, in USD per token; extra LiteLLM keys are kept as they are.

    Frozen: its rates are worked out once (`rate_table`), so a price changed in place would
    go unseen; a changed model is a new one (`model_copy(update=...)`).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

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
    # Message Batches API: half price, results within 24 hours
    input_cost_per_token_batches: PositivePrice | None = None
    output_cost_per_token_batches: PositivePrice | None = None
    cache_read_input_token_cost_batches: PositivePrice | None = None
    # Prompts above 100,000 input tokens: every token of the call at these rates
    input_cost_per_token_above_100k_tokens: PositivePrice | None = None
    output_cost_per_token_above_100k_tokens: PositivePrice | None = None
    cache_read_input_token_cost_above_100k_tokens: PositivePrice | None = None
    input_cost_per_token_above_100k_tokens_batches: PositivePrice | None = None
    output_cost_per_token_above_100k_tokens_batches: PositivePrice | None = None
    cache_read_input_token_cost_above_100k_tokens_batches: PositivePrice | None = None
    thinking_always_on: bool | None = None
    supports_native_structured_output: bool | None = None
    # The team's own keys (not LiteLLM's): kept across refreshes from sources that lack them
    successor: str | None = None
    restricted: bool = False
    token_count_factor: Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)] = 1.0
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
        """Past its retirement: its deprecation date is before `day` (spec: "before today")."""
        return self.deprecation_date is not None and self.deprecation_date < day

    def rates(self, batch: bool, long_context: bool) -> Rates | None:
        """Input, cache-read and output prices per token for one way of calling the model.

        None when the sheet has no batch price for it. Long context falls back to the
        ordinary rates where the model has no higher band.
        """
        return self.rate_table[batch, long_context]

    @cached_property
    def rate_table(self) -> dict[tuple[bool, bool], Rates | None]:
        """Every way of calling the model, priced once: a sheet is read once and priced
        thousands of times."""
        return {
            (batch, long): self._find_rates(batch, long)
            for batch in (False, True)
            for long in (False, True)
        }

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> ModelPrice:
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("rate_table", None)  # a copy with other prices must not answer these
        return copy

    def _find_rates(self, batch: bool, long_context: bool) -> Rates | None:
        suffix = "_batches" if batch else ""
        tiers = ("_above_100k_tokens", "") if long_context else ("",)
        for tier in tiers:
            values = {
                part: getattr(self, f"{part}{tier}{suffix}")
                for part in ("input_cost_per_token", "output_cost_per_token")
            }
            if None in values.values():
                continue
            read = getattr(self, f"cache_read_input_token_cost{tier}{suffix}")
            if read is None:  # no cache price in that band: the same share of input as usual
                read = (
                    self.cache_read_cost
                    if not tier and not suffix
                    else values["input_cost_per_token"] * self.cache_read_share
                )
            return Rates(values["input_cost_per_token"], read, values["output_cost_per_token"])
        return None

    @property
    def cache_read_share(self) -> float:
        return self.cache_read_cost / self.input_cost_per_token


class PerTokenServing(BaseModel):
    """A host that serves the fine-tuned model per token."""

    model_config = ConfigDict(extra="forbid")

    id: ServingId
    kind: Literal["per_token"]
    label: Label | None = None
    provider: str | None = None
    input_cost_per_token: PositivePrice
    output_cost_per_token: PositivePrice
    first_token_ms: FirstTokenMs | None = None
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
    first_token_ms: FirstTokenMs | None = None
    # Billed for busy GPU-seconds only when the work can wait (batch): it scales to zero between
    scale_to_zero: bool = False
    source: str | None = None

    @property
    def title(self) -> str:
        return self.label or self.id


ServingOption = Annotated[PerTokenServing | DedicatedGpuServing, Field(discriminator="kind")]


def require_unique_ids(options: list[ServingOption]) -> None:
    """ValueError naming the first serving option id that appears twice."""
    seen: set[str] = set()
    for option in options:
        if option.id in seen:
            raise ValueError(f"finetune_serving: id {option.id!r} appears twice")
        seen.add(option.id)


class PriceSheet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date
    source: str
    models: dict[str, ModelPrice]
    finetune_serving: list[ServingOption] = Field(min_length=1)

    @model_validator(mode="after")
    def _serving_ids_unique(self) -> PriceSheet:
        require_unique_ids(self.finetune_serving)
        if not self.models:
            raise ValueError("models: must list at least one model")
        for name, model in self.models.items():
            if model.successor is not None and model.successor not in self.models:
                raise ValueError(
                    f"models.{name}.successor: {model.successor!r} is not a model of the sheet"
                )
        return self

    def model(self, name: str) -> ModelPrice:
        return self.models[name]

    def resolve(self, name: str) -> str | None:
        """The sheet's key for a model name: itself, or the alias of a dated snapshot
        ("claude-haiku-4-5-20251001" is priced as "claude-haiku-4-5"). None if unknown."""
        if name in self.models:
            return name
        alias = snapshot_alias(name)
        return alias if alias in self.models else None

    def price_of(self, name: str) -> ModelPrice | None:
        """The price of a model name as `resolve` reads it; None if the sheet doesn't list it."""
        key = self.resolve(name)
        return None if key is None else self.models[key]

    def priced_as(self, name: str, today: dt.date, *, fallback: str) -> str | None:
        """The model a name is priced as on `today`: the sheet's key for it (see `resolve`),
        or, once that model is retired, its successor (`fallback` when it names none). None
        if the sheet doesn't know the name."""
        key = self.resolve(name)
        if key is None or not self.models[key].retired_by(today):
            return key
        return self.models[key].successor or fallback


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
