"""What the bot tells the user it assumed when it read a number: a range's end, a unit conversion.

Whichever extractor read the message, the reply says so when a fact rests on a reading the user
might not expect: "10–20M" taken at its low end, "8,000 characters" read as about 2,000 tokens,
"under 2% errors" read as a 98% target.
"""

from __future__ import annotations

import math

from knowledge.provenance import (
    CHARACTERS_AFTER,
    COUNT_FIELDS,
    QUALITY_FIELDS,
    RATE_FIELDS,
    Accepted,
)
from knowledge.quantities import Quantity, find_quantities, monthly

__all__ = ["reading_notes"]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.005)


def _stated(field: str, q: Quantity) -> float:
    if field in RATE_FIELDS:
        return monthly(q)
    if q.is_percent:
        return q.value / 100
    return q.value


def reading_notes(accepted: list[Accepted]) -> list[str]:
    """One line for each accepted number the user's words state as a range or in another unit."""
    notes: list[str] = []
    for update in accepted:
        value = update.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        quantities = find_quantities(update.quote)
        spans: dict[tuple[int, int], list[Quantity]] = {}
        for q in quantities:
            spans.setdefault((q.start, q.end), []).append(q)
        for readings in spans.values():
            values = sorted({_stated(update.field, q) for q in readings})
            if len(values) > 1 and any(_close(v, value) for v in values):
                end = "low" if _close(values[0], value) else "high"
                notes.append(f"took the {end} end of “{readings[0].text.strip()}”")
                break
        else:
            note = _conversion(update, quantities)
            if note:
                notes.append(note)
    return notes


def _conversion(update: Accepted, quantities: list[Quantity]) -> str | None:
    value = float(update.value)
    if update.field in COUNT_FIELDS:
        for q in quantities:
            after = update.quote[q.end : q.end + 16]
            if CHARACTERS_AFTER.match(after) and not _close(q.value, value):
                return f"read “{update.quote.strip()}” as about {round(value):,} tokens"
    if update.field in QUALITY_FIELDS:
        for q in quantities:
            complement = 1 - q.value / 100
            if q.is_percent and _close(complement, value) and not _close(q.value / 100, value):
                return f"read “{update.quote.strip()}” as {value * 100:.4g}% right"
    return None
