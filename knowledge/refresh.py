"""Merging freshly read price sources over the last good sheet, refusing the suspicious ones.

A bad source never replaces good data. A source that couldn't be read, or whose data fails the
checks here (a model or serving option it used to price has vanished, or a price moved by more
than `max_factor` either way), is skipped for this run: the sheet keeps what the last good run
had for everything that source prices, the other sources still apply, and the problem is
reported. Prices that move a lot do happen (Haiku-class input fell tenfold in 2026), but a
person should look before a verdict flips on them: put the new figure in the team sheet, or
raise the factor for one run.

What a source priced is remembered by the source's identity (`source_identity`: LiteLLM's map is
LiteLLM's map whether it was fetched from GitHub or read from a local copy), not by where it was
read, so moving a source doesn't lift the check that nothing vanished from it. A source only
overrides the keys it gives: the team's own keys (`successor`, `restricted`,
`token_count_factor`, a serving option's `first_token_ms` and `scale_to_zero`) and any key the
decision uses that a source lacks keep the sheet's values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from knowledge.errors import problems_from
from knowledge.price_sources import Skipped, SourceData, SourceKind
from knowledge.prices import (
    TEAM_MODEL_KEYS,
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


# Left out when merging (after the source's own skips): what a report says about them.
SKIP_SNAPSHOT = "dated snapshot ids, priced as their alias"
SKIP_RETIRED = "retired before the sheet listed them"


def source_identity(name: str, kind: SourceKind) -> str:
    """Which source this is, wherever it was read from: "litellm" for LiteLLM's map (a URL one
    week, a local copy the next), "sheet:<file name without extension>" for a team sheet."""
    if kind == "litellm":
        return "litellm"
    path = urlsplit(name).path if "://" in name else name
    return f"sheet:{PurePosixPath(path).stem or name}"


@dataclass(frozen=True)
class SourceRead:
    """What reading one source gave: its data, or why there is none."""

    name: str  # the URL or path, as configured
    data: SourceData | None = None
    problem: str | None = None

    @property
    def identity(self) -> str | None:
        return None if self.data is None else source_identity(self.name, self.data.kind)


@dataclass(frozen=True)
class SourceOutcome:
    """How one source fared in a refresh, and what it did to the sheet.

    Every entry the source lists is accounted for: `entries` = the models and serving options
    it priced (`models` + `serving`) + the ones `skipped` says why it left out. Of the priced
    models, `stored_models` went into the sheet; the rest are in `skipped` too (a dated
    snapshot of a listed alias, a model retired before the sheet listed it).
    """

    name: str
    applied: bool
    problem: str | None = None
    models: int = 0  # models the source priced
    serving: int = 0
    entries: int = 0
    stored_models: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    identity: str | None = None

    @property
    def skipped_count(self) -> int:
        return sum(s.count for s in self.skipped)


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
    base: PriceSheet | None = None  # the sheet the sources were laid over

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if not o.applied]

    @property
    def applied(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.applied]


def origin_tag(identity: str) -> str:
    """What a merged entry's `source` starts with: which source priced it, so a later run can
    tell that it vanished from that source, wherever that source is read from now."""
    return f"[{identity}] "


def _stamped(source_text: str | None, read: SourceRead, day: dt.date) -> str:
    assert read.identity is not None
    tag = f"{origin_tag(read.identity)}{read.name} (read {day.isoformat()})"
    return f"{tag}: {source_text}" if source_text else tag


def _from_source(read: SourceRead, text: str | None) -> bool:
    if not text or read.identity is None:
        return False
    # sheets stored before entries named their source's identity were tagged "<location> (read"
    return text.startswith((origin_tag(read.identity), f"{read.name} (read "))


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
    vanished = [m for m, p in base.models.items() if _from_source(read, p.source)]
    # a model past its retirement date may leave its source: that's what retiring means
    vanished = [
        m for m in vanished if m not in data.models and not base.models[m].retired_by(today)
    ]
    served = {o.id for o in data.serving}
    vanished += [
        o.id for o in base.finetune_serving if _from_source(read, o.source) and o.id not in served
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


def _overlaid(
    old: ModelPrice | None, new: ModelPrice, tag: str, known: ModelPrice | None
) -> ModelPrice:
    """The source's figures over the sheet's: only the keys the source gives (`exclude_unset`:
    a default such as `restricted: false` is not something LiteLLM said), so the team's keys
    and a key the source lacks (a cache minimum, a batch rate) keep their values. A model new
    to the sheet takes the team's keys from `known` (the shipped sheet), so an invitation-only
    model the shipped sheet marks restricted doesn't come in as an ordinary one."""
    if old is not None:
        fields = old.model_dump(exclude_none=True)
    elif known is not None:
        fields = known.model_dump(include=set(TEAM_MODEL_KEYS) - {"successor"})
    else:
        fields = {}
    fields.update(new.model_dump(exclude_unset=True, exclude_none=True))
    fields["source"] = tag
    return ModelPrice.model_validate(fields)


def _overlaid_serving(old: Serving | None, new: Serving, tag: str) -> Serving:
    """A serving option over the sheet's one with the same id; of another kind (per token
    then, per GPU-hour now) it replaces it whole, as the fields differ."""
    if old is None or type(old) is not type(new):
        return new.model_copy(update={"source": tag})
    fields = old.model_dump(exclude_none=True)
    fields.update(new.model_dump(exclude_unset=True, exclude_none=True))
    fields["source"] = tag
    return type(new).model_validate(fields)


def _is_snapshot_of_listed(model_id: str, listed: Mapping[str, ModelPrice]) -> bool:
    alias = snapshot_alias(model_id)
    return alias != model_id and alias in listed


def merge_sources(
    base: PriceSheet,
    reads: list[SourceRead],
    today: dt.date,
    max_factor: float = DEFAULT_MAX_FACTOR,
    known: Mapping[str, ModelPrice] | None = None,
) -> Merged:
    """The sheet after laying every good source over `base`, in order (later sources win).

    `known`: models whose team keys (`restricted`, `token_count_factor`) a model new to `base`
    takes, usually the shipped sheet's.
    """
    if not math.isfinite(max_factor) or max_factor <= 1:
        raise ValueError(f"max_factor must be a finite number above 1, got {max_factor}")
    known = known or {}
    models: dict[str, ModelPrice] = dict(base.models)
    serving: dict[str, Serving] = {o.id: o for o in base.finetune_serving}
    outcomes: list[SourceOutcome] = []
    applied: list[str] = []
    for read in reads:
        data, problem = _check(read, base, max_factor, today)
        if data is None:
            outcomes.append(SourceOutcome(read.name, False, problem, identity=read.identity))
            continue
        # "claude-haiku-4-5-20251001" is the alias's price again, and a model that retired
        # before we ever listed it is of no use to a verdict
        snapshots = [m for m in data.models if _is_snapshot_of_listed(m, data.models)]
        retired = [
            m
            for m, price in data.models.items()
            if m not in snapshots and m not in models and price.retired_by(today)
        ]
        wanted = [m for m in data.models if m not in snapshots and m not in retired]
        try:
            updated = {
                model_id: _overlaid(
                    models.get(model_id),
                    data.models[model_id],
                    _stamped(data.models[model_id].source, read, today),
                    known.get(model_id),
                )
                for model_id in wanted
            }
            served = [
                _overlaid_serving(serving.get(o.id), o, _stamped(o.source, read, today))
                for o in data.serving
            ]
        except ValidationError as exc:
            problems = "; ".join(problems_from(exc)[:3])
            outcomes.append(
                SourceOutcome(
                    read.name,
                    False,
                    f"inconsistent with the sheet: {problems}",
                    identity=read.identity,
                )
            )
            continue
        models.update(updated)
        serving.update((o.id, o) for o in served)
        skipped = list(data.skipped_why)
        if snapshots:
            skipped.append(Skipped(SKIP_SNAPSHOT, len(snapshots), tuple(snapshots)))
        if retired:
            names = tuple(f"{m} (retired {data.models[m].deprecation_date})" for m in retired)
            skipped.append(Skipped(SKIP_RETIRED, len(retired), names))
        outcomes.append(
            SourceOutcome(
                read.name,
                True,
                None,
                models=len(data.models),
                serving=len(data.serving),
                entries=data.entries,
                stored_models=tuple(updated),
                skipped=tuple(sorted(skipped, key=lambda s: -s.count)),
                identity=read.identity,
            )
        )
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
    return Merged(sheet, outcomes, price_changes(base, sheet), base)


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
