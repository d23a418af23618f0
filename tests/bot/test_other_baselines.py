"""Quality measured on other models, through the conversation: model by model, across turns."""

import pytest

from bot.conversation import Conversation
from bot.offline import OfflineExtractor
from tests.bot.test_conversation import Thread


@pytest.fixture
def conversation(store, prices, assumptions):
    return Conversation(store, OfflineExtractor(), lambda: prices, assumptions)


def facts(reply, store):
    thread = store.threads.find("T1", "C1", "100.000001")
    assert thread is not None and thread.id == reply.thread_id
    return thread.facts


def test_scores_of_other_models_accumulate_model_by_model(conversation, store):
    thread = Thread(conversation)
    thread.say("Acme wants to fine-tune for support ticket routing, ~15M tickets/mo")
    reply = thread.say("we ran haiku 4.5, 88% vs their 93% bar. they have ~40k labeled")
    assert facts(reply, store)["baseline_quality"] == 0.88

    reply = thread.say("haiku 5.5 got 91% on the same eval")
    assert facts(reply, store)["other_baselines"] == {"claude-haiku-5-5": 0.91}
    assert [(a.field, a.value) for a in reply.learned] == [
        ("other_baselines", {"claude-haiku-5-5": 0.91})
    ]
    assert facts(reply, store)["baseline_quality"] == 0.88  # the frontier's stays its own

    # one more model is something learned, not a correction of the first
    reply = thread.say("and sonnet 4.5 came in at 94%")
    assert facts(reply, store)["other_baselines"] == {
        "claude-haiku-5-5": 0.91,
        "claude-sonnet-4-5": 0.94,
    }
    assert reply.changes == []
    assert [a.value for a in reply.learned] == [{"claude-sonnet-4-5": 0.94}]

    # a corrected score is a correction
    reply = thread.say("sorry, haiku 5.5 was 89%, not 91%")
    assert facts(reply, store)["other_baselines"] == {
        "claude-haiku-5-5": 0.89,
        "claude-sonnet-4-5": 0.94,
    }
    ((field, old, new),) = [(c.field, c.old, c.new) for c in reply.changes]
    assert field == "other_baselines"
    assert old["claude-haiku-5-5"] == 0.91 and new["claude-haiku-5-5"] == 0.89


def test_a_score_of_a_model_the_sheet_does_not_price_is_left_out_with_why(conversation, store):
    thread = Thread(conversation)
    thread.say("Acme routes ~15M tickets/mo, they're on haiku 4.5 at 88% vs a 93% bar")
    reply = thread.say("claude-fable-9 hit 97% in a bakeoff, and haiku 5.5 got 91%")
    assert facts(reply, store)["other_baselines"] == {"claude-haiku-5-5": 0.91}
    assert [(r.field, r.why) for r in reply.rejected] == [
        ("other_baselines", "the price sheet has no such model")
    ]


def test_batch_and_schema_are_facts_of_the_thread(conversation, store):
    thread = Thread(conversation)
    thread.say("Tallis wants a fine-tune for pulling line items out of invoices, ~14M/mo")
    reply = thread.say(
        "it runs nightly, results by morning are fine. output is JSON into their ERP"
    )
    known = facts(reply, store)
    assert known["batch_ok"] is True and known["format_schema"] is True
