"""Model names as users write them, as price-sheet ids; and the offline check of other models'
scores that Claude reports."""

import pytest

from knowledge import load_price_sheet
from knowledge.crosscheck import unconfirmed
from knowledge.provenance import Accepted
from knowledge.reader.model import CURRENT, model_named, names_model


@pytest.mark.parametrize(
    ("text", "thread_model", "expected"),
    [
        ("haiku 5.5", None, "claude-haiku-5-5"),
        ("Sonnet 4.5", None, "claude-sonnet-4-5"),  # retired, but that is what they named
        ("opus 4.5", None, "claude-opus-4-5"),
        ("sonnet 4.6", None, "claude-sonnet-4-6"),
        ("Claude Haiku 4.5", None, "claude-haiku-4-5"),
        ("haiku-4.5", None, "claude-haiku-4-5"),
        ("claude-sonnet-5-5", None, "claude-sonnet-5-5"),
        ("claude-haiku-4-5-20251001", None, "claude-haiku-4-5"),  # a dated snapshot id
        # a bare family name: the current model of the family...
        ("sonnet", None, "claude-sonnet-5-5"),
        ("haiku", None, "claude-haiku-5-5"),
        ("opus", None, "claude-opus-5-5"),
        # ...unless the thread is on a model of that family
        ("sonnet", "claude-sonnet-4-6", "claude-sonnet-4-6"),
        ("sonnet", "claude-haiku-4-5", "claude-sonnet-5-5"),
        ("Sonnet 5.5", "claude-sonnet-4-6", "claude-sonnet-5-5"),
        # not a Claude model
        ("gpt-5", None, None),
        ("our own model", None, None),
    ],
)
def test_model_names_read_as_sheet_ids(text, thread_model, expected):
    assert model_named(text, thread_model) == expected


def test_a_bare_name_never_means_a_retired_or_missing_model():
    sheet = load_price_sheet()
    for family, model in CURRENT.items():
        if family == "fable":
            continue  # kept as it was: Fable 5
        assert model in sheet.models, model
        assert sheet.models[model].deprecation_date is None, model


@pytest.mark.parametrize(
    ("text", "model", "names"),
    [
        ("haiku 5.5 got 91%", "claude-haiku-5-5", True),
        ("sonnet 94%", "claude-sonnet-5-5", True),
        ("sonnet 94%", "claude-sonnet-4-6", True),  # bare: any Sonnet
        ("sonnet 4.6 at 94%", "claude-sonnet-5-5", False),
        ("claude-opus-5-5: 0.97", "claude-opus-5-5", True),
        ("haiku 5.5 got 91%", "claude-opus-5-5", False),
    ],
)
def test_whether_words_name_a_model(text, model, names):
    assert names_model(text, model) is names


def scores(**by_model: float) -> Accepted:
    return Accepted("other_baselines", dict(by_model), "")


def test_the_offline_check_confirms_another_models_score_it_reads_too():
    messages = ["they're on haiku 4.5 at 88%. haiku 5.5 got 91%, sonnet 94%"]
    confirmed = scores(**{"claude-haiku-5-5": 0.91})
    other_number = scores(**{"claude-haiku-5-5": 0.95})  # a number the words don't give it
    baseline = Accepted("baseline_quality", 0.88, "88%")
    assert unconfirmed([confirmed, other_number, baseline], messages) == [other_number]


def test_read_alone_a_message_may_take_another_models_score_for_the_baseline():
    # without the thread, "haiku 5.5 got 91%" reads as the baseline; that still confirms it
    messages = ["haiku 5.5 got 91%"]
    assert unconfirmed([scores(**{"claude-haiku-5-5": 0.91})], messages) == []
    assert (
        unconfirmed([Accepted("baseline_quality", 0.91, "91%")], ["sonnet 91%, haiku 5.5 89%"])
        == []
    )
