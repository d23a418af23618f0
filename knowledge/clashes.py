"""Deciding facts that don't all fit together: the ones that clash are set aside, so the rest
still give a verdict (or the next question) while the bot asks about the clash.

A thread is never stuck on one bad figure: a cached prefix read larger than the input, an input
above the model's window, a model the price sheet doesn't list. `decide` refuses such facts
(its JSON interface must: it can't guess which one is wrong); a conversation can ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from knowledge.assumptions import Assumptions
from knowledge.decision import Decision
from knowledge.errors import InputError
from knowledge.facts import Facts
from knowledge.prices import PriceSheet
from knowledge.rules import decide

__all__ = ["Fitted", "decide_setting_aside"]


@dataclass(frozen=True)
class Fitted:
    """A decision on the facts that fit; `problems` say what clashes, `set_aside` which facts
    the decision left out for it. No decision: the problems concern no fact that can be left
    out (or leaving them out wasn't enough)."""

    decision: Decision | None
    problems: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)


def _facts_named(problems: list[str], facts: Facts) -> list[str]:
    """The known facts the problems are about: each problem starts with its fact's name."""
    named = (problem.partition(":")[0].strip() for problem in problems)
    known = facts.known()
    return list(dict.fromkeys(name for name in named if name in known))


def decide_setting_aside(
    facts: Facts, prices: PriceSheet, assumptions: Assumptions, *, today: dt.date | None = None
) -> Fitted:
    try:
        return Fitted(decide(facts, prices, assumptions, today=today))
    except InputError as exc:
        problems = list(exc.problems)
    clashing = _facts_named(problems, facts)
    if not clashing:
        return Fitted(None, problems)
    rest = Facts.model_validate({k: v for k, v in facts.known().items() if k not in clashing})
    try:
        return Fitted(decide(rest, prices, assumptions, today=today), problems, clashing)
    except InputError:
        return Fitted(None, problems)
