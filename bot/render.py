"""Rendering replies: the verdict (bot/verdict.py, plain Python), and the Jinja2 templates of
templates/ for everything around it (a turn's lead, questions, the digest, the price sheet).

Cheap to import: `ftscope decide --format text|blocks` imports this module, so Jinja2, slack_sdk
and the digest's storage are imported only when something here first needs them. Block Kit
output is validated with slack_sdk and the limits of bot/blocks.py.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import answers, verdict
from bot.blocks import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    RenderError,
    mrkdwn_escape,
    truncate,
    validate_blocks,
)
from bot.outcome import Outcome, OutcomeKind
from bot.verdict import field_label
from bot.wording import (
    Question,
    best_guess_text,
    not_known_text,
    optional_asks,
    questions_for,
    set_aside_text,
    show_fact,
    show_value,
    shows_quote,
)
from knowledge.decision import Decision, Verdict

if TYPE_CHECKING:
    import jinja2

    from bot.digest import Digest
    from knowledge.assumptions import Assumptions
    from knowledge.prices import PriceSheet
    from knowledge.refresh import PriceChange

__all__ = [
    "MAX_BLOCKS",
    "MAX_CONTEXT_ELEMENTS",
    "MAX_FIELDS",
    "MAX_FIELD_TEXT",
    "MAX_HEADER_TEXT",
    "MAX_SECTION_TEXT",
    "RenderError",
    "TurnContext",
    "mrkdwn_escape",
    "truncate",
    "validate_blocks",
    "verdict_blocks",
    "verdict_fallback_text",
    "verdict_text",
]


def usd(value: float | None, per_call: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "∞"
    if per_call:
        return f"${value:.6f}" if abs(value) < 1 else f"${value:,.2f}"
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def calls(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "never"
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return (
                f"{value / size:,.3g}{unit}"
                if value < 1000 * size
                else f"{value / size:,.0f}{unit}"
            )
    return f"{value:,.0f}"


def percent(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.0%}"


def months(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "never"
    return f"{value:.1f} months"


def per_million(value: float | None) -> str:
    if value is None:
        return "—"
    per_mtok = value * 1e6
    return f"${per_mtok:,.2f}" if per_mtok >= 0.01 else f"${per_mtok:.3g}"


def price_of(value: float | None, field: str) -> str:
    """A price as the sheets quote it: per GPU-hour, or per million tokens."""
    if value is None:
        return "—"
    if field == "gpu_hourly_usd":
        return f"${value:,.2f}/h"
    return f"{per_million(value)}/Mtok"


def months_short(value: float | None) -> str:
    if value is None:
        return "?"
    if not math.isfinite(value):
        return "never"
    return f"{value:.1f}"


def usd_cents(value: float | None) -> str:
    return "$0.00" if not value else f"${value:,.2f}"


PRICE_FIELD_NAMES = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache read",
    "cache_creation_input_token_cost": "cache write",
    "gpu_hourly_usd": "GPU",
}
MAX_LISTED_CHARS = 2800  # a section holds 3,000; the rest is its title


def fit(items: list[Any], line: Any, limit: int = MAX_LISTED_CHARS) -> str:
    """One line per item, as many as fit a section, then "…and N more"."""
    lines: list[str] = []
    used = 0
    for index, item in enumerate(items):
        text = str(line(item))
        if used + len(text) + 1 > limit - 40:
            lines.append(f"…and {len(items) - index} more")
            break
        lines.append(text)
        used += len(text) + 1
    return "\n".join(lines)


def one_line(text: object) -> str:
    """User text inside a link label or a bold span: no newlines, no mrkdwn markers, no `|`."""
    return " ".join(str(text).translate(str.maketrans("*_~`|", "     ")).split())


@cache
def environment() -> jinja2.Environment:
    import jinja2  # noqa: PLC0415 - see the module docstring

    import templates  # noqa: PLC0415

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(templates.__file__).parent),
        autoescape=False,  # JSON templates escape with `tojson`, mrkdwn with `mrkdwn`
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    env.filters.update(
        mrkdwn=mrkdwn_escape,
        usd=usd,
        calls=calls,
        percent=percent,
        months=months,
        truncate_to=truncate,
        one_line=one_line,
        plain=verdict.plain_fields,
        per_million=per_million,
        price_of=price_of,
        months_short=months_short,
        usd_cents=usd_cents,
    )
    env.globals.update(
        PRICE_FIELD_NAMES=PRICE_FIELD_NAMES,
        label=field_label,
        headline=verdict.headline,
        verdict_title=verdict.verdict_title,
        fit=fit,
        show_fact=show_fact,
        shows_quote=shows_quote,
        best_guess=best_guess_text,
        set_aside=set_aside_text,
        inf=math.inf,
    )
    return env


def render_text(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_blocks(template: str, **context: Any) -> list[dict[str, Any]]:
    """Render a Block Kit template, then parse, validate and limit-check its blocks."""
    raw = render_text(template, **context)
    try:
        blocks = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RenderError(f"{template} rendered invalid JSON: {exc}") from exc
    return validate_blocks(blocks)


# -- the verdict (bot/verdict.py) --------------------------------------------------------


def verdict_blocks(decision: Decision) -> list[dict[str, Any]]:
    return verdict.blocks(decision)


def verdict_text(decision: Decision) -> str:
    return verdict.text(decision)


def verdict_fallback_text(decision: Decision) -> str:
    """The notification text that goes with the blocks (and screen readers use)."""
    return verdict.fallback_text(decision)


def price_sheet_text(sheet: PriceSheet) -> str:
    return render_text("prices.txt.j2", sheet=sheet)


# -- replies to a scoping turn ---------------------------------------------------------


@dataclass
class TurnContext:
    """What a reply to one message says, as the templates read it: values already shown."""

    decision: Decision
    assumptions: Assumptions
    learned: list[tuple[str, Any, str]] = field(default_factory=list)  # field, value, quote
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # field, old, new (shown)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # field, value, why
    previous_verdict: Verdict | None = None
    notes: list[str] = field(default_factory=list)  # how a number was read: a range's end...
    unconfirmed: list[tuple[str, str, str]] = field(default_factory=list)  # field, shown, quote
    reduced: str | None = None  # read offline: "no_key" or "outage"
    revised: str | None = None  # the reply is to a message "edited" or "deleted" in Slack
    routed: str | None = None  # a DM message that "continued" the open scoping or began a "new" one
    workload: int | None = None  # the turn began the Slack thread's workload of this number
    earlier_workload: int | None = None  # the turn changed this set-aside workload
    unknown_now: frozenset[str] = frozenset()  # facts this turn was told nobody knows
    noted_unknown: str = ""  # "Noted: nobody knows ..." of those nobody knew before either

    def __post_init__(self) -> None:
        if self.previous_verdict is Verdict.need_info:  # a first verdict is not a change
            self.previous_verdict = None

    @classmethod
    def of(cls, outcome: Outcome, assumptions: Assumptions) -> TurnContext:
        assert outcome.decision is not None
        return cls(
            decision=outcome.decision,
            assumptions=assumptions,
            learned=[(a.field, a.value, a.quote) for a in outcome.learned],
            changes=[
                (c.field, show_value(c.field, c.old), _shown_or_unknown(c.field, c.new))
                for c in outcome.changes
            ],
            rejected=[(r.field, r.value, r.why) for r in outcome.rejected],
            previous_verdict=outcome.previous_verdict,
            notes=outcome.notes + [dropped_note(f, v) for f, v in outcome.dropped],
            unconfirmed=[
                (a.field, show_value(a.field, a.value), a.quote) for a in outcome.unconfirmed
            ],
            reduced=None if outcome.reduced_before else outcome.reduced,
            revised=outcome.revised,
            routed=outcome.routed,
            workload=outcome.workload,
            earlier_workload=outcome.earlier_workload,
            unknown_now=frozenset(c.field for c in outcome.changes if c.new is None)
            | frozenset(outcome.unknown),
            noted_unknown=not_known_text(outcome.unknown),
        )

    @property
    def questions(self) -> list[Question]:
        return questions_for(self.decision.missing)

    @property
    def optional(self) -> list[str]:
        return optional_asks(self.decision.facts, self.assumptions)


def _shown_or_unknown(field: str, value: object) -> str:
    return "unknown" if value is None else show_value(field, value)


def dropped_note(field: str, value: object) -> str:
    return (
        f"dropped {field_label(field)} {show_value(field, value)}, which only my patterns had "
        "read: Claude, reading that message again, didn't find it"
    )


def turn_reply(outcome: Outcome, assumptions: Assumptions) -> tuple[str, list[dict[str, Any]]]:
    """The notification text and the blocks of the reply to a message ("" and no blocks for a
    quiet one: the edges post nothing)."""
    kind = outcome.kind
    if kind is OutcomeKind.quiet:
        return "", []
    spoken = _spoken(outcome, md=True)
    if spoken is not None:
        return spoken, render_blocks("text.blocks.json.j2", text=truncate(spoken, MAX_SECTION_TEXT))
    if kind is OutcomeKind.started_over:
        return _started_over(outcome, assumptions)
    if kind in (OutcomeKind.outage, OutcomeKind.busy):
        return outage_reply(len(outcome.after.known()), busy=kind is OutcomeKind.busy)
    if kind is OutcomeKind.problem:
        return problem_reply(outcome.problems)
    c = TurnContext.of(outcome, assumptions)
    clash = clash_text(outcome, md=True)
    first = render_blocks("text.blocks.json.j2", text=clash) if clash else []
    if kind is OutcomeKind.question:
        blocks = render_blocks("question.blocks.json.j2", c=c)
        count = len(c.questions)
        text = f"To decide I still need {count} more fact{'s' if count != 1 else ''}."
        return text, validate_blocks(first + blocks)
    if kind is OutcomeKind.unchanged:
        blocks = render_blocks("unchanged.blocks.json.j2", c=c)
    else:
        lead = json.loads(render_text("turn_lead.blocks.json.j2", c=c))
        blocks = lead + verdict_blocks(c.decision)
    return verdict_fallback_text(c.decision), validate_blocks(first + blocks)


def clash_text(outcome: Outcome, *, md: bool) -> str | None:
    """The one question about facts that don't fit together (the first clash), and which facts
    the verdict leaves out until it is answered; None when everything fits."""
    if not outcome.problems or not outcome.set_aside:
        return None
    name, _, why = outcome.problems[0].partition(":")
    why = verdict.plain_fields(why.strip().rstrip("."))
    aside = " and ".join(field_label(f) for f in outcome.set_aside)
    if md:
        why, aside = mrkdwn_escape(why), f"*{aside}*"
    return (
        f"One thing doesn't fit: {field_label(name.strip())} {why}. Which is right? Until "
        f"that's settled I've left {aside} out and worked from the rest."
    )


def turn_text(outcome: Outcome, assumptions: Assumptions) -> str:
    """The whole reply as plain text, for a terminal ("" for a quiet one)."""
    kind = outcome.kind
    if kind is OutcomeKind.quiet:
        return ""
    spoken = _spoken(outcome, md=False)
    if spoken is not None:
        return _unmarked(spoken)
    if kind is OutcomeKind.started_over:
        c = TurnContext.of(outcome, assumptions)
        cleared = _cleared(outcome)
        return cleared + "\n\n" + render_text("turn.txt.j2", c=c, kind="question", verdict_text="")
    if kind in (OutcomeKind.outage, OutcomeKind.busy, OutcomeKind.problem):
        return turn_reply(outcome, assumptions)[0]
    c = TurnContext.of(outcome, assumptions)
    shown = verdict_text(c.decision) if kind is OutcomeKind.verdict else ""
    text = render_text("turn.txt.j2", c=c, kind=kind.value, verdict_text=shown)
    clash = clash_text(outcome, md=False)
    return f"{clash}\n\n{text}" if clash else text


def _spoken(outcome: Outcome, *, md: bool) -> str | None:
    """The reply to a turn that asked rather than told: one piece of text, or None."""
    kind = outcome.kind
    if kind is OutcomeKind.answer:
        assert outcome.topic is not None
        return answers.answer(outcome.decision, outcome.topic)
    if kind is OutcomeKind.what_if:
        return answers.what_if(outcome.decision, outcome.changes, outcome.problems)
    if kind is OutcomeKind.facts_list:
        return answers.facts_list(outcome.after, outcome.quotes, md=md)
    if kind is OutcomeKind.summary:
        return answers.summary(outcome.decision)
    if kind is OutcomeKind.help:
        return help_text()
    if kind is OutcomeKind.new_workload:
        return new_workload_text(outcome, md=md)
    if kind is OutcomeKind.nothing_to_undo:
        return "There's nothing to undo yet: no fact of this thread has changed."
    return None


def new_workload_text(outcome: Outcome, *, md: bool) -> str:
    """The reply to "new workload" with nothing said of it yet."""
    before = outcome.previous_decision
    if before is None or before.verdict is Verdict.need_info:
        kept = "it had no verdict yet, and its facts are kept"
    else:
        title = verdict.verdict_title(before)
        kept = f"its verdict stays *{title}*" if md else f"its verdict stays {title}"
    return (
        f"Workload {outcome.workload} of this thread: I've set the one before aside as it was "
        f"({kept}; the weekly digest still checks it). Tell me about the new one as you would "
        "a new request: what the model does on each call, and how many calls a month."
    )


def _cleared(outcome: Outcome) -> str:
    count = len(outcome.before.known())
    return f"Starting over: I've cleared {count} fact{'s' if count != 1 else ''}."


def _started_over(outcome: Outcome, assumptions: Assumptions) -> tuple[str, list[dict[str, Any]]]:
    c = TurnContext.of(outcome, assumptions)
    lead = render_blocks("text.blocks.json.j2", text=_cleared(outcome))
    return _cleared(outcome), validate_blocks(lead + render_blocks("question.blocks.json.j2", c=c))


def _unmarked(text: str) -> str:
    """mrkdwn emphasis taken off, for a terminal."""
    return re.sub(r"(?<![\w*_])[*_]|[*_](?![\w*_])", "", text)


OUTAGE_TEXT = (
    "I couldn't reach Claude just now, so I've kept everything from this thread ({facts}). "
    "Reply again in a minute and I'll pick up where we left off."
)
BUSY_TEXT = (
    "I'm answering a lot of threads right now and couldn't get to this one in time, so I've "
    "kept everything from this thread ({facts}). Reply again in a minute and I'll pick up "
    "where we left off."
)


def outage_reply(known_facts: int, busy: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The reply when a turn can't be read in time: Claude is down, or the bot is swamped."""
    facts = f"{known_facts} fact{'s' if known_facts != 1 else ''}"
    text = (BUSY_TEXT if busy else OUTAGE_TEXT).format(facts=facts)
    return text, render_blocks("text.blocks.json.j2", text=text)


def problem_reply(problems: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """Facts that contradict each other: keep them and say which, so the user can fix one."""
    listed = "\n".join(f"• {mrkdwn_escape(verdict.plain_fields(p))}" for p in problems)
    text = (
        "I've kept these facts, but they don't fit together yet:\n"
        f"{listed}\nCould you check those numbers?"
    )
    return text, render_blocks("text.blocks.json.j2", text=truncate(text, MAX_SECTION_TEXT))


INTERNAL_ERROR_TEXT = (
    "Something went wrong on my side with that message. Everything from this thread so far is "
    "saved: reply again and I'll pick up from there."
)


def help_text() -> str:
    return render_text("help.txt.j2").strip()


def scoping_parent_text(description: str, user_id: str) -> str:
    """The channel message a `/ftscope` thread hangs from."""
    return render_text(
        "scoping_parent.txt.j2", description=" ".join(description.split()), user=user_id
    ).strip()


def prices_reply(sheet: PriceSheet) -> str:
    """`/ftscope prices`: the sheet as a monospace table (ephemeral, so no block limits)."""
    return f"```\n{price_sheet_text(sheet).strip()}\n```"


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    return render_blocks("digest.blocks.json.j2", d=digest)


def digest_text(digest: Digest) -> str:
    return render_text("digest.txt.j2", d=digest)


def digest_fallback_text(digest: Digest) -> str:
    if digest.quiet:
        return f"Pricing digest · {digest.week}: a quiet week"
    flips = len(digest.flips)
    return (
        f"Pricing digest · {digest.week}: {len(digest.changes)} price changes, "
        f"{flips} verdict{'s' if flips != 1 else ''} flipped"
    )


def change_text(change: PriceChange) -> str:
    """One price change as a line of text (the `prices refresh` report)."""
    return render_text("_digest_line.txt.j2", c=change).strip()
