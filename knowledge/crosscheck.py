"""The check on Claude's numbers: each must be one the offline reader also finds in the words.

Provenance already refuses a number the user never wrote. This catches the subtler slip: a number
the user did write, given to the wrong fact ("a 300-person company" read as 300 calls a month).
A number the offline reader can't place is not refused (Claude reads more than patterns do); the
reply shows it flagged, so the salesperson looks twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from knowledge.provenance import NUMBER_FIELDS, Accepted
from knowledge.reader import read_message

__all__ = ["unconfirmed"]


def unconfirmed(
    accepted: Iterable[Accepted], messages: Sequence[str], asked: Sequence[str] = ()
) -> list[Accepted]:
    """The accepted numbers that no message, read offline, states for the same fact."""
    numbers = [a for a in accepted if a.field in NUMBER_FIELDS and isinstance(a.value, int | float)]
    if not numbers:
        return []
    found: dict[str, list[float]] = {}
    for message in messages:
        for update in read_message(message, asked=asked).updates:
            try:
                found.setdefault(update.field, []).append(float(update.value))
            except ValueError:
                continue
    return [
        a
        for a in numbers
        if not any(math.isclose(v, float(a.value), rel_tol=0.01) for v in found.get(a.field, []))
    ]
