"""Reduced mode, the check on Claude's numbers, and the notes on how a number was read.

Turns run through the conversation service on SQLite and PostgreSQL, with a scripted stand-in
for Claude (see test_conversation.py) and the real offline extractor as the fallback.
"""

import json

import pytest

from bot.conversation import Conversation, Turn
from bot.offline import OfflineExtractor, is_offline_read
from tests.bot.test_conversation import (
    ANSWER,
    FIRST,
    SCRIPT,
    ScriptedExtractor,
    Thread,
    check_golden,
    valid,
)
from tests.fakes.acme import VERDICT as ACME_VERDICT


@pytest.fixture
def claude():
    return ScriptedExtractor()


@pytest.fixture
def conversation(store, claude, prices, assumptions):
    return Conversation(
        store,
        claude,
        lambda: prices,
        assumptions,
        fallback=OfflineExtractor("outage"),
        cross_check=True,
    )


def test_claude_down_the_turn_is_read_offline_and_says_reduced_mode(
    conversation, claude, store, update_golden
):
    thread = Thread(conversation)
    thread.say(FIRST)
    claude.down = True
    reply = thread.say(ANSWER)
    assert reply.kind == "verdict" and reply.decision.verdict == ACME_VERDICT
    assert reply.reduced == "outage"
    assert reply.usage is None  # no Claude call was billed
    learned = {a.field: a.value for a in reply.learned}
    assert learned["labeled_examples"] == 40_000 and learned["cached_prefix_tokens"] == 450
    check_golden("turn-reduced.blocks.json", valid(reply.blocks), update_golden)
    assert "Reduced mode: I couldn't reach Claude" in reply.terminal
    messages = store.threads.messages(reply.thread_id)
    assert is_offline_read(messages[-2].extraction)  # the user's message, before the reply


def test_once_claude_is_back_it_reads_the_reduced_mode_messages_again(conversation, claude):
    thread = Thread(conversation)
    thread.say(FIRST)
    claude.down = True
    thread.say(ANSWER)
    claude.down = False
    reply = thread.say("ok?")
    history, sent = claude.sent[-1]
    assert sent == f"{ANSWER}\n\nok?"
    assert [h.user_text for h in history] == [FIRST]  # the offline read is not replayed
    assert reply.reduced is None
    assert reply.decision.verdict == ACME_VERDICT


def test_without_a_fallback_an_outage_keeps_the_facts_and_says_so(
    store, claude, prices, assumptions
):
    conversation = Conversation(store, claude, lambda: prices, assumptions)
    thread = Thread(conversation)
    thread.say(FIRST)
    claude.down = True
    reply = thread.say(ANSWER)
    assert reply.kind == "outage" and "couldn't reach Claude" in reply.text


def test_a_number_claude_gives_the_wrong_fact_is_flagged_but_kept(
    conversation, claude, update_golden, monkeypatch
):
    # A sloppy reading: the headcount as the monthly volume. Its number is in the user's words,
    # so provenance lets it through; the offline reader finds no volume there.
    monkeypatch.setitem(
        SCRIPT,
        "300-person",
        [
            ("task_type", "classification", "support triage"),
            ("monthly_calls", "300", "300-person company"),
            ("labeled_examples", "40000", "40k labeled tickets"),
        ],
    )
    reply = Thread(conversation).say(
        "support triage for a 300-person company, they have 40k labeled tickets"
    )
    assert [a.field for a in reply.unconfirmed] == ["monthly_calls"]
    assert reply.decision.facts.monthly_calls == 300  # flagged, not refused
    text = reply.terminal
    assert (
        "Please check monthly calls 300 (“300-person company”): my pattern check couldn't "
        "confirm that reading." in text
    )
    check_golden("turn-flagged.blocks.json", valid(reply.blocks), update_golden)


def test_numbers_both_readers_agree_on_are_not_flagged(conversation):
    thread = Thread(conversation)
    thread.say(FIRST)
    reply = thread.say(ANSWER)
    assert reply.unconfirmed == []
    assert "Please check" not in json.dumps(reply.blocks)


def test_the_reply_says_which_end_of_a_range_it_took(conversation, monkeypatch):
    monkeypatch.setitem(
        SCRIPT,
        "claims",
        [
            ("task_type", "classification", "classification of claims"),
            ("monthly_calls", "10000000", "10-20M calls a month"),
        ],
    )
    reply = Thread(conversation).say(
        "somewhere between 10-20M calls a month, classification of claims"
    )
    assert reply.notes == ["took the low end of “10-20M calls a month”"]
    assert "Note: I took the low end of “10-20M calls a month”." in reply.terminal


def test_offline_extractor_alone_reads_a_whole_thread(store, prices, assumptions):
    conversation = Conversation(store, OfflineExtractor(), lambda: prices, assumptions)
    thread = Thread(conversation)
    first = thread.say(FIRST)
    reply = thread.say(ANSWER)
    assert reply.decision.verdict == ACME_VERDICT
    assert reply.reduced == "no_key"
    # the notice once per thread: quiet by default
    assert "Reduced mode (no Claude key is set)" in first.terminal
    assert "Reduced mode" not in reply.terminal
    facts = reply.decision.facts
    assert (facts.monthly_calls, facts.labeled_examples, facts.input_tokens) == (
        15_000_000,
        40_000,
        600,
    )


def test_what_only_the_patterns_read_is_dropped_when_claude_reads_it_again(conversation, claude):
    thread = Thread(conversation)
    thread.say(FIRST)
    claude.down = True
    reduced = thread.say("they need answers in under a second, nothing else yet")
    assert reduced.decision.facts.first_token_ms == 1000  # the patterns' reading
    claude.down = False
    reply = thread.say("ok?")
    _, sent = claude.sent[-1]
    assert sent.startswith("they need answers in under a second")
    # Claude (scripted) finds no latency there: the offline-only fact goes, and the reply says so
    assert reply.decision.facts.first_token_ms is None
    assert reply.dropped == [("first_token_ms", 1000)]
    assert (
        "Note: I dropped first-token budget 1,000 ms, which only my patterns had read: Claude, "
        "reading that message again, didn't find it." in reply.terminal
    )


def test_messages_read_offline_are_read_again_even_with_the_fallback_turned_off(
    store, claude, prices, assumptions, conversation
):
    thread = Thread(conversation)
    thread.say(FIRST)
    claude.down = True
    thread.say(ANSWER)
    # a restart with FTSCOPE_OFFLINE_FALLBACK=false: no fallback, same thread
    claude.down = False
    restarted = Conversation(store, claude, lambda: prices, assumptions)
    reply = restarted.take(Turn("T1", "C1", thread.thread_ts, "U1", "ok?", "100.000009"))
    _, sent = claude.sent[-1]
    assert sent == f"{ANSWER}\n\nok?"
    assert reply.decision.verdict == ACME_VERDICT


def test_a_bare_answer_to_the_bots_question_is_not_flagged(conversation, claude, monkeypatch):
    monkeypatch.setitem(SCRIPT, "roughly 40,000", [("labeled_examples", "40000", "roughly 40,000")])
    thread = Thread(conversation)
    thread.say(FIRST)
    reply = thread.say("roughly 40,000")
    assert reply.decision.facts.labeled_examples == 40_000
    assert reply.unconfirmed == []


def test_a_note_quoting_the_user_is_escaped_in_slack(store, prices, assumptions):
    conversation = Conversation(store, OfflineExtractor(), lambda: prices, assumptions)
    reply = Thread(conversation).say("<!channel> each prompt is around 8,000 characters")
    blocks = json.dumps(reply.blocks)
    assert "&lt;!channel&gt; each prompt is around 8,000 characters" in blocks
    assert "<!channel>" not in blocks
