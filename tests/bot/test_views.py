"""The modals: *Adjust numbers* (prefilled, and read back into facts or inline errors) and
*New scoping*, each validated with slack_sdk's View model and Slack's limits, golden."""

import copy
import dataclasses
import datetime as dt
import json

import pytest

from bot.blocks import RenderError, validate_view
from bot.buttons import VerdictRef, fingerprint
from bot.views import (
    ADJUST_FORM,
    FLAGS_BLOCK,
    NEW_SCOPING_FORM,
    FormState,
    adjust_view,
    errors_by_block,
    facts_errors,
    new_scoping_view,
    notice_view,
    number_text,
    read_form,
    read_new_scoping,
)
from knowledge import Facts
from tests.bot.test_render import GOLDEN, TODAY, check_golden, decided, example
from tests.fakes.harness import filled

ACME = example("acme-ticket-routing")
QUOTES = {"monthly_calls": "~15M tickets/mo", "frontier_model": "haiku 4.5"}


def golden_json(name, value, update):
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    check_golden(GOLDEN / name, text, update)


def form(prices, assumptions, facts=ACME, **kw):
    decision = decided(facts, prices, assumptions)
    ref = VerdictRef("T1", "C1", "1.0", fingerprint(decision))
    view = adjust_view(
        ref, Facts.model_validate(facts), decision, prices, assumptions, today=TODAY, **kw
    )
    return view


def inputs(view):
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def submitted(view, **changes):
    return {**view, "state": {"values": filled(view, **changes)}}


# -- the form as it opens -----------------------------------------------------------------------


def test_the_form_matches_golden(prices, assumptions, update_golden):
    view = form(prices, assumptions, quotes=QUOTES)
    assert validate_view(view) is view
    assert view["callback_id"] == ADJUST_FORM and view["title"]["text"] == "Adjust numbers"
    golden_json("adjust-form.view.json", view, update_golden)


def test_the_form_shows_the_facts_as_a_salesperson_enters_them(prices, assumptions):
    fields = inputs(form(prices, assumptions, quotes=QUOTES))
    assert fields["monthly_calls"]["element"]["initial_value"] == str(ACME["monthly_calls"])
    assert fields["monthly_calls"]["hint"]["text"] == "From “~15M tickets/mo”"
    assert fields["baseline_quality"]["element"]["initial_value"] == "91"  # a percentage
    assert fields["baseline_quality"]["element"]["is_decimal_allowed"] is True
    assert fields["monthly_calls"]["element"]["is_decimal_allowed"] is False
    assert "initial_value" not in fields["first_token_ms"]["element"]  # unknown: empty
    assert all(b["optional"] for b in fields.values())  # empty is allowed: unknown


def test_the_build_cost_and_ops_in_use_are_shown_with_where_they_come_from(prices, assumptions):
    fields = inputs(form(prices, assumptions))
    build = fields["build_cost_usd"]
    assert build["element"]["initial_value"] == number_text(
        "dollars", assumptions.computed_build_cost
    )
    assert build["hint"]["text"].startswith("Assumed: ")
    given = inputs(form(prices, assumptions, {**ACME, "monthly_ops_usd": 900.0}))
    assert given["monthly_ops_usd"]["element"]["initial_value"] == "900"
    assert "hint" not in given["monthly_ops_usd"]


def test_the_model_is_a_select_of_current_models(prices, assumptions):
    select = inputs(form(prices, assumptions))["frontier_model"]["element"]
    offered = [o["value"] for o in select["options"]]
    assert select["initial_option"]["value"] == ACME["frontier_model"]
    assert "claude-sonnet-4-5" not in offered  # retired on 2026-11-30
    retired = inputs(form(prices, assumptions, {**ACME, "frontier_model": "claude-sonnet-4-5"}))
    options = retired["frontier_model"]["element"]["options"]
    assert options[-1] == {
        "text": {"type": "plain_text", "text": "Claude Sonnet 4.5 (retired)"},
        "value": "claude-sonnet-4-5",
    }


def test_the_yes_no_facts_are_checkboxes(prices, assumptions):
    facts = {**ACME, "batch_ok": False}
    flags = inputs(form(prices, assumptions, facts))[FLAGS_BLOCK]
    ticked = [o["value"] for o in flags["element"]["initial_options"]]
    assert ticked == ["baseline_measured"]
    assert "Known to be no: results can wait a day" in flags["hint"]["text"]


def test_an_out_of_date_click_says_so_at_the_top(prices, assumptions):
    view = form(prices, assumptions, stale="The verdict you clicked is out of date.")
    assert view["blocks"][0]["elements"][0]["text"] == "⚠️ The verdict you clicked is out of date."


# -- reading it back ----------------------------------------------------------------------------


def test_nothing_changed_is_nothing_to_apply(prices, assumptions):
    view = form(prices, assumptions)
    read = read_form(submitted(view))
    assert (read.values, read.changes, read.errors) == ({}, [], {})
    assert read.state.ref.thread_ts == "1.0"


def test_a_changed_number_is_a_fact_and_a_line_of_what_changed(prices, assumptions):
    read = read_form(submitted(form(prices, assumptions), monthly_calls="30000000"))
    assert read.values == {"monthly_calls": 30_000_000}
    [change] = read.changes
    assert (change.field, change.before, change.after) == (
        "monthly_calls",
        "15,000,000",
        "30,000,000",
    )


def test_percentages_and_dollars_are_converted(prices, assumptions):
    view = form(prices, assumptions)
    read = read_form(submitted(view, target_quality="95.5", build_cost_usd="40000"))
    assert read.values == {"target_quality": 0.955, "build_cost_usd": 40000.0}
    assert [(c.before, c.after) for c in read.changes] == [
        ("93%", "95.5%"),
        ("$27,500 (assumed)", "$40,000"),
    ]


def test_the_same_number_written_differently_is_no_change(prices, assumptions):
    read = read_form(submitted(form(prices, assumptions), baseline_quality="91.0"))
    assert read.values == {}


def test_an_emptied_box_makes_the_fact_unknown_but_an_assumption_stays(prices, assumptions):
    view = form(prices, assumptions)
    read = read_form(submitted(view, labeled_examples=None, build_cost_usd=None))
    assert read.values == {"labeled_examples": None}
    assert read.changes[0].after == "unknown"


def test_ticking_and_unticking(prices, assumptions):
    view = form(prices, assumptions, {**ACME, "on_device": False})
    read = read_form(submitted(view, flags=["batch_ok", "on_device"]))
    assert read.values == {"batch_ok": True, "on_device": True, "baseline_measured": False}
    assert {(c.field, c.before, c.after) for c in read.changes} == {
        ("batch_ok", "unknown", "yes"),
        ("on_device", "no", "yes"),
        ("baseline_measured", "yes", "no"),
    }


def test_another_model(prices, assumptions):
    read = read_form(submitted(form(prices, assumptions), frontier_model="claude-haiku-5-5"))
    assert read.values == {"frontier_model": "claude-haiku-5-5"}
    assert (read.changes[0].before, read.changes[0].after) == (
        "Claude Haiku 4.5",
        "Claude Haiku 5.5",
    )


@pytest.mark.parametrize(
    ("block", "text", "message"),
    [
        ("monthly_calls", "abc", "Enter a whole number, 0 or more"),
        ("monthly_calls", "-5", "Enter a whole number, 0 or more"),
        ("monthly_calls", "1.5", "Enter a whole number"),
        ("first_token_ms", "0", "Enter a whole number, 1 or more"),
        ("target_quality", "120", "Enter a percentage from 0 to 100"),
        ("monthly_ops_usd", "-1", "Enter an amount in US dollars"),
    ],
)
def test_a_value_that_cant_be_a_fact_is_named_under_its_input(
    block, text, message, prices, assumptions
):
    read = read_form(submitted(form(prices, assumptions), **{block: text}))
    assert list(read.errors) == [block] and read.errors[block].startswith(message)
    assert block not in read.values


def test_facts_that_dont_fit_together_are_named_under_the_input(prices, assumptions):
    known = Facts.model_validate(ACME)
    errors = facts_errors(known, {"cached_prefix_tokens": 900})
    assert errors == {"cached_prefix_tokens": "Must be ≤ input tokens (600), got 900"}
    assert facts_errors(known, {"cached_prefix_tokens": 500}) == {}


def test_the_engines_problems_go_under_the_input_they_name():
    errors = errors_by_block(
        ["input_tokens: 300,000 is above claude-haiku-4-5's limit", "the facts are odd"],
        {"monthly_calls": 5},
    )
    assert errors == {
        "input_tokens": "300,000 is above claude-haiku-4-5's limit",
        "monthly_calls": "The facts are odd",
    }
    # the checkboxes hold every yes/no fact: the message names which one
    assert errors_by_block(["on_device: can't be"], {"on_device": True}) == {
        FLAGS_BLOCK: "On device: can't be"
    }


def test_the_forms_state_survives_the_round_trip(prices, assumptions):
    view = form(prices, assumptions)
    state = FormState.from_metadata(view["private_metadata"])
    assert FormState.from_metadata(state.to_metadata()) == state
    assert len(view["private_metadata"]) < 3000


# -- New scoping --------------------------------------------------------------------------------


def test_the_new_scoping_modal_matches_golden(update_golden):
    view = new_scoping_view()
    assert view["callback_id"] == NEW_SCOPING_FORM
    channel = view["blocks"][0]["element"]
    assert channel["type"] == "conversations_select" and channel["response_url_enabled"] is True
    golden_json("new-scoping.view.json", view, update_golden)


def test_a_new_scoping_is_read_with_its_response_url():
    view = new_scoping_view()
    values = filled(view, channel="C0SALES", description="  Acme wants   a fine-tune ")
    urls = [
        {
            "block_id": "channel",
            "action_id": "value",
            "channel_id": "C0SALES",
            "response_url": "https://hooks.example/1",
        }
    ]
    scoping = read_new_scoping({**view, "state": {"values": values}}, urls)
    assert (scoping.channel, scoping.text, scoping.response_url, scoping.errors) == (
        "C0SALES",
        "Acme wants a fine-tune",
        "https://hooks.example/1",
        {},
    )
    empty = read_new_scoping({**view, "state": {"values": filled(view, description=" ")}}, [])
    assert set(empty.errors) == {"channel", "description"}


def test_a_notice_is_a_valid_modal():
    view = notice_view("Adjust numbers", "I no longer have that thread.")
    assert view["close"]["text"] == "Close" and "submit" not in view


# -- the limits slack_sdk leaves to Slack -------------------------------------------------------


def test_view_limits_are_checked(prices, assumptions):
    view = form(prices, assumptions)
    too_long = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    with pytest.raises(RenderError, match="title"):
        validate_view(too_long)
    many = {**view, "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(RenderError, match="101 blocks"):
        validate_view(many)
    wrong = copy.deepcopy(view)
    select = inputs(wrong)["frontier_model"]["element"]
    select["initial_option"] = {"text": {"type": "plain_text", "text": "GPT"}, "value": "gpt"}
    with pytest.raises(RenderError, match="initial options must be among"):
        validate_view(wrong)
    outside = copy.deepcopy(view)
    inputs(outside)["monthly_calls"]["element"]["initial_value"] = "-1"
    with pytest.raises(RenderError, match="outside its bounds"):
        validate_view(outside)
    metadata = {**view, "private_metadata": "x" * 3001}
    with pytest.raises(RenderError, match="private_metadata"):
        validate_view(metadata)


def test_a_form_on_a_thread_with_no_decision_still_opens(prices, assumptions):
    facts = Facts.model_validate({"monthly_calls": 5})
    view = adjust_view(
        VerdictRef("T1", "C1", "1.0", "none"), facts, None, prices, assumptions, today=TODAY
    )
    assert view["blocks"][0]["text"]["text"] == "*This scoping thread*"
    assert dataclasses.asdict(FormState.from_metadata(view["private_metadata"]).ref)[
        "decision"
    ] == ("none")


def test_today_decides_which_models_are_current(prices, assumptions):
    before = form(prices, assumptions)
    decision = decided(ACME, prices, assumptions)
    ref = VerdictRef("T1", "C1", "1.0", fingerprint(decision))
    earlier = adjust_view(
        ref, Facts.model_validate(ACME), decision, prices, assumptions, today=dt.date(2026, 11, 1)
    )
    models = lambda v: [o["value"] for o in inputs(v)["frontier_model"]["element"]["options"]]  # noqa: E731
    assert "claude-sonnet-4-5" in models(earlier) and "claude-sonnet-4-5" not in models(before)
