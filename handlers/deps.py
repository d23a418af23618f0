"""What the listeners need, handed to them in Bolt's context by `handlers.register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.conversation import Turn
from bot.slack import ScopingCommand
from knowledge import PriceSheet

CONTEXT_KEY = "ftscope"
Need = TypeVar("Need")


class TurnSink(Protocol):
    """Where listeners hand their work: `SlackTurns`, or a recording fake in tests."""

    def submit_turn(self, turn: Turn) -> None: ...

    def submit_command(self, command: ScopingCommand) -> None: ...

    def submit_help(self, channel: str, thread_ts: str) -> None: ...


class Interactions(Protocol):
    """The work behind buttons, forms, the Home tab and the assistant pane: `SlackInteractions`
    (bot/interactive.py), or a recording fake in tests. Each returns at once."""

    def open_adjust(
        self, trigger_id: str, value: str, user: str, clicked_ts: str | None, *, threaded: bool
    ) -> None: ...

    def post_flip(
        self, value: str, user: str, clicked_ts: str | None, *, threaded: bool
    ) -> None: ...

    def post_summary(
        self, value: str, user: str, clicked_ts: str | None, *, threaded: bool
    ) -> None: ...

    def submit_form(self, view: dict[str, Any], user: str) -> dict[str, str]: ...

    def publish_home(self, team: str, user: str) -> None: ...

    def open_new_scoping(self, trigger_id: str) -> None: ...

    def greet_assistant(self, say: Callable[..., Any], suggest: Callable[..., Any]) -> None: ...

    def post_prices(self, channel: str, thread_ts: str) -> None: ...


class AssistantTurns(Protocol):
    """Turns from the assistant pane: a status there instead of the 👀 reaction."""

    def submit_assistant_turn(
        self, turn: Turn, set_status: Callable[..., Any], set_title: Callable[..., Any]
    ) -> None: ...


class WorkspaceGate(Protocol):
    """Where the app was uninstalled or its token revoked (bot/storage/workspaces.py)."""

    def revoke(self, team_id: str, event: str) -> bool: ...

    def restore(self, team_id: str) -> bool: ...

    def revoked_at(self, team_id: str) -> datetime | None: ...


@dataclass(frozen=True)
class Deps:
    turns: TurnSink
    prices: Callable[[], PriceSheet]
    # Interactive verdicts, the Home tab, the assistant pane and Slack's lifecycle events; None
    # where a test or a tool doesn't need them (a listener that does says so).
    interactions: Interactions | None = None
    assistant: AssistantTurns | None = None
    workspaces: WorkspaceGate | None = None
    back_off: Callable[[float], None] | None = None  # app_rate_limited: seconds of fewer calls


def deps_of(context: dict[str, Any]) -> Deps:
    deps = context.get(CONTEXT_KEY)
    if not isinstance(deps, Deps):
        raise LookupError("handlers.register() did not run: the listeners have no dependencies")
    return deps


def team_of(event: dict[str, Any], context: dict[str, Any]) -> str:
    return str(context.get("team_id") or event.get("team") or "")


def needed(dependency: Need | None, name: str) -> Need:
    """A dependency a listener can't work without: LookupError naming it when missing."""
    if dependency is None:
        raise LookupError(f"Deps.{name} is not set: handlers.register() got no {name}")
    return dependency
