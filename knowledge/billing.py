"""What a workload costs on a Claude model, billed the way Anthropic bills it.

Per model of the sheet: the cache minimum (a shorter prefix is silently not cached), the
long-context band (above 100,000 input tokens every token of the call costs more), batch
rates (half price, results within 24 hours), thinking a model can't turn off, and the model's
own token count for the same text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from knowledge.prices import ModelPrice

LONG_CONTEXT_TOKENS = 100_000


class Mode(StrEnum):
    realtime = "realtime"
    batch = "batch"


class Workload(NamedTuple):
    """A workload as the buyer measured it (their tokens, before any model's own count)."""

    monthly_calls: int
    input_tokens: int
    output_tokens: int
    cached_prefix_tokens: int = 0
    thinking_tokens: int = 0  # extra output a model that always thinks pays per call

    @property
    def uncached_input_tokens(self) -> int:
        """The prompt without its stable prefix: what a fine-tuned model is sent."""
        return self.input_tokens - self.cached_prefix_tokens

    def with_calls(self, monthly_calls: int) -> Workload:
        return Workload(
            monthly_calls,
            self.input_tokens,
            self.output_tokens,
            self.cached_prefix_tokens,
            self.thinking_tokens,
        )


class Priced(NamedTuple):
    """One way of prompting a Claude model for the workload: a model in a mode. (A named
    tuple: a decision prices every model of the sheet, and tuples are the cheapest to make.)"""

    model: str
    mode: Mode
    cost_per_call: float
    monthly_calls: int
    cached: bool  # the prefix is billed as cache reads (it clears the model's minimum)
    quality: float | None = None

    @property
    def monthly_cost(self) -> float:
        return self.cost_per_call * self.monthly_calls

    def to_json(self) -> dict[str, object]:
        cost = self.cost_per_call  # read once: every decision writes a score of these
        return {
            "model": self.model,
            "mode": self.mode.value,
            "cost_per_call": round(cost, 10),
            "monthly_cost": round(cost * self.monthly_calls, 2),
            "quality": self.quality,
        }


def model_tokens(model: ModelPrice, tokens: int) -> float:
    """The buyer's token count as this model counts the same text."""
    return tokens * model.token_count_factor


def caches_prefix(model: ModelPrice, workload: Workload) -> bool:
    """Whether the stable prefix is long enough for this model to cache it at all."""
    if workload.cached_prefix_tokens <= 0:
        return False
    floor = model.prompt_cache_min_tokens
    return floor is None or model_tokens(model, workload.cached_prefix_tokens) >= floor


def fits(model: ModelPrice, workload: Workload) -> bool:
    limit = model.max_input_tokens
    return limit is None or model_tokens(model, workload.input_tokens) <= limit


def price(
    name: str,
    model: ModelPrice,
    workload: Workload,
    mode: Mode,
    quality: float | None = None,
) -> Priced | None:
    """The workload on `model` in `mode`; None where the sheet has no price for that mode."""
    found = price_modes(name, model, workload, (mode,), quality)
    return found[0] if found else None


def price_modes(
    name: str,
    model: ModelPrice,
    workload: Workload,
    modes: tuple[Mode, ...],
    quality: float | None = None,
) -> list[Priced]:
    """The workload on `model` in each of `modes` the sheet has a price for."""
    factor = model.token_count_factor
    prompt = workload.input_tokens * factor
    cached = caches_prefix(model, workload)
    prefix = workload.cached_prefix_tokens * factor if cached else 0.0
    output = workload.output_tokens * factor
    if model.thinking_always_on:
        output += workload.thinking_tokens
    long_context = prompt > LONG_CONTEXT_TOKENS
    rate_table = model.rate_table
    priced = []
    for mode in modes:
        rates = rate_table[mode is Mode.batch, long_context]
        if rates is not None:
            per_call = (
                (prompt - prefix) * rates.input + prefix * rates.cache_read + output * rates.output
            )
            priced.append(Priced(name, mode, per_call, workload.monthly_calls, cached, quality))
    return priced
