"""One price source read into prices, or refused as a whole.

A source is either LiteLLM's public `model_prices_and_context_window.json` (the default source,
~2,500 entries of which the bot needs only Anthropic's own Claude chat models) or the project's
own sheet format (`spec/decision.md`), which a team uses for what LiteLLM doesn't price: GPU
rentals and fine-tuned serving, sometimes a model price of its own.

All or nothing: one unusable figure among the entries kept (a zero or negative price, a price
given as text, a cache read dearer than plain input) refuses the whole source, with every
problem listed. A file that is wrong in one place may be wrong in others that still look fine,
and `knowledge.refresh` keeps the last good prices for a refused source, so refusing costs a
week's staleness at worst while a half-read source could flip verdicts on a typo.

Entries the bot doesn't need are skipped without being validated: LiteLLM's file carries zero
prices for free tiers and per-image prices for image models, which are not our problem and
would otherwise make it unreadable, and skipping keeps a refresh fast (a few milliseconds).

Pure: no HTTP, files, Slack, Claude or database here. The caller fetches and parses the text
(`knowledge.documents.parse_document`) and passes the data in.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.errors import InputError, problems_from
from knowledge.prices import (
    DedicatedGpuServing,
    ModelPrice,
    PerTokenServing,
    ServingOption,
)

LITELLM_LABEL = "LiteLLM model_prices_and_context_window.json"
SourceKind = Literal["litellm", "sheet"]
Serving = PerTokenServing | DedicatedGpuServing

_SHEET_KEYS = ("models", "finetune_serving", "as_of", "source")
_SERVING_KINDS: dict[str, type[BaseModel]] = {
    "per_token": PerTokenServing,
    "dedicated_gpu": DedicatedGpuServing,
}


@dataclass(frozen=True)
class SourceData:
    """What one source prices, already validated.

    `models` keeps the source's own order; `serving` is empty for LiteLLM (it prices no GPU
    rentals) and `models` may be empty for a team sheet that only rents GPUs. `skipped` counts
    the entries dropped as not needed, so a report can say "23 models kept, 2,480 skipped" and
    a sudden drop in kept models is visible.
    """

    models: dict[str, ModelPrice]
    serving: list[Serving]
    as_of: dt.date | None
    label: str | None  # the sheet's own `source` text, or LITELLM_LABEL
    kind: SourceKind
    skipped: int


class SourceError(InputError):
    """A source that can't be used at all; `problems` has one line per problem, where first.

    An `InputError`, so callers that already report bad input (the CLI, the refresh) handle
    it as they handle a bad sheet. Lines don't repeat the source's name (the caller shows it
    once, next to them); `str()` does include it.
    """

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        super().__init__(problems)
        self.source = source
        self.args = (source, self.problems)  # so that it pickles and copies

    def __str__(self) -> str:
        return f"{self.source}: {'; '.join(self.problems)}"


def read_source(data: object, name: str) -> SourceData:
    """The prices in one parsed source document (LiteLLM's file or a project sheet).

    `name` (its URL or path) is only used in the error. Raises `SourceError` listing every
    problem when the document isn't a price source or any figure kept from it is unusable.
    """
    if not isinstance(data, dict):
        raise SourceError(
            name,
            [
                "not a price source: expected an object (LiteLLM's model map or a price sheet), "
                f"got {type(data).__name__}"
            ],
        )
    kind = source_kind(data)
    if kind == "litellm":
        return _read_litellm(data, name)
    if kind == "sheet":
        return _read_sheet(data, name)
    keys = ", ".join(repr(k) for k in list(data)[:5]) or "none"
    raise SourceError(
        name,
        [
            "not a price source: expected LiteLLM's model_prices_and_context_window.json "
            "(model names mapped to entries with litellm_provider, mode and "
            "input_cost_per_token) or a price sheet with models and/or finetune_serving; "
            f"its keys: {keys}"
        ],
    )


def source_kind(data: Mapping[Any, Any]) -> SourceKind | None:
    """Which format a parsed document is in, from its shape alone (None: neither).

    LiteLLM's file always opens with `sample_spec`; without it, an entry with a
    `litellm_provider` gives it away. A sheet is known by any of its top-level keys (no
    LiteLLM model is called `models` or `source`), so a sheet with a misspelt
    `finetune_serving` is refused as a sheet, naming the misspelt key.
    """
    if "sample_spec" in data:
        return "litellm"
    if any(key in data for key in _SHEET_KEYS):
        return "sheet"
    if any(isinstance(entry, dict) and "litellm_provider" in entry for entry in data.values()):
        return "litellm"
    return None


MODEL_ID = re.compile(r"claude-[a-z0-9][a-z0-9.-]{0,99}")


def is_claude_chat(key: object, entry: object) -> bool:
    """A LiteLLM entry the bot needs: a Claude chat model on Anthropic's own API.

    `claude-…` keys without a `/`: LiteLLM prices the same models again under
    `anthropic/…`, Bedrock (`anthropic.claude…`, `claude-…-v1:0` with provider bedrock) and
    Vertex (`vertex_ai/claude…`), at other prices or regional uplifts the bot never pays.
    """
    return (
        isinstance(key, str)
        # a model id is shown in Slack: nothing but the characters ids use gets through
        and MODEL_ID.fullmatch(key) is not None
        and isinstance(entry, dict)
        and entry.get("litellm_provider") == "anthropic"
        and entry.get("mode") == "chat"
    )


def _read_litellm(data: dict[Any, Any], name: str) -> SourceData:
    wanted = {key: entry for key, entry in data.items() if is_claude_chat(key, entry)}
    if not wanted:
        raise SourceError(
            name,
            [
                f"no Claude chat models among its {len(data):,} entries (expected keys like "
                "'claude-haiku-4-5' with litellm_provider 'anthropic' and mode 'chat')"
            ],
        )
    models: dict[str, ModelPrice] = {}
    problems: list[str] = []
    for key, entry in wanted.items():
        found = _number_problems(entry, _MODEL_NUMBERS, key)
        try:
            models[key] = ModelPrice.model_validate(entry)
        except ValidationError as exc:
            found = _merged(found, problems_from(exc, key))
        problems += found
    if problems:
        raise SourceError(name, problems)
    return SourceData(
        models=models,
        serving=[],
        as_of=None,
        label=LITELLM_LABEL,
        kind="litellm",
        skipped=len(data) - len(wanted),
    )


class _Sheet(BaseModel):
    """A project-format source: like `PriceSheet`, but either half may be missing (a team sheet
    that only rents GPUs has no models) and `as_of`/`source` are optional."""

    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = None
    source: str | None = None
    models: dict[str, ModelPrice] = Field(default_factory=dict)
    finetune_serving: list[ServingOption] = Field(default_factory=list)

    @model_validator(mode="after")
    def _usable(self) -> _Sheet:
        seen: set[str] = set()
        for option in self.finetune_serving:
            if option.id in seen:
                raise ValueError(f"finetune_serving: id {option.id!r} appears twice")
            seen.add(option.id)
        if not self.models and not self.finetune_serving:
            raise ValueError("models: the sheet prices nothing (no models, no finetune_serving)")
        return self


def _read_sheet(data: dict[Any, Any], name: str) -> SourceData:
    found = _sheet_number_problems(data)
    try:
        sheet = _Sheet.model_validate(data)
    except ValidationError as exc:
        raise SourceError(name, _merged(found, problems_from(exc))) from exc
    if found:
        raise SourceError(name, found)
    return SourceData(
        models=dict(sheet.models),
        serving=list(sheet.finetune_serving),
        as_of=sheet.as_of,
        label=sheet.source,
        kind="sheet",
        skipped=0,
    )


# Pydantic's lax mode reads "1e-06" as 1e-06 and true as 1.0. Fine for a hand-written sheet
# read once, not for a file fetched every week: text where a price belongs means the file's
# producer broke, and a price of $1 per token from a stray `true` would flip every verdict.
def _holds_float(annotation: object) -> bool:
    return annotation is float or any(_holds_float(arg) for arg in typing.get_args(annotation))


def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    """The model's float fields (prices, rates): the ones a source must give as numbers."""
    return frozenset(
        name for name, field in model.model_fields.items() if _holds_float(field.annotation)
    )


_MODEL_NUMBERS = _number_fields(ModelPrice)
_SERVING_NUMBERS = {kind: _number_fields(model) for kind, model in _SERVING_KINDS.items()}


def _number_problems(entry: Mapping[Any, Any], fields: frozenset[str], where: str) -> list[str]:
    return [
        f"{where}.{key}: must be a number, got {value!r}"
        for key, value in entry.items()
        if key in fields and isinstance(value, str | bool)
    ]


def _sheet_number_problems(data: Mapping[Any, Any]) -> list[str]:
    found: list[str] = []
    models, serving = data.get("models"), data.get("finetune_serving")
    if isinstance(models, dict):
        for key, entry in models.items():
            if isinstance(entry, dict):
                found += _number_problems(entry, _MODEL_NUMBERS, f"models.{key}")
    if isinstance(serving, list):
        for index, entry in enumerate(serving):
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if isinstance(kind, str) and kind in _SERVING_NUMBERS:
                where = f"finetune_serving[{index}].{kind}"  # as problems_from spells it
                found += _number_problems(entry, _SERVING_NUMBERS[kind], where)
    return found


def _merged(own: list[str], pydantic: list[str]) -> list[str]:
    """Both lists (text-for-number lines first), without pydantic's line for a field already
    reported as text: lax pydantic either accepted that value or says the same thing."""
    reported = {line.split(": ", 1)[0] for line in own}
    return own + [line for line in pydantic if line.split(": ", 1)[0] not in reported]
