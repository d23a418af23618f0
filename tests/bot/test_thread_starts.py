"""A `/ftscope` command's parent message when Slack's API refuses it, loses it, or can't be
reached (bot/thread_starts.py), with a scripted poster."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack import ScopingCommand
from bot.thread_starts import ThreadStarts, quoted

WORDS = "Acme wants ticket routing <!channel> & more, ~15M a month"


class ScriptedPoster:
    """Raises the scripted errors in turn, then posts."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.down = False  # unreachable until set back
        self.tries = 0
        self.posted: list[tuple[str, str]] = []
        self.responded: list[tuple[str | None, str]] = []
        self.lock = threading.Lock()

    def post_parent(self, channel: str, text: str) -> str:
        with self.lock:
            self.tries += 1
            if self.down:
                raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
            if self.errors:
                raise self.errors.pop(0)
            self.posted.append((channel, text))
            return f"5.{len(self.posted)}"

    def respond(self, response_url: str | None, text: str) -> None:
        with self.lock:
            self.responded.append((response_url, text))


class Started:
    def __init__(self) -> None:
        self.commands: list[tuple[ScopingCommand, str]] = []

    def __call__(self, command: ScopingCommand, ts: str) -> None:
        self.commands.append((command, ts))


def command(n: int = 0) -> ScopingCommand:
    return ScopingCommand("T1", f"C{n}", "U1", WORDS, f"https://hooks.test/{n}")


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def started() -> Started:
    return Started()


def test_a_parent_slack_takes_goes_on_with_the_thread_and_tells_nobody(started):
    poster = ScriptedPoster()
    ThreadStarts(poster, started).start(command())
    assert [ts for _, ts in started.commands] == ["5.1"] and poster.responded == []


def test_a_refused_parent_tells_why_and_gives_the_words_back_once(started):
    refused = SlackApiError("no", {"ok": False, "error": "not_in_channel"})
    poster = ScriptedPoster(refused)
    starts = ThreadStarts(poster, started, delays_s=[0.01])
    starts.start(command())
    time.sleep(0.05)
    ((url, text),) = poster.responded
    assert url == "https://hooks.test/0" and "/invite @ftscope" in text
    assert quoted(WORDS) in text and poster.tries == 1 and started.commands == []


def test_the_words_given_back_cannot_ping_anyone():
    assert quoted(WORDS) == (
        ">>> Acme wants ticket routing &lt;!channel&gt; &amp; more, ~15M a month"
    )


def test_a_parent_that_left_and_got_no_answer_is_never_posted_twice(started):
    poster = ScriptedPoster(http.client.RemoteDisconnected("closed"))
    starts = ThreadStarts(poster, started, delays_s=[0.01])
    starts.start(command())
    time.sleep(0.05)
    ((_, text),) = poster.responded
    assert "may or may not" in text and quoted(WORDS) in text
    assert poster.tries == 1 and starts.waiting == 0


def test_unreachable_slack_keeps_the_command_and_starts_it_when_slack_is_back(started):
    poster = ScriptedPoster()
    poster.down = True
    starts = ThreadStarts(poster, started, delays_s=[0.02])
    before = command()
    starts.start(before)
    ((_, kept),) = poster.responded
    assert "I've kept your request" in kept and quoted(WORDS) in kept
    wait_for(lambda: poster.tries >= 3)  # tries again while it is down
    assert started.commands == [] and starts.waiting == 1
    poster.down = False
    wait_for(lambda: started.commands)
    ((after, ts),) = started.commands
    assert after.text == WORDS and ts == "5.1"
    assert after.received_at > before.received_at  # the turn's budget starts now
    assert len(poster.responded) == 1 and starts.waiting == 0
    starts.shutdown()


def test_while_slack_stays_down_one_try_stands_for_every_kept_command(started):
    poster = ScriptedPoster()
    poster.down = True
    starts = ThreadStarts(poster, started, delays_s=[0.05])
    for n in range(5):
        starts.start(command(n))
    assert poster.tries == 5
    time.sleep(0.32)  # about six retry rounds
    retried = poster.tries - 5
    assert 2 <= retried <= 8, retried  # a try per round, not five
    poster.down = False
    wait_for(lambda: len(started.commands) == 5)
    assert sorted(c.channel for c, _ in started.commands) == [f"C{n}" for n in range(5)]
    starts.shutdown()


def test_after_the_keeping_time_the_user_gets_the_words_back_and_nothing_more(started):
    poster = ScriptedPoster()
    poster.down = True
    starts = ThreadStarts(poster, started, delays_s=[0.02], keep_for_s=0.1)
    starts.start(command())
    wait_for(lambda: len(poster.responded) == 2)
    (_, kept), (_, gave_up) = poster.responded
    assert "kept" in kept and "still isn't answering" in gave_up and quoted(WORDS) in gave_up
    tries = poster.tries
    poster.down = False
    time.sleep(0.1)
    assert poster.tries == tries and started.commands == [] and starts.waiting == 0


def test_a_command_that_fails_while_shutting_down_is_given_back_at_once(started):
    poster = ScriptedPoster()
    poster.down = True
    starts = ThreadStarts(poster, started, delays_s=[0.02])
    starts.shutdown()
    starts.start(command())
    ((_, text),) = poster.responded
    assert "still isn't answering" in text and quoted(WORDS) in text
    assert starts.waiting == 0
