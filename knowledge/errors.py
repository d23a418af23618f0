"""Bad input as a list of one-line problems, each naming the field that was wrong."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class InputError(ValueError):
    """Input that cannot be used; `problems` holds one line per problem, field first."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


_NAMED_CHECK = re.compile(r"^(?P<field>[a-z_]+): (?P<problem>.+)$", re.DOTALL)


def _location(loc: tuple[int | str, ...], prefix: str) -> str:
    parts = [prefix] if prefix else []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif item not in ("function-after", "function-before"):
            parts.append(str(item))
    return ".".join(parts) or "input"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _describe(error: ErrorDetails) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    bounds = {
        "greater_than_equal": ("≥", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("≤", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {ctx[key]}, got {_shown(value)}"
    if kind == "enum":
        return f"must be one of {ctx['expected']}, got {_shown(value)}"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "missing":
        return "is required"
    if kind.startswith("int_"):
        return f"must be a whole number, got {_shown(value)}"
    if kind.startswith("float_"):
        return f"must be a number, got {_shown(value)}"
    if kind.startswith("bool_"):
        return f"must be true or false, got {_shown(value)}"
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return f"must be at most {limit:,} long, got {len(value):,}" if limit else error["msg"]
    if kind.startswith("string_"):
        return f"must be text, got {_shown(value)}"
    if kind in ("finite_number",):
        return f"must be a finite number, got {_shown(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be an object, got {_shown(value)}"
    if kind == "list_type":
        return f"must be a list, got {_shown(value)}"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def problems_from(exc: ValidationError, prefix: str = "") -> list[str]:
    """One line per pydantic error, `field: what was wrong`."""
    lines = []
    for error in exc.errors():
        described, loc = _describe(error), tuple(error["loc"])
        named = _NAMED_CHECK.match(described) if error["type"] == "value_error" else None
        if named:  # a model-level check that names its own field
            loc, described = (*loc, named["field"]), named["problem"]
        lines.append(f"{_location(loc, prefix)}: {described}")
    return lines
