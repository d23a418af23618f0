"""Sentences, clauses and negation: where a rule's words sit in the message, and how to say them.

Every rule quotes the clause a fact came from, so the reader splits a message the same way
everywhere: sentences at end punctuation or line breaks, clauses at commas, dashes and "but".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Span",
    "any_of",
    "any_word",
    "around",
    "clause_at",
    "clauses",
    "has",
    "negated",
    "sentence_at",
    "sentences",
    "start_of",
]


def any_of(*alternatives: str) -> str:
    """A regex for any one of `alternatives` as a non-capturing group; the first that matches wins.

    An alternative may itself be a few plain words joined by "|", so a long list reads as a few
    lines of related words.
    """
    return "(?:" + "|".join(alternatives) + ")"


def any_word(*alternatives: str) -> str:
    """Like `any_of`, as a whole word or phrase: not "in" of "inside", "tag" of "stage"."""
    return rf"\b{any_of(*alternatives)}\b"


def has(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, re.IGNORECASE)


# A sentence ends at . ! ? ; or a line break, but not inside a number ("4.5", "0.91").
_SENTENCE_END = re.compile(r"(?<!\d)[.!?;]+(?=\s|$)|[.!?;]+(?=\s)|\n+")
# Clauses inside a sentence: commas not inside numbers ("15,000"), dashes between words, "but".
_CLAUSE_END = re.compile(r",(?!\d{3})|\s[-–—]\s|\s\((?!\d)|\)|\bbut\b|\bwhile\b|\bbc\b|\bbecause\b")


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def text(self, message: str) -> str:
        return message[self.start : self.end]


def _split(message: str, pattern: re.Pattern[str], within: Span) -> list[Span]:
    spans: list[Span] = []
    start = within.start
    for m in pattern.finditer(message, within.start, within.end):
        if m.start() > start:
            spans.append(Span(start, m.start()))
        start = m.end()
    if within.end > start:
        spans.append(Span(start, within.end))
    return [s for s in (_trimmed(message, s) for s in spans) if s is not None]


def _trimmed(message: str, span: Span) -> Span | None:
    start, end = span.start, span.end
    while start < end and not message[start].isalnum() and message[start] not in "~$<≈":
        start += 1
    while end > start and not message[end - 1].isalnum() and message[end - 1] not in "%)":
        end -= 1
    return Span(start, end) if end > start else None


def sentences(message: str) -> list[Span]:
    return _split(message, _SENTENCE_END, Span(0, len(message)))


def clauses(message: str, sentence: Span) -> list[Span]:
    return _split(message, _CLAUSE_END, sentence)


def around(spans: list[Span], position: int) -> Span:
    return next((s for s in spans if s.start <= position < s.end), spans[-1])


def clause_at(message: str, start: int, end: int) -> str:
    """The clause a match at `start`..`end` is in: the words a fact it reads is quoted with."""
    in_message = sentences(message)
    if not in_message:
        return message[start:end]
    sentence = around(in_message, start)
    clause = around(clauses(message, sentence), start)
    if clause.end < end:  # the keyword runs past the clause ("brand, voice")
        return message[clause.start : max(end, sentence.end)]
    return clause.text(message)


def sentence_at(message: str, start: int) -> str:
    in_message = sentences(message)
    return around(in_message, start).text(message) if in_message else message


def start_of(message: str, clause: str) -> int:
    return max(0, message.find(clause))


_NEGATION_WORDS = any_of(
    "no|not|never|none|nothing|nobody|without|zero|neither|nor",
    r"isn'?t|aren'?t|wasn'?t|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t|hadn'?t|won'?t|can'?t",
    "cannot|nope|nah",
)
_NEGATION = re.compile(rf"\b{_NEGATION_WORDS}\b|n't\b", re.IGNORECASE)


def negated(text: str) -> bool:
    return _NEGATION.search(text) is not None
