"""The assistant pane (Slack's split view for AI apps), routed by Bolt's `Assistant` middleware:
a new thread gets a greeting and suggested prompts; a message is a scoping turn like a DM's,
with the pane's status ("is scoping…") instead of the 👀 reaction and the thread titled after
the workload; "Show the price sheet" shows it.

Bolt can't tell an assistant thread from a thread under a plain DM: both reach
`on_user_message`, which hands them to the DM listener (handlers/messages.py), so a DM thread
reads the same either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Assistant, BoltContext

from bot.conversation import Turn
from handlers.deps import CONTEXT_KEY, AssistantTurns, TurnSink, deps_of, needed
from handlers.messages import on_message
from handlers.text import slack_text

# What the "Show the price sheet" prompt sends, and what people type for the same.
PRICE_SHEET_ASKS = frozenset({"show the price sheet", "price sheet", "prices", "show prices"})


def on_thread_started(
    say: Callable[..., Any], set_suggested_prompts: Callable[..., Any], context: BoltContext
) -> None:
    needed(deps_of(context).interactions, "interactions").greet_assistant(
        say, set_suggested_prompts
    )


def on_context_changed() -> None:
    """The user moved to another channel with the pane open. The scoping doesn't depend on
    which channel is in view, so there is nothing to keep (Bolt's default would rewrite the
    greeting's metadata, two Web API calls for nothing)."""


@dataclass(frozen=True)
class _PaneTurns:
    """The DM listener's turn sink, for one message of the pane: its turn goes to the queue
    with the pane's status; anything else the listener asks of the sink goes through as is."""

    turns: TurnSink
    pane: AssistantTurns
    set_status: Callable[..., Any]
    set_title: Callable[..., Any]

    def submit_turn(self, turn: Turn) -> None:
        self.pane.submit_assistant_turn(turn, self.set_status, self.set_title)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.turns, name)


def on_user_message(
    payload: dict[str, Any],
    context: BoltContext,
    set_status: Callable[..., Any],
    set_title: Callable[..., Any],
) -> None:
    deps = deps_of(context)
    text = " ".join(slack_text(str(payload.get("text") or "")).split()).casefold()
    if text.rstrip(".?!") in PRICE_SHEET_ASKS:
        interactions = needed(deps.interactions, "interactions")
        interactions.post_prices(payload["channel"], payload.get("thread_ts") or payload["ts"])
        return
    pane = _PaneTurns(deps.turns, needed(deps.assistant, "assistant"), set_status, set_title)
    scoped = BoltContext(dict(context))
    scoped[CONTEXT_KEY] = dataclasses.replace(deps, turns=pane)
    on_message(payload, scoped)


def assistant() -> Assistant:
    """Bolt's Assistant middleware with this module's listeners."""
    pane = Assistant()
    pane.thread_started(on_thread_started)
    pane.thread_context_changed(on_context_changed)
    pane.user_message(on_user_message)
    return pane
