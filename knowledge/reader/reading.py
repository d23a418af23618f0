"""One message read: every rule run over it, their updates merged in the order the message says."""

from __future__ import annotations

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
from knowledge.reader.number_fields import is_duration, number_field
from knowledge.reader.request import request
from knowledge.reader.stated import StatedNumber, stated_numbers
from knowledge.reader.task_type import task_type
from knowledge.reader.text import CORRECTION, clause_at

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
) -> Reading:
    """The fact updates one message states, each with the words it came from.

    `asked`: the facts the bot still needs before this message (its question), so a short
    answer ("not yet", "none") is read as the answer to it. `known`: the facts already set (their
    values, or just their names); a keyword-read choice (request, task type, domain) of a later
    message only replaces one of them when it says it corrects it ("actually it's extraction"),
    since later messages mention other things in passing ("the routing engine", "line items").
    The thread's frontier model, when `known` gives it, tells a score of that model (its
    baseline_quality) from a score of another one (`other_baselines`).
    """
    found = _Found({})
    _read_choices(message, known, found)
    numbers = _read_numbers(message)
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
            found.put(field, value, _quote(n))
            fields.append((n, field))
        elif id(n) in baseline:  # a score of the frontier model (or of no model named)
            found.put(field, *baseline[id(n)])
            fields.append((n, field))
    for model, value, quote in models.others:  # a score of another model
        found.put("other_baselines", value, quote, model)
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
    if "labeled_examples" not in found.updates:
        quote = no_labels(message)
        if quote is not None:
            found.put("labeled_examples", 0, quote)
    for field, value, quote in yes_no_flags(message, domain_named="domain" in found.updates):
        found.put(field, value, quote)
    return Reading(list(found.updates.values()))


def _read_choices(message: str, known: Collection[str], found: _Found) -> None:
    correcting = CORRECTION.search(message) is not None
    for name, read in _CHOICES:
        if name in known and not correcting:
            continue
        choice = read(message)
        if choice is not None:
            found.put(name, choice[0], choice[1])


def _read_numbers(message: str) -> list[tuple[StatedNumber, str, float]]:
    """Each number the message states for a fact: the number, its field and its value."""
    read: list[tuple[StatedNumber, str, float]] = []
    for n in stated_numbers(message):
        result = number_field(n, message)
        if result is None:
            continue
        field, value = result
        if not math.isfinite(value) or value < 0:
            continue
        read.append((n, field, value if field in _SHARES else round(value)))
    return read


def _quote(n: StatedNumber) -> str:
    return n.clause if n.quantity.text in n.clause else n.quantity.text


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
