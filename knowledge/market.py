"""The prompting side of the decision as the market is today: the buyer's model (after
retirements), every current Claude model priced for the workload, and the competitor a
fine-tune must beat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from knowledge.assumptions import Assumptions
from knowledge.billing import (
    Mode,
    Priced,
    Workload,
    caches_prefix,
    fits,
    model_tokens,
    price_modes,
)
from knowledge.errors import InputError
from knowledge.facts import Facts
from knowledge.prices import ModelPrice, PriceSheet


@cache
def model_title(model_id: str) -> str:
    """A model id as people say it: "claude-haiku-4-5" → "Claude Haiku 4.5"."""
    parts = model_id.split("-")
    if parts[0] != "claude" or len(parts) < 2:
        return model_id
    family = parts[1].capitalize()
    version = ".".join(p for p in parts[2:] if p.isdigit() and len(p) < 8)
    return f"Claude {family} {version}".strip()


def is_prompting_model(model: ModelPrice) -> bool:
    """An Anthropic chat model (a sheet read from LiteLLM may hold others)."""
    return model.litellm_provider in (None, "anthropic") and model.mode in (None, "chat")


def offered(model: ModelPrice, today: dt.date) -> bool:
    """A model the bot may suggest: on sale today and open to everyone."""
    return is_prompting_model(model) and not model.retired_by(today) and not model.restricted


@dataclass(frozen=True, slots=True)
class Baseline:
    named: str | None  # what the facts name, resolved to a key of the sheet
    model: str  # what it is priced as (the successor of a retired model)
    defaulted: bool
    retired: bool


def check_models(facts: Facts, prices: PriceSheet, a: Assumptions, today: dt.date) -> Baseline:
    """The buyer's model as it will be priced; every model a fact names must be known."""
    problems = []
    named = None
    if facts.frontier_model is not None:
        named = prices.resolve(facts.frontier_model)
        if named is None:
            known = ", ".join(sorted(m for m, p in prices.models.items() if offered(p, today)))
            problems.append(
                f"frontier_model: {facts.frontier_model!r} is not in the price sheet "
                f"(current models: {known})"
            )
    for model in facts.other_baselines or {}:
        if prices.resolve(model) is None:
            problems.append(f"other_baselines: {model!r} is not in the price sheet")
    if a.default_frontier_model not in prices.models:
        problems.append(
            f"assumptions.default_frontier_model: {a.default_frontier_model!r} is not in the "
            "price sheet"
        )
    chosen = named or a.default_frontier_model
    if chosen not in prices.models or (facts.frontier_model is not None and named is None):
        raise InputError(problems)  # no model to price: nothing more can be checked
    retired = prices.models[chosen].retired_by(today)
    model = prices.priced_as(chosen, today, fallback=a.default_frontier_model) or chosen
    if model in prices.models and facts.input_tokens is not None:
        limit = prices.models[model].max_input_tokens
        counted = model_tokens(prices.models[model], facts.input_tokens)
        if limit is not None and counted > limit:
            problems.append(
                f"input_tokens: {facts.input_tokens:,} is above {model}'s maximum input of "
                f"{limit:,} tokens"
            )
    if problems:
        raise InputError(problems)
    return Baseline(named, model, named is None, retired)


@dataclass(frozen=True, slots=True)
class Market:
    """Every way of prompting this workload, and the competitor among them."""

    baseline: Priced  # the buyer's model, realtime
    alternatives: list[Priced]  # every current model, cheapest first
    competitor: Priced
    batch_ok: bool


def qualities(facts: Facts, prices: PriceSheet, baseline: Baseline) -> dict[str, float]:
    """Measured quality by model of the sheet: the baseline's, and the other models'.

    The baseline's score belongs to the model it was measured on: a retired model's score
    does not pass to its successor, which nobody has measured.
    """
    measured = {}
    for model, quality in (facts.other_baselines or {}).items():
        key = prices.resolve(model)
        if key is not None:
            measured[key] = quality
    if facts.baseline_quality is not None and not baseline.retired:
        measured[baseline.model] = facts.baseline_quality
    return measured


def market(
    facts: Facts,
    prices: PriceSheet,
    baseline: Baseline,
    workload: Workload,
    today: dt.date,
) -> Market:
    batch_ok = facts.batch_ok is True
    modes = (Mode.realtime, Mode.batch) if batch_ok else (Mode.realtime,)
    measured = qualities(facts, prices, baseline)
    baseline_model = baseline.model
    priced: list[Priced] = []
    for name, model in prices.models.items():
        if name != baseline_model and not offered(model, today):
            continue
        if not fits(model, workload):
            continue
        priced += price_modes(name, model, workload, modes, measured.get(name))
    priced.sort(key=lambda p: (p.cost_per_call, p.model != baseline_model, p.model, p.mode))
    baseline = next(p for p in priced if p.model == baseline_model and p.mode is Mode.realtime)
    bar = facts.baseline_quality
    # a model is as good as the buyer's when it is the buyer's, or measured at least as well
    candidates = [
        p
        for p in priced
        if p.model == baseline_model
        or (bar is not None and p.quality is not None and p.quality >= bar)
    ]
    return Market(baseline, priced, candidates[0], batch_ok)


def cache_warnings(prices: PriceSheet, models: list[str], workload: Workload) -> list[str]:
    """A prefix too short for a model's cache is billed as plain input: say so."""
    lines = []
    for name in dict.fromkeys(models):
        model = prices.models[name]
        floor = model.prompt_cache_min_tokens
        if workload.cached_prefix_tokens > 0 and not caches_prefix(model, workload):
            prefix = f"{workload.cached_prefix_tokens:,}-token prefix"
            lines.append(
                f"The {prefix} is below {model_title(name)}'s {floor:,}-token cache minimum: "
                "nothing is cached (priced uncached)."
            )
    return lines
