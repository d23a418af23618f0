"""Slack answering `ratelimited` (HTTP 429 with Retry-After): the post is retried after the wait
Slack asked for, and lands once. Reactions are cosmetic: never retried, never in the way."""

from __future__ import annotations

import time

import pytest

from tests.fakes.acme import HEADLINE as ACME_HEADLINE
from tests.fakes.acme import VERDICT as ACME_VERDICT
from tests.reliability.support import (
    ANSWER,
    FIRST,
    assert_well_formed,
    thread_of,
    wait_for,
)
from tests.reliability.support import script_acme as script

pytestmark = pytest.mark.httpx2(assert_all_called=False)


def statuses(bot, method: str) -> list[int]:
    return [c.status for c in bot.slack.calls_to(method)]


def test_a_rate_limited_verdict_is_posted_once_after_the_wait_slack_asked_for(start_bot, claude):
    bot = start_bot()
    script(claude)
    ts = bot.open_thread(FIRST)
    bot.slack.rate_limit("chat.postMessage", retry_after=1)

    _, answer = bot.message(ANSWER, thread_ts=ts)
    started = time.monotonic()
    bot.event(answer)
    # While that worker sits out the rate limit, another thread is acked and answered.
    wait_for(lambda: statuses(bot, "chat.postMessage")[-1] == 429, what="the 429")
    other_ts, other = bot.mention(FIRST)
    assert bot.event(other).elapsed_ms < 3000
    bot.wait()
    waited = time.monotonic() - started

    assert waited >= 1.0, "the retry didn't wait for Retry-After"
    assert statuses(bot, "chat.postMessage") == [200, 429, 200, 200]
    verdict, *_ = bot.slack.replies_in(ts)[1:]
    assert len(bot.slack.replies_in(ts)) == 2 and len(bot.slack.replies_in(other_ts)) == 1
    assert verdict["text"].startswith(f"Verdict: {ACME_HEADLINE} · ")
    assert_well_formed(bot.slack.posts())
    thread = thread_of(bot, ts)
    assert thread.last_verdict == thread.shown_verdict == ACME_VERDICT


def test_two_rate_limits_in_a_row_still_post_the_reply_once(start_bot, claude):
    bot = start_bot()
    script(claude)
    bot.slack.rate_limit("chat.postMessage", retry_after=0, times=2)
    ts = bot.open_thread(FIRST)
    assert statuses(bot, "chat.postMessage") == [429, 429, 200]
    assert len(bot.slack.replies_in(ts)) == 1
    assert thread_of(bot, ts).facts["monthly_calls"] == 15_000_000
    assert bot.slack.calls_to("chat.postEphemeral") == []  # nothing to apologise for


def test_a_rate_limited_ftscope_parent_is_posted_once_and_its_thread_answered(start_bot, claude):
    bot = start_bot()
    script(claude)
    bot.slack.rate_limit("chat.postMessage", retry_after=0)
    bot.command(FIRST)
    bot.wait()
    assert statuses(bot, "chat.postMessage") == [429, 200, 200]
    parent, reply = bot.slack.posts()
    assert "thread_ts" not in parent
    ts = reply["thread_ts"]
    assert ts == bot.slack.calls_to("chat.postMessage")[1].response["ts"]
    assert thread_of(bot, ts).facts["monthly_calls"] == 15_000_000
    assert bot.slack.calls_to("/response/cmd") == []  # no "couldn't post" hint


def test_a_rate_limited_reaction_is_not_retried_and_the_reply_still_goes_out(start_bot, claude):
    bot = start_bot()
    script(claude)
    bot.slack.rate_limit("reactions.add", retry_after=30)
    ts, mention = bot.mention(FIRST)
    started = time.monotonic()
    bot.event(mention)
    bot.wait()
    assert time.monotonic() - started < 5  # the 30 s Retry-After was not waited out
    assert statuses(bot, "reactions.add") == [429]
    assert bot.slack.calls_to("reactions.remove") == []  # nothing to take off
    assert len(bot.slack.replies_in(ts)) == 1
