"""What the two labelled suites share (bot/evals.py's conversations, bot/intent_eval.py's
messages): how a case's file is named in a problem, the checks every case starts with, and the
precision and recall table their reports open with."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from knowledge import InputError


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def case_mapping(document: object, keys: Collection[str]) -> tuple[dict[str, Any], list[str]]:
    """A case's document as a mapping, with the problems of its keys and its name (the case's
    own checks add to them); a document that is no mapping has nothing else worth checking."""
    if not isinstance(document, dict):
        raise InputError([f"a case is a mapping with {', '.join(sorted(keys))}"])
    problems = [f"unknown key {key!r}" for key in document if key not in keys]
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: a non-empty string is required")
    return document, problems


def _share(value: float | None) -> str:
    return "    –" if value is None else f"{value:5.3f}"


def score_table(
    what: str, width: int, rows: Iterable[tuple[str, int, float | None, float | None]]
) -> list[str]:
    """The heading and a line per (label, cases, precision, recall); a share with nothing to
    divide by shows as a dash."""
    lines = [f"{what:<{width}} {'cases':>5} {'precision':>9} {'recall':>7}"]
    for label, support, precision, recall in rows:
        lines.append(f"{label:<{width}} {support:>5} {_share(precision):>9} {_share(recall):>7}")
    return lines
