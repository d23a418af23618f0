"""The notes a reply carries on how a number was read, and the offline check of Claude's numbers."""

import pytest

from knowledge.crosscheck import unconfirmed
from knowledge.provenance import Accepted
from knowledge.reading_notes import reading_notes


@pytest.mark.parametrize(
    ("accepted", "note"),
    [
        (
            Accepted("monthly_calls", 10_000_000, "10-20M calls a month"),
            "took the low end of “10-20M calls a month”",
        ),
        (
            Accepted("first_token_ms", 150, "between 50 and 150ms"),
            "took the high end of “50 and 150ms”",
        ),
        (
            Accepted("input_tokens", 2000, "around 8,000 characters"),
            "read “around 8,000 characters” as about 2,000 tokens",
        ),
        (
            Accepted("target_quality", 0.98, "under 2% errors"),
            "read “under 2% errors” as 98% right",
        ),
        (
            Accepted("target_quality", 0.995, "under 0.5% errors"),
            "read “under 0.5% errors” as 99.5% right",
        ),
    ],
)
def test_a_range_or_a_conversion_is_noted(accepted, note):
    assert reading_notes([accepted]) == [note]


@pytest.mark.parametrize(
    "accepted",
    [
        Accepted("monthly_calls", 15_000_000, "~15M tickets/mo"),
        Accepted("monthly_calls", 15_000_000, "500k a day"),  # the rate is shown with the fact
        Accepted("baseline_quality", 0.91, "91%"),
        Accepted("task_type", "classification", "ticket routing"),
    ],
)
def test_a_plain_reading_has_no_note(accepted):
    assert reading_notes([accepted]) == []


def test_the_check_flags_a_number_given_to_the_wrong_fact_only():
    words = ["ticket routing for a 300-person company, ~15M tickets/mo, 40k labeled"]
    claimed = [
        Accepted("monthly_calls", 15_000_000, "~15M tickets/mo"),
        Accepted("labeled_examples", 40_000, "40k labeled"),
        Accepted("input_tokens", 300, "300-person company"),
        Accepted("task_type", "classification", "ticket routing"),  # not a number: not checked
    ]
    assert [a.field for a in unconfirmed(claimed, words)] == ["input_tokens"]


def test_a_number_from_an_earlier_message_is_confirmed_by_that_message():
    words = ["~15M tickets/mo", "they have 40k labeled"]
    claimed = [Accepted("monthly_calls", 15_000_000, "~15M tickets/mo")]
    assert unconfirmed(claimed, words) == []
