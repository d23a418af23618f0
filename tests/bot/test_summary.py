"""The client summary: a paragraph a salesperson pastes into an e-mail, its headline number
first, every figure the verdict's own. Golden for every kind of verdict (tests/golden/
client-summaries.txt), decided on the fixture sheet on a fixed day like the verdict goldens."""

import re

import pytest

from bot import verdict
from bot.summary import client_summary
from tests.bot.test_render import ALL, GOLDEN, check_golden, decision_for

# A figure as the verdict writes one: $7,060 · $1.7M · 3.9 months · 91% · 15M calls.
FIGURE = re.compile(r"\$[\d,.]+M?|\b[\d.]+ months?\b|\b[\d.]+%|\b[\d,.]+[MBk]? calls\b")


def test_every_kind_of_verdict_matches_its_golden_summary(prices, assumptions, update_golden):
    summaries = [
        f"## {name}\n{client_summary(decision_for(name, prices, assumptions))}\n" for name in ALL
    ]
    check_golden(GOLDEN / "client-summaries.txt", "\n".join(summaries), update_golden)


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_summary_is_plain_text_for_the_client(name, prices, assumptions):
    summary = client_summary(decision_for(name, prices, assumptions))
    assert "\n" not in summary and len(summary) < 1200
    assert not re.search(r"[*_`<>]", summary)  # no Slack markup to clean up after pasting
    assert not re.search(r"\b[CQ][1-4]\b", summary)  # no playbook codes
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", summary)  # no field names
    assert "send me" not in summary and "I'll" not in summary  # the bot doesn't speak


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_figure_is_one_the_verdict_states(name, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    calls = decision.facts.monthly_calls
    stated = verdict.text(decision) + (f" {verdict.calls_today(calls)} calls" if calls else "")
    for figure in FIGURE.findall(client_summary(decision)):
        assert figure in stated, f"{figure} is not in the verdict of {name}"


@pytest.mark.parametrize("name", sorted(set(ALL) - {"first-message"}))
def test_the_headline_number_comes_first(name, prices, assumptions):
    first_sentence = client_summary(decision_for(name, prices, assumptions)).split(". ")[0]
    assert FIGURE.search(first_sentence) or re.search(r"\d ms\b", first_sentence)


def test_the_summary_ends_with_the_date_of_the_prices(prices, assumptions):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    assert client_summary(decision).endswith(
        f"Figures use list prices as of {decision.price_sheet_as_of}."
    )


def test_no_verdict_yet_says_what_is_missing(prices, assumptions):
    summary = client_summary(decision_for("first-message", prices, assumptions))
    assert summary.startswith("There is no recommendation yet")
    assert "How many calls a month in production?" in summary
    assert "How many labeled examples of correct output exist?" in summary
