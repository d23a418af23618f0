"""What the bot posts when someone clicks a verdict's button or submits its form: the
thresholds that would flip it, the client summary to copy, and the new verdict after the form.

Each reply is a (notification text, blocks) pair, validated like every other message.
"""

from __future__ import annotations

from typing import Any

from bot.blocks import mrkdwn_escape, truncate, validate_blocks
from bot.conversation import Loaded, set_aside_number, ts_order
from bot.outcome import Outcome, OutcomeKind
from bot.storage import MessageRole
from bot.summary import client_summary
from bot.verdict import blocks as verdict_blocks
from bot.verdict import field_label, flip, headline, plain_fields, title, verdict_title
from bot.views import FormChange
from bot.wording import set_aside_text
from knowledge.decision import Decision, Verdict

Reply = tuple[str, list[dict[str, Any]]]


def _section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(markdown, 3000)}}


def _context(markdown: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(markdown, 3000)}]}


def stale_note(loaded: Loaded, current: bool, clicked_ts: str | None) -> str:
    """What to know of the clicked verdict before its answer ("" when nothing): it is of a
    workload the thread has set aside ("new workload"), or it is out of date (a later reply
    replaced it, or the thread was re-decided since: the weekly digest under new prices, or a
    form)."""
    notes = []
    aside = set_aside_number(loaded.thread)
    if aside is not None:
        notes.append(set_aside_text(aside))
    if not current:
        now = headline(loaded.decision) if loaded.decision is not None else "no verdict yet"
        later = clicked_ts is not None and any(
            m.role == MessageRole.bot and ts_order(m.slack_ts) > ts_order(clicked_ts)
            for m in loaded.messages
        )
        why = (
            "a later reply in the thread replaced it"
            if later
            else "the thread was re-decided since it was posted (prices or facts moved)"
        )
        what = f"workload {aside}" if aside is not None else "the thread"
        notes.append(
            f"The verdict you clicked is out of date: {why}. This is {what} as it stands now: "
            f"{now}."
        )
    return " ".join(notes)


def flip_reply(decision: Decision, user: str, stale: str = "") -> Reply:
    """*What would flip it?*: the thresholds of the verdict, posted in the thread."""
    heading, lines = flip(decision)
    listed = "\n".join(f"• {mrkdwn_escape(line)}" for line in lines)
    blocks = []
    if stale:
        blocks.append(_context(f"⚠️ {mrkdwn_escape(stale)}"))
    blocks.append(_section(f"*{mrkdwn_escape(heading)}* (asked by <@{user}>)\n{listed}"))
    blocks.append(_context(f"Verdict: {mrkdwn_escape(verdict_title(decision))}"))
    text = f"{heading}: " + " ".join(lines)
    return truncate(text, 3000), validate_blocks(blocks)


def summary_reply(decision: Decision, stale: str = "") -> Reply:
    """*Client summary*: the paragraph to paste, shown only to whoever clicked."""
    paragraph = client_summary(decision)
    blocks = []
    if stale:
        blocks.append(_context(f"⚠️ {mrkdwn_escape(stale)}"))
    blocks.append(
        _context("Client summary, ready to paste into an e-mail (only you can see this):")
    )
    # plain_text: copied from Slack it is exactly the paragraph, with no markup to clean up
    blocks.append({"type": "section", "text": {"type": "plain_text", "text": paragraph}})
    return truncate(paragraph, 3000), validate_blocks(blocks)


def no_thread_text() -> str:
    return (
        "I no longer have that scoping thread (it may have been deleted). Start a new one with "
        "`/ftscope <what the client wants>`."
    )


def form_reply(outcome: Outcome, changes: list[FormChange], user: str, moved: bool) -> Reply:
    """The reply in the thread to a submitted *Adjust numbers* form: what changed and who
    changed it, then the verdict the new facts give (or what still stops one)."""
    refused = {r.field for r in outcome.rejected}
    applied = [c for c in changes if c.field not in refused]  # said only of what was applied
    listed = ", ".join(
        f"*{field_label(c.field)} {mrkdwn_escape(c.before)} → {mrkdwn_escape(c.after)}*"
        for c in applied
    )
    first = (
        f"Updated by <@{user}> in the form: {listed}."
        if applied
        else f"<@{user}> sent the form, but none of its values could be applied."
    )
    decision = outcome.decision
    previous = outcome.previous_verdict
    if (
        decision is not None
        and previous is not None
        and previous is not Verdict.need_info
        and previous is not decision.verdict
    ):
        first += f" *Verdict changed: {previous.label} → {verdict_title(decision)}.*"
    if outcome.earlier_workload is not None:
        first = f"_({set_aside_text(outcome.earlier_workload)})_ {first}"
    lines = [first]
    for rejected in outcome.rejected:
        value = title(rejected.value) if rejected.field == "frontier_model" else rejected.value
        lines.append(
            f"I left out _{field_label(rejected.field)} = {mrkdwn_escape(value)}_: "
            f"{mrkdwn_escape(plain_fields(rejected.why))}."
        )
    if moved:
        lines.append(
            "_The thread changed while the form was open: only the values you changed were "
            "applied._"
        )
    blocks: list[dict[str, Any]] = [_section("\n".join(lines))]
    if decision is None or outcome.kind is OutcomeKind.problem:
        problems = "\n".join(f"• {mrkdwn_escape(plain_fields(p))}" for p in outcome.problems)
        blocks.append(_section(f"These facts don't fit together yet:\n{problems}"))
        return f"Updated in the form by <@{user}>", validate_blocks(blocks)
    blocks += verdict_blocks(decision)
    return truncate(f"Updated in the form · Verdict: {headline(decision)}", 3000), validate_blocks(
        blocks
    )
