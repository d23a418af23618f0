"""The parent message of a `/ftscope` thread, and what happens when Slack's API can't take it.

The command is acknowledged before its parent message is posted, so a failure can only be told
through the command's `response_url` (good for 30 minutes). Whatever went wrong, the user's
description is never dropped: the message quotes it back, ready to send again. When Slack's API
couldn't be reached at all (DNS, connection refused, a connect timeout: the request never left,
so nothing was posted), the command is also kept, and its thread started as soon as Slack answers
again, for up to `KEEP_FOR_S`. A request that left and got no answer may have been posted: it is
never sent twice.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol
from urllib.error import URLError

from slack_sdk.errors import SlackClientError

from bot import render
from bot.blocks import mrkdwn_escape
from bot.slack_poster import hint_for

if TYPE_CHECKING:
    from bot.slack import ScopingCommand

log = logging.getLogger(__name__)

# Seconds between tries while Slack's API is unreachable: soon for a blip, then once a minute;
# the last delay repeats until KEEP_FOR_S has passed since the command.
RETRY_DELAYS_S: Sequence[float] = (2, 5, 10, 20, 30, 60)
# Ten minutes, well inside the 30 minutes a response_url stays good for the last message.
KEEP_FOR_S = 600.0


class ParentPoster(Protocol):
    def post_parent(self, channel: str, text: str) -> str: ...

    def respond(self, response_url: str | None, text: str) -> None: ...


def unreachable(error: BaseException) -> bool:
    """Slack's API was never reached: urllib wraps only the errors of sending the request
    (resolving, connecting, writing) in URLError; an error after it left (a dropped
    connection, a read timeout) comes unwrapped, and the post may have landed."""
    return isinstance(error, URLError)


def quoted(description: str) -> str:
    """The user's words as they sent them, as a block quote that can't ping or link."""
    return ">>> " + mrkdwn_escape(description.strip() or "(no description)")


def kept_text(description: str, keep_for_s: float) -> str:
    return (
        "I couldn't reach Slack's API to start the scoping thread, so nothing is posted yet. "
        f"I've kept your request: the thread starts in this channel as soon as Slack answers "
        f"again (I'll keep trying for {keep_for_s / 60:.0f} minutes). In case it doesn't, "
        f"here is what you wrote, to send again with `/ftscope`:\n{quoted(description)}"
    )


def gave_up_text(description: str) -> str:
    return (
        "Slack's API still isn't answering, so I couldn't start the scoping thread. Here is "
        f"what you wrote, to send again with `/ftscope` once Slack is back:\n{quoted(description)}"
    )


def maybe_posted_text(description: str) -> str:
    return (
        "I lost the connection to Slack while starting the scoping thread, so it may or may not "
        "be in the channel. If it isn't, here is what you wrote, to send again with `/ftscope`:"
        f"\n{quoted(description)}"
    )


def refused_text(error: SlackClientError, description: str) -> str:
    return f"{hint_for(error)}\nHere is what you wrote, to send again:\n{quoted(description)}"


@dataclasses.dataclass(order=True)
class _Kept:
    due: float
    seq: int
    command: ScopingCommand = dataclasses.field(compare=False)
    kept_at: float = dataclasses.field(compare=False)
    tries: int = dataclasses.field(compare=False)


class ThreadStarts:
    """Posts the parent message of each `/ftscope` thread; `started(command, ts)` goes on with
    the thread. A command Slack's API couldn't be reached for waits here, and one thread tries
    again when it is due: the oldest first, and while Slack stays unreachable one try stands
    for all of them."""

    def __init__(
        self,
        poster: ParentPoster,
        started: Callable[[ScopingCommand, str], None],
        *,
        delays_s: Sequence[float] | None = None,
        keep_for_s: float | None = None,
    ) -> None:
        self.poster = poster
        self.started = started
        self.delays_s = tuple(delays_s if delays_s is not None else RETRY_DELAYS_S)
        self.keep_for_s = KEEP_FOR_S if keep_for_s is None else keep_for_s
        self._kept: list[_Kept] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        """Commands kept until Slack answers again."""
        with self._wake:
            return len(self._kept)

    def start(self, command: ScopingCommand) -> None:
        """Post the command's parent message and go on, or tell the user (and keep it)."""
        try:
            ts = self._post(command)
        except (SlackClientError, OSError) as exc:
            log.warning("cannot start a thread in %s: %s", command.channel, exc)
            if not unreachable(exc):
                self._tell_not_started(command, exc)
            elif self._keep(command, time.monotonic(), tries=1) is not None:
                told = kept_text(command.text, self.keep_for_s)
                self.poster.respond(command.response_url, told)
            else:  # shutting down: nothing will try again
                self.poster.respond(command.response_url, gave_up_text(command.text))
            return
        self.started(command, ts)

    def shutdown(self) -> None:
        """Stop trying; the users of commands still kept were given their words back."""
        with self._wake:
            self._stopping = True
            left = len(self._kept)
            self._wake.notify_all()
        if left:
            log.warning("shutting down with %d /ftscope command(s) Slack never took", left)
        if self._thread is not None:
            self._thread.join(timeout=15)

    # -- keeping and trying again --------------------------------------------------------

    def _post(self, command: ScopingCommand) -> str:
        parent = render.scoping_parent_text(command.text, command.user)
        return self.poster.post_parent(command.channel, parent)

    def _keep(self, command: ScopingCommand, kept_at: float, tries: int) -> float | None:
        """Keep a command to try again; when that is due, or None when shutting down."""
        delay = self.delays_s[min(tries - 1, len(self.delays_s) - 1)]
        with self._wake:
            if self._stopping:
                return None
            due = time.monotonic() + delay
            heapq.heappush(self._kept, _Kept(due, next(self._seq), command, kept_at, tries))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ftscope-thread-starts", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()
        return due

    def _next_due(self) -> _Kept | None:
        """The oldest kept command once it is due; None when stopping."""
        with self._wake:
            while not self._stopping:
                if self._kept and self._kept[0].due <= time.monotonic():
                    return heapq.heappop(self._kept)
                timeout = self._kept[0].due - time.monotonic() if self._kept else None
                self._wake.wait(timeout)
            return None

    def _run(self) -> None:
        while (kept := self._next_due()) is not None:
            try:
                self._try_again(kept)
            except Exception:  # this thread must never die silently
                log.exception("trying again to start a thread in %s", kept.command.channel)

    def _try_again(self, kept: _Kept) -> None:
        command = kept.command
        try:
            ts = self._post(command)
        except (SlackClientError, OSError) as exc:
            if not unreachable(exc):
                log.warning("cannot start a thread in %s: %s", command.channel, exc)
                self._tell_not_started(command, exc)
                return
            expired = time.monotonic() - kept.kept_at >= self.keep_for_s
            due = None if expired else self._keep(command, kept.kept_at, kept.tries + 1)
            if due is None:
                self._give_up(command, exc)
            else:  # still unreachable: this try stood for every command due by then
                self._postpone(until=due)
            return
        log.info(
            "Slack answered again: thread started in %s after %.0f s",
            command.channel,
            time.monotonic() - kept.kept_at,
        )
        self._bring_forward()  # Slack is back: the others need not wait for their turn
        # The turn's budget starts now: the minutes Slack was away aren't the bot's to spend.
        self.started(dataclasses.replace(command, received_at=time.monotonic()), ts)

    def _tell_not_started(self, command: ScopingCommand, error: BaseException) -> None:
        """Slack refused the post, or lost the connection after it left: not tried again."""
        told = (
            refused_text(error, command.text)
            if isinstance(error, SlackClientError)
            else maybe_posted_text(command.text)
        )
        self.poster.respond(command.response_url, told)

    def _give_up(self, command: ScopingCommand, error: BaseException) -> None:
        log.warning("gave up starting a thread in %s: %s", command.channel, error)
        self.poster.respond(command.response_url, gave_up_text(command.text))

    def _postpone(self, until: float) -> None:
        """Kept commands due before `until` wait for it: one try at a time tells whether
        Slack is back, not one per command."""
        with self._wake:
            for kept in self._kept:
                kept.due = max(kept.due, until)
            heapq.heapify(self._kept)

    def _bring_forward(self) -> None:
        with self._wake:
            now = time.monotonic()
            for kept in self._kept:
                kept.due = min(kept.due, now)
            heapq.heapify(self._kept)
            self._wake.notify_all()
