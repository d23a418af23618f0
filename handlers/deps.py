"""What the listeners need, handed to them in Bolt's context by `handlers.register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.conversation import Turn
from bot.slack import ScopingCommand
from knowledge import PriceSheet

CONTEXT_KEY = "ftscope"


class TurnSink(Protocol):
    """Where listeners hand their work: `SlackTurns`, or a recording fake in tests."""

    def submit_turn(self, turn: Turn) -> None: ...

    def submit_command(self, command: ScopingCommand) -> None: ...

    def submit_help(self, channel: str, thread_ts: str) -> None: ...


@dataclass(frozen=True)
class Deps:
    turns: TurnSink
    prices: Callable[[], PriceSheet]


def deps_of(context: dict[str, Any]) -> Deps:
    deps = context.get(CONTEXT_KEY)
    if not isinstance(deps, Deps):
        raise LookupError("handlers.register() did not run: the listeners have no dependencies")
    return deps


def team_of(event: dict[str, Any], context: dict[str, Any]) -> str:
    return str(context.get("team_id") or event.get("team") or "")
