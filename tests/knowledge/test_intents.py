"""The offline intent reader: what a message asks of the bot, and what a what-if supposes."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intent_eval import (
    INTENT_FLOORS,
    INTENT_SUITES,
    IntentCase,
    intent_table,
    load_intent_cases,
    score_intents,
)
from knowledge.facts import Facts
from knowledge.intents import Command, Intent, MessageIntent, Topic
from knowledge.reader.intent import read_intent, read_what_if, workload_described

FACTS = MessageIntent(Intent.facts)
CHATTER = MessageIntent(Intent.chatter)
WHAT_IF = MessageIntent(Intent.what_if)


def question(topic: Topic) -> MessageIntent:
    return MessageIntent(Intent.question, topic=topic)


def command(which: Command) -> MessageIntent:
    return MessageIntent(Intent.command, command=which)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # questions about the verdict, by topic
        ("why?", question(Topic.why)),
        ("how come it says prompt", question(Topic.why)),
        ("how did you get $27,500?", question(Topic.math)),
        ("show me the math", question(Topic.math)),
        ("what should I tell them?", question(Topic.talking_points)),
        ("what would flip it?", question(Topic.flip)),
        # what-ifs, with figures or without
        ("what if volume doubles?", WHAT_IF),
        ("whats the verdict at 3M?", WHAT_IF),
        ("if they could batch it?", WHAT_IF),
        ("what if 30M a month?", WHAT_IF),
        # commands
        ("start over", command(Command.start_over)),
        ("reset", command(Command.start_over)),
        ("show facts", command(Command.show_facts)),
        ("undo", command(Command.undo)),
        ("new workload", command(Command.new_workload)),
        (
            "new workload — Globex wants invoice extraction, 2M calls a month",
            command(Command.new_workload),
        ),
        (
            "new workload\nGlobex wants invoice extraction, 2M a month",
            command(Command.new_workload),
        ),
        ("new workload. Globex wants invoice extraction", command(Command.new_workload)),
        ("ok another use case for them, Globex invoices", command(Command.new_workload)),
        ("a new workload is coming next quarter", FACTS),  # news, not the command
        # a question about a new workload doesn't start one
        ("new workload, or should I keep using this thread?", question(Topic.why)),
        ("another use case, same client?", question(Topic.why)),
        ("summary for the client", command(Command.client_summary)),
        ("help", command(Command.help)),
        # chatter: thanks, talk between people, someone else spoken to
        ("thanks!", CHATTER),
        ("<@U3> can you confirm with the client?", CHATTER),
        ("lol yeah their CTO is a character", CHATTER),
        ("👍", CHATTER),
        ("", CHATTER),
        # facts and corrections, whatever else they ask
        ("it's not a knowledge base, it's classification", FACTS),
        ("we don't know the volume", FACTS),
        ("~40k labeled", FACTS),
        ("they do 30M a month, why fine-tune?", FACTS),
        ("they do 30M a month, what if it doubles?", FACTS),
        ("oops meant 2M", FACTS),
        ("not yet", FACTS),
        ("<@U3> fyi they're on sonnet 4.5 today", FACTS),
    ],
)
def test_what_a_message_asks_of_the_bot(message, expected):
    assert read_intent(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # not meant for the bot: only its facts are the bot's business
        ("why did they pick haiku anyway", CHATTER),
        ("what if we just give them a discount lol", CHATTER),
        ("reset", CHATTER),
        ("they do 30M a month btw", FACTS),
    ],
)
def test_a_message_not_addressed_to_the_bot_is_read_only_for_facts(message, expected):
    assert read_intent(message, addressed=False) == expected


def test_a_command_is_the_whole_message_not_a_phrase_in_one():
    assert read_intent("they want to start over with a new vendor, ~2M calls/mo") == FACTS
    assert read_intent("can you help me understand the verdict") == question(Topic.why)


def test_each_member_carries_a_title_and_its_value_is_the_public_string():
    assert Intent.what_if == "what_if" and Intent.what_if.label == "What if"
    assert Command("client_summary").label == "Summary for the client"
    assert all(member.label for enum in (Intent, Command, Topic) for member in enum)
    assert Topic.math.title() == "Math"  # still a str: str methods are untouched


@pytest.mark.parametrize(
    ("intent", "which", "topic"),
    [
        (Intent.command, None, None),
        (Intent.question, None, None),
        (Intent.facts, Command.undo, None),
        (Intent.what_if, None, Topic.why),
    ],
)
def test_a_message_intent_names_a_command_or_topic_only_where_it_has_one(intent, which, topic):
    with pytest.raises(ValueError):
        MessageIntent(intent, which, topic)


def test_the_intent_reader_is_pure():
    code = (
        "import sys, knowledge.reader.intent; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('bot', 'handlers', 'slack_sdk', 'slack_bolt', 'anthropic', 'sqlalchemy', 'sqlmodel')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# --- what a what-if supposes --------------------------------------------------------------------

KNOWN = Facts(
    monthly_calls=15_000_000,
    input_tokens=600,
    output_tokens=10,
    cached_prefix_tokens=450,
    labeled_examples=40_000,
    frontier_model="claude-haiku-4-5",
    on_device=True,
    other_baselines={"claude-sonnet-5-5": 0.94},
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # absolute figures, read as facts are (a bare figure is a volume)
        ("whats the verdict at 3M?", {"monthly_calls": 3_000_000}),
        ("what if 30M a month?", {"monthly_calls": 30_000_000}),
        ("what if they do 500k a day", {"monthly_calls": 15_000_000}),
        ("would it change if they went to 100M/mo", {"monthly_calls": 100_000_000}),
        ("what if they had 50k labeled", {"labeled_examples": 50_000}),
        ("what if p95 had to be under 100ms", {"first_token_ms": 100}),
        # flags: batch supposes batch_ok, not that the model moves off the device
        ("if they could batch it?", {"batch_ok": True}),
        ("what if it didn't have to run on device", {"on_device": False}),
        # relative changes scale the known fact they name, volume when none is
        ("what if volume doubles?", {"monthly_calls": 30_000_000}),
        ("what if it halves", {"monthly_calls": 7_500_000}),
        ("what if it triples", {"monthly_calls": 45_000_000}),
        ("and at 10x the volume?", {"monthly_calls": 150_000_000}),
        ("what if +50%?", {"monthly_calls": 22_500_000}),
        ("what if volume drops 20%", {"monthly_calls": 12_000_000}),
        ("say they grow 50% next year, does fine-tuning win then?", {"monthly_calls": 22_500_000}),
        ("if the input doubles", {"input_tokens": 1_200}),
        ("suppose the input triples, still prompt?", {"input_tokens": 1_800}),
        ("wat if they cut the prompt in half", {"input_tokens": 300, "cached_prefix_tokens": 300}),
        ("if the output doubles", {"output_tokens": 20}),
        # the cached prefix is part of the input
        ("what if the system prompt doubles", {"cached_prefix_tokens": 900, "input_tokens": 1_050}),
        ("twice the labels?", {"labeled_examples": 80_000}),
        # models: one named alone is the model supposed; a score goes where the reader puts it
        ("what about sonnet 5.5 instead?", {"frontier_model": "claude-sonnet-5-5"}),
        ("what if haiku got 95%", {"baseline_quality": 0.95, "baseline_measured": True}),
        (
            "what if haiku 5.5 got 95%",
            {"other_baselines": {"claude-sonnet-5-5": 0.94, "claude-haiku-5-5": 0.95}},
        ),
        # no task, domain or request is supposed
        ("what if they fine-tune the extraction anyway?", {}),
    ],
)
def test_a_what_if_supposes_these_facts(message, expected):
    assert read_what_if(message, KNOWN) == expected


def test_a_what_if_past_what_the_facts_can_hold_supposes_nothing_of_it():
    assert read_what_if("what if the input went 100000x", KNOWN) == {}


def test_a_relative_change_of_an_unknown_fact_supposes_nothing():
    assert read_what_if("what if volume doubles?", Facts()) == {}
    assert read_what_if("whats the verdict at 3M?", Facts()) == {"monthly_calls": 3_000_000}


def test_what_a_what_if_supposes_fits_the_facts():
    supposed = read_what_if("what if volume doubles and they could batch it?", KNOWN)
    facts = Facts.model_validate({**KNOWN.known(), **supposed})
    assert (facts.monthly_calls, facts.batch_ok) == (30_000_000, True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_any_text_has_an_intent_and_any_what_if_fits_the_facts(text, addressed):
    assert isinstance(read_intent(text, addressed=addressed), MessageIntent)
    Facts.model_validate({**KNOWN.known(), **read_what_if(text, KNOWN)})


# --- the labelled and held-out intent sets --------------------------------------------------------


def test_scoring_counts_precision_and_recall_per_intent_and_topic():
    cases = [
        IntentCase("a", "why?", question(Topic.why), True, "t #1"),
        IntentCase("b", "math?", question(Topic.math), True, "t #2"),
        IntentCase("c", "thanks", CHATTER, True, "t #3"),
        IntentCase("d", "2M", FACTS, True, "t #4"),
    ]
    read = {
        "why?": question(Topic.why),
        "math?": question(Topic.why),  # the right intent, the wrong topic
        "thanks": question(Topic.why),
        "2M": FACTS,
    }
    scores = score_intents(cases, lambda message, addressed: read[message])
    q = scores.row("question")
    assert (q.support, q.predicted, q.correct) == (2, 3, 1)
    assert (q.precision, q.recall) == (1 / 3, 0.5)
    assert scores.row("chatter").recall == 0.0 and scores.row("chatter").precision is None
    assert scores.row("question: why").precision == 1 / 3
    assert scores.row("question: math").recall == 0.0
    assert scores.accuracy == 0.5


@pytest.mark.parametrize("title", list(INTENT_SUITES))
def test_the_intent_sets_hold_their_floors(title, capsys):
    cases = load_intent_cases(INTENT_SUITES[title])
    scores = score_intents(cases)
    with capsys.disabled():
        print("\n" + intent_table(scores, title))
    assert scores.below(INTENT_FLOORS[title]) == []


def test_the_intent_sets_cover_every_intent_command_and_topic():
    cases = [c for path in INTENT_SUITES.values() for c in load_intent_cases(path)]
    labelled = load_intent_cases(INTENT_SUITES["labelled"])
    held_out = load_intent_cases(INTENT_SUITES["held out"])
    assert len(labelled) >= 60 and len(held_out) >= 25
    assert {c.expected.intent for c in cases} == set(Intent)
    assert {c.expected.command for c in cases} - {None} == set(Command)
    assert {c.expected.topic for c in cases} - {None} == set(Topic)
    assert len({c.name for c in cases}) == len(cases)


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("new workload", ""),
        ("new workload pls", ""),
        ("next use case, please", ""),
        ("new workload, thanks", ""),
        ("new workload: Globex, 2M/mo", "Globex, 2M/mo"),
        ("another use case for them - invoices", "invoices"),
        ("new workload — Globex invoices", "Globex invoices"),
        (
            "new workload\nGlobex wants invoice extraction, 2M a month",
            "Globex wants invoice extraction, 2M a month",
        ),
        ("ok new use case for them\n\nGlobex invoices 2M/mo", "Globex invoices 2M/mo"),
        ("new workload for them. Globex, 2.5M a month", "Globex, 2.5M a month"),
        ("new workload, Globex wants invoice extraction", "Globex wants invoice extraction"),
    ],
)
def test_what_a_new_workload_request_says_of_the_workload(text, described):
    assert read_intent(text).command is Command.new_workload
    assert workload_described(text) == described
