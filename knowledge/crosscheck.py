"""The check on Claude's numbers: each must be one the offline reader also finds in the words.

Provenance already refuses a number the user never wrote. This catches the subtler slip: a number
the user did write, given to the wrong fact ("a 300-person company" read as 300 calls a month).
A number the offline reader can't place is not refused (Claude reads more than patterns do); the
reply shows it flagged, so the salesperson looks twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

from knowledge.provenance import NUMBER_FIELDS, Accepted
from knowledge.reader import read_message

__all__ = ["unconfirmed"]


def unconfirmed(
    accepted: Iterable[Accepted], messages: Sequence[str], asked: Sequence[str] = ()
) -> list[Accepted]:
    """The accepted numbers that no message, read offline, states for the same fact.

    `asked`: what the bot asked for before the newest message, so a bare answer to it
    ("roughly 40,000") is placed as the offline reader places it.
    """
    numbers = [a for a in accepted if a.field in NUMBER_FIELDS and isinstance(a.value, int | float)]
    if not numbers:
        return []
    found: dict[str, list[float]] = {}
    for message in messages:
        for field, value in _numbers_read(message, tuple(asked)):
            found.setdefault(field, []).append(value)
    return [
        a
        for a in numbers
        if not any(math.isclose(v, float(a.value), rel_tol=0.01) for v in found.get(a.field, []))
    ]


@lru_cache(maxsize=256)
def _numbers_read(message: str, asked: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """The numbers the offline reader finds in one message. Cached: every turn of a thread
    checks against all of its messages, and they don't change."""
    found = []
    for update in read_message(message, asked=asked).updates:
        if update.field in NUMBER_FIELDS:
            try:
                found.append((update.field, float(update.value)))
            except ValueError:
                continue
    return tuple(found)
