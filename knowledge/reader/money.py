"""Amounts of money: whether a number is one, and whether it is the build or the running cost."""

from __future__ import annotations

import re

from knowledge.quantities import monthly
from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import any_word, has

__all__ = ["is_money", "money_field"]

_BUDGET_BEFORE = r"\bbudget\w*\s*(?:of|is|:)?\s*[~≈]?\s*$"
_TO_RUN_AFTER = r"[^.]{0,12}\bto (?:run|host|operate|maintain)\b"
_CURRENCY_AFTER = r"\s*(?:usd|dollars|bucks|eur|euros|gbp)\b"
_CURRENCY_BEFORE = r"\b(?:usd|eur)\s*$"

_BUILD = r"\b(?:build|builds|building|project|engagement|one[- ]off|upfront|up-front|sow)\b"
_OPS = any_word(
    "run|running|ops|operate|operating|operations|maintain|maintenance|upkeep|host|hosting",
    "keep (?:it|the model) (?:up|running)",
)
# The deal's money or the buyer's spend, not what the model costs to build or run.
_NOT_MODEL_COST = any_word(
    "paying us|pay us|pilot|contract|deal|acv|arr|revenue|discount|fee|fees|invoice",
    "price|pricing|quote|quoted|raise|raised|funding|budget for (?:the )?pilot",
    "bill|spend|spending|spent|costs? them|salary",
)
_ESTIMATE = r"\b(?:estimate|estimated|cost)\b"
_PER_MONTH = r"\b(?:a|per|/)\s*(?:month|mo)\b"


def is_money(n: StatedNumber) -> bool:
    text = n.quantity.text
    return (
        "$" in text
        or bool(has(_BUDGET_BEFORE, n.before))
        or bool(re.match(_TO_RUN_AFTER, n.after, re.IGNORECASE))
        or "€" in text
        or "£" in text
        or bool(re.match(_CURRENCY_AFTER, n.after, re.IGNORECASE))
        or bool(has(_CURRENCY_BEFORE, n.before))
    )


def money_field(n: StatedNumber) -> tuple[str, float] | None:
    """The build cost or the monthly running cost an amount states, or None for other money."""
    context = (n.before[-60:] + " " + n.after[:40]).lower()
    if has(_NOT_MODEL_COST, context) and not (has(_BUILD, context) and has(_ESTIMATE, context)):
        return None
    own = (n.quantity.text + " " + n.after[:25]).lower()
    if n.quantity.period is not None or has(_PER_MONTH, own):
        if has(_OPS, own + " " + n.before[-30:].lower()):
            value = n.high if n.quantity.period in (None, "month") else monthly(n.quantity)
            return "monthly_ops_usd", value
        return None
    if has(_BUILD, n.before[-40:].lower() + " " + n.after[:25].lower()):
        return "build_cost_usd", n.high
    return None
