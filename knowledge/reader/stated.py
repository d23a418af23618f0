"""The numbers a message states, each with the clause and sentence it sits in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.quantities import Quantity, find_quantities
from knowledge.reader.text import around, clauses, sentences

__all__ = ["StatedNumber", "stated_numbers"]

# How much of the clause after a number counts as its unit ("tokens in", "labeled examples").
_AFTER_CHARS = 40


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
    covered: list[tuple[int, int]] = []
    for (start, end), readings in sorted(groups.items(), key=lambda g: (g[0][0], -g[0][1])):
        if any(a <= start and end <= b for a, b in covered):
            continue  # a shorter reading inside one already taken ("3" of "3 and 20 million")
        covered.append((start, end))
        sentence = around(in_message, start)
        clause = around(clauses(message, sentence), start)
        values = tuple(sorted({q.value for q in readings}))
        numbers.append(
            StatedNumber(
                values=values if len(values) <= 2 else (values[0], values[-1]),
                quantity=readings[-1],
                before=message[clause.start : start],
                after=message[end : max(end, clause.end)],
                clause=clause.text(message),
                sentence=sentence.text(message),
            )
        )
    return numbers
