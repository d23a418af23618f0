"""One message read: every rule run over it, their updates merged in the order the message says."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from knowledge.facts import Kind, fields_of
from knowledge.provenance import Update
from knowledge.reader.baselines import read_models
from knowledge.reader.domain import domain
from knowledge.reader.flags import (
    baseline_measured,
    drift,
    no_labels,
    says_not_yet,
    yes_no_flags,
)
from knowledge.reader.money import is_money
from knowledge.reader.number_fields import DURATION, headcount, is_duration, number_field
from knowledge.reader.request import request
from knowledge.reader.stated import StatedNumber, stated_numbers
from knowledge.reader.task_type import task_type
from knowledge.reader.text import CORRECTION, any_word, clause_at
from knowledge.reader.unknowns import read_unknowns

__all__ = ["Reading", "read_message"]


@dataclass(frozen=True)
class Reading:
    updates: list[Update]


_ONE_WORD = re.compile(
    r"\b(?:a |an )?(?:one|single)[- ]word (?:answer|label|output|reply|response|tag|category)\b",
    re.IGNORECASE,
)
_SHARES = fields_of(Kind.quality, Kind.share)
_CHOICES: tuple[tuple[str, Callable[[str], tuple[str, str] | None]], ...] = (
    ("request", request),
    ("task_type", task_type),
    ("domain", domain),
)


@dataclass
class _Found:
    """Updates found so far; a later one of a field replaces an earlier (a correction).

    Quality measured on another model is one update per model (`other_baselines`)."""

    updates: dict[str, Update]

    def put(self, field: str, value: object, quote: str, model: str | None = None) -> None:
        key = field if model is None else f"{field}:{model}"
        self.updates.pop(key, None)  # re-insert: the order follows the message
        self.updates[key] = Update(field, _value_text(value), quote.strip(), model)


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1:
            return str(int(value))
        return f"{value:.6g}"
    return str(value)


def read_message(
    message: str,
    *,
    asked: Sequence[str] = (),
    known: Collection[str] | Mapping[str, object] = (),
    earlier: Sequence[str] = (),
) -> Reading:
    """The fact updates one message states, each with the words it came from.

    `asked`: the facts the bot still needs before this message (its question), so a short
    answer ("not yet", "none") is read as the answer to it. `known`: the facts already set (their
    values, or just their names); a keyword-read choice (request, task type, domain) of a later
    message only replaces one of them when it says it corrects it ("actually it's extraction"),
    since later messages mention other things in passing ("the routing engine", "line items").
    The thread's frontier model, when `known` gives it, tells a score of that model (its
    baseline_quality) from a score of another one (`other_baselines`). `earlier`: the thread's
    earlier messages, oldest first, where the figure a bare correction ("oops meant 2M")
    replaces is looked for when this message doesn't state it.
    """
    found = _Found({})
    _read_choices(message, known, found)
    stated = stated_numbers(message)
    numbers = _read_numbers(message, stated)
    thread_model = known.get("frontier_model") if isinstance(known, Mapping) else None
    models = read_models(
        message,
        [(n, value) for n, field, value in numbers if field == "baseline_quality"],
        thread_model if isinstance(thread_model, str) else None,
    )
    if models.frontier is not None:
        found.put("frontier_model", *models.frontier)
    baseline = {id(n): (value, quote) for n, value, quote in models.baseline}
    fields: list[tuple[StatedNumber, str]] = []
    for n, field, value in numbers:
        if field != "baseline_quality":
            found.put(field, value, _quote(n, message, field))
            fields.append((n, field))
        elif id(n) in baseline:  # a score of the frontier model (or of no model named)
            found.put(field, *baseline[id(n)])
            fields.append((n, field))
    for model, value, quote in models.others:  # a score of another model
        found.put("other_baselines", value, quote, model)
    _read_corrections(message, stated, earlier, found)
    _read_a_bare_answer(message, asked, found)
    one_word = _ONE_WORD.search(message)
    if one_word is not None and "output_tokens" not in found.updates:
        found.put("output_tokens", 1, one_word.group(0))
    _name_the_reason(message, found)
    measured = baseline_measured(message, fields)
    if measured is None and "baseline_measured" in asked and says_not_yet(message):
        measured = (False, clause_at(message, 0, 1))
    if measured is not None:
        found.put("baseline_measured", measured[0], measured[1])
    # Read before the keywords: "we don't know how many labeled examples" is no "no labels"
    # (its words are the unknown's own clause); "no labeled data, not sure how many they could
    # label" still is.
    unknowns = read_unknowns(message, {u.field for u in found.updates.values()})
    hedged = [u.quote for u in unknowns if u.field == "labeled_examples"]
    if "labeled_examples" not in found.updates:
        quote = no_labels(message)
        if quote is not None and not any(quote in clause for clause in hedged):
            found.put("labeled_examples", 0, quote)
    for field, value, quote in yes_no_flags(message, domain_named="domain" in found.updates):
        found.put(field, value, quote)
    for unknown in unknowns:
        if unknown.field not in found.updates:  # a value the keywords read wins
            found.put(unknown.field, unknown.value, unknown.quote)
    return Reading(list(found.updates.values()))


def _read_choices(message: str, known: Collection[str], found: _Found) -> None:
    correcting = CORRECTION.search(message) is not None
    for name, read in _CHOICES:
        if name in known and not correcting:
            continue
        choice = read(message)
        if choice is not None:
            found.put(name, choice[0], choice[1])


def _read_numbers(
    message: str, stated: Sequence[StatedNumber]
) -> list[tuple[StatedNumber, str, float]]:
    """Each number the message states for a fact: the number, its field and its value."""
    read: list[tuple[StatedNumber, str, float]] = []
    for n in stated:
        result = number_field(n, message)
        if result is None:
            continue
        field, value = result
        if not math.isfinite(value) or value < 0:
            continue
        read.append((n, field, value if field in _SHARES else round(value)))
    return read


def _quote(n: StatedNumber, message: str, field: str) -> str:
    members = headcount(n, message) if field == "monthly_calls" else None
    if members is not None:  # "300 agents each asking 20 questions a day": both numbers
        q = n.quantity
        return message[min(q.start, members.start) : max(q.end, members.end)]
    return n.clause if n.quantity.text in n.clause else n.quantity.text


# A correction word, then a few words that only lead to the figure: "oops meant 2M", "sorry,
# that should be 12k", "typo - 2M". Not "sorry about the delay, they do 2M": the words between
# must be these.
_LEADING_WORDS = any_word(
    "i|meant|mean|to|say|said|it'?s|its|that'?s|thats|it|is|was|were|should|be|been|have|'ve",
    "like|more|closer|about|around|roughly|approx|actually|the|number|figure|that|make",
    "sorry|oops|whoops|typo|er|erm|um|uh|lol|ugh|ah|oh|so|really",
)
_CORRECTING = (
    rf"(?:{CORRECTION.pattern}|\b(?:oops|whoops|meant|i mean|typo|should be|make that|"
    r"wait,? no|no,? wait|no no)\b)"
)
_ANY_CORRECTING = re.compile(_CORRECTING, re.IGNORECASE)
_REPLACES = re.compile(
    rf"{_CORRECTING}\W*(?:{_LEADING_WORDS}\W+)*?[~≈]?\s*\Z",
    re.IGNORECASE,
)
# After a bare figure: nothing, hedges, or the figure it replaces ("2M not 20M").
_BARE_AFTER = re.compile(
    r"\s*(?:(?:not|instead of|rather than)\b.*|(?:lol|haha|sorry|my bad|oops|:[\w+-]+:|\W)*)",
    re.IGNORECASE | re.DOTALL,
)
# A correction fixes a slip (a zero, or k for M): the figure it replaces is within this factor.
_SLIP = 1000


def _read_corrections(
    message: str, numbers: Sequence[StatedNumber], earlier: Sequence[str], found: _Found
) -> None:
    """A correction word and a bare figure ("oops meant 2M") restate the last figure of the same
    kind said before (in this text, else in the thread's earlier messages) with the new number,
    in that figure's unit and period ("500k a day", then "sorry, 50k": 1.5M a month)."""
    if _ANY_CORRECTING.search(message) is None:
        return  # most messages: no figure to look at twice
    for n in numbers:
        if not _a_bare_correction(n, message):
            continue
        before = [(message, old) for old in numbers if old.quantity.end <= n.quantity.start]
        replaced = _replaced_by(n, [*_stated_in(earlier), *before])
        if replaced is not None:
            found.put(*replaced, n.clause)


def _stated_in(texts: Sequence[str]) -> list[tuple[str, StatedNumber]]:
    return [(text, n) for text in texts for n in stated_numbers(text)]


def _a_bare_correction(n: StatedNumber, message: str) -> bool:
    lead = message[max(0, n.quantity.start - 60) : n.quantity.start]
    if _REPLACES.search(lead) is None:
        return False
    own = DURATION.sub("", n.unit_text, count=1)  # "oops meant 200ms": the unit is the figure's
    hedges = _NOTHING_BUT_HEDGES.match(own)
    if hedges is None or not _BARE_AFTER.fullmatch(own[hedges.end() :]):
        return False  # "sorry, 18M is cards in circulation": it counts something else
    # "oops, 600 in": a figure that says what it is is read as such
    return number_field(n, message) is None


def _replaced_by(
    n: StatedNumber, before: Sequence[tuple[str, StatedNumber]]
) -> tuple[str, float] | None:
    """The field and new value of the last figure `before` of the kind of `n`."""
    kind = _kind_of(n)
    for text, old in reversed(before):
        field = number_field(old, text)
        if field is None or _kind_of(old) != kind or not _near(old.low, n.low):
            continue
        # The old figure's words with the new number: its unit, period and conversion hold.
        restated = dataclasses.replace(
            old, values=n.values, quantity=dataclasses.replace(old.quantity, value=n.low)
        )
        again = number_field(restated, text)
        if again is None or again[0] != field[0]:
            return None
        return again[0], again[1] if again[0] in _SHARES else round(again[1])
    return None


def _kind_of(n: StatedNumber) -> str:
    if n.quantity.is_percent:
        return "percent"
    if is_duration(n):
        return "duration"
    return "money" if is_money(n) else "count"


def _near(old: float, new: float) -> bool:
    return old > 0 and new > 0 and max(old, new) / min(old, new) <= _SLIP


# Counts a bare number can answer when the bot asked for one of them: "roughly 40,000" after
# "how many labeled examples…?". Sizes and latencies need their unit; qualities their percent.
_BARE_ANSWERS = ("labeled_examples", "monthly_calls")
_SHORT_ANSWER_WORDS = 12
# What may follow a bare answer: its multiplier and hedges ("40k-ish", "roughly 40,000 tops").
_NOTHING_BUT_HEDGES = re.compile(
    r"(?:[kmb](?![a-z]))?\W*(?:(?:ish|or so|give or take|tops|max|at most|total|maybe|i think)"
    r"\W*)*",
    re.IGNORECASE,
)


def _read_a_bare_answer(message: str, asked: Sequence[str], found: _Found) -> None:
    """A short reply stating one number nothing else claims answers the one count asked for."""
    wanted = [f for f in _BARE_ANSWERS if f in asked and f not in found.updates]
    if len(wanted) != 1 or len(message.split()) > _SHORT_ANSWER_WORDS:
        return
    numbers = stated_numbers(message)
    if len(numbers) != 1 or found.updates:
        return
    (n,) = numbers
    if n.quantity.is_percent or n.quantity.period is not None or is_money(n) or is_duration(n):
        return
    if not _NOTHING_BUT_HEDGES.fullmatch(n.unit_text):
        return  # "~60 ppl", "the 14th": the number counts something it names
    found.put(wanted[0], round(n.low), n.clause)


def _name_the_reason(message: str, found: _Found) -> None:
    """ "they want a fine-tune bc the models invent codes": the reason names the request."""
    request_found = found.updates.get("request")
    if request_found is None or request_found.value != "other":
        return
    drifts = drift(message)
    latency = found.updates.get("first_token_ms")
    if drifts is not None and drifts[0]:
        found.put("request", "domain_vocabulary", drifts[1])
    elif latency is not None:
        found.put("request", "latency", latency.quote)
