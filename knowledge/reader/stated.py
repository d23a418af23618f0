"""The numbers a message states, each with the clause and sentence it sits in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.quantities import Quantity, find_quantities
from knowledge.reader.text import Span, around, clauses, sentences

__all__ = ["MAX_NUMBERS", "StatedNumber", "stated_numbers"]

# How much of the clause after a number counts as its unit ("tokens in", "labeled examples").
_AFTER_CHARS = 40
# How far from a number its clause and sentence are read for context.
_NEAR = 300
# A scoping message states a few dozen numbers; past this many it is a paste (a log, a table),
# and the rest are not read: each costs a few dozen regex searches.
MAX_NUMBERS = 300


@dataclass(frozen=True)
class StatedNumber:
    """One stated quantity (a range's readings together) and the words around it."""

    values: tuple[float, ...]  # one value; two for a range (low, high)
    quantity: Quantity
    before: str  # its clause up to the number
    after: str  # its clause after the number
    clause: str
    sentence: str

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def unit_text(self) -> str:
        """The number's own text after its digits and the next few words: "ms", "tokens in"."""
        text = self.quantity.text
        own = re.sub(r"^.*\d[\d.,]*", "", text) if re.search(r"\d", text) else ""
        return (own + " " + self.after[:_AFTER_CHARS]).strip().lower()


def stated_numbers(message: str) -> list[StatedNumber]:
    in_message = sentences(message)
    if not in_message:
        return []
    groups: dict[tuple[int, int], list[Quantity]] = {}
    for q in find_quantities(message):
        groups.setdefault((q.start, q.end), []).append(q)
    numbers: list[StatedNumber] = []
    covered_to = -1
    for (start, end), readings in sorted(groups.items(), key=lambda g: (g[0][0], -g[0][1])):
        if len(numbers) == MAX_NUMBERS:
            break
        if end <= covered_to:
            continue  # a shorter reading inside one already taken ("3" of "3 and 20 million")
        covered_to = max(covered_to, end)
        sentence = around(in_message, start)
        clause = around(clauses(message, sentence), start)
        values = tuple(sorted({q.value for q in readings}))
        # The words around a number that say what it is are near it: a window keeps a long
        # paste (thousands of numbers in one sentence) linear.
        near = Span(max(sentence.start, start - _NEAR), min(sentence.end, end + _NEAR))
        numbers.append(
            StatedNumber(
                values=values if len(values) <= 2 else (values[0], values[-1]),
                quantity=readings[-1],
                before=message[max(clause.start, start - _NEAR) : start],
                after=message[end : max(end, min(clause.end, end + _NEAR))],
                clause=message[max(clause.start, start - _NEAR) : min(clause.end, end + _NEAR)],
                sentence=near.text(message),
            )
        )
    return numbers
