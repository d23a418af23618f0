"""Merging freshly read price sources over the last good sheet, refusing the suspicious ones.

A bad source never replaces good data. A source that couldn't be read, or whose data fails the
checks here (a model or serving option it used to price has vanished, or a price moved by more
than `max_factor` either way), is skipped for this run: the sheet keeps what the last good run
had for everything that source prices, the other sources still apply, and the problem is
reported. Prices that move a lot do happen (Haiku-class input fell tenfold in 2026), but a
person should look before a verdict flips on them: put the new figure in the team sheet, or
raise the factor for one run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from knowledge.errors import problems_from
from knowledge.price_sources import SourceData
from knowledge.prices import (
    DedicatedGpuServing,
    ModelPrice,
    PerTokenServing,
    PriceSheet,
    snapshot_alias,
)

DEFAULT_MAX_FACTOR = 5.0

# The prices a verdict depends on; a move beyond the factor in any of them holds the source.
MODEL_PRICE_FIELDS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)
SERVING_PRICE_FIELDS = ("input_cost_per_token", "output_cost_per_token", "gpu_hourly_usd")

Serving = PerTokenServing | DedicatedGpuServing


@dataclass(frozen=True)
class SourceRead:
    """What reading one source gave: its data, or why there is none."""

    name: str  # the URL or path, as configured
    data: SourceData | None = None
    problem: str | None = None


@dataclass(frozen=True)
class SourceOutcome:
    name: str
    applied: bool
    problem: str | None = None
    models: int = 0
    serving: int = 0


@dataclass(frozen=True)
class PriceChange:
    """One price that differs between two sheets (None: added or removed)."""

    item: str  # model id or serving option id
    field: str
    old: float | None
    new: float | None

    @property
    def ratio(self) -> float | None:
        if self.old is None or self.new is None or self.old == 0:
            return None
        return self.new / self.old


@dataclass
class Merged:
    sheet: PriceSheet
    outcomes: list[SourceOutcome] = field(default_factory=list)
    changes: list[PriceChange] = field(default_factory=list)

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if not o.applied]


def origin_tag(name: str) -> str:
    """What a merged entry's `source` starts with: which source priced it, so a later run can
    tell that it vanished from that source."""
    return f"{name} (read "


def _stamped(source_text: str | None, name: str, day: dt.date) -> str:
    tag = f"{origin_tag(name)}{day.isoformat()})"
    return f"{tag}: {source_text}" if source_text else tag


def _from_source(name: str, text: str | None) -> bool:
    return bool(text) and str(text).startswith(origin_tag(name))


def _price(item: ModelPrice | Serving, name: str) -> float | None:
    value = getattr(item, name, None)
    return float(value) if isinstance(value, int | float) else None


def _moves(
    label: str, old: ModelPrice | Serving, new: ModelPrice | Serving, fields: tuple[str, ...]
) -> list[tuple[str, str, float, float]]:
    moved = []
    for name in fields:
        before, after = _price(old, name), _price(new, name)
        if before is not None and after is not None and before > 0:
            moved.append((label, name, before, after))
    return moved


def _check(
    read: SourceRead, base: PriceSheet, max_factor: float, today: dt.date
) -> tuple[SourceData | None, str | None]:
    """The source's data if it passes, else None and the reason."""
    if read.data is None:
        return None, read.problem or "no data"
    data = read.data
    vanished = [m for m, p in base.models.items() if _from_source(read.name, p.source)]
    # a model past its retirement date may leave its source: that's what retiring means
    vanished = [
        m for m in vanished if m not in data.models and not base.models[m].retired_by(today)
    ]
    served = {o.id for o in data.serving}
    vanished += [
        o.id
        for o in base.finetune_serving
        if _from_source(read.name, o.source) and o.id not in served
    ]
    if vanished:
        shown = ", ".join(vanished[:5]) + (
            f" and {len(vanished) - 5} more" if len(vanished) > 5 else ""
        )
        return None, f"{shown} vanished from it (kept from the last good sheet)"
    moves = []
    for model_id, price in data.models.items():
        if model_id in base.models:
            moves += _moves(model_id, base.models[model_id], price, MODEL_PRICE_FIELDS)
    by_id = {o.id: o for o in base.finetune_serving}
    for option in data.serving:
        if option.id in by_id and type(by_id[option.id]) is type(option):
            moves += _moves(option.id, by_id[option.id], option, SERVING_PRICE_FIELDS)
    jumps = [
        f"{label} {name} {before:.4g} → {after:.4g}"
        for label, name, before, after in moves
        if not (1 / max_factor <= after / before <= max_factor)
    ]
    if jumps:
        return None, (
            f"moved more than {max_factor:g}× (held back until someone checks it): "
            + "; ".join(jumps[:5])
        )
    return data, None


def _overlaid(old: ModelPrice | None, new: ModelPrice, name: str, today: dt.date) -> ModelPrice:
    """The source's figures over the sheet's: a key the source doesn't give (a cache minimum
    LiteLLM lacks, say) keeps its value."""
    fields = {} if old is None else old.model_dump(exclude_none=True)
    fields.update(new.model_dump(exclude_none=True))
    fields["source"] = _stamped(new.source, name, today)
    return ModelPrice.model_validate(fields)


def _is_snapshot_of_listed(model_id: str, listed: dict[str, ModelPrice]) -> bool:
    alias = snapshot_alias(model_id)
    return alias != model_id and alias in listed


def merge_sources(
    base: PriceSheet,
    reads: list[SourceRead],
    today: dt.date,
    max_factor: float = DEFAULT_MAX_FACTOR,
) -> Merged:
    """The sheet after laying every good source over `base`, in order (later sources win)."""
    if not math.isfinite(max_factor) or max_factor <= 1:
        raise ValueError(f"max_factor must be a finite number above 1, got {max_factor}")
    models: dict[str, ModelPrice] = dict(base.models)
    serving: dict[str, Serving] = {o.id: o for o in base.finetune_serving}
    outcomes: list[SourceOutcome] = []
    applied: list[str] = []
    for read in reads:
        data, problem = _check(read, base, max_factor, today)
        if data is None:
            outcomes.append(SourceOutcome(read.name, False, problem))
            continue
        try:
            updated = {
                model_id: _overlaid(models.get(model_id), price, read.name, today)
                for model_id, price in data.models.items()
                # "claude-haiku-4-5-20251001" is the alias's price again, and a model that
                # retired before we ever listed it is of no use to a verdict
                if not _is_snapshot_of_listed(model_id, data.models)
                and (model_id in models or not price.retired_by(today))
            }
        except ValidationError as exc:
            problems = "; ".join(problems_from(exc)[:3])
            outcomes.append(
                SourceOutcome(read.name, False, f"inconsistent with the sheet: {problems}")
            )
            continue
        models.update(updated)
        for option in data.serving:
            serving[option.id] = option.model_copy(
                update={"source": _stamped(option.source, read.name, today)}
            )
        outcomes.append(SourceOutcome(read.name, True, None, len(data.models), len(data.serving)))
        applied.append(read.name)
    if applied:
        # Each entry keeps its own source; the sheet's says when and from where, not the
        # history (which would nest a week deeper every refresh).
        source = f"refreshed {today.isoformat()} from {', '.join(applied)}"
        as_of = today
    else:
        source, as_of = base.source, base.as_of
    sheet = PriceSheet(
        as_of=as_of,
        source=source[:2000],
        models=models,
        finetune_serving=list(serving.values()),
    )
    return Merged(sheet, outcomes, price_changes(base, sheet))


def price_changes(old: PriceSheet, new: PriceSheet) -> list[PriceChange]:
    """Every price that differs between two sheets, models first, then serving options."""
    changes: list[PriceChange] = []
    for model_id in sorted(set(old.models) | set(new.models)):
        before, after = old.models.get(model_id), new.models.get(model_id)
        for name in MODEL_PRICE_FIELDS:
            a = _price(before, name) if before is not None else None
            b = _price(after, name) if after is not None else None
            if a != b:
                changes.append(PriceChange(model_id, name, a, b))
    old_serving = {o.id: o for o in old.finetune_serving}
    new_serving = {o.id: o for o in new.finetune_serving}
    for option_id in sorted(set(old_serving) | set(new_serving)):
        before_s, after_s = old_serving.get(option_id), new_serving.get(option_id)
        for name in SERVING_PRICE_FIELDS:
            a = _price(before_s, name) if before_s is not None else None
            b = _price(after_s, name) if after_s is not None else None
            if a != b:
                changes.append(PriceChange(option_id, name, a, b))
    return changes


def sheet_document(sheet: PriceSheet) -> dict[str, Any]:
    """The sheet as JSON-ready data, the form it is stored and hashed in."""
    return sheet.model_dump(mode="json", exclude_none=True)


def content_hash(sheet: PriceSheet) -> str:
    """Equal for equal prices: `as_of` and `source` change every run, so they don't count."""
    document = sheet_document(sheet)
    document.pop("as_of", None)
    document.pop("source", None)
    for entry in [*document.get("models", {}).values(), *document.get("finetune_serving", [])]:
        entry.pop("source", None)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
