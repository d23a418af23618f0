"""Slack's delivery as it really is: retried, duplicated and out of order.

Every message gets exactly one reply (one chat.postMessage in its thread, one Claude call), is
stored once, and its facts end in the thread. Slack retries an event it didn't see acked in
3 s, with `X-Slack-Retry-Num` 1..3 and `X-Slack-Retry-Reason`; the bot may or may not have
seen the first attempt.
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
    thread_of,
    user_messages,
    wait_for,
)
from tests.reliability.support import script_acme as script

pytestmark = pytest.mark.httpx2(assert_all_called=False)

SLACK_ACK_DEADLINE_MS = 3000
RETRY_REASONS = ["http_timeout", "too_many_requests", "http_error", "unknown_error"]


def retry_headers(num: int, reason: str) -> dict[str, str]:
    return {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}


@pytest.mark.parametrize("reason", RETRY_REASONS)
def test_every_retry_of_a_message_gets_one_reply_whether_or_not_the_first_arrived(
    start_bot, claude, reason
):
    bot = start_bot()
    script(claude)
    # Thread A: the first attempt arrives, and its turn is still waiting on Claude when Slack
    # retries it (as after an ack that took too long).
    hold = claude.holds[FIRST] = threading.Event()
    ts_a, mention_a = bot.mention(FIRST)
    assert bot.event(mention_a, event_id="EvA").status == 200
    wait_for(lambda: claude.arrived, what="the first attempt to reach Claude")
    for num in (1, 2, 3):
        answer = bot.event(mention_a, event_id="EvA", headers=retry_headers(num, reason))
        assert answer.status == 200 and answer.elapsed_ms < SLACK_ACK_DEADLINE_MS
    hold.set()
    bot.wait()
    # Thread B: the first attempt never reached the bot; only the retries do.
    ts_b, mention_b = bot.mention(FIRST)
    for num in (1, 2, 3):
        answer = bot.event(mention_b, event_id="EvB", headers=retry_headers(num, reason))
        assert answer.status == 200 and answer.elapsed_ms < SLACK_ACK_DEADLINE_MS
    bot.wait()

    for ts in (ts_a, ts_b):
        assert len(bot.slack.replies_in(ts)) == 1
        assert len(user_messages(bot, ts)) == 1
        assert thread_of(bot, ts).facts == FIRST_FACTS
    assert len(claude.requests) == 2
    assert len(bot.slack.calls_to("reactions.add")) == 2


def test_the_same_event_id_delivered_twice_at_once_gets_one_reply(start_bot, claude):
    bot = start_bot()
    script(claude)
    ts, mention = bot.mention(FIRST)
    answers = at_once(
        lambda: bot.event(mention, event_id="EvTwice"),
        lambda: bot.event(mention, event_id="EvTwice"),
    )
    bot.wait()
    assert [a.status for a in answers] == [200, 200]
    assert len(bot.slack.replies_in(ts)) == 1 and len(claude.requests) == 1
    assert len(user_messages(bot, ts)) == 1
    # and later, once the first is long done
    assert bot.event(mention, event_id="EvTwice").status == 200
    bot.wait()
    assert len(bot.slack.replies_in(ts)) == 1 and len(claude.requests) == 1


def test_one_message_under_two_event_ids_gets_one_reply(start_bot, claude):
    bot = start_bot()
    script(claude)
    ts = bot.open_thread(FIRST)
    # A reply in the thread, delivered twice with different event ids.
    reply_ts, reply = bot.message(ANSWER, thread_ts=ts)
    at_once(lambda: bot.event(reply, event_id="EvOne"), lambda: bot.event(reply, event_id="EvTwo"))
    bot.wait()
    assert len(bot.slack.replies_in(ts)) == 2  # the question, then one verdict
    assert len(claude.requests) == 2
    assert [m.slack_ts for m in user_messages(bot, ts)] == [ts, reply_ts]
    assert thread_of(bot, ts).last_verdict == ACME_VERDICT


def test_a_mention_in_a_thread_as_app_mention_and_message_at_once_gets_one_reply(start_bot, claude):
    bot = start_bot()
    script(claude)
    ts = bot.open_thread(FIRST)
    as_mention, as_message = bot.mention_in_thread(ANSWER, ts)
    at_once(lambda: bot.event(as_mention), lambda: bot.event(as_message))
    bot.wait()
    assert len(bot.slack.replies_in(ts)) == 2
    assert len(claude.requests) == 2
    assert thread_of(bot, ts).last_verdict == ACME_VERDICT


# -- out of order -------------------------------------------------------------------------------


def test_two_replies_delivered_in_reverse_order_are_answered_in_arrival_order(start_bot, claude):
    """Slack delivered the later reply first. The bot answers in arrival order (the later
    reply first, then the earlier one, which then reads only its own words); facts from both
    end in the thread."""
    bot = start_bot()
    script(claude)
    claude.says("~40k labeled", ("labeled_examples", "40000", "~40k labeled"))
    claude.says("91% vs", ("baseline_measured", "true", "we measured haiku"))
    ts = bot.open_thread(FIRST)
    earlier_ts, earlier = bot.message("they have ~40k labeled", thread_ts=ts)
    later_ts, later = bot.message("we measured haiku: 91% vs 93%", thread_ts=ts)
    bot.event(later)
    bot.event(earlier)
    bot.wait()

    _question, first_answer, second_answer = bot.slack.replies_in(ts)
    assert "baseline measured" in str(first_answer["blocks"][0])  # answers `later` first
    assert "40,000 labeled examples" in str(second_answer["blocks"][0])
    assert claude.newest_texts()[1:] == [later["text"], earlier["text"]]
    thread = thread_of(bot, ts)
    assert thread.facts == {**FIRST_FACTS, "labeled_examples": 40_000, "baseline_measured": True}
    assert {m.slack_ts for m in user_messages(bot, ts)} == {ts, earlier_ts, later_ts}


def test_a_correction_delivered_before_the_message_it_corrects_wins(start_bot, claude):
    """The user said 15M, then corrected it to 20M; Slack delivered the correction first.
    The thread must end at 20M, what the user last said."""
    bot = start_bot()
    script(claude)
    claude.says("it's 15M a month", ("monthly_calls", "15000000", "15M a month"))
    claude.says("no, 20M", ("monthly_calls", "20000000", "20M a month"))
    ts = bot.open_thread("Acme wants to fine-tune for support ticket routing")
    _, statement = bot.message("it's 15M a month", thread_ts=ts)
    _, correction = bot.message("no, 20M a month", thread_ts=ts)
    bot.event(correction)
    bot.event(statement)
    bot.wait()
    assert len(bot.slack.replies_in(ts)) == 3
    assert thread_of(bot, ts).facts["monthly_calls"] == 20_000_000


@pytest.mark.xfail(
    strict=True,
    reason="bug: a thread reply that arrives before the mention starting the thread is "
    "dropped unstored (bot/storage.py admit_message returns None when may_start=False)",
)
def test_a_thread_reply_delivered_before_the_mention_that_starts_the_thread_is_kept(
    start_bot, claude
):
    """The mention's first delivery failed; the user's reply in its thread arrived, then
    Slack's retry of the mention. The reply's facts must not be lost: the mention's turn
    reads both messages (one reply), or each gets its own."""
    bot = start_bot()
    script(claude)
    ts, mention = bot.mention(FIRST)
    reply_ts, reply = bot.message(ANSWER, thread_ts=ts)
    assert bot.event(reply).status == 200
    bot.wait()
    assert bot.event(mention, retry=1).status == 200
    bot.wait()

    assert bot.slack.replies_in(ts), "the mention got no reply"
    assert {m.slack_ts for m in user_messages(bot, ts)} == {ts, reply_ts}
    thread = thread_of(bot, ts)
    assert thread.facts["labeled_examples"] == 40_000
    assert thread.last_verdict == ACME_VERDICT
