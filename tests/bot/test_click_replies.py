"""What a click posts: the thresholds that would flip the verdict, the client summary (to the
clicker only), the new verdict after the form; and what an out-of-date click says."""

import json
from types import SimpleNamespace

import pytest

from bot import verdict
from bot.click_replies import flip_reply, form_reply, stale_note, summary_reply
from bot.outcome import Change, Outcome, OutcomeKind
from bot.summary import client_summary
from bot.views import FormChange
from knowledge import Facts, Verdict
from knowledge.provenance import Rejected
from tests.bot.test_render import ALL, GOLDEN, check_golden, decision_for


def test_what_would_flip_each_kind_of_verdict_matches_golden(prices, assumptions, update_golden):
    out = []
    for name in ALL:
        heading, lines = verdict.flip(decision_for(name, prices, assumptions))
        out.append(f"## {name}\n{heading}\n" + "".join(f"- {line}\n" for line in lines))
    check_golden(GOLDEN / "flip.txt", "\n".join(out), update_golden)


def test_the_flip_reply_names_who_asked_and_the_verdict(prices, assumptions, update_golden):
    decision = decision_for("acme-ticket-routing", prices, assumptions)
    text, blocks = flip_reply(decision, "U0SAM")
    assert text.startswith("What would have to be true against Haiku 4.5: ")
    assert "(asked by <@U0SAM>)" in blocks[0]["text"]["text"]
    assert "from 6.4M calls a month (today 15M)" in blocks[0]["text"]["text"]
    check_golden(
        GOLDEN / "flip-reply.blocks.json",
        json.dumps(blocks, indent=2, ensure_ascii=False) + "\n",
        update_golden,
    )


def test_the_thresholds_cover_volume_build_ops_and_price(prices, assumptions):
    _, lines = verdict.flip(decision_for("payments-fraud-tagging", prices, assumptions))
    said = " ".join(lines)
    for words in ("calls a month", "build costs under", "Ops can rise to", "price falls by"):
        assert words in said


def test_a_verdict_the_request_decides_says_no_number_flips_it(prices, assumptions):
    _, lines = verdict.flip(decision_for("knowledge-base", prices, assumptions))
    assert "no number in the thread flips it" in lines[0]


def test_the_summary_reply_is_the_paragraph_in_plain_text(prices, assumptions, update_golden):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    text, blocks = summary_reply(decision)
    assert text == client_summary(decision)
    assert blocks[-1] == {"type": "section", "text": {"type": "plain_text", "text": text}}
    assert "only you can see this" in blocks[0]["elements"][0]["text"]
    check_golden(
        GOLDEN / "summary-reply.blocks.json",
        json.dumps(blocks, indent=2, ensure_ascii=False) + "\n",
        update_golden,
    )


def test_an_out_of_date_click_says_so_first(prices, assumptions):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    _, blocks = summary_reply(decision, "The verdict you clicked is out of date.")
    assert blocks[0]["elements"][0]["text"] == "⚠️ The verdict you clicked is out of date."
    _, blocks = flip_reply(decision, "U1", "The verdict you clicked is out of date.")
    assert blocks[0]["type"] == "context"


def loaded(decision, *messages, workload=1, status="decided"):
    return SimpleNamespace(
        decision=decision,
        messages=[SimpleNamespace(role=role, slack_ts=ts) for role, ts in messages],
        thread=SimpleNamespace(workload=workload, status=status),
    )


def test_why_a_verdict_is_out_of_date(prices, assumptions):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    thread = loaded(decision, ("user", "1.1"), ("bot", "1.2"), ("bot", "1.10"))
    assert stale_note(thread, True, "1.2") == ""
    later = stale_note(thread, False, "1.2")
    assert "a later reply in the thread replaced it" in later
    assert later.endswith(f"as it stands now: {verdict.headline(decision)}.")
    redecided = stale_note(thread, False, "1.10")
    assert "re-decided since it was posted" in redecided


def test_a_verdict_of_a_set_aside_workload_says_so_before_anything_else(prices, assumptions):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    aside = loaded(decision, ("user", "1.1"), ("bot", "1.2"), workload=2, status="closed")
    first = (
        "Workload 2 of this thread, set aside when the next one began: this is about workload 2 "
        "only; the thread's current workload is as it was."
    )
    assert stale_note(aside, True, "1.2") == first
    moved = stale_note(aside, False, "1.2")
    assert moved.startswith(first + " The verdict you clicked is out of date: the thread was ")
    assert moved.endswith(f"This is workload 2 as it stands now: {verdict.headline(decision)}.")


def test_the_form_reply_says_who_changed_what_then_the_verdict(prices, assumptions, update_golden):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    outcome = Outcome(
        OutcomeKind.verdict,
        1,
        Facts(),
        decision.facts,
        decision=decision,
        changes=[Change("monthly_calls", 15_000_000, 200_000_000)],
        previous_verdict=Verdict.measure_baseline,
        rejected=[Rejected("input_tokens", "900000", "must be ≤ 10,000 for cached_prefix_tokens")],
    )
    changes = [FormChange("monthly_calls", "15,000,000", "200,000,000")]
    text, blocks = form_reply(outcome, changes, "U0SAM", moved=True)
    lead = blocks[0]["text"]["text"]
    assert lead.startswith(
        "Updated by <@U0SAM> in the form: *monthly calls 15,000,000 → 200,000,000*. "
        "*Verdict changed: Measure the prompted baseline first → Fine-tune.*"
    )
    assert "I left out _input tokens = 900000_: must be ≤ 10,000 for cached prompt tokens." in lead
    assert "only the values you changed were applied" in lead
    assert blocks[1:] == verdict.blocks(decision)
    assert text == f"Updated in the form · Verdict: {verdict.headline(decision)}"
    check_golden(
        GOLDEN / "form-reply.blocks.json",
        json.dumps(blocks, indent=2, ensure_ascii=False) + "\n",
        update_golden,
    )


def test_a_form_that_leaves_no_decision_says_what_doesnt_fit():
    outcome = Outcome(OutcomeKind.problem, 1, Facts(), Facts(), problems=["monthly_calls: odd"])
    _, blocks = form_reply(outcome, [FormChange("monthly_calls", "1", "2")], "U1", moved=False)
    assert "don't fit together yet:\n• monthly calls: odd" in blocks[1]["text"]["text"]


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_reply_is_valid_for_every_verdict(name, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    flip_reply(decision, "U1", "stale")
    summary_reply(decision, "stale")
