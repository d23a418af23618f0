"""The Slack bridge with plain fakes: a scripted conversation and a recording poster."""

import math
import threading
import time
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot import render
from bot.conversation import Turn
from bot.outcome import Outcome, OutcomeKind
from bot.slack import ScopingCommand, SlackTurns
from bot.turn_queue import ThreadQueues
from knowledge import Facts


class ScriptedConversation:
    """Admits every new message once; answers with an outage outcome (it words simply)."""

    turn_budget_s = 25.0

    def __init__(self, assumptions: Any) -> None:
        self.assumptions = assumptions
        self.admitted: set[str] = set()
        self.answered: list[str] = []
        self.recorded: list[tuple[str, str]] = []
        self.fail: set[str] = set()
        self.hold = threading.Event()
        self.hold.set()

    def admit(self, turn: Turn) -> Turn | None:
        if turn.message_key in self.admitted:
            return None
        self.admitted.add(turn.message_key)
        return turn

    def answer(self, turn: Turn) -> Outcome:
        self.hold.wait(5)
        if turn.text in self.fail:
            raise RuntimeError("boom")
        self.answered.append(turn.text)
        return Outcome(OutcomeKind.outage, 1, Facts(), Facts())

    def busy(self, turn: Turn) -> Outcome:
        return Outcome(OutcomeKind.busy, 1, Facts(), Facts())

    def record_reply(self, outcome: Outcome, slack_ts: str, text: str) -> None:
        self.recorded.append((slack_ts, text))


class RecordingPoster:
    def __init__(self) -> None:
        self.replies: list[tuple[str, str, str]] = []  # channel, thread_ts, text
        self.texts: list[str] = []
        self.reactions: list[tuple[bool, str]] = []
        self.parents: list[str] = []
        self.responded: list[str] = []
        self.refuse = False
        self._lock = threading.Lock()

    def reply(self, channel, thread_ts, user, text, blocks):
        with self._lock:
            if self.refuse:
                return None
            self.replies.append((channel, thread_ts, text))
            return f"9.{len(self.replies)}"

    def text(self, channel, thread_ts, text):
        self.texts.append(text)
        return True

    def post_parent(self, channel, text):
        if self.refuse:
            raise SlackApiError("refused", {"ok": False, "error": "not_in_channel"})
        self.parents.append(text)
        return "5.0"

    def respond(self, response_url, text):
        self.responded.append(text)

    def react(self, add, channel, ts):
        with self._lock:
            self.reactions.append((add, ts))
        return True


@pytest.fixture
def conversation(assumptions):
    return ScriptedConversation(assumptions)


@pytest.fixture
def poster():
    return RecordingPoster()


@pytest.fixture
def turns(conversation, poster, assumptions):
    bridge = SlackTurns(conversation, poster, assumptions, workers=2)  # type: ignore[arg-type]
    yield bridge
    bridge.shutdown(wait=True)


def turn(text: str, ts: str, thread_ts: str = "1.0") -> Turn:
    return Turn("T1", "C1", thread_ts, "U1", text, ts)


def test_a_turn_is_answered_posted_recorded_and_its_reaction_taken_off(turns, conversation, poster):
    turns.submit_turn(turn("15M a month", "1.1"))
    assert turns.wait_idle(5)
    outage_text, _ = render.outage_reply(0)
    assert poster.replies == [("C1", "1.0", outage_text)]
    assert conversation.recorded == [("9.1", outage_text)]
    assert poster.reactions == [(True, "1.1"), (False, "1.1")]


def test_a_message_delivered_twice_is_answered_once(turns, conversation, poster):
    turns.submit_turn(turn("15M a month", "1.1"))
    turns.submit_turn(turn("15M a month", "1.1"))
    assert turns.wait_idle(5)
    assert conversation.answered == ["15M a month"] and len(poster.replies) == 1


def test_a_threads_turns_are_answered_in_the_order_they_came(turns, conversation):
    for n in range(8):
        turns.submit_turn(turn(f"message {n}", f"1.{n + 1}"))
    assert turns.wait_idle(5)
    assert conversation.answered == [f"message {n}" for n in range(8)]


def test_a_turn_that_fails_is_apologised_for_and_the_next_one_still_answered(
    turns, conversation, poster
):
    conversation.fail = {"bad"}
    turns.submit_turn(turn("bad", "1.1"))
    turns.submit_turn(turn("good", "1.2"))
    assert turns.wait_idle(5)
    assert poster.texts == [render.INTERNAL_ERROR_TEXT]
    assert conversation.answered == ["good"]


def test_a_reply_slack_refuses_is_not_recorded_as_seen(turns, conversation, poster):
    poster.refuse = True
    turns.submit_turn(turn("15M a month", "1.1"))
    assert turns.wait_idle(5)
    assert conversation.answered == ["15M a month"] and conversation.recorded == []


def test_past_the_backlog_a_turn_is_told_at_once_that_the_bot_is_busy(turns, conversation, poster):
    conversation.hold.clear()  # the workers wait: the backlog fills up
    # Nothing has run yet, so a turn is taken to hold a worker 2 s: with 2 workers, the turns
    # that can start within the budget (less the shortest Claude call) are queued, no more
    # (what a turn has waited already counts too: a hair, here).
    backlog = math.ceil(turns.max_wait_s * 2 / 2.0) - 1
    for n in range(backlog + 2 + 1):  # 2 on the workers, the backlog, then one more
        turns.submit_turn(turn(f"m{n}", f"1.{n + 1}", thread_ts=f"{n}.0"))
    deadline = time.monotonic() + 5
    busy_text, _ = render.outage_reply(0, busy=True)
    while not any(text == busy_text for _, _, text in poster.replies):
        assert time.monotonic() < deadline, "the turn past the backlog was not shed"
        time.sleep(0.01)
    conversation.hold.set()
    assert turns.wait_idle(10)
    assert len(conversation.answered) == backlog + 2


def test_a_command_posts_the_parent_then_answers_under_it(turns, conversation, poster):
    turns.submit_command(ScopingCommand("T1", "C1", "U1", "route tickets", None))
    assert turns.wait_idle(5)
    assert len(poster.parents) == 1 and "route tickets" in poster.parents[0]
    assert conversation.answered == ["route tickets"]
    assert poster.replies[0][1] == "5.0"  # in the thread under the parent
    assert poster.reactions == []  # the parent message is the acknowledgement


def test_a_command_whose_parent_slack_refuses_starts_nothing(turns, conversation, poster):
    poster.refuse = True
    turns.submit_command(ScopingCommand("T1", "C1", "U1", "route tickets", None))
    assert turns.wait_idle(5)
    assert conversation.admitted == set() and conversation.answered == []
    assert poster.responded and "route tickets" in poster.responded[0]  # given back, not lost


def test_thread_queues_run_one_threads_items_in_order_and_threads_side_by_side():
    seen: list[tuple[str, int]] = []
    running: set[str] = set()
    overlap = threading.Event()
    lock = threading.Lock()

    def work(item: tuple[str, int]) -> None:
        key, _ = item
        with lock:
            assert key not in running, "two items of one thread ran at once"
            running.add(key)
            if len(running) > 1:
                overlap.set()
        time.sleep(0.005)
        with lock:
            running.discard(key)
            seen.append(item)

    queues: ThreadQueues[tuple[str, int]] = ThreadQueues(work, 4, name="test")
    for n in range(10):
        for key in ("a", "b"):
            queues.put(key, (key, n))
    assert queues.wait_idle(5)
    queues.shutdown()
    for key in ("a", "b"):
        assert [n for k, n in seen if k == key] == list(range(10))
    assert overlap.is_set() and queues.backlog == 0
