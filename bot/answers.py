"""Answers to questions about a verdict, what-ifs and commands, worded from the decision itself.

Every number and every claim here comes from code (the decide result and the playbook's
reasons), never from a model: the words are the verdict's own (bot/verdict.py `Words`).
"""

from __future__ import annotations

from typing import Any

from bot.blocks import mrkdwn_escape
from bot.outcome import Change
from bot.summary import client_summary
from bot.verdict import Words, field_label, flip, headline
from bot.wording import questions_for, show_fact, show_value, shows_quote
from knowledge import Decision, Facts, Verdict
from knowledge.intents import Topic


def _asks(decision: Decision) -> str:
    """The questions that would settle the missing facts, one after another."""
    return " ".join(q.ask for q in questions_for(decision.missing))


def _missing(decision: Decision) -> str:
    return f"I can't answer that yet: there's no verdict until I know more. {_asks(decision)}"


def answer(decision: Decision | None, topic: Topic) -> str:
    """The answer to a question about the verdict, in plain text with mrkdwn emphasis."""
    if decision is None:
        return "There's no verdict yet: the facts don't fit together. Fix the numbers I flagged."
    if decision.verdict is Verdict.need_info:
        return _missing(decision)
    words = Words(decision)
    if topic is Topic.math:
        return _math(words)
    if topic is Topic.talking_points:
        return _talking_points(decision, words)
    if topic is Topic.flip:
        return _flip(decision)
    return _why(decision, words)


def _why(decision: Decision, words: Words) -> str:
    lines = [f"*{words.headline}*", *words.lede]
    # The playbook's questions as the decision answered them, the one that decided it last.
    gates = [line for line in words.gate_lines if not line.startswith("▫️")]
    if gates:
        lines.append("By the playbook: " + "; ".join(gates) + ".")
    if words.case_lines:
        lines.append(f"{words.cases_title}: " + "; ".join(words.case_lines) + ".")
    return "\n".join(lines)


def _math(words: Words) -> str:
    rows = words.math_rows
    if not rows:
        return "This verdict rests on the scoping questions, not on cost: " + "; ".join(
            words.gate_lines
        )
    lines = [f"*{words.math_title}*"]
    lines += [f"• {row.label}: {row.value}" for row in rows]
    assumed = words.assumptions
    if assumed:
        lines.append("Assumed: " + "; ".join(assumed) + ".")
    return "\n".join(lines)


def _talking_points(decision: Decision, words: Words) -> str:
    points = [words.headline[:1].upper() + words.headline[1:] + ".", *words.lede[:1]]
    points.append(f"Next step: {words.next_step}")
    return "What to tell them:\n" + "\n".join(f"• {point}" for point in points)


def _flip(decision: Decision) -> str:
    label, lines = flip(decision)
    return "\n".join([f"*{label}*", *lines])


def what_if(decision: Decision | None, changes: list[Change], problems: list[str]) -> str:
    """A hypothetical verdict, labelled as one: the thread's facts stay as they are."""
    supposed = ", ".join(
        f"{field_label(c.field)} {show_value(c.field, c.old) if c.old is not None else 'unknown'}"
        f" → {show_value(c.field, c.new)}"
        for c in changes
    )
    if not changes:  # "what if they could batch it?" when the facts say they can already
        if decision is None or decision.verdict is Verdict.need_info:
            return f"That's already in the facts. {answer(decision, Topic.why)}"
        return (
            f"That's already in the facts, so the verdict is as it stands: *{headline(decision)}*."
        )
    if decision is None:
        return f"If {supposed}: those facts wouldn't fit together ({'; '.join(problems)})."
    if decision.verdict is Verdict.need_info:
        return (
            f"If {supposed}: the verdict would turn on facts I don't have yet. {_asks(decision)}\n"
            "_The thread's facts are unchanged._"
        )
    return (
        f"If {supposed}: *{headline(decision)}*.\n"
        "_The thread's facts are unchanged. Say *use that* to keep it._"
    )


def facts_list(facts: Facts, quotes: dict[str, str], *, md: bool = True) -> str:
    """The thread's facts, each with the words it came from (escaped for Slack when `md`)."""
    known = facts.known()
    if not known:
        return "I don't have any facts for this thread yet. Describe the workload to start."
    lines = ["Here's what I have:"]
    for field, value in known.items():
        quote = quotes.get(field, "") if shows_quote(field) else ""
        shown = mrkdwn_escape(quote) if md else quote
        said = f" (“{shown}”)" if quote and quote.lower() != show_fact(field, value).lower() else ""
        lines.append(f"• {show_fact(field, value)}{said}")
    lines.append("Correct any of them in words, or say *start over*.")
    return "\n".join(lines)


def hypothetical_changes(known: Facts, values: dict[str, Any]) -> list[Change]:
    current = known.known()
    return [Change(f, current.get(f), v) for f, v in values.items() if current.get(f) != v]


def summary(decision: Decision | None) -> str:
    """A paragraph for the client, plain text, ready to paste into an e-mail (bot/summary.py)."""
    if decision is None:
        return "There's no verdict to summarise yet: the facts don't fit together."
    return client_summary(decision)
