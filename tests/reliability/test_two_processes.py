"""Several machines on one database (the PostgreSQL topology; two processes on one SQLite file
hold too): each message is answered by exactly one of them, whichever receives it.

Two bots here are two complete runtimes (their own engine, pools, locks and HTTP server) that
share nothing but the database, the fake Slack and the scripted Claude.
"""

from __future__ import annotations

import threading

import pytest

from tests.fakes.acme import VERDICT as ACME_VERDICT
from tests.reliability.support import (
    ANSWER,
    FIRST,
    FIRST_FACTS,
    at_once,
    one_slack,
    poll,
    thread_of,
    unread,
    user_messages,
    wait_for,
)
from tests.reliability.support import script_acme as script

pytestmark = pytest.mark.httpx2(assert_all_called=False)


def test_the_same_event_delivered_to_two_processes_at_once_gets_one_reply(start_bot, claude):
    one, two = start_bot(), start_bot()
    one_slack(one, two)
    script(claude)
    threads = []
    for n in range(6):
        ts, mention = one.mention(FIRST)
        event_id = f"EvShared{n}"
        answers = at_once(
            lambda m=mention, e=event_id: one.event(m, event_id=e),
            lambda m=mention, e=event_id: two.event(m, event_id=e, retry=1),
        )
        assert [a.status for a in answers] == [200, 200]
        threads.append(ts)
    one.wait()
    two.wait()

    for ts in threads:
        assert len(one.slack.replies_in(ts)) == 1, f"thread {ts}"
        assert len(user_messages(one, ts)) == 1
        assert thread_of(one, ts).facts == FIRST_FACTS
    assert len(claude.requests) == len(threads)


def test_a_mention_in_a_thread_split_across_two_processes_gets_one_reply(start_bot, claude):
    one, two = start_bot(), start_bot()
    one_slack(one, two)
    script(claude)
    ts = one.open_thread(FIRST)
    as_mention, as_message = one.mention_in_thread(ANSWER, ts)
    at_once(lambda: one.event(as_mention), lambda: two.event(as_message))
    one.wait()
    two.wait()
    assert len(one.slack.replies_in(ts)) == 2
    assert len(claude.requests) == 2
    assert thread_of(two, ts).last_verdict == ACME_VERDICT


def test_a_thread_answered_by_one_process_then_the_other_keeps_every_fact(start_bot, claude):
    one, two = start_bot(), start_bot()
    one_slack(one, two)
    script(claude)
    ts = one.open_thread("Acme wants to fine-tune for support ticket routing, ~15M/mo")
    # on the shipped sheet 1.5B calls a month flips the verdict to "fine_tune" (150M doesn't)
    claude.says("actually 1.5B", ("monthly_calls", "1500000000", "1.5B a month"))
    two.say(ANSWER, ts)  # the second process reads what the first stored
    one.say("actually 1.5B a month", ts)
    thread = thread_of(two, ts)
    assert thread.facts["monthly_calls"] == 1_500_000_000
    assert thread.facts["labeled_examples"] == 40_000
    assert thread.last_verdict == thread.shown_verdict == "fine_tune"
    assert len(one.slack.replies_in(ts)) == 3


def test_two_messages_of_one_thread_answered_at_once_by_two_processes_keep_both_facts(
    start_bot, claude
):
    one, two = start_bot(), start_bot()
    one_slack(one, two)
    script(claude)
    claude.says("~40k labeled", ("labeled_examples", "40000", "~40k labeled"))
    claude.says("actually 20M", ("monthly_calls", "20000000", "20M a month"))
    ts = one.open_thread(FIRST)
    # Process one's Claude call is slow; process two answers the correction meanwhile.
    slow = claude.holds["they have ~40k labeled"] = threading.Event()
    _, labels = one.message("they have ~40k labeled", thread_ts=ts)
    _, correction = one.message("actually 20M a month", thread_ts=ts)
    one.event(labels)
    wait_for(lambda: len(claude.arrived) == 2, what="process one's turn to reach Claude")
    two.event(correction)
    # Process two answers at once (no lock across processes), or waits for process one to
    # finish the thread's turn (a lock across processes): either way, then let one finish.
    poll(lambda: len(two.slack.replies_in(ts)) == 2, timeout=2)  # the question, its answer
    slow.set()
    one.wait()
    two.wait()

    thread = thread_of(one, ts)
    assert unread(one, ts) == []
    assert thread.facts["labeled_examples"] == 40_000
    assert thread.facts["monthly_calls"] == 20_000_000, "the correction was lost"
