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
from typing import Any

from bot import render
from bot.conversation import Conversation, Turn
from bot.outcome import Outcome, OutcomeKind
from bot.slack_poster import SLACK_TIMEOUT_S, SlackPoster
from bot.turn_queue import ThreadQueues
from knowledge import Assumptions

log = logging.getLogger(__name__)

# Turns waiting for a worker, per worker, beyond which a new one is told at once that the bot
# is busy: with Claude at ~2 s a worker gets through about 12 in a 25 s turn budget, so a turn
# further back would only be told the same thing later (up to twice the budget, measured).
QUEUED_PER_WORKER = 10


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
    ) -> None:
        self.conversation = conversation
        self.poster = poster
        self.assumptions = assumptions  # what the replies' optional asks assume
        self._admission = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftscope-admit")
        self._io = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ftscope-io")
        self._turns: ThreadQueues[_Queued] = ThreadQueues(
            self._run_queued, workers, name="ftscope-turn"
        )
        self.max_queued = workers * QUEUED_PER_WORKER
        self._idle = threading.Condition()
        self._in_flight = 0  # admission and I/O work not yet done

    # -- submission (called on Slack's request thread: must not block) -----------------

    def submit_turn(self, turn: Turn) -> None:
        self._submit(self._admission, self._admit, turn)

    def submit_command(self, command: ScopingCommand) -> None:
        self._submit(self._io, self.run_command, command)

    def submit_help(self, channel: str, thread_ts: str) -> None:
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
        for pool in (self._admission, self._io):
            pool.shutdown(wait=wait, cancel_futures=not wait)
        self._turns.shutdown(wait=wait)

    # -- the stages -----------------------------------------------------------------------

    def _admit(self, turn: Turn) -> None:
        admitted = self.conversation.admit(turn)
        if admitted is None:
            return
        turn = admitted  # a DM message routed to its scoping
        if self._turns.backlog >= self.max_queued:  # shed now, not after waiting past the budget
            self._submit(self._io, self._shed, turn)
            return
        reaction = self._io.submit(self.poster.react, True, turn.channel, turn.ts)
        self._turns.put(turn.thread_key, (turn, reaction))

    def _shed(self, turn: Turn) -> None:
        outcome = self.conversation.busy(turn)
        log_turn(turn, outcome, self._post(turn, outcome))

    def run_command(self, command: ScopingCommand) -> None:
        parent = render.scoping_parent_text(command.text, command.user)
        ts = self.poster.start_thread(command.channel, parent, command.response_url)
        if ts is None:
            return
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
        text, blocks = render.turn_reply(outcome, self.assumptions)
        # In a DM a top-level message gets a top-level reply, whichever scoping it went to.
        where = None if turn.in_dm else turn.thread_ts
        ts = self.poster.reply(turn.channel, where, turn.user, text, blocks)
        if ts is None:
            return False
        self.conversation.record_reply(outcome, ts, text)
        return True


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
