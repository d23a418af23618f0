"""A bot process killed with SIGKILL (no graceful shutdown, nothing flushed), and a new process
on the same database: every thread goes on with its facts, and a message the dead process had
taken in but not answered is read by the thread's next turn.

The first process is a real `ftscope serve` (python -m bot.cli), so it can really be killed; its
Claude is the same scripted fake, served over loopback HTTP. The second is the harness's bot.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.acme import HEADLINE as ACME_HEADLINE
from tests.fakes.acme import VERDICT as ACME_VERDICT
from tests.fakes.claude_api import FakeClaude
from tests.fakes.harness import SIGNING_SECRET, Bot
from tests.reliability.support import (
    ANSWER,
    FIRST,
    FIRST_FACTS,
    assert_well_formed,
    one_slack,
    thread_of,
    unread,
    wait_for,
)
from tests.reliability.support import script_acme as script

pytestmark = pytest.mark.httpx2(assert_all_called=False)


@pytest.fixture
def claude_http(claude: FakeClaude) -> Iterator[FakeClaude]:
    """The same scripted Claude, also on a loopback port for a bot in another process."""
    claude.start()
    yield claude
    claude.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tmp_path: Path, database_url: str, slack_url: str, claude_url: str) -> tuple:
    """`ftscope serve` in a process of its own; (process, its URL) once /healthz answers."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ANTHROPIC_", "FTSCOPE_", "DATABASE_URL"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": claude_url,
        "FTSCOPE_CLAUDE_TIMEOUT_S": "5",
        "FTSCOPE_LOG_FORMAT": "text",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,  # no .env of the repository
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # imports alone take seconds on a busy machine
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                assert json.loads(response.read()) == {"status": "ok"}
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(
                    f"ftscope serve did not come up:\n{(tmp_path / 'serve.log').read_text()}"
                )
            time.sleep(0.05)


def test_a_killed_process_loses_no_thread_and_no_message(
    start_bot, claude, claude_http, fake_slack, database_url, tmp_path
):
    script(claude)
    # start_bot's setup has migrated the database, as `ftscope db upgrade` does before a deploy.
    process, url = serve(tmp_path, database_url, fake_slack.url, claude_http.url)
    try:
        first = Bot(None, url, fake_slack)  # Slack, talking to the first process
        between_ts, between = first.mention(FIRST)
        midturn_ts, midturn = first.mention(FIRST)
        for event in (between, midturn):
            assert first.event(event).status == 200
        wait_for(
            lambda: fake_slack.replies_in(between_ts) and fake_slack.replies_in(midturn_ts),
            timeout=30,
            what="the first process to answer both threads",
        )
        # One thread is between turns; in the other, a reply is taken in and its turn is
        # waiting on Claude when the process dies.
        held = claude.holds[ANSWER] = threading.Event()
        _, answer = first.message(ANSWER, thread_ts=midturn_ts)
        assert first.event(answer).status == 200
        wait_for(
            lambda: claude.arrived[-1:] == [ANSWER], timeout=30, what="the turn to reach Claude"
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    del claude.holds[ANSWER]
    held.set()  # the fake answers the dead process's call into a closed socket
    wait_for(lambda: len(claude.requests) == len(claude.arrived))
    answered_before = len(claude.requests)

    second = start_bot()  # a new process on the same database, nothing in memory
    one_slack(first, second)
    assert thread_of(second, between_ts).facts == FIRST_FACTS
    assert thread_of(second, midturn_ts).facts == FIRST_FACTS
    assert unread(second, midturn_ts) == [ANSWER]  # taken in, never answered
    assert len(fake_slack.replies_in(midturn_ts)) == 1

    second.say(ANSWER, between_ts)
    assert claude.requests[-1]["messages"][0]["content"][0]["text"] == FIRST  # history replayed
    second.say("did you get that?", midturn_ts)
    assert claude.newest_texts()[-1] == f"{ANSWER}\n\ndid you get that?"
    assert len(claude.requests) == answered_before + 2

    for ts in (between_ts, midturn_ts):
        thread = thread_of(second, ts)
        assert thread.last_verdict == thread.shown_verdict == ACME_VERDICT
        assert thread.facts["labeled_examples"] == 40_000 and len(thread.facts) == 11
        assert unread(second, ts) == []
        _question, verdict = fake_slack.replies_in(ts)
        assert verdict["text"].startswith(f"Verdict: {ACME_HEADLINE} · ")
    assert_well_formed(fake_slack.posts())
