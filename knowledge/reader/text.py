"""Sentences, clauses and negation: where a rule's words sit in the message, and how to say them.

Every rule quotes the clause a fact came from, so the reader splits a message the same way
everywhere: sentences at end punctuation or line breaks, clauses at commas, dashes and "but".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "CORRECTION",
    "Span",
    "any_of",
    "any_word",
    "around",
    "clause_at",
    "clause_span_at",
    "clauses",
    "has",
    "negated",
    "sentence_at",
    "sentences",
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


# Cached: every rule asks where its matches sit, and a long message has thousands of them (a
# 40,000-character paste of numbers took minutes when each one split the message again).
@lru_cache(maxsize=16)
def sentences(message: str) -> tuple[Span, ...]:
    return tuple(_split(message, _SENTENCE_END, Span(0, len(message))))


@lru_cache(maxsize=1024)
def clauses(message: str, sentence: Span) -> tuple[Span, ...]:
    return tuple(_split(message, _CLAUSE_END, sentence))


def around(spans: tuple[Span, ...], position: int) -> Span:
    """The span that holds `position` (spans are in order), else the last one."""
    index = bisect_right(spans, position, key=lambda s: s.start) - 1
    if index >= 0 and spans[index].start <= position < spans[index].end:
        return spans[index]
    return spans[-1]


def clause_span_at(message: str, start: int, end: int) -> Span:
    """Where the clause of a match at `start`..`end` is (see `clause_at`)."""
    in_message = sentences(message)
    if not in_message:
        return Span(start, end)
    sentence = around(in_message, start)
    clause = around(clauses(message, sentence), start)
    if clause.end < end:  # the keyword runs past the clause ("brand, voice")
        return Span(clause.start, max(end, sentence.end))
    return clause


def clause_at(message: str, start: int, end: int) -> str:
    """The clause a match at `start`..`end` is in: the words a fact it reads is quoted with."""
    return clause_span_at(message, start, end).text(message)


def sentence_at(message: str, start: int) -> str:
    in_message = sentences(message)
    return around(in_message, start).text(message) if in_message else message


# Words that say a message corrects what was said before: "actually it's extraction".
CORRECTION = re.compile(
    r"\b(?:actually|correction|sorry|i meant|scratch that|my bad|to clarify|not \w+ but)\b",
    re.IGNORECASE,
)

_NEGATION_WORDS = any_of(
    "no|not|never|none|nothing|nobody|without|zero|neither|nor",
    r"isn'?t|aren'?t|wasn'?t|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t|hadn'?t|won'?t|can'?t",
    "cannot|nope|nah",
)
_NEGATION = re.compile(rf"\b{_NEGATION_WORDS}\b|n't\b", re.IGNORECASE)


def negated(text: str) -> bool:
    return _NEGATION.search(text) is not None
