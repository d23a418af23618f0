"""Runs scoping turns off Slack's request thread and posts their replies.

Listeners ack within milliseconds and hand a turn to `SlackTurns`, which admits it (claims and
stores the message), queues it behind its thread's earlier turns (bot/turn_queue.py), and on a
worker asks the conversation for the outcome, renders it and posts it (bot/slack_poster.py).
Slack errors never lose facts: the conversation has saved them before anything is posted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk.errors import SlackClientError

from bot import render
from bot.buttons import with_buttons
from bot.conversation import MIN_EXTRACTION_S, Conversation, Turn
from bot.outcome import Outcome, OutcomeKind
from bot.slack_poster import SLACK_TIMEOUT_S, SlackPoster
from bot.thread_starts import ThreadStarts
from bot.turn_queue import RequestsFirst, ThreadQueues
from knowledge import Assumptions, Decision

log = logging.getLogger(__name__)

# Threads for the Slack calls around the turns: each turn's "thinking" reaction and each
# command's parent message is one Slack round trip (100-300 ms from a server), so at 25 turns a
# second about five are busy; a burst of 50 commands has its parent messages out in ~0.5 s.
IO_WORKERS = 16


class ChartSink(Protocol):
    """Draws and shares a verdict's breakeven chart in its thread (bot/interactive.py)."""

    def submit(self, channel: str, thread_ts: str | None, decision: Decision) -> None: ...


class RevokedWorkspaces(Protocol):
    def is_revoked(self, team_id: str) -> bool: ...


@dataclass(frozen=True)
class ScopingCommand:
    """`/ftscope <description>`: a new thread under a parent message the bot posts."""

    team: str
    channel: str
    user: str
    text: str
    response_url: str | None
    # When Slack's request arrived: posting the parent message counts against the turn's budget.
    received_at: float = field(default_factory=time.monotonic, compare=False)


_Queued = tuple[Turn, "Future[bool] | None"]  # a turn and its "thinking" reaction, if any


class SlackTurns:
    """The bridge from Slack listeners to the conversation, in three stages so that no stage
    waits on a slower one:

    - admission (one thread, in arrival order): claim and store the message in the database;
    - I/O (a few threads): the "thinking" reaction and the parent message of a `/ftscope`;
    - workers (FTSCOPE_WORKERS): the turns, which wait on Claude, queued per thread.
    """

    def __init__(
        self,
        conversation: Conversation,
        poster: SlackPoster,
        assumptions: Assumptions,
        workers: int,
        *,
        charts: ChartSink | None = None,
        workspaces: RevokedWorkspaces | None = None,
    ) -> None:
        self.conversation = conversation
        self.poster = poster
        self.assumptions = assumptions  # what the replies' optional asks assume
        self.charts = charts  # the breakeven chart after a verdict with math
        self.workspaces = workspaces  # where the app was uninstalled: post nothing more there
        # assistant threads: (Bolt's set_title for the thread, the title it was given)
        self._titles: dict[str, tuple[Callable[..., Any], str | None]] = {}
        self._titles_lock = threading.Lock()
        self._admission = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftscope-admit")
        self._io = ThreadPoolExecutor(max_workers=IO_WORKERS, thread_name_prefix="ftscope-io")
        # During a burst of Slack requests, their acks go first (bot/turn_queue.py).
        self._requests = RequestsFirst()
        self._turns: ThreadQueues[_Queued] = ThreadQueues(
            self._run_queued, workers, name="ftscope-turn", gate=self._requests
        )
        # A turn that would wait for a worker longer than this is told at once that the bot is
        # busy (its facts kept): by the time a worker took it, too little of its budget would be
        # left for Claude, and it would be told the same thing, only later.
        self.max_wait_s = conversation.turn_budget_s - MIN_EXTRACTION_S
        self._starts = ThreadStarts(poster, self._thread_started)
        self._idle = threading.Condition()
        self._in_flight = 0  # admission and I/O work not yet done

    # -- submission (called on Slack's request thread: must not block) -----------------

    def submit_turn(self, turn: Turn) -> None:
        self._requests.arrived()
        self._submit(self._admission, self._admit, turn)

    def submit_command(self, command: ScopingCommand) -> None:
        self._requests.arrived()
        self._submit(self._io, self.run_command, command)

    def submit_help(self, channel: str, thread_ts: str) -> None:
        self._requests.arrived()
        self._submit(self._io, self.poster.text, channel, thread_ts, render.help_text())

    def _submit(self, pool: ThreadPoolExecutor, work: Callable[..., Any], *args: Any) -> None:
        with self._idle:
            self._in_flight += 1
        try:
            future = pool.submit(self._guarded, work, *args)
        except RuntimeError:  # shutting down: the message is stored, the next turn reads it
            self._done(None)
            log.warning("shutting down: %s not run", getattr(work, "__name__", work))
            return
        future.add_done_callback(self._done)

    def _guarded(self, work: Callable[..., Any], *args: Any) -> None:
        self._requests.wait_turn()
        try:
            work(*args)
        except Exception:  # a worker must never die silently; the facts are in the database
            log.exception("%s failed", getattr(work, "__name__", work))

    def _done(self, _future: object) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted turn is done; False if the timeout came first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                return False
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._turns.wait_idle(left)

    def shutdown(self, wait: bool = True) -> None:
        """Finish admitted turns (when `wait`), then stop; upstream stages stop first."""
        self._starts.shutdown()
        for pool in (self._admission, self._io):
            pool.shutdown(wait=wait, cancel_futures=not wait)
        self._turns.shutdown(wait=wait)

    def overloaded(self, turn: Turn) -> bool:
        """The turn would reach a worker past its budget: shed it now. What it has waited
        already counts (admission, one thread, has a queue of its own when the CPU is full)."""
        waited = time.monotonic() - turn.received_at
        return waited + self._turns.expected_wait_s() > self.max_wait_s

    # -- the stages -----------------------------------------------------------------------

    def _admit(self, turn: Turn) -> None:
        admitted = self.conversation.admit(turn)
        if admitted is None:
            return
        turn = admitted  # a DM message routed to its scoping
        if self.overloaded(turn):  # shed now, not after waiting past the budget
            self._submit(self._io, self._shed, turn)
            return
        reaction = self._io.submit(self.poster.react, True, turn.channel, turn.ts)
        self._turns.put(turn.thread_key, (turn, reaction))

    def _shed(self, turn: Turn) -> None:
        outcome = self.conversation.busy(turn)
        log_turn(turn, outcome, self._post(turn, outcome))

    def run_command(self, command: ScopingCommand) -> None:
        """Post the parent message, then answer under it; if Slack can't take the parent,
        the user is told through `response_url` and nothing they wrote is lost (see
        bot/thread_starts.py)."""
        self._starts.start(command)

    def _thread_started(self, command: ScopingCommand, ts: str) -> None:
        turn = Turn(
            command.team,
            command.channel,
            ts,
            command.user,
            command.text,
            ts,
            received_at=command.received_at,
        )
        if self.conversation.admit(turn):  # the parent message is the acknowledgement
            self._turns.put(turn.thread_key, (turn, None))

    def _run_queued(self, queued: _Queued) -> None:
        self.run_turn(*queued)

    def run_turn(self, turn: Turn, reaction: Future[bool] | None = None) -> None:
        """Answer an admitted turn in its thread, then take the "thinking" reaction off."""
        posted = False
        try:
            outcome: Outcome | None = self.conversation.answer(turn)
        except Exception:
            log.exception("turn in %s/%s failed", turn.channel, turn.thread_ts)
            self.poster.text(turn.channel, turn.thread_ts, render.INTERNAL_ERROR_TEXT)
            outcome = None
        if outcome is not None:
            posted = self._post(turn, outcome)
        if reaction is not None and _succeeded(reaction):
            self.poster.react(False, turn.channel, turn.ts)
        log_turn(turn, outcome, posted)

    def _post(self, turn: Turn, outcome: Outcome) -> bool:
        if outcome.kind is OutcomeKind.quiet:
            return False  # talk the bot has no part in: nothing to say
        if not self.may_post(turn.team):
            return False
        text, blocks = render.turn_reply(outcome, self.assumptions)
        blocks = with_buttons(blocks, turn.team, turn.channel, turn.thread_ts, outcome)
        # In a DM a top-level message gets a top-level reply, whichever scoping it went to.
        where = None if turn.in_dm else turn.thread_ts
        ts = self.poster.reply(turn.channel, where, turn.user, text, blocks)
        if ts is None:
            return False
        self.conversation.record_reply(outcome, ts, text)
        self.after_reply(turn, outcome)
        return True

    # -- after a reply, the assistant pane, revoked workspaces ---------------------------

    def after_reply(self, turn: Turn, outcome: Outcome) -> None:
        """Once a reply is out: the breakeven chart of a new verdict, and an assistant
        thread's title once the workload is known."""
        decision = outcome.decision
        if self.charts is not None and outcome.kind is OutcomeKind.verdict and decision:
            # beside the verdict: in its thread, or at the top of a DM as the verdict is
            self.charts.submit(turn.channel, None if turn.in_dm else turn.thread_ts, decision)
        if outcome.earlier_workload is not None:
            return  # an edit of a workload set aside: the pane is titled for the current one
        use_case = " ".join((outcome.after.use_case or "").split())
        with self._titles_lock:
            titled = self._titles.get(turn.thread_key)
            if titled is None or not use_case or use_case == titled[1]:
                return
            self._titles[turn.thread_key] = (titled[0], use_case)
        self._submit(self._io, self._set_title, titled[0], use_case)

    def may_post(self, team: str) -> bool:
        """False in a workspace that uninstalled the app or revoked its token."""
        if self.workspaces is None or not self.workspaces.is_revoked(team):
            return True
        log.info("not posting in workspace %s: the app was uninstalled there", team)
        return False

    def submit_assistant_turn(
        self, turn: Turn, set_status: Callable[..., Any], set_title: Callable[..., Any]
    ) -> None:
        """A message in the assistant pane: a turn like any other, with the pane's status
        ("is scoping…") instead of the 👀 reaction, and the thread titled after the workload.
        `set_status` and `set_title` are Bolt's, bound to the thread."""
        with self._titles_lock:
            self._titles.setdefault(turn.thread_key, (set_title, None))
        self._requests.arrived()
        self._submit(self._admission, self._admit_assistant, turn, set_status)

    def _admit_assistant(self, turn: Turn, set_status: Callable[..., Any]) -> None:
        admitted = self.conversation.admit(turn)
        if admitted is None:
            return
        turn = admitted
        if self.overloaded(turn):
            self._submit(self._io, self._shed, turn)
            return
        reacted = self._io.submit(self._status_or_reaction, turn, set_status)
        self._turns.put(turn.thread_key, (turn, reacted))

    def _status_or_reaction(self, turn: Turn, set_status: Callable[..., Any]) -> bool:
        """Show the pane's status; in a DM thread that isn't an assistant thread Slack refuses
        it, and the 👀 reaction goes on instead. True when a reaction is there to take off."""
        if self.poster.backing_off():
            return False
        try:
            set_status(status="is scoping…", loading_messages=ASSISTANT_LOADING)
        except SlackClientError as exc:
            log.info("assistant status in %s/%s: %s", turn.channel, turn.thread_ts, exc)
            return self.poster.react(True, turn.channel, turn.ts)
        return False

    def _set_title(self, set_title: Callable[..., Any], use_case: str) -> None:
        try:
            set_title(title=use_case[:ASSISTANT_TITLE_CHARS])
        except SlackClientError as exc:
            log.info("assistant thread title not set: %s", exc)


ASSISTANT_LOADING = [
    "Reading your message…",
    "Checking the numbers against the price sheet…",
    "Working out the breakeven…",
]
ASSISTANT_TITLE_CHARS = 80


def log_turn(turn: Turn, outcome: Outcome | None, posted: bool) -> None:
    """The one line per turn: which thread, how long, what Claude read and cost."""
    usage = outcome.usage if outcome is not None else None
    fields: dict[str, Any] = {
        "event": "turn",
        "team": turn.team,
        "channel": turn.channel,
        "thread_ts": turn.thread_ts,
        "message_ts": turn.ts,
        "thread_id": outcome.thread_id if outcome is not None else None,
        "reply": outcome.kind if outcome is not None else "error",
        "verdict": outcome.decision.verdict.value if outcome and outcome.decision else None,
        "posted": posted,
        "latency_ms": round((time.monotonic() - turn.received_at) * 1000),
        "claude_ms": usage.latency_ms if usage else None,
        "model": usage.model if usage else None,
        "input_tokens": usage.input_tokens if usage else 0,
        "cache_write_tokens": usage.cache_creation_input_tokens if usage else 0,
        "cache_read_tokens": usage.cache_read_input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "cost_usd": round(outcome.cost_usd, 6)
        if outcome and outcome.cost_usd is not None
        else None,
        "facts_learned": len(outcome.learned) if outcome else 0,
        "facts_refused": len(outcome.rejected) if outcome else 0,
    }
    log.info(
        "turn %s/%s: %s in %d ms",
        turn.channel,
        turn.thread_ts,
        fields["reply"],
        fields["latency_ms"],
        extra=fields,
    )


def _succeeded(reaction: Future[bool]) -> bool:
    """The reaction was added (waiting briefly: it runs on the I/O threads)."""
    try:
        return reaction.result(timeout=SLACK_TIMEOUT_S)
    except Exception:  # a timeout or a failed call: nothing to take off
        return False
