"""Which model a message prompts today (frontier_model), and whose score each quality is.

A score belongs to the model named next to it: "haiku 5.5 got 91%, sonnet 94%", "91% on haiku
5.5", "haiku 5.5 and sonnet 5.5 scored 91% and 94%". The score of the thread's frontier model is
its baseline_quality; a score of any other model is one of `other_baselines`. A score no model is
named with is the frontier model's, as it always was. A score of another vendor's model ("gpt-5
got 93%") is no Claude model's: it is the baseline only while the thread names no Claude model
(they prompt GPT today), and otherwise nothing.

The frontier model is, in this order: a model the message says they use today ("they're on haiku
4.5", "their sonnet bill", "sonnet 4.6 w/ their current prompt"); else the one the thread already
knows (a correction may name another: "actually it's opus 4.5"); else the first model the message
scores; else the last model it names.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.reader.model import CURRENT, Mention, mentions
from knowledge.reader.percents import ON_THE_CURRENT_SETUP
from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import CORRECTION, Span, around, sentence_at, sentences

__all__ = ["ModelReading", "read_models"]

# Words right before a model that say it is the one in use: "they're on", "they use", "running".
_IN_USE_BEFORE = re.compile(
    r"(?:\b(?:(?:they|we|it|he|she)'?re|are|is|'s|been|still|currently|all|today|everything)"
    r"\s+(?:\w+\s+)?(?:on|using|running|with)"
    r"|\b(?:use|uses|used|run|runs|running|prompts?|prompting|currently|today'?s?|in prod\w*"
    r"|moving (?:off|away from)|migrat\w* (?:off|from)|switch\w* (?:off|from)|cheaper than"
    r"|pay(?:s|ing)? for|stuck on|(?:live|lives|runs?|running|built|deployed|hosted) on)"
    r")\s+(?:(?:the|their|our)\s+)?(?:(?:current|existing|prod|production)\s+)?(?:claude\s+)?$"
    r"|\b(?:the|their|our)\s+(?:current|existing|prod|production)\s+(?:claude\s+)?$",
    re.IGNORECASE,
)
# ...or right after it: "sonnet 4.5 today", "the haiku bill", "sonnet 4.6 w/ their current prompt".
_IN_USE_AFTER = re.compile(
    r"^\W*(?:(?:\w+\s+)?(?:today|currently|right now|in prod\w*|in production)\b"
    r"|(?:bill|spend|invoice|costs?|tokens? bill|api bill)\b"
    r"|(?:is|as) (?:what|the model) they (?:use|run|prompt)"
    r"|[^.;!?]{0,30}\b(?:current|existing|production|prod) (?:prompt|setup|pipeline|model)\b)",
    re.IGNORECASE,
)
# Words that deny a model: "not haiku", "instead of sonnet", "was opus".
_DENIED_BEFORE = re.compile(
    r"(?:\bnot|\bno longer|instead of|rather than|\bwas|\bwere|n't)\s+(?:on\s+)?(?:the\s+)?$",
    re.IGNORECASE,
)
# Other vendors' models: a score next to one is not a Claude model's.
_VENDOR = re.compile(
    r"\b(?:chat)?(?:gpt|gemini|llama|mistral|mixtral|qwen|deepseek|grok|command[- ]r)"
    r"(?:[\w.-]*\w)?",
    re.IGNORECASE,
)
# A score followed by the model it is of: "91% on haiku 5.5", "91% (haiku 5.5)", "91% w/ sonnet".
_SCORE_OF = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:on|with|w/|for|from|using|via|by|\()\s*(?:(?:the|their|our)\s+)?"
    r"(?:(?:new|current|old|existing|prod|production)\s+)?(?:claude\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Score:
    """A measured quality and the model it is a score of (None: no model named with it)."""

    number: StatedNumber
    value: float  # a share, 0-1
    start: int  # where its percent is in the message
    end: int
    owner: Mention | None = None


@dataclass(frozen=True)
class ModelReading:
    frontier: tuple[str, str] | None  # (model id, quote) when this message sets it
    baseline: list[tuple[StatedNumber, float, str]]  # the frontier's scores: (number, share, quote)
    others: list[tuple[str, float, str]]  # (model id, share, quote) of any other model


def read_models(
    message: str,
    qualities: Sequence[tuple[StatedNumber, float]],
    thread_model: str | None,
) -> ModelReading:
    """The frontier model this message names, and whose score each measured quality is.

    `qualities`: the numbers read as a measured quality (baseline_quality) with their shares, in
    message order. `thread_model`: the thread's frontier model before this message, if known.
    """
    claude = [m for m in mentions(message) if not _denied(message, m)]
    vendors = [Mention(v.start(), v.end(), v.group(0), "", None) for v in _VENDOR.finditer(message)]
    named = sorted(claude + vendors, key=lambda m: m.start)
    scores = _owned(message, _scores(message, qualities, claude), named)
    owners = [s.owner for s in scores]
    in_use = [m for m in claude if _in_use(message, m)]
    frontier: Mention | None = None
    if in_use:
        frontier = in_use[-1]
    elif thread_model is not None:
        last = claude[-1] if claude else None
        if last is not None and last not in owners and _corrects(message, last):
            frontier = last  # "actually it's opus 4.5"
    else:
        scored = [o for o in owners if o is not None and o.family in CURRENT]
        frontier = scored[0] if scored else (claude[-1] if claude else None)
    frontier_id = frontier.resolved(thread_model) if frontier is not None else thread_model
    baseline: list[tuple[StatedNumber, float, str]] = []
    others: list[tuple[str, float, str]] = []
    for score in scores:
        if score.owner is not None and score.owner.family not in CURRENT:
            if frontier_id is None:  # they prompt another vendor's model: its score
                baseline.append((score.number, score.value, _clause(score)))
            continue
        # a bare "haiku" after "they're on haiku 4.5" is that Haiku
        model = score.owner.resolved(frontier_id) if score.owner is not None else None
        if model is None or model == frontier_id:
            baseline.append((score.number, score.value, _clause(score)))
        else:
            others.append((model, score.value, _quote(message, score)))
    set_here = None
    if frontier is not None:
        model = frontier.resolved(thread_model)
        if model != thread_model or frontier.versioned is not None:
            set_here = (model, frontier.text)
    return ModelReading(set_here, baseline, others)


# "91% and 94%": two scores the quantity reader takes for a range.
_TWO_SCORES = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(?:and|&|,|/)\s*(\d+(?:\.\d+)?)\s*%")


def _scores(
    message: str, qualities: Sequence[tuple[StatedNumber, float]], named: list[Mention]
) -> list[Score]:
    scores: list[Score] = []
    for n, share in qualities:
        q = n.quantity
        two = _TWO_SCORES.fullmatch(message, q.start, q.end)
        before = [m for m in named if m.end <= q.start and _same_sentence(message, m, q.start)]
        if two is not None and len(before) >= 2:
            for group in (1, 2):
                value = float(two.group(group)) / 100
                scores.append(Score(n, value, q.start + two.start(group) - two.start(), q.end))
        else:
            scores.append(Score(n, share, q.start, q.end))
    return scores


def _same_sentence(message: str, m: Mention, position: int) -> bool:
    in_message = sentences(message)
    return bool(in_message) and around(in_message, m.start) == around(in_message, position)


def _corrects(message: str, m: Mention) -> bool:
    """The sentence naming the model says it corrects something: "actually it's opus 4.5"."""
    return CORRECTION.search(sentence_at(message, m.start)) is not None


def _denied(message: str, m: Mention) -> bool:
    return _DENIED_BEFORE.search(message[max(0, m.start - 20) : m.start]) is not None


def _in_use(message: str, m: Mention) -> bool:
    before = message[max(0, m.start - 40) : m.start]
    after = message[m.end : m.end + 60]
    return _IN_USE_BEFORE.search(before) is not None or _IN_USE_AFTER.match(after) is not None


def _owned(message: str, scores: list[Score], named: list[Mention]) -> list[Score]:
    """Each score with the model it is a score of, or None when no model is named with it."""
    if not named:
        return scores
    in_message = sentences(message)
    by_sentence: dict[Span, list[int]] = {}
    for i, score in enumerate(scores):
        by_sentence.setdefault(around(in_message, score.start), []).append(i)
    owned = list(scores)
    for sentence, indexes in by_sentence.items():
        here = [m for m in named if sentence.start <= m.start < sentence.end]
        paired = _respectively(scores, indexes, here)
        for i in indexes:
            score = scores[i]
            if re.match(ON_THE_CURRENT_SETUP, message[score.end :], re.IGNORECASE):
                continue  # "92% on their current 4.5 setup": the frontier model's
            owner = (
                paired.get(i)
                or _named_after(message, score, here)
                or _nearest_before(score, here)
                or _nearest_before(score, named)
            )
            owned[i] = dataclasses.replace(score, owner=owner)
    return owned


def _respectively(
    scores: list[Score], indexes: list[int], here: list[Mention]
) -> dict[int, Mention]:
    """ "haiku 5.5 and sonnet 5.5 scored 91% and 94%": the models named in a row before as many
    scores, paired in order."""
    if len(indexes) < 2:
        return {}
    first = scores[indexes[0]].start
    last = scores[indexes[-1]].end
    before = [m for m in here if m.end <= first]
    if len(before) < len(indexes) or any(first < m.end and m.start < last for m in here):
        return {}
    return dict(zip(indexes, before[-len(indexes) :], strict=True))


def _named_after(message: str, score: Score, here: list[Mention]) -> Mention | None:
    for m in here:
        if m.start >= score.end:
            gap = message[score.end : m.start]
            return m if _SCORE_OF.match(gap) else None
    return None


def _nearest_before(score: Score, named: list[Mention]) -> Mention | None:
    before = [m for m in named if m.end <= score.start]
    return before[-1] if before else None


def _quote(message: str, score: Score) -> str:
    """The words from the model's name to its score (or back), and the rest of the score's
    clause ("haiku 5.5 makes ~7% errors"): the quote must name the model and state the score."""
    assert score.owner is not None
    after = score.number.quantity.end + len(score.number.after)
    start, end = min(score.owner.start, score.start), max(score.owner.end, score.end, after)
    return message[start:end].strip()


def _clause(score: Score) -> str:
    n = score.number
    return n.clause if n.quantity.text in n.clause else n.quantity.text
