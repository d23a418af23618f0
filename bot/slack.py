"""Runs scoping turns off Slack's request thread and posts their replies.

Handlers ack within milliseconds and hand a turn to `SlackTurns`; a bounded pool of workers
(FTSCOPE_WORKERS) calls the conversation, which may wait on Claude for up to 25 s, and posts
the reply in the thread. Slack errors never lose facts: the conversation has saved them before
anything is posted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot import render
from bot.conversation import Conversation, Reply, Turn

log = logging.getLogger(__name__)

THINKING_REACTION = "eyes"
# Turns waiting for a worker, per worker, beyond which a new one is told at once that the bot
# is busy: with Claude at ~2 s a worker gets through about 12 in a 25 s turn budget, so a turn
# further back would only be told the same thing later (up to twice the budget, measured).
QUEUED_PER_WORKER = 10
SLACK_TIMEOUT_S = 10

# What to tell the user (ephemerally) when Slack refuses a post, by Slack's error code.
POST_HINTS: dict[str, str] = {
    "not_in_channel": "I'm not in this channel yet. Add me with `/invite @ftscope`, then try "
    "again.",
    "channel_not_found": "I can't see this channel. For a private channel, add me with "
    "`/invite @ftscope` first, then try again.",
    "is_archived": "This channel is archived, so I can't post here. Try an active channel.",
    "restricted_action": "This workspace doesn't let me post in this channel. Ask an admin, or "
    "try another channel.",
    "ratelimited": "Slack is rate-limiting me right now. Everything you told me is saved: try "
    "again in a minute.",
}
GENERIC_HINT = "I couldn't post my reply ({error}). Everything you told me is saved: try again."


def make_web_client(token: str, base_url: str) -> WebClient:
    """A WebClient that waits out Slack's rate limits (Retry-After) and connection blips."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=SLACK_TIMEOUT_S,
        # Only rate limits are retried: a post whose connection dropped may have landed, and
        # posting it again would answer twice.
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )


def hint_for(error: SlackClientError) -> str:
    code = error.response.get("error") if isinstance(error, SlackApiError) else None
    return POST_HINTS.get(str(code), GENERIC_HINT.format(error=code or type(error).__name__))


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


class SlackTurns:
    """The bridge from Slack listeners to the conversation: admission, the pool, the posting.

    Three stages, so that no stage waits on a slower one:
    - admission (one thread, in arrival order): claim and store the message in the database;
    - I/O (a few threads): the "thinking" reaction and the parent message of a `/ftscope`;
    - workers (FTSCOPE_WORKERS): the turns, which wait on Claude. Each thread's turns form a
      queue that one worker at a time drains, so a thread's messages are answered in the order
      they arrived and a chatty thread can't occupy every worker.
    """

    def __init__(self, conversation: Conversation, client: WebClient, workers: int) -> None:
        self.conversation = conversation
        self.client = client
        # Reactions are cosmetic: never sit out a rate limit for one.
        self._reactions = WebClient(
            token=client.token, base_url=client.base_url, timeout=5, retry_handlers=[]
        )
        self._admission = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftscope-admit")
        self._io = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ftscope-io")
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ftscope-turn")
        self._queues: dict[str, deque[tuple[Turn, Future[bool] | None]]] = {}
        self._queues_lock = threading.Lock()
        self._queued = 0  # admitted turns not yet picked up by a worker
        self.max_queued = workers * QUEUED_PER_WORKER
        self._idle = threading.Condition()
        self._in_flight = 0

    # -- submission (called on Slack's request thread: must not block) -----------------

    def submit_turn(self, turn: Turn) -> None:
        self._submit(self._admission, self._admit, turn)

    def submit_command(self, command: ScopingCommand) -> None:
        self._submit(self._io, self.run_command, command)

    def submit_help(self, channel: str, thread_ts: str) -> None:
        self._submit(self._io, self._post_help, channel, thread_ts)

    def _submit(self, pool: ThreadPoolExecutor, work: Callable[..., None], *args: Any) -> None:
        with self._idle:
            self._in_flight += 1
        try:
            future = pool.submit(self._guarded, work, *args)
        except RuntimeError:  # shutting down: the message is stored, the next turn reads it
            self._done(None)
            log.warning("shutting down: %s not run", getattr(work, "__name__", work))
            return
        future.add_done_callback(self._done)

    def _guarded(self, work: Callable[..., None], *args: Any) -> None:
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
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def shutdown(self, wait: bool = True) -> None:
        """Finish admitted turns (when `wait`), then stop; upstream stages stop first."""
        for pool in (self._admission, self._io, self._workers):
            pool.shutdown(wait=wait, cancel_futures=not wait)

    # -- the stages -----------------------------------------------------------------------

    def _admit(self, turn: Turn) -> None:
        if not self.conversation.admit(turn):
            return
        with self._queues_lock:
            overloaded = self._queued >= self.max_queued
        if overloaded:  # shed now, not after waiting past the budget for a worker
            self._submit(self._io, self._shed, turn)
            return
        reaction = self._io.submit(self._react, "add", turn.channel, turn.ts)
        self._enqueue(turn, reaction)

    def _shed(self, turn: Turn) -> None:
        reply = self.conversation.busy(turn)
        posted = self._post_reply(turn, reply)
        log_turn(turn, reply, posted)

    def _enqueue(self, turn: Turn, reaction: Future[bool] | None) -> None:
        key = f"{turn.team}:{turn.channel}:{turn.thread_ts}"
        with self._queues_lock:
            queue = self._queues.get(key)
            self._queued += 1
            if queue is not None:  # a worker is on this thread: it takes this turn next
                queue.append((turn, reaction))
                return
            self._queues[key] = deque([(turn, reaction)])
        self._submit(self._workers, self._drain, key)

    def _drain(self, key: str) -> None:
        while True:
            with self._queues_lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                turn, reaction = queue.popleft()
                self._queued -= 1
            self._guarded(self.run_turn, turn, reaction)

    def run_command(self, command: ScopingCommand) -> None:
        try:
            parent = self.client.chat_postMessage(
                channel=command.channel,
                text=render.scoping_parent_text(command.text, command.user),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackClientError as exc:
            log.warning("cannot start a thread in %s: %s", command.channel, exc)
            self._respond_ephemeral(command.response_url, hint_for(exc))
            return
        ts = str(parent["ts"])
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
            self._enqueue(turn, None)

    def run_turn(self, turn: Turn, reaction: Future[bool] | None = None) -> None:
        """Answer an admitted turn in its thread, then take the "thinking" reaction off."""
        posted = False
        try:
            reply: Reply | None = self.conversation.answer(turn)
        except Exception:
            log.exception("turn in %s/%s failed", turn.channel, turn.thread_ts)
            self._post_text(turn, render.INTERNAL_ERROR_TEXT)
            reply = None
        if reply is not None:
            posted = self._post_reply(turn, reply)
        if reaction is not None and _succeeded(reaction):
            self._react("remove", turn.channel, turn.ts)
        log_turn(turn, reply, posted)

    def _post_reply(self, turn: Turn, reply: Reply) -> bool:
        try:
            posted = self.client.chat_postMessage(
                channel=turn.channel,
                thread_ts=turn.thread_ts,
                text=reply.text,
                blocks=reply.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackClientError as exc:
            log.warning("reply in %s/%s not posted: %s", turn.channel, turn.thread_ts, exc)
            self._tell_user(turn, hint_for(exc))
            return False
        self.conversation.record_reply(reply, str(posted["ts"]))
        return True

    def _post_text(self, turn: Turn, text: str) -> None:
        try:
            self.client.chat_postMessage(channel=turn.channel, thread_ts=turn.thread_ts, text=text)
        except SlackClientError as exc:
            log.warning("message in %s/%s not posted: %s", turn.channel, turn.thread_ts, exc)

    def _post_help(self, channel: str, thread_ts: str) -> None:
        try:
            self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=render.help_text(), mrkdwn=True
            )
        except SlackClientError as exc:
            log.warning("help in %s not posted: %s", channel, exc)

    def _tell_user(self, turn: Turn, text: str) -> None:
        """An ephemeral note to the user, when the channel still lets us say that much."""
        try:
            self.client.chat_postEphemeral(
                channel=turn.channel, user=turn.user, thread_ts=turn.thread_ts, text=text
            )
        except SlackClientError as exc:
            log.info("ephemeral hint to %s not posted either: %s", turn.user, exc)

    def _respond_ephemeral(self, response_url: str | None, text: str) -> None:
        if not response_url:
            return
        try:
            WebhookClient(response_url, timeout=SLACK_TIMEOUT_S).send(
                text=text, response_type="ephemeral"
            )
        except (SlackClientError, OSError) as exc:
            log.warning("response_url refused the hint: %s", exc)

    def _react(self, action: str, channel: str, ts: str) -> bool:
        client = self._reactions
        call = client.reactions_add if action == "add" else client.reactions_remove
        try:
            call(channel=channel, timestamp=ts, name=THINKING_REACTION)
        except SlackClientError as exc:  # a missing reaction is cosmetic
            log.info("reactions.%s on %s/%s: %s", action, channel, ts, exc)
            return False
        return True


def log_turn(turn: Turn, reply: Reply | None, posted: bool) -> None:
    """The one line per turn: which thread, how long, what Claude read and cost."""
    usage = reply.usage if reply is not None else None
    fields: dict[str, Any] = {
        "event": "turn",
        "team": turn.team,
        "channel": turn.channel,
        "thread_ts": turn.thread_ts,
        "message_ts": turn.ts,
        "thread_id": reply.thread_id if reply is not None else None,
        "reply": reply.kind if reply is not None else "error",
        "verdict": reply.decision.verdict.value if reply and reply.decision else None,
        "posted": posted,
        "latency_ms": round((time.monotonic() - turn.received_at) * 1000),
        "claude_ms": usage.latency_ms if usage else None,
        "model": usage.model if usage else None,
        "input_tokens": usage.input_tokens if usage else 0,
        "cache_write_tokens": usage.cache_creation_input_tokens if usage else 0,
        "cache_read_tokens": usage.cache_read_input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "cost_usd": round(reply.cost_usd, 6) if reply and reply.cost_usd is not None else None,
        "facts_learned": len(reply.learned) if reply else 0,
        "facts_refused": len(reply.rejected) if reply else 0,
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
