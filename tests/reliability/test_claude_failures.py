"""Claude failing in every way it can: no fact is lost, and the next message is read together with
the one Claude never answered. With the offline fallback off (FTSCOPE_OFFLINE_FALLBACK=false) the
user gets the outage reply; with it on (the default), a reply read offline in reduced mode.

Failures a retry can fix (429, 529, 5xx, timeouts, a dropped connection) are retried once
(FTSCOPE_CLAUDE_MAX_RETRIES=1), so each is scripted twice; a 4xx or an answer that isn't the
agreed JSON is not retried.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpcore2
import httpx
import pytest

from tests.fakes.acme import HEADLINE as ACME_HEADLINE
from tests.fakes.acme import VERDICT as ACME_VERDICT
from tests.reliability.support import (
    ANSWER,
    FIRST,
    FIRST_FACTS,
    assert_well_formed,
    claude_error,
    claude_message,
    thread_of,
    unread,
)
from tests.reliability.support import script_acme as script

pytestmark = pytest.mark.httpx2(assert_all_called=False)

RETRIED = 2  # the attempt and its one retry
FAILURES: dict[str, tuple[Callable[[], httpx.Response | Exception], int]] = {
    "429": (lambda: claude_error(429, "rate_limit_error", **{"retry-after-ms": "1"}), RETRIED),
    "529": (lambda: claude_error(529, "overloaded_error", **{"retry-after-ms": "1"}), RETRIED),
    "500": (lambda: claude_error(500, "api_error", **{"retry-after-ms": "1"}), RETRIED),
    "read-timeout": (lambda: httpcore2.ReadTimeout("timed out"), RETRIED),
    "connect-refused": (lambda: httpcore2.ConnectError("connection refused"), RETRIED),
    "401-bad-key": (lambda: claude_error(401, "authentication_error"), 1),
    "400-bad-request": (lambda: claude_error(400, "invalid_request_error"), 1),
}
# Answers that are not the agreed JSON (or are JSON of the wrong shape), each a 200.
MALFORMED: dict[str, str | tuple[str, str]] = {
    "prose": "Sure! Here are the facts: they have 40k labeled examples.",
    "truncated-json": ('{"updates": [{"field": "labeled_examples", "va', "max_tokens"),
    "no-content": ("", "refusal"),
    "json-in-a-code-fence": '```json\n{"updates": [], "question": ""}\n```',
    "json-array": "[]",
    "json-null": "null",
    "facts-object-instead-of-updates": json.dumps({"facts": {"labeled_examples": 40000}}),
    "updates-as-a-string": json.dumps({"updates": "labeled_examples=40000"}),
    "update-without-value-and-quote": json.dumps({"updates": [{"field": "labeled_examples"}]}),
    "update-value-a-number": json.dumps(
        {"updates": [{"field": "labeled_examples", "value": 4e4, "quote": "40k"}]}
    ),
    "update-not-an-object": json.dumps({"updates": ["labeled_examples", 40000]}),
}


def assert_outage_reply(post: dict, facts: int) -> None:
    assert_well_formed([post])
    assert "couldn't reach Claude" in post["text"]
    assert f"({facts} fact{'s' if facts != 1 else ''})" in post["text"]


def test_each_claude_failure_keeps_the_facts_and_the_next_message_resumes(start_bot, claude):
    """Each failure in a thread of its own, on one bot: which also shows that no failure
    leaves the bot (its client, its workers) unable to serve the next thread."""
    bot = start_bot(claude_max_retries=1, offline_fallback=False)
    script(claude)
    for failure, (make, calls) in FAILURES.items():
        ts = bot.open_thread(FIRST)
        claude.failures.extend(make() for _ in range(calls))

        bot.say(ANSWER, ts)
        assert claude.failures == [], f"{failure}: retried more or less than expected"
        assert_outage_reply(bot.slack.replies_in(ts)[-1], facts=3)
        thread = thread_of(bot, ts)
        assert thread.facts == FIRST_FACTS and thread.last_verdict == "need_info", failure
        assert unread(bot, ts) == [ANSWER], failure  # stored, waiting to be read

        bot.say("did you get that?", ts)
        assert claude.newest_texts()[-1] == f"{ANSWER}\n\ndid you get that?", failure
        verdict = bot.slack.replies_in(ts)[-1]
        assert_well_formed([verdict])
        assert verdict["text"].startswith(f"Verdict: {ACME_HEADLINE} · "), failure
        thread = thread_of(bot, ts)
        assert thread.last_verdict == thread.shown_verdict == ACME_VERDICT, failure
        assert thread.facts["labeled_examples"] == 40_000 and len(thread.facts) == 11, failure
        assert unread(bot, ts) == [], failure
        # question, outage, verdict: one reply per message
        assert len(bot.slack.replies_in(ts)) == 3, failure


def test_an_outage_on_the_first_message_of_a_thread_loses_nothing(start_bot, claude):
    bot = start_bot(offline_fallback=False)
    script(claude)
    claude.failures.extend([claude_error(529, "overloaded_error", **{"retry-after-ms": "1"})] * 2)
    bot.command(FIRST)
    bot.wait()
    parent, outage = bot.slack.posts()
    assert "thread_ts" not in parent
    ts = outage["thread_ts"]
    assert_outage_reply(outage, facts=0)
    assert unread(bot, ts) == [FIRST]

    bot.say(ANSWER, ts)
    assert claude.newest_texts()[-1] == f"{FIRST}\n\n{ANSWER}"
    thread = thread_of(bot, ts)
    assert thread.last_verdict == ACME_VERDICT and thread.facts["monthly_calls"] == 15_000_000
    assert_well_formed(bot.slack.posts())


def test_every_malformed_answer_is_an_outage_and_the_next_good_turn_reads_them_all(
    start_bot, claude
):
    bot = start_bot(offline_fallback=False)
    script(claude)
    ts = bot.open_thread(FIRST)
    said = []
    for name, answer in MALFORMED.items():
        text, stop = (answer, "end_turn") if isinstance(answer, str) else answer
        claude.failures.append(claude_message(text, stop))
        said.append(f"here is what I know ({name})")
        bot.say(said[-1], ts)
        assert claude.failures == [], f"{name}: retried"
        assert_outage_reply(bot.slack.replies_in(ts)[-1], facts=3)
        assert thread_of(bot, ts).facts == FIRST_FACTS, name
        assert unread(bot, ts) == said, name

    bot.say(ANSWER, ts)
    assert claude.newest_texts()[-1] == "\n\n".join([*said, ANSWER])
    thread = thread_of(bot, ts)
    assert thread.last_verdict == ACME_VERDICT and len(thread.facts) == 11
    assert unread(bot, ts) == []
    assert len(bot.slack.replies_in(ts)) == len(MALFORMED) + 2  # one reply per message
    assert_well_formed(bot.slack.posts())


def test_an_overload_that_clears_on_the_retry_is_invisible_to_the_user(start_bot, claude):
    bot = start_bot()
    script(claude)
    ts = bot.open_thread(FIRST)
    claude.failures.append(claude_error(529, "overloaded_error", **{"retry-after-ms": "1"}))
    bot.say(ANSWER, ts)
    replies = bot.slack.replies_in(ts)
    assert len(replies) == 2 and replies[-1]["text"].startswith(f"Verdict: {ACME_HEADLINE}")
    now = datetime.now(UTC)
    # the failed attempt cost nothing; both answered calls are on the bill
    assert bot.store.usage.between(now - timedelta(hours=1), now + timedelta(hours=1)).calls == 2


def test_a_long_retry_after_from_claude_is_not_waited_out_past_the_turn(start_bot, claude):
    """A 429 asking for a minute: the user hears about the outage now, not in a minute."""
    bot = start_bot(claude_timeout_s=5, offline_fallback=False)
    script(claude)
    ts = bot.open_thread(FIRST)
    claude.failures.append(claude_error(429, "rate_limit_error", **{"retry-after": "60"}))
    started = time.monotonic()
    bot.say(ANSWER, ts)
    assert time.monotonic() - started < 4
    assert len(claude.requests) == 2  # the first turn, and one attempt: no retry
    assert_outage_reply(bot.slack.replies_in(ts)[-1], facts=3)
    assert unread(bot, ts) == [ANSWER]


def test_in_reduced_mode_a_failed_turn_is_read_offline_and_claude_reads_it_again_later(
    start_bot, claude
):
    """The default (FTSCOPE_OFFLINE_FALLBACK on): the user gets a verdict from the offline
    reader, marked as reduced mode, and once Claude answers again it reads that message too."""
    bot = start_bot()
    script(claude)
    ts = bot.open_thread(FIRST)
    claude.failures.extend(FAILURES["529"][0]() for _ in range(RETRIED))

    bot.say(ANSWER, ts)
    reduced = bot.slack.replies_in(ts)[-1]
    assert_well_formed([reduced])
    assert reduced["text"].startswith(f"Verdict: {ACME_HEADLINE} · ")
    assert "Reduced mode: I couldn't reach Claude" in json.dumps(reduced["blocks"])
    thread = thread_of(bot, ts)
    assert thread.last_verdict == thread.shown_verdict == ACME_VERDICT
    assert thread.facts["labeled_examples"] == 40_000  # read by the patterns

    bot.say("did you get that?", ts)
    request = claude.requests[-1]
    assert claude.newest_texts()[-1] == f"{ANSWER}\n\ndid you get that?"
    # the offline read is not replayed to Claude as if Claude had written it
    assert not any("offline" in json.dumps(m) for m in request["messages"])
    answered = bot.slack.replies_in(ts)[-1]
    assert_well_formed([answered])
    assert "Reduced mode" not in json.dumps(answered["blocks"])
    thread = thread_of(bot, ts)
    assert thread.last_verdict == ACME_VERDICT and len(thread.facts) == 11
    assert len(bot.slack.replies_in(ts)) == 3  # question, reduced verdict, verdict
