"""What one scoping turn did, as data: the facts before and after, what changed, the decision.

The conversation returns an `Outcome`; each edge words it its own way (Slack's blocks,
`ftscope chat`'s plain text, `ftscope eval`'s counts), so a turn never renders itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from knowledge import Decision, Facts, Verdict

if TYPE_CHECKING:  # annotations only: a digest renders outcomes without the message readers
    from bot.extraction import Usage
    from knowledge.intents import Topic
    from knowledge.provenance import Accepted, Rejected


class OutcomeKind(StrEnum):
    question = "question"  # facts are missing: the reply asks for them
    verdict = "verdict"  # a verdict, new or changed by this turn
    unchanged = "unchanged"  # the turn changed nothing the verdict rests on
    outage = "outage"  # neither Claude nor the offline reader could read the message
    busy = "busy"  # the turn waited past its budget for a worker
    problem = "problem"  # the facts contradict each other: no verdict until one is fixed
    answer = "answer"  # a question about the verdict, answered from the decision
    what_if = "what_if"  # a hypothetical verdict; the thread's facts unchanged
    facts_list = "facts_list"  # "show facts"
    summary = "summary"  # a paragraph for the client, ready to paste
    started_over = "started_over"  # "start over": every fact cleared
    help = "help"
    nothing_to_undo = "nothing_to_undo"  # "undo" before any fact changed
    new_workload = "new_workload"  # another workload: where to scope it
    quiet = "quiet"  # talk the bot has no part in: nothing to post


@dataclass(frozen=True)
class Change:
    """A fact that had a value and now has another: a correction."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    thread_id: int
    before: Facts  # the thread's facts when the turn started
    after: Facts  # ... and as the turn saved them
    decision: Decision | None = None
    learned: list[Accepted] = field(default_factory=list)  # facts new to the thread
    changes: list[Change] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # How a number was read ("took the low end of ..."), from knowledge/reading_notes.py.
    notes: list[str] = field(default_factory=list)
    # Offline-read facts Claude, reading their message again, didn't find: (field, value).
    dropped: list[tuple[str, Any]] = field(default_factory=list)
    unconfirmed: list[Accepted] = field(default_factory=list)  # numbers the cross-check doubts
    previous_verdict: Verdict | None = None  # the verdict the user last saw
    reduced: str | None = None  # read offline: "no_key" or "outage"
    reduced_before: bool = False  # the message before was read offline too: no notice again
    revised: str | None = None  # the turn is a message "edited" or "deleted" in Slack
    routed: str | None = (
        None  # a DM message that "continued" the open scoping, or began a "new" one
    )
    # Facts nobody knew before that the turn's words say nobody knows yet ("we don't know the
    # volume"): no change to list, but the reply says it heard.
    unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the facts don't fit together
    set_aside: list[str] = field(default_factory=list)  # facts the decision left out for them
    # The turn began the Slack thread's workload number `workload` ("new workload"); the one
    # before it kept this decision.
    workload: int | None = None
    previous_decision: Decision | None = None
    # The turn (an edit, a form) changed workload number `earlier_workload`, which the Slack
    # thread has since set aside for a later one.
    earlier_workload: int | None = None
    topic: Topic | None = None  # what an `answer` is about
    quotes: dict[str, str] = field(default_factory=dict)  # fact -> the words it came from
    usage: Usage | None = None  # the extractor's call this turn, if it made one
    cost_usd: float | None = None
