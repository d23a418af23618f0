"""One price source read into prices, or refused as a whole.

A source is either LiteLLM's public `model_prices_and_context_window.json` (the default source,
~4,900 entries of which the bot needs only Anthropic's own Claude chat models) or the project's
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

Every entry left out is counted under the reason it was left out (`Skipped`), so a refresh can
say what it did with each of the file's entries, not only with the ones it kept.

Pure: no HTTP, files, Slack, Claude or database here. The caller fetches the text and passes it
in (`read_source_text`), or parses it itself and passes the data (`read_source`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.errors import InputError, problems_from
from knowledge.prices import (
    DedicatedGpuServing,
    ModelPrice,
    PerTokenServing,
    ServingOption,
    require_unique_ids,
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
class Skipped:
    """Entries of a source left out for one reason; `names` only where each one matters (a
    model someone may look for), not for thousands of other providers' entries."""

    reason: str
    count: int
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceData:
    """What one source prices, already validated.

    `models` keeps the source's own order; `serving` is empty for LiteLLM (it prices no GPU
    rentals) and `models` may be empty for a team sheet that only rents GPUs. `skipped` counts
    the entries dropped as not needed and `skipped_why` says why, most common reason first, so
    a report can account for every entry (`entries` = models + serving + skipped) and a sudden
    drop in kept models is visible.
    """

    models: dict[str, ModelPrice]
    serving: list[Serving]
    as_of: dt.date | None
    label: str | None  # the sheet's own `source` text, or LITELLM_LABEL
    kind: SourceKind
    skipped: int
    entries: int = 0  # what the source lists: LiteLLM's top-level keys, a sheet's items
    skipped_why: tuple[Skipped, ...] = ()


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
                f"got {_what(data)}"
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


def read_source_text(text: str, name: str) -> SourceData:
    """The prices in one source's text (JSON or YAML), as `read_source` reads them.

    Problems don't repeat `name` (the caller shows it once, next to them), and a file cut short
    says so: a download that stopped halfway is the usual way a good source turns bad.
    """
    return read_source(parse_source_text(text, name), name)


def parse_source_text(text: str, name: str) -> object:
    """The data in a source's text; `SourceError` naming the line when it isn't JSON or YAML."""
    stripped = text.lstrip()
    if not stripped:
        raise SourceError(name, ["empty: the source has no text at all"])
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(name, [_json_problem(text, exc)]) from exc
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        shown = f"not valid YAML{where}" + (f": {problem}" if problem else "")
        raise SourceError(name, [shown]) from exc


# libyaml's loader where PyYAML has it, as knowledge.documents reads sheets
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _json_problem(text: str, exc: json.JSONDecodeError) -> str:
    message = exc.msg[:1].lower() + exc.msg[1:]  # "unterminated string starting at"
    where = f"line {exc.lineno:,}, column {exc.colno:,}"
    problem = f"not valid JSON: {message}{' ' if message.endswith(' at') else ' at '}{where}"
    # An unterminated string runs to the end, and "expecting ..." at the very end means the
    # text stopped mid-document: the file or download was cut short, not written wrong.
    if exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip()):
        problem += f"; the text stops there, after {len(text):,} characters (cut short?)"
    return problem


def _what(data: object) -> str:
    """A parsed document's kind, as a person would name it."""
    if data is None:
        return "nothing (the document holds no data)"
    if isinstance(data, str):
        shown = data if len(data) <= 40 else data[:40] + "…"
        return f"text ({shown!r})"
    if isinstance(data, list):
        return f"a list of {len(data):,} items"
    if isinstance(data, int | float) and not isinstance(data, bool):
        return f"a number ({data!r})"
    return f"{type(data).__name__} ({data!r})"


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


# Why a LiteLLM entry is left out, in the order they are tried (the first that fits counts).
SKIP_SAMPLE = "LiteLLM's sample_spec (the format's template, not a model)"
SKIP_ALIAS = "aliases of other entries (alias_of, no prices of their own)"
SKIP_NOT_MODEL = "not model entries (no litellm_provider)"
SKIP_CLAUDE_ELSEWHERE = (
    "Claude on other platforms (Bedrock, Vertex AI, Azure, …): not Anthropic's own prices"
)
SKIP_OTHER_PROVIDER = "other providers' models (OpenAI, Gemini, Mistral, …)"
SKIP_NOT_CHAT = "Anthropic entries that aren't chat models"
SKIP_OTHER_NAME = "Anthropic chat entries under another name (e.g. anthropic/…)"
# the few that a person may look for by name
_NAMED_SKIPS = frozenset({SKIP_NOT_CHAT, SKIP_OTHER_NAME})


def skip_reason(key: object, entry: object) -> str | None:
    """Why the bot has no use for a LiteLLM entry; None for the ones it needs: Claude chat
    models on Anthropic's own API.

    `claude-…` keys without a `/`: LiteLLM prices the same models again under
    `anthropic/…`, Bedrock (`anthropic.claude…`, `claude-…-v1:0` with provider bedrock) and
    Vertex (`vertex_ai/claude…`), at other prices or regional uplifts the bot never pays.
    """
    if key == "sample_spec":
        return SKIP_SAMPLE
    if not isinstance(entry, dict):
        return SKIP_NOT_MODEL
    if "alias_of" in entry:
        return SKIP_ALIAS
    provider = entry.get("litellm_provider")
    if provider is None:
        return SKIP_NOT_MODEL
    if provider != "anthropic":
        return SKIP_CLAUDE_ELSEWHERE if "claude" in str(key).lower() else SKIP_OTHER_PROVIDER
    if entry.get("mode") != "chat":
        return SKIP_NOT_CHAT
    # a model id is shown in Slack: nothing but the characters ids use gets through
    if not isinstance(key, str) or MODEL_ID.fullmatch(key) is None:
        return SKIP_OTHER_NAME
    return None


def is_claude_chat(key: object, entry: object) -> bool:
    """A LiteLLM entry the bot needs (`skip_reason` has none for it)."""
    return skip_reason(key, entry) is None


def _read_litellm(data: dict[Any, Any], name: str) -> SourceData:
    wanted: dict[str, Any] = {}
    why: dict[str, list[str]] = {}
    for key, entry in data.items():
        reason = skip_reason(key, entry)
        if reason is None:
            wanted[key] = entry
        else:
            why.setdefault(reason, []).append(str(key))
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
    skipped = sorted(
        (
            Skipped(reason, len(keys), tuple(keys) if reason in _NAMED_SKIPS else ())
            for reason, keys in why.items()
        ),
        key=lambda s: -s.count,
    )
    return SourceData(
        models=models,
        serving=[],
        as_of=None,
        label=LITELLM_LABEL,
        kind="litellm",
        skipped=len(data) - len(wanted),
        entries=len(data),
        skipped_why=tuple(skipped),
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
        require_unique_ids(self.finetune_serving)
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
        entries=len(sheet.models) + len(sheet.finetune_serving),
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
