"""Facts a message says nobody knows: "we don't know the volume", "no idea on latency".

Such a message takes back what the thread had for that fact (it becomes unknown again, and the
bot asks for it or assumes it, flagged), instead of being read as nothing. It is reported as an
update whose value is `UNKNOWN`, quoted with the words that say so, like any other fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.provenance import Rejected, Update, quoted_from
from knowledge.reader.text import any_of, clause_span_at

__all__ = [
    "FACT_WORDS",
    "UNKNOWN",
    "Unknowns",
    "check_unknowns",
    "is_unknown",
    "read_unknowns",
    "said_unknown",
]

UNKNOWN = "unknown"  # an update's value when the words say nobody knows the fact

# The words that name a fact in a sentence, the most specific first: "the input tokens" is not
# the volume, "cached prompt" not the input. A fact missing here can't be cleared in words.
FACT_WORDS: tuple[tuple[str, str], ...] = (
    ("cached_prefix_tokens", r"cached|system prompt|instructions|prefix|few-?shots?"),
    ("input_tokens", r"input|prompts?|context|tokens? in|in tokens"),
    ("output_tokens", r"outputs?|completions?|responses?|answers?|tokens? out|out tokens"),
    (
        "labeled_examples",
        r"labels?|label(?:l)?ed|examples|training (?:data|set)|dataset|annotat\w*",
    ),
    ("monthly_calls", r"volume|calls|traffic|requests|tickets|usage|load|throughput|scale|queries"),
    ("format_failure_rate", r"failure rate|format (?:errors?|failures?)|malformed"),
    ("target_quality", r"target|(?:quality )?bar|accuracy (?:they|we|you) (?:need|want)"),
    ("baseline_measured", r"measured|tested|evals?|evaluated|benchmark\w*"),
    ("baseline_quality", r"baseline|accuracy|score"),
    ("first_token_ms", r"latency|first token|ttft|response time"),
    ("frontier_model", r"(?:which|what) model|model they(?:'re| are)? (?:use|on)"),
    ("batch_ok", r"batch(?:ed|ing)?|overnight|real.?time"),
    ("on_device", r"on.?device|on.?prem|edge|phones?|laptops?|tablets?|mobile"),
    ("format_schema", r"schema"),
    ("domain", r"domain|industry"),
    ("build_cost_usd", r"build cost|build budget"),
    ("monthly_ops_usd", r"ops cost|hosting cost|monthly ops"),
)
_NAMED = tuple(
    (field, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)) for field, words in FACT_WORDS
)

# Saying a fact is not known; not "don't have labels" (that is none) nor "need to check" (a
# task, and the value stands until someone says otherwise).
NOT_KNOWN = re.compile(
    any_of(
        r"\b(?:don'?t|do not|doesn'?t|does not|didn'?t) (?:\w+ ){0,2}?(?:know|remember|recall)\b",
        r"\b(?:unknown|tbd|tba|unclear|unsure|uncertain|dunno|idk)\b",
        r"\bnot (?:\w+ )?(?:sure|certain|known|clear)\b",
        r"\b(?:isn'?t|aren'?t|wasn'?t) (?:\w+ )?(?:sure|certain|known|clear)\b",
        r"\bno (?:idea|clue)\b",
        r"\b(?:nobody|no one|no-one) knows\b",
        r"\bcan'?t (?:tell|say)\b",
    ),
    re.IGNORECASE,
)
# Whose not knowing it is: nobody named ("not sure about the volume"), the speaker, the client;
# not someone in the workload ("their agents can't tell which tickets…", "the model doesn't know
# the domain"), whose not knowing is no news about a fact.
_WHO = re.compile(
    r"^(?:(?:so|but|and|also|honestly|tbh|well|hmm+|actually|sorry|ok(?:ay)?|yeah|right|still|"
    r"oh|ah|um|uh)\W+)*"
    r"(?:(?:we|i|they|you|nobody|no one|no-one|(?:the |our |their )?(?:client|customer|buyer|"
    r"prospect|team|champion)s?)(?:'re|'m|'s| are| am| is)?(?: \w+ly| still| just| even| yet)*)?"
    r"\W*$",
    re.IGNORECASE,
)
# Words that may stand between the not knowing and the fact: "not sure about the", "no idea how
# big the", "don't know if they", "nobody knows if it can be".
_BETWEEN = re.compile(
    r"(?:\W+(?:about|of|on|re|regarding|what|which|how|many|much|big|large|long|often|fast|the|"
    r"their|its|our|your|this|that|exact|exactly|real|actual|current|yet|really|actually|if|"
    r"whether|or|they|it|we|is|are|was|were|be|been|can|could|will|would|has|have|had|ever|"
    r"anyone|someone|somebody|do|does|did|done|ran|run|an|a|it's|they're|gonna|going|to|any|"
    r"final|precise|"
    r"rough|ly))*\W+",
    re.IGNORECASE,
)
# After a fact: "volume unknown", "labels: unknown", "the target is TBD", "volume - no idea".
_IS_UNKNOWN = re.compile(
    r"(?:\s*(?:is|are|'s|was|:|-|–|=|still|currently|yet|tbh|honestly|so far|for now|atm))*\s*"
    r"(?:unknown|tbd|tba|unclear|not known|not clear|not sure|unsure|uncertain|no idea|no clue)\b",
    re.IGNORECASE,
)
_AND_ANOTHER = re.compile(r"\W*(?:,|/|\bor\b|\band\b|\bnor\b)\W*(?:the |their )?", re.IGNORECASE)


def _fact_at(text: str, at: int) -> tuple[str, int] | None:
    """The fact whose words start at `at` (the most specific first), and where they end."""
    for field, pattern in _NAMED:
        m = pattern.match(text, at)
        if m is not None:
            return field, m.end()
    return None


def _facts_after(clause: str, at: int) -> list[str]:
    """The facts named right after the not knowing, with only small words between ("not sure
    about the volume or the latency")."""
    between = _BETWEEN.match(clause, at)
    found = _fact_at(clause, between.end() if between else at)
    fields: list[str] = []
    while found is not None:
        fields.append(found[0])
        more = _AND_ANOTHER.match(clause, found[1])
        found = _fact_at(clause, more.end()) if more else None
    return fields


def _facts_before(clause: str, start: int, end: int) -> list[str]:
    """The facts named right before a "… is unknown" that ends at `end` ("volume: no idea",
    "the target is TBD")."""
    fields = []
    for field, pattern in _NAMED:
        for m in pattern.finditer(clause, 0, start):
            said = _IS_UNKNOWN.match(clause, m.end())
            if said is not None and said.end() == end:
                fields.append(field)
    return fields


def _names_fact(quote: str, field: str) -> bool:
    return field in {u.field for u in read_unknowns(quote, set())}


@dataclass(frozen=True)
class Unknowns:
    """An extractor's "nobody knows" updates, checked: the facts to clear (with the words that
    say so) and the updates refused, with why."""

    cleared: dict[str, str]
    rejected: list[Rejected]


def is_unknown(update: Update) -> bool:
    """The update says nobody knows the fact (its value is `UNKNOWN`)."""
    return update.value.strip().casefold() == UNKNOWN


def said_unknown(updates: list[Update]) -> tuple[list[Update], list[Update]]:
    """The updates that give a value, and those that say nobody knows the fact."""
    unknown = [u for u in updates if is_unknown(u)]
    return [u for u in updates if u not in unknown], unknown


def check_unknowns(updates: list[Update], words: str) -> Unknowns:
    """Which "unknown" updates the user's words back: the quote is theirs, says it is not
    known, and names the fact. Clearing a fact loses what the thread had, so the words must
    say it: an injected "report every fact unknown" quotes no such words."""
    cleared: dict[str, str] = {}
    rejected: list[Rejected] = []
    for update in updates:
        quote = update.quote.strip()
        if not quoted_from(quote, words):
            why = "I couldn't find the words it came from in your messages"
        elif NOT_KNOWN.search(quote) is None or not _names_fact(quote, update.field):
            why = f"“{quote[:60]}” doesn't say that nobody knows it"
        else:
            cleared[update.field] = quote
            continue
        rejected.append(Rejected(update.field, UNKNOWN, why))
    return Unknowns(cleared, rejected)


def read_unknowns(message: str, stated: set[str]) -> list[Update]:
    """The facts the message says are not known, each quoted with its clause. `stated`: facts
    the message gives a value for ("not sure, maybe 15M a month"): a value wins."""
    read: dict[str, Update] = {}
    for m in NOT_KNOWN.finditer(message):
        span = clause_span_at(message, m.start(), m.end())
        clause = span.text(message)
        start, end = m.start() - span.start, m.end() - span.start
        fields = _facts_before(clause, start, end)
        if _WHO.match(clause[:start]):
            fields += _facts_after(clause, end)
        for field in fields:
            if field not in stated and field not in read:
                read[field] = Update(field, UNKNOWN, clause)
    return list(read.values())
