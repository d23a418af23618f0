"""The buttons under a verdict in Slack: what they carry, and which replies get them."""

import dataclasses
import json

import pytest

from bot import verdict
from bot.blocks import MAX_BLOCKS, RenderError, validate_blocks
from bot.buttons import (
    ACTIONS_BLOCK_ID,
    ADJUST,
    FLIP,
    SUMMARY,
    VerdictRef,
    actions_block,
    fingerprint,
    with_buttons,
)
from bot.outcome import Outcome, OutcomeKind
from knowledge import Facts
from tests.bot.test_render import GOLDEN, check_golden, decided, decision_for

REF = VerdictRef("T0001", "C0SALES", "1700000000.000001", "0123456789abcdef", 7)


def outcome(kind, decision):
    return Outcome(kind, 1, Facts(), decision.facts if decision else Facts(), decision=decision)


def test_a_value_names_the_thread_its_workload_and_the_decision_and_reads_back():
    value = REF.value
    assert len(value) < 200  # Slack allows 2,000
    assert VerdictRef.parse(value) == REF and VerdictRef.parse(value).workload_id == 7
    assert REF.thread_key == "T0001:C0SALES:1700000000.000001"


def test_a_button_posted_before_workloads_still_works_on_the_threads_current_workload():
    old = '{"v":1,"team":"T1","channel":"C1","thread_ts":"1.0","decision":"0123456789abcdef"}'
    assert VerdictRef.parse(old) == VerdictRef("T1", "C1", "1.0", "0123456789abcdef", None)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "nope",
        "[]",
        '{"v": 3, "team": "T", "channel": "C", "thread_ts": "1", "decision": "d"}',
        '{"v": 1, "team": "T", "channel": "", "thread_ts": "1", "decision": "d"}',
        '{"v": 1, "team": "T", "channel": "C"}',
        '{"v": 2, "team": "T", "channel": "C", "thread_ts": "1", "decision": "d"}',
        '{"v": 2, "team": "T", "channel": "C", "thread_ts": "1", "decision": "d", '
        '"workload_id": "7"}',
        '{"v": 2, "team": "T", "channel": "C", "thread_ts": "1", "decision": "d", '
        '"workload_id": 0}',
        '{"v": 2, "team": "T", "channel": "C", "thread_ts": "1", "decision": "d", '
        '"workload_id": true}',
    ],
    ids=[
        "empty",
        "text",
        "list",
        "other-version",
        "no-channel",
        "cut-short",
        "no-workload",
        "workload-as-text",
        "workload-zero",
        "workload-bool",
    ],
)
def test_a_value_this_bot_did_not_write_is_refused(value):
    with pytest.raises(ValueError, match="not a verdict button"):
        VerdictRef.parse(value)


def test_the_fingerprint_is_stable_and_moves_with_any_figure(prices, assumptions):
    acme = decision_for("acme-ticket-routing", prices, assumptions)
    again = decision_for("acme-ticket-routing", prices, assumptions)
    assert fingerprint(acme) == fingerprint(again) and len(fingerprint(acme)) == 16
    facts = {**acme.facts.known(), "monthly_calls": 15_000_001}
    assert fingerprint(decided(facts, prices, assumptions)) != fingerprint(acme)
    ref = dataclasses.replace(REF, decision=fingerprint(acme))
    assert ref.is_current(again) and not ref.is_current(None)


def test_the_three_buttons_are_valid_block_kit_and_match_golden(prices, assumptions, update_golden):
    decision = decision_for("acme-ticket-routing", prices, assumptions)
    ref = VerdictRef("T0001", "C0SALES", "1700000000.000001", fingerprint(decision), 1)
    blocks = validate_blocks([*verdict.blocks(decision), actions_block(ref)])
    actions = blocks[-1]
    assert actions["block_id"] == ACTIONS_BLOCK_ID
    assert [b["action_id"] for b in actions["elements"]] == [ADJUST, FLIP, SUMMARY]
    assert [b["text"]["text"] for b in actions["elements"]] == [
        "Adjust numbers",
        "What would flip it?",
        "Client summary",
    ]
    assert all(VerdictRef.parse(b["value"]) == ref for b in actions["elements"])
    check_golden(
        GOLDEN / "verdict-in-slack.blocks.json",
        json.dumps(blocks, indent=2, ensure_ascii=False) + "\n",
        update_golden,
    )


@pytest.mark.parametrize("kind", [OutcomeKind.verdict, OutcomeKind.unchanged])
def test_a_reply_that_shows_a_verdict_gets_the_buttons_last(kind, prices, assumptions):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    blocks = verdict.blocks(decision)
    shown = with_buttons(blocks, "T1", "C1", "1.0", outcome(kind, decision))
    assert shown[:-1] == blocks and shown[-1]["type"] == "actions"
    ref = VerdictRef.parse(shown[-1]["elements"][0]["value"])
    assert (ref.team, ref.channel, ref.thread_ts) == ("T1", "C1", "1.0")
    assert ref.decision == fingerprint(decision)
    assert ref.workload_id == 1  # the outcome's workload: a later one can't take its clicks


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (OutcomeKind.question, "first-message"),
        (OutcomeKind.verdict, "first-message"),  # need_info: nothing to adjust yet
        (OutcomeKind.outage, "acme-ticket-routing"),
        (OutcomeKind.busy, "acme-ticket-routing"),
    ],
)
def test_replies_without_a_verdict_get_no_buttons(kind, name, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    blocks = [{"type": "divider"}]
    assert with_buttons(blocks, "T1", "C1", "1.0", outcome(kind, decision)) == blocks


def test_a_full_message_keeps_its_verdict_and_drops_the_buttons(prices, assumptions):
    decision = decision_for("acme-ticket-routing", prices, assumptions)
    blocks = [{"type": "divider"}] * MAX_BLOCKS
    assert with_buttons(blocks, "T1", "C1", "1.0", outcome(OutcomeKind.verdict, decision)) == blocks


def test_button_limits_are_checked():
    too_long = actions_block(dataclasses.replace(REF, decision="x" * 2000))
    with pytest.raises(RenderError, match="button's value"):
        validate_blocks([too_long])
    twins = actions_block(REF)
    twins["elements"][1]["action_id"] = ADJUST
    with pytest.raises(RenderError, match="share an action_id"):
        validate_blocks([twins])
