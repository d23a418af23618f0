"""Slack's Web API unreachable while Slack still delivers requests: through the HTTP endpoint.

The bot talks to the fake Slack through `Outage`, a TCP relay that can be shut (connections
refused, as from a host that is down) or turned into a black hole (connections taken, never
answered). The command's `response_url` goes to the fake directly: Slack's webhooks host can be
up while the Web API isn't, and it is the only way left to tell the user anything.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from bot import slack_identity, thread_starts
from tests.fakes.acme import FIRST, script_acme
from tests.fakes.harness import CHANNEL
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack

pytestmark = pytest.mark.httpx2(assert_all_called=False)


class Outage:
    """A TCP relay to `target_port` on a port of its own: `up()`, `down()` (refused) or
    `black_hole()` (accepted, never answered)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._held: list[socket.socket] = []
        self._answer = True
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def up(self) -> None:
        self._answer = True
        self._listen()

    def black_hole(self) -> None:
        self._answer = False
        self._listen()

    def down(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for held in self._held:
                held.close()
            self._held.clear()

    def _listen(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed: down
                return
            with self._lock:
                if self._listener is not listener:  # went down as this one came in
                    client.close()
                    return
                if not self._answer:
                    self._held.append(client)
                    continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def outage(fake_slack: FakeSlack) -> Iterator[Outage]:
    port = int(fake_slack.url.split(":")[2].split("/")[0])
    relay = Outage(port)
    yield relay
    relay.down()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thread_starts, "RETRY_DELAYS_S", (0.2, 0.5))


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def responses(slack: FakeSlack) -> list[str]:
    return [str(c.params["text"]) for c in slack.calls_to("/response/cmd")]


def test_a_command_while_slack_is_down_is_acked_kept_and_started_once_slack_is_back(
    start_bot, claude, outage
):
    outage.down()
    bot = start_bot(slack_api_url=outage.url)
    script_acme(claude)
    answer = bot.command(FIRST)
    assert answer.status == 200 and answer.body == ""  # not Bolt's 500 ("dispatch_failed")
    bot.wait()
    (told,) = responses(bot.slack)
    assert "couldn't reach Slack's API" in told and "I've kept your request" in told
    assert f">>> {FIRST}" in told  # their words, back to them: nothing lost
    assert bot.slack.posts() == [] and claude.requests == []

    outage.up()
    wait_for(lambda: len(bot.slack.posts()) == 2)  # the parent, then the reply under it
    bot.wait()
    parent, reply = bot.slack.posts()
    assert "Acme wants to fine-tune" in parent["text"] and "thread_ts" not in parent
    thread_ts = bot.slack.calls_to("chat.postMessage")[0].response["ts"]
    assert reply["thread_ts"] == thread_ts
    thread = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts)
    assert thread.facts["monthly_calls"] == 15_000_000
    assert len(responses(bot.slack)) == 1  # told once; the thread itself says the rest


def test_slack_down_for_good_gives_the_words_back_and_stops_trying(
    start_bot, claude, outage, monkeypatch
):
    monkeypatch.setattr(thread_starts, "KEEP_FOR_S", 0.5)
    outage.down()
    bot = start_bot(slack_api_url=outage.url)
    script_acme(claude)
    assert bot.command(FIRST).status == 200
    wait_for(lambda: len(responses(bot.slack)) == 2)
    kept, gave_up = responses(bot.slack)
    assert "I've kept your request" in kept
    assert "still isn't answering" in gave_up and f">>> {FIRST}" in gave_up
    outage.up()
    time.sleep(1.0)  # past every retry delay: nothing is tried again
    assert bot.slack.posts() == [] and claude.requests == []


def test_a_request_never_waits_on_slack_even_when_its_api_hangs(start_bot, claude, outage):
    outage.black_hole()  # auth.test would hang for its whole timeout
    bot = start_bot(slack_api_url=outage.url)
    script_acme(claude)
    ts, event = bot.mention(FIRST)
    answer = bot.event(event)
    assert answer.status == 200 and answer.elapsed_ms < 1000
    wait_for(lambda: bot.store.threads.find(TEAM_ID, CHANNEL, ts) is not None)
    # The words are kept and read; only the reply can't get out while Slack hangs.
    wait_for(lambda: len(claude.requests) == 1)
    assert claude.requests[0]  # the mention, stripped with the bot id the event came with
    assert f"<@{BOT_USER_ID}>" not in str(claude.requests[0])
    outage.down()  # the reply's post, hanging, fails now: the turn ends
    bot.wait()


def test_the_bot_learns_who_it_is_once_slack_answers_and_asks_no_more(
    start_bot, claude, outage, monkeypatch
):
    monkeypatch.setattr(slack_identity, "RETRY_S", 0.2)
    outage.down()
    bot = start_bot(slack_api_url=outage.url)
    assert bot.command("help").status == 200  # authorized without Slack: auth.test failed
    outage.up()
    time.sleep(0.3)  # past the pause before auth.test is asked again
    assert bot.command("help").status == 200
    wait_for(lambda: len(bot.slack.calls_to("auth.test")) == 1)
    for _ in range(3):
        assert bot.command("help").status == 200
    time.sleep(0.3)
    assert len(bot.slack.calls_to("auth.test")) == 1  # learned once, kept
