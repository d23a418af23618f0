"""Which fact a stated number is: a latency, a size, an amount, a count of labeled examples, a
volume or a quality; the words right around it decide ("under 80ms", "~600 tokens in")."""

from __future__ import annotations

import dataclasses
import math
import re

from knowledge.quantities import Quantity, find_quantities, monthly
from knowledge.reader.money import is_money, money_field
from knowledge.reader.percents import percent_field
from knowledge.reader.sizes import (
    cached_part,
    characters_field,
    counts_things,
    in_or_out_field,
    says_characters,
    says_in_or_out,
    says_tokens,
    tokens_field,
)
from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import Span, any_of, any_word, around, has, sentences

__all__ = ["DURATION", "headcount", "is_duration", "number_field"]

_CORRECTED_BEFORE = (
    r"(?:\bnot|\bwas|\bwere|instead of|rather than|\bfrom|n't|\bnot the)\s*[~≈$]?\s*$"
)
_CORRECTED_AFTER = r"\s*(?:was|were)\s+(?:wrong|a typo|off)\b"
# A percent is a statement after "was" ("haiku was 89%"); only these words take one back.
_PERCENT_CORRECTED = r"(?:\bnot|instead of|rather than|n't)\s*[~≈]?\s*$"
_VERSIONED = any_of(
    "haiku|sonnet|opus|fable|claude|gpt|llama|mistral|gemini|qwen|phi",
    "version|ver|v|release|rev|hl7|icd|iso|pci",
)
_VERSION_OF = rf"\b{_VERSIONED}[\s-]*$"

# After the number and any "and a half": "80ms", "0.5 s", "2 and a half seconds".
DURATION = re.compile(
    r"^(?:and a half\s+)?(?:(?P<ms>ms|msecs?|millis(?:econds?)?)|(?P<s>s|secs?|seconds?))\b"
)
_LATENCY_WORD = any_of(
    r"first[- ]token|ttft|latency|respond|response time|p\d\d",
    "under|below|within|sub|less than|<|fast|budget|real[- ]?time|deadline",
    "round[- ]?trip|turnaround|tops|max|at most|or less|answer|needs? to|has to|must",
)
_LATENCY_NOW = (
    r"\b(?:currently|today|right now|at the moment|now|is at|sits at|averag\w*)\W*[~≈]?\s*$"
)
# "2 days ago", "a 30 second call": a time that is not a response time
_NOT_LATENCY = r"\b(?:ago|later|call|calls|meeting|demo|video|audio clip|recording)\b"

# "88% on their eval and they need 97": a bare number near a percent, said to be the bar
_BAR_BEFORE = (
    r"\b(?:need|needs|target|bar|want|wants|require\w*|goal|accept|happy|ok|okay|fine)\w*"
    r"\W*(?:is|of|at|to hit|to get|with|:)?\W*$"
)
_BAR_AFTER = r"^\W*(?:needed|required|target|is the (?:bar|target)|is fine|is ok)\b"

# "400 lawyers", "9 languages", "120 codes": counts of things other than calls
_NOT_CALLS = (
    r"^\W{0,2}(?:-?\s?"
    + any_of(
        "person|people|employees|staff|engineers|devs|developers|seats|users",
        "customers|clients|agents|reps|stores|locations|countries|languages",
        "years?|yrs?|yo|months?|mos?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?",
        r"x\b|times\b|pages?",
        "dollars|usd|eur|gbp|gb|tb|mb|gpus?|params|parameters|b params",
        "classes|categories|intents|fields|codes|columns|attributes",
        "teams?|sites?|schools?|hospitals?|beds|providers|shops|brands|skus?|products?",
        "sellers|merchants",
    )
    + r")\b"
)

_LABELED_WORD = any_word(
    r"la\w{1,4}led|hand-?label(?:l)?ed|gold|annotated|ground[- ]truth|graded",
    "human-?reviewed|reviewed|curated|verified|tagged|coded|labels",
    "training examples|training set|training data|examples|approved|verdicts|dispositions",
    "tr(?:ai|ia)n on|vetted|validated|hand-?checked|hand-?corrected|corrected|cleaned",
    "q&a pairs|pairs",
)
_IN_THE_PROMPT = r"^\W*(?:[\w-]+\s+)?(?:few[- ]?shots?|in[- ]context|in[- ]prompt)\b"
_LABELED_LEAD = r"\b(?:la\w{1,4}led|labels|gold|annotated|ground[- ]truth)\b[^\d]{0,50}$"
_PERCENT_AFTER = r"\W*%"

_PEAK = r"\b(?:peaks?|peaking|spikes?|bursts?|max(?:imum)?|up to|tops? out)\b[^\d]{0,12}$"
_TOKENS_AFTER = r"^\W*(?:tok|tokens?)\b"
_TOKENS_NEAR = r"\b(?:tok|tokens?)\b"


def is_duration(n: StatedNumber) -> bool:
    """ "80ms", "0.5 s", "2 and a half seconds"."""
    return DURATION.match(n.unit_text) is not None


def number_field(n: StatedNumber, message: str) -> tuple[str, float] | None:
    """The fact a number states and its value in the field's unit, or None."""
    if n.quantity.is_percent:
        if re.search(_PERCENT_CORRECTED, n.before, re.IGNORECASE):
            return None  # "89%, not 91%": the score a correction replaces
        return percent_field(n)
    if _corrected_away(n):
        return None
    if has(_VERSION_OF, n.before.lower()):
        return None  # "sonnet 4.5", "gpt-4.1", "v2"
    # A time: "80ms", "0.5 s", "2 seconds"
    duration = DURATION.match(n.unit_text)
    if duration is not None and n.quantity.period is None:
        return _latency_field(n, duration)
    if says_characters(n):
        return characters_field(n)
    if says_tokens(n):
        return tokens_field(n)
    if is_money(n):
        return money_field(n)
    things = counts_things(n)  # "40-page PDFs", "500 examples": no size, whatever words are near
    if says_in_or_out(n) and n.quantity.period is None and not things:
        return in_or_out_field(n)
    if n.quantity.period is None and _states_the_bar(n, message):
        return "target_quality", n.low / 100  # "88% on their eval and they need 97"
    if n.quantity.period is None and not things and cached_part(n):
        return "cached_prefix_tokens", n.low
    if re.match(_NOT_CALLS, n.unit_text, re.IGNORECASE):
        return None  # "400 lawyers", "9 languages", "120 codes"
    if (
        _counts_labeled(n, message)
        and n.quantity.period is None
        and not re.match(_PERCENT_AFTER, n.unit_text)
    ):
        return "labeled_examples", n.low
    if n.quantity.period is not None:
        return _monthly_calls(n, message)
    return None


def _corrected_away(n: StatedNumber) -> bool:
    """ "not 20M", "was 20M", "instead of 20M": the number a correction replaces."""
    return bool(re.search(_CORRECTED_BEFORE, n.before, re.IGNORECASE)) or bool(
        re.match(_CORRECTED_AFTER, n.after, re.IGNORECASE)
    )


def _latency_field(n: StatedNumber, duration: re.Match[str]) -> tuple[str, float] | None:
    before = n.before.lower()
    unit = n.unit_text
    if has(_LATENCY_NOW, before):
        return None  # the latency they have, not the one they need
    if has(_LATENCY_WORD, before + " " + unit + " " + n.sentence) and not has(
        _NOT_LATENCY, unit[3:25]
    ):
        scale = 1 if duration.group("ms") else 1000
        return "first_token_ms", n.high * scale
    return None


def _states_the_bar(n: StatedNumber, message: str) -> bool:
    """A bare 50 to 100 in a message with percents, said to be needed: a target quality."""
    unit = n.unit_text
    return bool(
        50 <= n.low <= 100
        and "%" in message
        and ((not unit and has(_BAR_BEFORE, n.before.lower())) or has(_BAR_AFTER, unit))
    )


def _counts_labeled(n: StatedNumber, message: str) -> bool:
    lead = message[max(0, n.quantity.start - 60) : n.quantity.start].lower()
    if has(_IN_THE_PROMPT, n.unit_text[:30]):
        return False  # "20 few-shot examples" are part of the prompt, not a training set
    return bool(has(_LABELED_WORD, n.unit_text[:60]) or has(_LABELED_LEAD, lead))


def _monthly_calls(n: StatedNumber, message: str) -> tuple[str, float] | None:
    """A rate is the volume of calls, unless it is a peak or a token rate; a rate each of a
    number of people (or stores, bots...) makes is that many times the volume."""
    unit = n.unit_text
    if has(_PEAK, n.before.lower()):
        return None  # the average is the volume, not the peak
    if has(_TOKENS_AFTER, unit) or (
        n.quantity.period in ("second", "minute") and has(_TOKENS_NEAR, unit[:20])
    ):
        return None
    rate = monthly(dataclasses.replace(n.quantity, value=n.low, is_percent=False))
    members = headcount(n, message)
    if members is not None:
        rate *= members.value
    if not math.isfinite(rate):
        return None  # "1e308 calls a day" is no volume
    return "monthly_calls", round(rate)


# "300 agents each asking 20 questions a day", "1,200 stores, each sending 500 receipts a week":
# a count, its noun, then "each" before the rate.
_EACH_AFTER_COUNT = re.compile(
    r"\s*-?\s*[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?\s*,?\s+(?:(?:who|that|and)\s+)?"
    r"(?:each|apiece)\b[^\d]{0,40}\Z",
    re.IGNORECASE,
)
_EACH = re.compile(r"\b(?:each|apiece)\b", re.IGNORECASE)
# "20 questions a day per agent, 300 agents", "each store sends 500 receipts a week": the member
# a rate is of, named next to it; its count is stated elsewhere in the sentence.
_PER_MEMBER = re.compile(r"\b(?:per|each|every)\s+(?P<noun>[a-z]{3,})\b", re.IGNORECASE)
# A rate said to be the total already: "20k tickets a day in total across 300 agents".
_TOTAL_AFTER = r"^\W*(?:in total|total|overall|combined|altogether|all told|between them)\b"
_PERIOD_NOUNS = frozenset(
    ("second", "minute", "hour", "day", "week", "month", "year", "night", "morning", "weekday")
)
# How far before a rate its count and "each" may be ("1,200 retail stores, each sending").
_EACH_REACH = 80


def headcount(n: StatedNumber, message: str) -> Quantity | None:
    """The count a per-member rate is multiplied by: 300 of "300 agents each asking 20
    questions a day"; None when the rate is the whole volume."""
    if has(_TOTAL_AFTER, n.after):
        return None
    sentence = around(sentences(message), n.quantity.start)
    start = max(sentence.start, n.quantity.start - _EACH_REACH)
    while start > sentence.start and not message[start - 1].isspace():
        start -= 1  # not from the middle of a number ("1,200" is not "200")
    window = message[start : n.quantity.start]
    if _EACH.search(window) is not None:  # scanned for numbers only when it may say "each"
        counts = [q for q in find_quantities(window) if _a_plain_count(q)]
        if counts and _EACH_AFTER_COUNT.match(window, counts[-1].end) is not None:
            return _shifted(counts[-1], start)
    own = _OWN_NUMBER.sub("", n.quantity.text)  # "questions per agent per day" of "20 questions…"
    near = [own + " " + n.after[:25], n.before[-40:]]
    for m in (m for text in near for m in _PER_MEMBER.finditer(text)):
        if _singular(m.group("noun")) not in _PERIOD_NOUNS:
            return _the_count_of(m.group("noun"), message, sentence)
    return None


_OWN_NUMBER = re.compile(r"^[^\d]*\d[\d.,]*")


def _a_plain_count(q: Quantity) -> bool:
    return q.period is None and not q.is_percent and q.value >= 2 and float(q.value).is_integer()


def _singular(noun: str) -> str:
    noun = noun.lower()
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def _shifted(q: Quantity, offset: int) -> Quantity:
    return dataclasses.replace(q, start=q.start + offset, end=q.end + offset)


def _the_count_of(noun: str, message: str, sentence: Span) -> Quantity | None:
    """The one number of `noun`s the sentence states ("300 agents", "300 support agents")."""
    named = re.compile(rf"\s*-?\s*(?:[a-z][\w'-]*\s+)?{re.escape(_singular(noun))}s?\b", re.I)
    text = sentence.text(message)
    found = [q for q in find_quantities(text) if _a_plain_count(q) and named.match(text, q.end)]
    if len({q.value for q in found}) != 1:
        return None  # none, or several counts of them: which one is meant is unclear
    return _shifted(found[0], sentence.start)
