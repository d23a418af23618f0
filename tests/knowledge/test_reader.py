"""The offline reader: what it takes from a salesperson's words, and what it leaves alone."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.provenance import check_updates, quoted_from
from knowledge.reader import CHARS_PER_TOKEN, read_message


def read(message: str, **kw) -> dict[str, str]:
    return {u.field: u.value for u in read_message(message, **kw).updates}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # volumes and their periods
        (
            "Acme routes ~15M tickets/mo",
            {"monthly_calls": "15000000", "task_type": "classification"},
        ),
        ("they push about 500k invoices a day", {"monthly_calls": "15000000"}),
        ("moderation, 7M listings a week", {"monthly_calls": "30000000"}),
        ("Beta codes about 36M claims a year", {"monthly_calls": "3000000"}),
        ("avg ~15k tickets an hour, mondays peak at 25k/hr", {"monthly_calls": "10800000"}),
        ("they average 8 qps around the clock", {"monthly_calls": "20736000"}),
        # ranges: the end that argues less for fine-tuning
        ("somewhere between 10-20M calls a month", {"monthly_calls": "10000000"}),
        ("labeled: somewhere between 500 and 2,000 transcripts", {"labeled_examples": "500"}),
        ("TTFT needs to be somewhere between 50 and 150ms", {"first_token_ms": "150"}),
        # sizes: tokens, characters, the cached part
        (
            "~600 tokens in, 10 out, 450 of it is the instructions",
            {"input_tokens": "600", "output_tokens": "10", "cached_prefix_tokens": "450"},
        ),
        ("each request is around 8,000 characters of contract text", {"input_tokens": "2000"}),
        ("the answer is a one-word label", {"output_tokens": "1"}),
        ("~300 tokens total incl a 250-token policy prompt, 1 token out", {"output_tokens": "1"}),
        # qualities
        ("we ran haiku 4.5, 91% vs their 93% bar", {"baseline_quality": "0.91"}),
        ("they need under 2% errors", {"target_quality": "0.98"}),
        ("opus 4.5 hits 88% on their eval and they need 97", {"target_quality": "0.97"}),
        ("haiku breaks the format about 3% of the time", {"format_failure_rate": "0.03"}),
        # latency
        ("voice agent, p95 first token needs to be under 80ms", {"first_token_ms": "80"}),
        ("a couple of seconds is fine for latency", {"first_token_ms": "2000"}),
        ("they say 0.5 s to first token is the target", {"first_token_ms": "500"}),
        # flags and their negations
        ("it has to run on the handheld scanners, no network", {"on_device": "true"}),
        ("not on device, it's a batch job", {"on_device": "false"}),
        ("output must be exact JSON every call, no parser fallback", {"strict_format": "true"}),
        ("no strict format, their parser is forgiving", {"strict_format": "false"}),
        ("sonnet keeps mangling the clause names", {"frontier_drift": "true"}),
        ("sonnet 4.5 handles the legal terms fine, no drift", {"frontier_drift": "false"}),
        ("they haven't tested anything yet", {"baseline_measured": "false"}),
        ("they do NOT have labeled data", {"labeled_examples": "0"}),
        # requests, task types, domains, models
        ("they want to train it on their 3k policy PDFs", {"request": "knowledge_base"}),
        ("want the bot to sound like their brand", {"request": "brand_voice"}),
        (
            "the extraction isn't accurate enough and they want a fine-tune",
            {"request": "improve_quality"},
        ),
        ("want a fine-tune bc haiku 4.5 costs too much", {"request": "cost"}),
        (
            "they want a fine-tune bc the models invent codes that don't exist",
            {"request": "domain_vocabulary"},
        ),
        ("ICD-10 coding of claims", {"domain": "medical"}),
        ("pulling line items out of invoices", {"task_type": "extraction"}),
        ("summarising deposition transcripts", {"task_type": "generation", "domain": "legal"}),
        ("voice agent, intent detection", {"task_type": "classification"}),
        ("they use sonnet 4.5 today", {"frontier_model": "claude-sonnet-4-5"}),
        ("moving them to haiku 5.5", {"frontier_model": "claude-haiku-5-5"}),
        # money the salesperson estimates
        (
            "our estimate for the build is $60k and they'd budget 3k a month to run it",
            {"build_cost_usd": "60000", "monthly_ops_usd": "3000"},
        ),
    ],
)
def test_what_the_words_state_is_read(message, expected):
    got = read(message)
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("message", "not_a_fact"),
    [
        ("they're a 300-person company paying us $40k for the pilot", "monthly_calls"),
        ("they're a 300-person company paying us $40k for the pilot", "build_cost_usd"),
        ("their haiku 4.5 bill is $12k/mo", "monthly_ops_usd"),
        ("currently ~1.5s TTFT on sonnet 4.5", "first_token_ms"),
        ("~30k labeled utterances across 9 languages", "monthly_calls"),
        ("parcelhub's sonnet 4.5 bill is killing them", "labeled_examples"),
        ("actually it's 2M a month, not 20M", "labeled_examples"),
        ("lol yeah their CTO is a character. call went well, they'll sign next week", "request"),
        ("we have zero labeled data problems", "labeled_examples"),
        ("1e308 tickets per day", "monthly_calls"),  # beyond any float once made monthly
        ("they need a second model for the emails", "first_token_ms"),
        ("i asked if sonnet gets the legal terminology wrong", "frontier_drift"),
        ("they want a model that gets their vocabulary right", "frontier_drift"),
    ],
)
def test_numbers_and_words_that_belong_to_something_else_are_left_alone(message, not_a_fact):
    assert not_a_fact not in read(message)


def test_a_correction_in_the_same_message_keeps_the_new_value():
    assert read("actually it's 2M a month, not 20M")["monthly_calls"] == "2000000"


def test_a_later_message_mentioning_another_task_does_not_replace_the_task_type():
    assert read("~1.2M line items a month", known=["task_type"]).get("task_type") is None
    assert read("actually it's extraction, not routing", known=["task_type"])["task_type"] == (
        "extraction"
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("roughly 40,000", {"labeled_examples": "40000"}),
        ("40k-ish, maybe", {"labeled_examples": "40000"}),
        ("~60 ppl on their team", {}),
        ("also reminder the offsite is on the 14th lol", {}),
        ("$40k", {}),
    ],
)
def test_a_bare_number_answers_the_count_asked_for_only_on_its_own(message, expected):
    assert read(message, asked=["baseline_measured", "labeled_examples"]) == expected


def test_a_short_no_answers_the_question_it_follows():
    assert read("not yet", asked=["baseline_measured"]) == {"baseline_measured": "false"}
    assert read("not yet") == {}


def test_every_update_quotes_the_users_words_and_passes_provenance():
    message = (
        "Acme wants to fine-tune for support ticket routing, ~15M tickets/mo. we ran haiku 4.5, "
        "91% vs their 93% bar. they have ~40k labeled. ~600 tokens in, 10 out, 450 of it is the "
        "instructions"
    )
    updates = read_message(message).updates
    assert len(updates) == 11
    checked = check_updates(updates, message, message)
    assert checked.rejected == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_reads_without_error_and_every_quote_is_in_it(text):
    for update in read_message(text).updates:
        assert quoted_from(update.quote, text)


@given(st.integers(min_value=1, max_value=999), st.sampled_from(["day", "week", "year"]))
def test_a_volume_per_period_is_its_monthly_rate(count, period):
    per_month = {"day": 30, "week": 30 / 7, "year": 1 / 12}[period]
    got = read(f"they send {count}k tickets a {period} through routing")
    assert got["monthly_calls"] == str(round(count * 1000 * per_month))


@given(st.integers(min_value=1, max_value=99_999))
def test_a_size_in_characters_is_a_quarter_as_many_tokens(chars):
    got = read(f"each request is about {chars:,} characters of text")
    assert got.get("input_tokens") == str(round(chars / CHARS_PER_TOKEN))
