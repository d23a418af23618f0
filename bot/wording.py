"""How facts and questions read in a reply: one place for the bot's words about each field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from knowledge.assumptions import Assumptions
from knowledge.facts import FACT_FIELDS, Facts, Kind, about, fields_of


@dataclass(frozen=True)
class Question:
    fields: tuple[str, ...]  # the facts one answer settles
    ask: str
    examples: str


def _questions() -> tuple[Question, ...]:
    """Each fact's question (facts.py), in the order a salesperson would answer them; facts
    asked together share one bullet."""
    asked = sorted((a.ask.order, name, a.ask) for name in FACT_FIELDS if (a := about(name)).ask)
    return tuple(
        Question(
            (name, *(f for f in FACT_FIELDS if about(f).asked_with == name)),
            ask.ask,
            ask.examples,
        )
        for _, name, ask in asked
    )


QUESTIONS: tuple[Question, ...] = _questions()
FIELD_LABELS: dict[str, str] = {name: about(name).label for name in FACT_FIELDS}
_SHARES = fields_of(Kind.quality, Kind.share)
_DOLLARS = fields_of(Kind.dollars)
_MODEL_SHARES = fields_of(Kind.model_shares)
_MILLISECONDS = fields_of(Kind.milliseconds)


# How a model id reads: claude-haiku-5-5 -> Haiku 5.5, claude-sonnet-5 -> Sonnet 5.
_MODEL_ID = re.compile(r"claude-([a-z]+)-(\d+)(?:-(\d+))?")


def model_name(model: str) -> str:
    """A model as a person names it: "Haiku 5.5"; an id it can't read, as it is."""
    m = _MODEL_ID.fullmatch(model)
    if m is None:
        return model
    family, major, minor = m.groups()
    return f"{family.capitalize()} {major}{f'.{minor}' if minor else ''}"


def _share(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


# Choice values whose own name reads badly in a sentence.
_CHOICE_WORDS: dict[tuple[str, str], str] = {("request", "other"): "a general fine-tune"}


def show_value(field: str, value: Any) -> str:
    """A fact's value as a person reads it: 15,000,000 · 91% · yes · $27,500 · 80 ms."""
    if value is None:
        return "unknown"
    if field in _MODEL_SHARES and isinstance(value, dict):
        return ", ".join(f"{model_name(m)} {_share(q)}" for m, q in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in _SHARES:
        return _share(value)
    if field in _DOLLARS:
        return f"${value:,.0f}"
    if field in _MILLISECONDS:
        return f"{value:,} {about(field).unit}"
    if isinstance(value, int):
        return f"{value:,}"
    return _CHOICE_WORDS.get((field, str(value)), str(value).replace("_", " "))


def shows_quote(field: str) -> bool:
    """Whether a reply quotes the user's words next to a fact: a summary is already a
    paraphrase of the message, so its quote would only repeat it."""
    return field in FIELD_LABELS and about(field).kind is not Kind.summary


def show_fact(field: str, value: Any) -> str:
    """A fact on its own: "15,000,000 calls/month", "classification", "no strict format"."""
    shown = show_value(field, value)
    if isinstance(value, bool):
        words = about(field).yes if value else about(field).no
        return words or (FIELD_LABELS[field] if value else f"not {FIELD_LABELS[field]}")
    if field in _MODEL_SHARES:
        if isinstance(value, dict) and len(value) == 1:
            ((model, share),) = value.items()
            return f"{model_name(model)} scored {_share(share)}"
        return f"other models scored {shown}"
    if field not in FIELD_LABELS:
        return f"{field} {shown}"
    fact = about(field)
    return fact.reads.format(value=shown, label=fact.label, unit=fact.unit)


def questions_for(missing: list[str]) -> list[Question]:
    """The questions that settle the missing facts, each asked once, in a natural order."""
    wanted = set(missing)
    asked: list[Question] = []
    for question in QUESTIONS:
        left = [f for f in question.fields if f in wanted]
        alone = [own for f in left if (own := about(f).ask_alone) is not None]
        if not left:
            continue
        if question.fields[0] in wanted or len(alone) < len(left):
            asked.append(question)
        else:  # the fact it leads with is known: ask only for the rest, each on its own
            asked += [
                Question((f,), own.ask, own.examples) for f, own in zip(left, alone, strict=True)
            ]
    covered = {f for q in asked for f in q.fields}
    # A field with no question of its own still gets asked, plainly.
    asked.extend(
        Question((f,), f"What is the {FIELD_LABELS.get(f, f)}?", "")
        for f in missing
        if f not in covered
    )
    return asked


def set_aside_text(workload: int) -> str:
    """What a reply about a workload the Slack thread has moved on from says first."""
    return (
        f"Workload {workload} of this thread, set aside when the next one began: this is about "
        f"workload {workload} only; the thread's current workload is as it was."
    )


# Facts a number answers: a rough range of it will do.
_MEASURED = frozenset(fields_of(Kind.count, Kind.rate, Kind.examples, Kind.quality, Kind.share))
_MEASURED |= frozenset(fields_of(Kind.milliseconds, Kind.dollars))


def listed(items: list[str], last: str = "and") -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c" (`last`: "or" too)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def not_known_text(fields: list[str]) -> str:
    """The reply's word that it heard nobody knows these facts yet."""
    if not fields:
        return ""
    return f"Noted: nobody knows {listed([_not_known_name(f) for f in fields], 'or')} yet."


def _not_known_name(field: str) -> str:
    fact = about(field)
    if fact.kind is Kind.flag and fact.form:  # "whether it must run on the device"
        said = re.sub(r"\s*\([^)]*\)", "", fact.form)  # "(batch, half price)" is the form's aside
        return "whether " + said[0].lower() + said[1:]
    if fact.kind is Kind.examples:
        return f"how many {fact.label} they have"
    if fact.kind is Kind.rate:
        return "the monthly volume"
    if fact.kind is Kind.count:
        return f"the {fact.label} a call"
    return f"the {fact.label}"


def best_guess_text(fields: list[str]) -> str:
    """What will do for a question about facts nobody knows yet."""
    if _MEASURED.intersection(fields):
        return "A rough range or the client's best guess is enough."
    return "The client's best guess is enough."


def optional_asks(facts: Facts, assumptions: Assumptions) -> list[str]:
    """Facts the math would otherwise assume, worth a line marked optional."""
    lines = []
    defaults = assumptions.default_tokens.get(facts.task_type) if facts.task_type else None
    if facts.input_tokens is None or facts.output_tokens is None:
        assumed = (
            f" Without them I assume {defaults.input:,} in / {defaults.output:,} out for "
            f"{facts.task_type.value if facts.task_type else 'this task'}."
            if defaults is not None
            else ""
        )
        lines.append(
            'typical tokens per call (e.g. "600 in / 10 out"), and how much of the prompt is '
            f"fixed instructions or examples.{assumed}"
        )
    if facts.frontier_model is None:
        lines.append(
            'which model they prompt today (e.g. "Haiku 5.5" or "Sonnet 5.5"). Without it I '
            f"price `{assumptions.default_frontier_model}`."
        )
    return lines
