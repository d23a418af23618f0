"""The bot's words for the new facts, and the models its questions suggest."""

import pytest

from bot.wording import (
    FIELD_LABELS,
    QUESTIONS,
    best_guess_text,
    model_name,
    not_known_text,
    optional_asks,
    questions_for,
    show_fact,
)
from knowledge import Facts
from knowledge.facts import FACT_FIELDS


def test_every_fact_has_a_label():
    assert set(FACT_FIELDS) <= set(FIELD_LABELS)


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("batch_ok", True, "results can wait a day (batch, half price)"),
        ("batch_ok", False, "results needed right away (no batch)"),
        ("format_schema", True, "format fits a JSON schema"),
        ("format_schema", False, "format can't be a JSON schema"),
        ("other_baselines", {"claude-haiku-5-5": 0.91}, "Haiku 5.5 scored 91%"),
        (
            "other_baselines",
            {"claude-haiku-5-5": 0.91, "claude-sonnet-5-5": 0.945},
            "other models scored Haiku 5.5 91%, Sonnet 5.5 94.5%",
        ),
    ],
)
def test_the_new_facts_read_as_a_person_would_say_them(field, value, shown):
    assert show_fact(field, value) == shown


@pytest.mark.parametrize(
    ("model", "name"),
    [("claude-haiku-5-5", "Haiku 5.5"), ("claude-sonnet-5", "Sonnet 5"), ("gpt-4.1", "gpt-4.1")],
)
def test_model_ids_read_as_names(model, name):
    assert model_name(model) == name


def test_each_new_fact_has_its_own_question():
    asked = questions_for(["batch_ok", "format_schema", "other_baselines"])
    assert [q.fields for q in asked] == [("batch_ok",), ("format_schema",), ("other_baselines",)]
    assert all(q.examples for q in asked)


def test_no_question_suggests_a_retired_model(assumptions):
    """Sonnet 4.5 retired on 2026-11-30: the bot suggests current models (Haiku 5.5, Sonnet 5.5)."""
    words = [q.ask + q.examples for q in QUESTIONS] + optional_asks(Facts(), assumptions)
    assert not any("4.5" in w for w in words)
    (frontier,) = [w for w in optional_asks(Facts(), assumptions) if "which model" in w]
    assert '"Haiku 5.5"' in frontier and '"Sonnet 5.5"' in frontier


@pytest.mark.parametrize(
    ("missing", "asks"),
    [
        # nothing of it known: the one question for all of it
        (
            ["first_token_ms", "on_device"],
            ["How fast must the first token come back, and must it run on device?"],
        ),
        (
            ["baseline_measured", "target_quality"],
            ["Has anyone measured a prompted frontier model on this?"],
        ),
        # the fact it leads with known ("under 150 ms"): only the rest, not the answered part again
        (["on_device"], ["Must it run on the device itself, or can it call a hosted model?"]),
        (["target_quality"], ["What quality do they need?"]),
        (
            ["baseline_quality", "target_quality"],
            ["What did the prompted model score?", "What quality do they need?"],
        ),
        (["frontier_drift"], ["Do frontier models get the domain's terms wrong?"]),
        (["format_failure_rate"], ["How often does the output break the format today?"]),
    ],
)
def test_a_question_half_answered_asks_only_for_the_rest(missing, asks):
    asked = questions_for(missing)
    assert [q.ask for q in asked] == asks
    assert all(q.examples for q in asked)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ([], ""),
        (["monthly_calls"], "Noted: nobody knows the monthly volume yet."),
        (["batch_ok"], "Noted: nobody knows whether results can wait a day yet."),
        (
            ["labeled_examples", "baseline_measured"],
            "Noted: nobody knows how many labeled examples they have or whether a prompted model "
            "was measured on this workload yet.",
        ),
        (
            ["input_tokens", "on_device", "first_token_ms"],
            "Noted: nobody knows the input tokens a call, whether it must run on the device or "
            "the first-token budget yet.",
        ),
    ],
)
def test_facts_nobody_knows_yet_are_acknowledged_in_words(fields, said):
    assert not_known_text(fields) == said


def test_a_best_guess_is_a_range_only_for_a_number():
    assert best_guess_text(["labeled_examples"]).startswith("A rough range")
    assert best_guess_text(["baseline_measured"]) == "The client's best guess is enough."
