"""Facts that don't fit together are set aside, so the rest still decide (knowledge/clashes.py)."""

import datetime as dt

import pytest

from knowledge import Facts, Verdict
from knowledge.clashes import decide_setting_aside

TODAY = dt.date(2026, 12, 6)
ROUTING = {"task_type": "classification", "monthly_calls": 15_000_000}


@pytest.mark.parametrize(
    ("facts", "set_aside", "problem"),
    [
        # a cached prefix larger than the input the task type assumes
        ({**ROUTING, "cached_prefix_tokens": 5000}, ["cached_prefix_tokens"], "give input_tokens"),
        # a model the price sheet doesn't list: priced as the default until it is named
        ({**ROUTING, "frontier_model": "claude-opus-0"}, ["frontier_model"], "claude-opus-0"),
        ({**ROUTING, "other_baselines": {"claude-opus-0": 0.9}}, ["other_baselines"], "opus-0"),
        # an input above the model's window
        ({**ROUTING, "input_tokens": 9_000_000}, ["input_tokens"], "maximum input"),
    ],
    ids=["cached-above-assumed-input", "unknown-model", "unknown-other-model", "input-too-big"],
)
def test_the_facts_that_clash_are_left_out_and_the_rest_decide(
    prices, assumptions, facts, set_aside, problem
):
    fitted = decide_setting_aside(Facts(**facts), prices, assumptions, today=TODAY)
    assert fitted.set_aside == set_aside
    assert any(problem in p for p in fitted.problems)
    # the rest decide: the volume case is found, and the next question is for what is missing
    assert fitted.decision is not None and [c.value for c in fitted.decision.cases] == ["C1"]
    assert fitted.decision.verdict is Verdict.need_info and fitted.decision.missing


def test_facts_that_fit_decide_as_decide_does(prices, assumptions):
    fitted = decide_setting_aside(Facts(**ROUTING), prices, assumptions, today=TODAY)
    assert fitted.problems == [] and fitted.set_aside == [] and fitted.decision is not None


def test_a_problem_no_fact_can_be_left_out_for_gives_no_decision(prices, assumptions):
    broken = assumptions.model_copy(update={"default_frontier_model": "claude-opus-0"})
    fitted = decide_setting_aside(Facts(**ROUTING), prices, broken, today=TODAY)
    assert fitted.decision is None and fitted.set_aside == []
    assert any("default_frontier_model" in p for p in fitted.problems)
