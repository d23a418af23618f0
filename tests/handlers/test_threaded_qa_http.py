"""Threaded Q&A through the HTTP endpoint: questions, what-ifs, commands and talk that isn't
for the bot, with signed payloads, the Slack fake and the Claude fake."""

import json

import pytest

from tests.fakes.acme import ANSWER, FIRST, script_acme
from tests.fakes.harness import BOT_USER_ID, CHANNEL, TEAM_ID
from tests.fakes.threads import workloads


def text_of(post: dict) -> str:
    return json.dumps(post.get("blocks", []), ensure_ascii=False) + post.get("text", "")


@pytest.fixture
def decided(start_bot, claude):
    """The Acme thread, scoped to its verdict; (bot, thread ts, Claude calls so far)."""
    bot = start_bot()
    script_acme(claude)
    assert bot.command(FIRST).status == 200
    bot.wait()
    thread_ts = next(p for p in bot.slack.posts() if p.get("thread_ts"))["thread_ts"]
    bot.say(ANSWER, thread_ts)
    return bot, thread_ts, len(claude.requests)


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("why?", "By the playbook: "),
        ("how did you get $27,500?", "Build cost: $27,500"),
        ("what should I tell them?", "What to tell them:"),
        ("what would flip it?", "What would have to be true"),
    ],
)
def test_a_question_in_the_thread_is_answered_from_the_decision(
    decided, claude, question, answered
):
    bot, thread_ts, calls = decided
    bot.say(question, thread_ts)
    reply = bot.slack.replies_in(thread_ts)[-1]
    assert answered in text_of(reply)
    assert len(claude.requests) == calls  # answered by code: no Claude call


def test_a_what_if_is_labelled_and_use_that_keeps_it(decided, claude):
    bot, thread_ts, _ = decided
    bot.say("what if volume doubles?", thread_ts)
    hypothetical = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "If monthly calls 15,000,000 → 30,000,000:" in hypothetical
    assert "The thread's facts are unchanged" in hypothetical
    thread = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts)
    assert thread.facts["monthly_calls"] == 15_000_000
    bot.say("use that", thread_ts)
    assert "*monthly calls 15,000,000 → 30,000,000*" in text_of(bot.slack.replies_in(thread_ts)[-1])
    assert bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts["monthly_calls"] == (
        30_000_000
    )


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("show facts", "Here's what I have:"),
        ("summary for the client", "We recommend measuring"),
        ("help", "/ftscope"),
        ("start over", "Starting over: I've cleared "),
        ("new workload", "Workload 2 of this thread: I've set the one before aside as it was"),
        ("undo", "Undone: the facts are back as they were before their last change."),
    ],
)
def test_commands_in_the_thread(decided, claude, command, said):
    bot, thread_ts, calls = decided
    bot.say(command, thread_ts)
    assert said in text_of(bot.slack.replies_in(thread_ts)[-1])
    assert len(claude.requests) == calls


def test_start_over_clears_the_facts_and_the_next_message_scopes_afresh(decided, claude):
    bot, thread_ts, _ = decided
    bot.say("start over", thread_ts)
    assert bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts == {}
    assert "To decide I still need:" in text_of(bot.slack.replies_in(thread_ts)[-1])


def test_thanks_after_a_what_if_gets_no_reply(decided, claude):
    bot, thread_ts, calls = decided
    bot.say("what if 300k a month?", thread_ts)  # no case for a fine-tune: Prompt
    assert "If monthly calls 15,000,000 → 300,000: *Prompt" in text_of(
        bot.slack.replies_in(thread_ts)[-1]
    )
    replies = len(bot.slack.replies_in(thread_ts))
    bot.say("thanks!", thread_ts)  # nothing to say: the thread's own verdict was seen already
    assert len(bot.slack.replies_in(thread_ts)) == replies
    assert len(claude.requests) == calls


@pytest.mark.parametrize("text", ["thanks!", "<@U3> can you confirm with the client?", "ty 🙏"])
def test_talk_that_is_not_for_the_bot_gets_no_post_and_no_claude_call(decided, claude, text):
    bot, thread_ts, calls = decided
    replies = len(bot.slack.replies_in(thread_ts))
    bot.say(text, thread_ts)
    assert len(bot.slack.replies_in(thread_ts)) == replies
    assert len(claude.requests) == calls


def test_talk_only_claude_recognises_as_chatter_gets_no_post(decided, claude):
    """The keywords read "gonna grab lunch" as facts; Claude, in the same call that would read
    them, says it is chatter: nothing is posted and no fact changes."""
    bot, thread_ts, calls = decided
    claude.reads_as("grab lunch", "chatter")
    replies = len(bot.slack.replies_in(thread_ts))
    bot.say("gonna grab lunch, brb", thread_ts)
    assert len(claude.requests) == calls + 1  # one call, as for any message with facts
    assert len(bot.slack.replies_in(thread_ts)) == replies


def test_a_what_if_only_claude_recognises_is_supposed_not_kept(decided, claude):
    bot, thread_ts, _ = decided
    claude.says("suppose they ran it overnight", ("batch_ok", "true", "ran it overnight"))
    claude.reads_as("suppose they ran it overnight", "what_if")
    bot.say("suppose they ran it overnight", thread_ts)
    reply = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "The thread's facts are unchanged" in reply
    assert "batch_ok" not in bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts


def test_a_shared_client_message_is_read_when_the_bot_is_asked_to_scope_it(start_bot, claude):
    bot = start_bot()
    script_acme(claude)
    ts, event = bot.mention("can you scope this one?")
    event["attachments"] = [{"is_share": True, "author_id": "U0CLIENT", "text": FIRST}]
    assert bot.event(event).status == 200
    bot.wait()
    assert FIRST in claude.newest_texts()[-1]
    thread = bot.store.threads.find(TEAM_ID, CHANNEL, ts)
    assert thread.facts["monthly_calls"] == 15_000_000


def test_slackbots_dm_starts_nothing(start_bot):
    bot = start_bot()
    _, event = bot.message(
        "You have been removed from #testing by <@U0ADMIN>",
        thread_ts=None,
        channel="D0SLACKBOT",
        channel_type="im",
        user="USLACKBOT",
    )
    assert bot.event(event).status == 200
    bot.wait()
    assert bot.slack.posts() == []  # no reply, no outage: no Claude call was even tried


@pytest.mark.parametrize("where", ["mention", "dm"])
def test_help_alone_is_help_everywhere(start_bot, where):
    bot = start_bot()
    if where == "mention":
        _, event = bot.mention("help")
    else:
        _, event = bot.message("help", thread_ts=None, channel="D0DM", channel_type="im")
    assert bot.event(event).status == 200
    bot.wait()
    [post] = bot.slack.posts()
    assert "/ftscope" in post["text"]  # the help, not an outage: Claude was never called
    assert bot.store.threads.find(TEAM_ID, event["channel"], event["ts"]) is None


def test_the_bots_mention_is_not_someone_else(decided, claude):
    bot, thread_ts, calls = decided
    _, event = bot.mention("why?", thread_ts=thread_ts)
    assert event["text"].startswith(f"<@{BOT_USER_ID}>")
    assert bot.event(event).status == 200
    bot.wait()
    assert "By the playbook: " in text_of(bot.slack.replies_in(thread_ts)[-1])
    assert len(claude.requests) == calls


def edit_event(bot, thread_ts: str, ts: str, old: str, new: str) -> dict:
    _, event = bot.message("", thread_ts=None)
    event.pop("user")
    event.update(
        subtype="message_changed",
        message={
            "type": "message",
            "user": "U0SALES",
            "text": new,
            "ts": ts,
            "thread_ts": thread_ts,
        },
        previous_message={
            "type": "message",
            "user": "U0SALES",
            "text": old,
            "ts": ts,
            "thread_ts": thread_ts,
        },
    )
    return event


def answer_ts(bot, thread_ts: str) -> str:
    """The ts of the thread's answer (ANSWER), as the bot stored it."""
    thread = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts)
    return next(m.slack_ts for m in bot.store.threads.messages(thread.id) if m.text == ANSWER)


def test_an_edited_message_is_read_again_and_the_reply_says_what_changed(decided, claude):
    bot, thread_ts, _ = decided
    claude.says("~4k labeled", ("labeled_examples", "4000", "~4k labeled"))
    ts = answer_ts(bot, thread_ts)
    new = ANSWER.replace("~40k labeled", "~4k labeled")
    event = edit_event(bot, thread_ts, ts, ANSWER, new)
    event["message"]["user"] = event["previous_message"]["user"] = bot.store.threads.find(
        TEAM_ID, CHANNEL, thread_ts
    ).started_by
    assert bot.event(event).status == 200
    bot.wait()
    reply = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "You edited your message, so I read it again." in reply
    assert "labeled examples 40,000 → 4,000" in reply
    assert bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts["labeled_examples"] == 4_000
    # Slack retries the same edit: answered once
    replies = len(bot.slack.replies_in(thread_ts))
    assert bot.event(event, retry=1).status == 200
    bot.wait()
    assert len(bot.slack.replies_in(thread_ts)) == replies


def test_a_deleted_message_withdraws_its_facts_and_the_thread_is_told(decided, claude):
    bot, thread_ts, _ = decided
    ts = answer_ts(bot, thread_ts)
    _, event = bot.message("", thread_ts=None)
    user = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).started_by
    event.pop("user")
    event.update(
        subtype="message_deleted",
        deleted_ts=ts,
        previous_message={
            "type": "message",
            "user": user,
            "text": ANSWER,
            "ts": ts,
            "thread_ts": thread_ts,
        },
    )
    assert bot.event(event).status == 200
    bot.wait()
    reply = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "Your message was deleted, so I withdrew what only it said." in reply
    facts = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts
    assert "labeled_examples" not in facts and facts["monthly_calls"] == 15_000_000


def dm(bot, text: str) -> str:
    ts, event = bot.message(text, thread_ts=None, channel="D0DM", channel_type="im")
    assert bot.event(event).status == 200
    bot.wait()
    return ts


def test_a_dm_follow_up_continues_the_open_scoping_and_a_new_request_starts_another(
    start_bot, claude
):
    bot = start_bot()
    script_acme(claude)
    first = dm(bot, FIRST)
    dm(bot, ANSWER)  # sent as a new message, the way people answer in a DM
    acme = bot.store.threads.find(TEAM_ID, "D0DM", first)
    assert acme.last_verdict == "measure_baseline" and acme.facts["labeled_examples"] == 40_000
    continued = bot.slack.posts()[-1]
    assert "thread_ts" not in continued
    assert "(Continuing your scoping of Acme: support ticket routing.)" in text_of(continued)

    claude.says(
        "Globex",
        ("use_case", "Globex: invoice totals", "Globex wants to pull totals out of invoices"),
        ("task_type", "extraction", "pull totals out of invoices"),
    )
    other = dm(bot, "Globex wants to pull totals out of invoices, about 2M a month")
    assert "(A new scoping: this reads as another workload" in text_of(bot.slack.posts()[-1])
    globex = bot.store.threads.find(TEAM_ID, "D0DM", other)
    assert globex.facts["task_type"] == "extraction"
    assert bot.store.threads.find(TEAM_ID, "D0DM", first).facts == acme.facts  # kept apart


def test_a_fact_nobody_knows_is_taken_back_and_the_reply_says_so(decided, claude):
    bot, thread_ts, _ = decided
    words = "we don't actually know the volume"
    claude.says(words, ("monthly_calls", "unknown", words))
    bot.say(f"hmm, {words} yet, they're checking", thread_ts)
    reply = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "monthly calls 15,000,000 → unknown" in reply
    assert "How many calls a month in production?" in reply
    assert "monthly_calls" not in bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts


def test_a_clash_asks_one_question_and_the_thread_goes_on(start_bot, claude):
    """The issue's stuck thread: a cached prefix read larger than the input the task type
    assumes. The reply asks about it and still asks for the rest; the input settles it."""
    bot = start_bot()
    script_acme(claude)
    bot.command(FIRST)
    bot.wait()
    thread_ts = next(p for p in bot.slack.posts() if p.get("thread_ts"))["thread_ts"]
    claude.says("5000 tokens", ("cached_prefix_tokens", "5000", "5000 tokens"))
    bot.say("the instructions are 5000 tokens, all cached", thread_ts)
    asked = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "One thing doesn't fit: cached prompt tokens must be ≤ input tokens (500" in asked
    assert "How many labeled examples" in asked
    claude.says("~6000 tokens in", ("input_tokens", "6000", "~6000 tokens in"))
    bot.say("~6000 tokens in", thread_ts)
    facts = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts
    assert facts["cached_prefix_tokens"] == 5000 and facts["input_tokens"] == 6000
    assert "doesn't fit" not in text_of(bot.slack.replies_in(thread_ts)[-1])


@pytest.mark.parametrize(
    "text",
    [
        "new workload: Globex pulls totals out of 2M invoices a month",
        # Slack keeps the line break; so must the bot, or all of it reads as workload 1's
        "new workload\nGlobex pulls totals out of 2M invoices a month",
    ],
)
def test_a_new_workload_in_the_thread_is_kept_apart_from_the_first(decided, claude, text):
    bot, thread_ts, _ = decided
    claude.says("2M invoices", ("monthly_calls", "2000000", "2M invoices a month"))
    bot.say(text, thread_ts)
    reply = text_of(bot.slack.replies_in(thread_ts)[-1])
    assert "(Workload 2 of this thread: the one before is set aside as it was.)" in reply
    first, second = workloads(bot.store, TEAM_ID, CHANNEL, thread_ts)
    assert first.status == "closed" and first.facts["monthly_calls"] == 15_000_000
    assert second.facts["monthly_calls"] == 2_000_000
    assert "Globex" in claude.newest_texts()[-1]
