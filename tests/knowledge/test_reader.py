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


# --- batch_ok, format_schema, other_baselines ---------------------------------------------------


def read_new(message: str, thread_model: str | None = None) -> dict[str, object]:
    """The new facts a message states; other_baselines as the {model: quality} map it builds."""
    known = {"frontier_model": thread_model} if thread_model else {}
    got: dict[str, object] = {}
    for u in read_message(message, known=known).updates:
        if u.field == "other_baselines":
            got.setdefault("other_baselines", {})[u.model] = float(u.value)  # type: ignore[index]
        elif u.field in ("batch_ok", "format_schema", "frontier_model", "baseline_quality"):
            got[u.field] = u.value
    return got


@pytest.mark.parametrize(
    ("message", "batch_ok"),
    [
        # results may wait a day
        ("it runs nightly, results by the next morning are fine", "true"),
        ("no real latency req, it's an overnight batch job", "true"),
        ("it's async - managers read a digest the next day", "true"),
        ("they can wait a day for the results, no rush", "true"),
        ("they're fine getting results within 24 hours", "true"),
        ("it's a weekly backfill of the catalog", "true"),
        ("SLA is 48h, the books close monthly", "true"),
        ("not time-sensitive at all, it's a cron job at 2am", "true"),
        ("doesn't need to be real-time, an overnight batch is fine", "true"),
        # someone waits for each answer
        ("needs to be realtime, the user is waiting on the answer", "false"),
        ("the customer is sitting in the chat widget waiting for an agent", "false"),
        ("it sits in the request path of checkout", "false"),
        ("it's not a batch thing, agents need the tag during the call", "false"),
        ("live agent-assist, classify each chunk as it streams", "false"),
        ("NPC lines generated live in-game", "false"),
        ("they can't wait for a batch, reps need it instantly", "false"),
        # neither: not needing realtime isn't being able to wait a day
        ("doesn't need to be real time, a few minutes is fine", None),
        ("a batch of 500 tickets came in this morning", None),
        ("Kestrel Interactive is a games studio", None),
        ("they process ~500k a day", None),
    ],
)
def test_batch_ok_is_read_from_words_about_waiting(message, batch_ok):
    assert read_new(message).get("batch_ok") == batch_ok


@pytest.mark.parametrize(
    ("message", "format_schema"),
    [
        ("need the totals and line items as JSON", "true"),
        ("output has to match our JSON schema exactly, every call", "true"),
        ("they extract fields into a fixed JSON schema", "true"),
        ("output has to match their catalog schema, the ingest job rejects the rest", "true"),
        ("must validate against their pydantic model every call", "true"),
        ("output is loose JSON and they have a fallback parser", "true"),
        ("the summaries are free text, a paragraph each", "false"),
        ("replies are free text, no schema", "false"),
        # judgement for a person: another format, or JSON the model only reads
        ("the output must follow a specific XML layout, no exceptions", None),
        ("it has to validate against the FDA SPL XML schema on every call", None),
        ("output has to be valid HL7 every single call", None),
        ("they pull fields out of JSON payloads from their webhook", None),
        ("they get order JSON payloads and need one label back", None),
        ("the pipeline is a csv export", None),
    ],
)
def test_format_schema_is_read_only_from_the_output_being_json(message, format_schema):
    assert read_new(message).get("format_schema") == format_schema


@pytest.mark.parametrize(
    ("message", "thread_model", "expected"),
    [
        # the brief's example: the thread's frontier is another model
        (
            "haiku 5.5 got 91%, sonnet 94%",
            "claude-haiku-4-5",
            {"other_baselines": {"claude-haiku-5-5": 0.91, "claude-sonnet-5-5": 0.94}},
        ),
        # no frontier known: the first model scored is the frontier, the rest are others
        (
            "haiku 5.5 got 91%, sonnet 94%",
            None,
            {
                "frontier_model": "claude-haiku-5-5",
                "baseline_quality": "0.91",
                "other_baselines": {"claude-sonnet-5-5": 0.94},
            },
        ),
        # the model in use is the frontier, wherever it comes in the message
        (
            "sonnet 5.5 hit 94%, and their current haiku 4.5 prompt gets 88%",
            None,
            {
                "frontier_model": "claude-haiku-4-5",
                "baseline_quality": "0.88",
                "other_baselines": {"claude-sonnet-5-5": 0.94},
            },
        ),
        (
            "they're on haiku 4.5 today at 88%; haiku 5.5 got 91% on the same set",
            None,
            {
                "frontier_model": "claude-haiku-4-5",
                "baseline_quality": "0.88",
                "other_baselines": {"claude-haiku-5-5": 0.91},
            },
        ),
        # a score of the thread's frontier model is its baseline, a bare name included
        ("sonnet gets 87% on their gold set", "claude-sonnet-4-6", {"baseline_quality": "0.87"}),
        ("haiku 4.5 gets 90% now", "claude-haiku-4-5", {"baseline_quality": "0.9"}),
        # scores before their model, in pairs, as error rates, corrected
        (
            "91% on haiku 5.5, 94% on sonnet 5.5",
            "claude-haiku-4-5",
            {"other_baselines": {"claude-haiku-5-5": 0.91, "claude-sonnet-5-5": 0.94}},
        ),
        (
            "haiku 5.5 and sonnet 5.5 scored 90% and 94% on the same 3k set",
            "claude-haiku-4-5",
            {"other_baselines": {"claude-haiku-5-5": 0.90, "claude-sonnet-5-5": 0.94}},
        ),
        (
            "haiku 5.5 makes ~7% errors on the same review set",
            "claude-opus-4-5",
            {"other_baselines": {"claude-haiku-5-5": 0.93}},
        ),
        (
            "sorry, haiku 5.5 was 89%, not 91%",
            "claude-haiku-4-5",
            {"other_baselines": {"claude-haiku-5-5": 0.89}},
        ),
        (
            "quick test on sonnet 5.5 came back at 95%, vs 92% on their current 4.5 setup",
            "claude-sonnet-4-5",
            {"baseline_quality": "0.92", "other_baselines": {"claude-sonnet-5-5": 0.95}},
        ),
        # another vendor's score is no Claude model's
        (
            "they're on haiku 4.5 at 90%. gpt-5 got 93% in their bakeoff",
            None,
            {"frontier_model": "claude-haiku-4-5", "baseline_quality": "0.9"},
        ),
        ("gpt-5 got 93% in their bakeoff", "claude-haiku-4-5", {}),
    ],
)
def test_each_score_goes_to_the_model_named_with_it(message, thread_model, expected):
    assert read_new(message, thread_model) == expected


@pytest.mark.parametrize(
    ("message", "thread_model", "frontier_model"),
    [
        # a bare family name: the thread's model of that family, else the current one
        ("their sonnet bill is brutal", None, "claude-sonnet-5-5"),
        ("cheaper than the haiku bill", None, "claude-haiku-5-5"),
        ("opus is overkill for this", None, "claude-opus-5-5"),
        ("i asked if sonnet gets the terms wrong", "claude-sonnet-4-5", None),
        # a versioned name is that model, a retired one too
        ("they're still on sonnet 4.5", None, "claude-sonnet-4-5"),
        ("Claude Opus 4.5 today", None, "claude-opus-4-5"),
        # a model the thread isn't on, unscored: not a new frontier without a word that says so
        ("they're thinking about sonnet 5.5 too", "claude-haiku-4-5", None),
        ("prod runs on haiku 4.5", "claude-sonnet-5-5", "claude-haiku-4-5"),
        ("actually they're on opus 4.5, not sonnet", "claude-sonnet-4-5", "claude-opus-4-5"),
    ],
)
def test_the_frontier_model_is_the_one_in_use(message, thread_model, frontier_model):
    assert read_new(message, thread_model).get("frontier_model") == frontier_model


def test_a_score_of_another_model_is_not_a_measured_baseline():
    got = read("haiku 5.5 got 91% on their eval", known={"frontier_model": "claude-haiku-4-5"})
    assert "baseline_measured" not in got and "baseline_quality" not in got


def test_every_new_fact_update_passes_provenance():
    message = (
        "they're on haiku 4.5 today at 88%; haiku 5.5 got 91% and sonnet 5.5 94% on the same "
        "set. it runs nightly, next morning is fine, and the output is JSON against their schema"
    )
    updates = read_message(message).updates
    assert {u.field for u in updates} >= {"other_baselines", "batch_ok", "format_schema"}
    checked = check_updates(updates, message, message)
    assert checked.rejected == []
    assert {
        model: q
        for a in checked.accepted
        if a.field == "other_baselines"
        for model, q in a.value.items()
    } == {
        "claude-haiku-5-5": 0.91,
        "claude-sonnet-5-5": 0.94,
    }


# --- sizes with a multiplier, per-member rates, counts of documents, corrections, not knowing ---


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a size with a multiplier: "2k tokens in" is 2,000 input tokens
        ("2k tokens in and like 10 out", {"input_tokens": "2000", "output_tokens": "10"}),
        ("2k tokens in and like 300 out", {"input_tokens": "2000", "output_tokens": "300"}),
        ("1200 in / ~250 out", {"input_tokens": "1200", "output_tokens": "250"}),
        ("prompts run ~1.5k tokens, 200 out", {"input_tokens": "1500", "output_tokens": "200"}),
        ("each call is 3k in, 400 out", {"input_tokens": "3000", "output_tokens": "400"}),
        # a rate each of a number of people (stores, reps) makes: the count times the rate
        ("300 agents each asking 20 questions a day", {"monthly_calls": "180000"}),
        ("1,200 stores, each sending 500 receipts a week", {"monthly_calls": "2571429"}),
        ("40 reps who each log 25 calls a day", {"monthly_calls": "30000"}),
        ("20 questions a day per agent and they have 300 agents", {"monthly_calls": "180000"}),
        (
            "they have 300 agents and each agent asks 20 questions a day",
            {"monthly_calls": "180000"},
        ),
        # ... but not a rate that is already the whole volume
        ("they have 300 agents and get 20k tickets a day", {"monthly_calls": "600000"}),
        (
            "300 agents each handle some of the 20k tickets a day in total",
            {"monthly_calls": "600000"},
        ),
        # pages, PDFs and examples are counts of things, not prompt tokens
        ("they send 40-page PDFs", {}),
        ("we have 500 examples of approved copy", {"labeled_examples": "500"}),
        ("they have 3k policy PDFs and the prompt is ~2k tokens", {"input_tokens": "2000"}),
        ("a model that knows their 1,100-page claims manual + all the policy memos", {}),
        ("each prompt carries 40 pages of policy", {}),
        ("the system prompt has 20 few-shot examples", {}),
        # not knowing whether it was measured is not a no: it is unknown
        ("not sure if they measured", {"baseline_measured": "unknown"}),
        ("don't know if they ran an eval", {"baseline_measured": "unknown"}),
        ("no idea whether anyone has tested it", {"baseline_measured": "unknown"}),
        ("they haven't measured", {"baseline_measured": "false"}),
        ("not sure if it has to run on the phone", {"on_device": "unknown"}),
        # not knowing how many labels there are is no "no labels"
        ("we dont know how many labeled examples they have", {"labeled_examples": "unknown"}),
        ("they don't have labeled data", {"labeled_examples": "0"}),
        (
            "We have no labeled data, and not sure how many we could label.",
            {"labeled_examples": "0"},
        ),
    ],
)
def test_sizes_rates_documents_and_unknowns(message, expected):
    got = read(message)
    named = {"input_tokens", "output_tokens", "cached_prefix_tokens", "monthly_calls"}
    named |= {"labeled_examples", "baseline_measured", "on_device"}
    assert {k: v for k, v in got.items() if k in named} == expected


def test_a_per_member_rate_quotes_both_numbers():
    (update,) = [
        u
        for u in read_message("300 agents each asking 20 questions a day").updates
        if u.field == "monthly_calls"
    ]
    assert update.quote == "300 agents each asking 20 questions a day"


@pytest.mark.parametrize(
    ("message", "asked", "expected"),
    [
        ("no idea", ["baseline_measured"], {}),
        ("not sure tbh", ["baseline_measured"], {}),
        ("nope", ["baseline_measured"], {"baseline_measured": "false"}),
    ],
)
def test_an_unsure_short_answer_is_no_answer(message, asked, expected):
    assert read(message, asked=asked) == expected


@pytest.mark.parametrize(
    ("earlier", "message", "expected"),
    [
        # the last figure of the same kind, in the thread's earlier messages or this one
        (["they do 20M a month"], "oops meant 2M", {"monthly_calls": "2000000"}),
        ([], "they do 20M a month. oops meant 2M", {"monthly_calls": "2000000"}),
        (["they do 20M a month"], "oops meant 2M not 20M", {"monthly_calls": "2000000"}),
        (["they have 4k labeled tickets"], "typo: 40k", {"labeled_examples": "40000"}),
        (["20M a month, ~600 tokens in"], "oops meant 800", {"input_tokens": "800"}),
        # a slip, not a new order of magnitude: 2M replaces 20M, not the 600 said after it
        (["20M a month, ~600 tokens in"], "oops meant 2M", {"monthly_calls": "2000000"}),
        # the replaced figure's period and unit hold
        (["they do 500k a day"], "sorry, 50k", {"monthly_calls": "1500000"}),
        (["each request is ~6,000 characters"], "sorry i meant 8,000", {"input_tokens": "2000"}),
        (["p95 first token under 80ms"], "oops meant 200ms", {"first_token_ms": "200"}),
        (["haiku 4.5 got 91% vs a 95% bar"], "sorry, 93%", {"target_quality": "0.93"}),
        # taking back a correction: "wait no" and "no wait" are correction words too
        (
            ["8M invoices/month", "actually it's 80M a month"],
            "wait no, 8M, sorry",
            {"monthly_calls": "8000000"},
        ),
        (["they do 20M a month"], "no wait, 2M", {"monthly_calls": "2000000"}),
        # no correction word, or nothing of that kind before: nothing
        (["they do 20M a month"], "2M", {}),
        ([], "oops meant 2M", {}),
        (["they do 20M a month"], "sorry about the delay, they do 2M", {}),
        (["they do 20M a month"], "ugh sorry, 18M is cards in circulation", {}),
    ],
)
def test_a_correction_word_and_a_bare_figure_restate_the_last_figure(earlier, message, expected):
    assert read(message, earlier=earlier) == expected


def test_a_correction_passes_provenance():
    earlier, message = "they do 20M a month", "oops meant 2M"
    updates = read_message(message, earlier=[earlier]).updates
    checked = check_updates(updates, f"{earlier}\n{message}", message)
    assert [(a.field, a.value) for a in checked.accepted] == [("monthly_calls", 2_000_000)]


@pytest.mark.parametrize(
    ("message", "unknown"),
    [
        ("we don't know the volume", {"monthly_calls"}),
        ("hmm actually we dont know the volume yet", {"monthly_calls"}),
        ("not sure about volume or latency", {"monthly_calls", "first_token_ms"}),
        ("dunno the input or output tokens", {"input_tokens", "output_tokens"}),
        ("no idea how big the system prompt is", {"cached_prefix_tokens"}),
        ("labels: unknown", {"labeled_examples"}),
        ("the target is TBD", {"target_quality"}),
        ("we do not know yet which model they use", {"frontier_model"}),
        ("nobody knows if it can be batched", {"batch_ok"}),
        # a value in the same message wins over the hedge
        ("not sure about the volume, maybe 15M a month", set()),
        ("volume: no idea, but input is 2k tokens", {"monthly_calls"}),
        # not knowing something that is no fact, or having none of it
        ("I don't know if the model can handle it", set()),
        ("I don't know why they want fine-tuning", set()),
        ("they don't have labeled data", set()),
        ("need to check the volume with them", set()),
        ("the volume is 15M a month", set()),
        ("the client isn't sure about the volume", {"monthly_calls"}),
        ("volume is still unknown", {"monthly_calls"}),
        # someone in the workload not knowing something is no news about a fact
        ("I'm not sure what the buyer wants beyond cheaper calls.", set()),
        ("It's unclear to the agents which tickets are urgent.", set()),
        ("Their agents can't tell which tickets need escalation", set()),
        ("the CFO is unsure about calls with us", set()),
        ("Their users don't know which answers are wrong", set()),
        ("can't tell the difference between the outputs", set()),
        ("they don't remember who wrote the instructions", set()),
        ("The bot says it doesn't know when the context is missing", set()),
        ("The model doesn't know the domain well", set()),
        ("we ran an eval, not sure it was a good one", set()),
        ("their volume is huge, I don't know how they cope", set()),
        ("tickets come in overnight, nobody knows why", set()),
    ],
)
def test_a_fact_nobody_knows_is_read_as_unknown(message, unknown):
    got = read(message)
    assert {field for field, value in got.items() if value == "unknown"} == unknown
