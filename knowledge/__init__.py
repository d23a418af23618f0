"""The domain of ftscope, pure: facts, rules, breakeven math, price sheet and assumptions.

Nothing here imports Slack, Claude or a database.
"""

from knowledge.assumptions import Assumptions, assumptions_from, load_assumptions
from knowledge.decision import Decision, Gate, Verdict
from knowledge.errors import InputError
from knowledge.facts import Domain, Facts, Request, TaskType, facts_from
from knowledge.prices import PriceSheet, load_price_sheet, price_sheet_from
from knowledge.rules import decide

__all__ = [
    "Assumptions",
    "Decision",
    "Domain",
    "Facts",
    "Gate",
    "InputError",
    "PriceSheet",
    "Request",
    "TaskType",
    "Verdict",
    "assumptions_from",
    "decide",
    "facts_from",
    "load_assumptions",
    "load_price_sheet",
    "price_sheet_from",
]
