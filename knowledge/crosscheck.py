"""The check on Claude's numbers: each must be one the offline reader also finds in the words.

Provenance already refuses a number the user never wrote. This catches the subtler slip: a number
the user did write, given to the wrong fact ("a 300-person company" read as 300 calls a month).
A number the offline reader can't place is not refused (Claude reads more than patterns do); the
reply shows it flagged, so the salesperson looks twice. A quality on another model
(`other_baselines`) is confirmed by the offline reader finding that score for that model, or as
the baseline (read alone, a message doesn't say which model the thread prompts today).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

from knowledge.provenance import MODEL_SHARE_FIELDS, NUMBER_FIELDS, Accepted
from knowledge.reader import read_message

__all__ = ["unconfirmed"]


def unconfirmed(
    accepted: Iterable[Accepted], messages: Sequence[str], asked: Sequence[str] = ()
) -> list[Accepted]:
    """The accepted numbers that no message, read offline, states for the same fact.

    `asked`: what the bot asked for before the newest message, so a bare answer to it
    ("roughly 40,000") is placed as the offline reader places it.
    """
    numbers = [
        a
        for a in accepted
        if (a.field in NUMBER_FIELDS and isinstance(a.value, int | float))
        or (a.field in MODEL_SHARE_FIELDS and isinstance(a.value, dict))
    ]
    if not numbers:
        return []
    found: dict[str, list[float]] = {}
    for message in messages:
        for key, value in _numbers_read(message, tuple(asked)):
            found.setdefault(key, []).append(value)
    return [a for a in numbers if not any(_found(key, v, found) for key, v in _keys(a))]


def _keys(a: Accepted) -> list[tuple[str, float]]:
    if a.field in MODEL_SHARE_FIELDS:
        return [(f"{a.field}:{model}", float(share)) for model, share in a.value.items()]
    return [(a.field, float(a.value))]


def _found(key: str, value: float, found: dict[str, list[float]]) -> bool:
    """Read alone, a message doesn't say which model is the thread's: a score read as the
    baseline confirms one of another model's, and the other way round."""
    if key.startswith("other_baselines:"):
        keys = [key, "baseline_quality"]
    elif key == "baseline_quality":
        keys = [key, *(k for k in found if k.startswith("other_baselines:"))]
    else:
        keys = [key]
    return any(math.isclose(v, value, rel_tol=0.01) for k in keys for v in found.get(k, []))


@lru_cache(maxsize=256)
def _numbers_read(message: str, asked: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """The numbers the offline reader finds in one message, by field (a quality on another
    model by field and model). Cached: every turn of a thread checks against all of its
    messages, and they don't change."""
    found = []
    for update in read_message(message, asked=asked).updates:
        if update.field in NUMBER_FIELDS or update.field in MODEL_SHARE_FIELDS:
            key = f"{update.field}:{update.model}" if update.model else update.field
            try:
                found.append((key, float(update.value)))
            except ValueError:
                continue
    return tuple(found)
