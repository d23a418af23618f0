"""The bot's modals: *Adjust numbers* (a verdict's facts as a form) and *New scoping* (from the
Home tab), and reading what comes back when they are submitted.

The form shows the facts as a salesperson reads them (quality in percent, money in dollars) and
the build cost and monthly ops the verdict used, assumed or given. Only what the user changed
is applied: each input's value as shown travels in the view's `private_metadata`, so a fact a
later message changed while the form was open isn't overwritten by the stale copy in the form.
A bad value comes back as Slack's inline error under its input (`response_action: errors`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from bot.blocks import mrkdwn_escape, tidy_lines, truncate, validate_view
from bot.buttons import VerdictRef
from bot.verdict import Words, money, plain_fields, title
from bot.wording import show_value
from knowledge.assumptions import Assumptions
from knowledge.decision import Decision
from knowledge.errors import problems_from
from knowledge.facts import Facts, Kind, about
from knowledge.market import offered
from knowledge.prices import PriceSheet

ADJUST_FORM = "ftscope_adjust_form"  # callback_id
NEW_SCOPING_FORM = "ftscope_new_scoping_form"
FLAGS_BLOCK = "flags"
VALUE = "value"  # every input's action_id: its block_id names the fact
MAX_ERROR_TEXT = 300


@dataclass(frozen=True)
class NumberInput:
    """One number of the form: a fact, as people enter it."""

    name: str
    label: str
    unit: str  # "count", "percent", "dollars" or "ms"
    minimum: int
    maximum: int

    @property
    def decimal(self) -> bool:
        return self.unit in ("percent", "dollars")


# How each kind of number is entered: quality in percent, money in dollars.
_ENTERED_AS = {
    Kind.rate: "count",
    Kind.count: "count",
    Kind.examples: "count",
    Kind.quality: "percent",
    Kind.share: "percent",
    Kind.dollars: "dollars",
    Kind.milliseconds: "ms",
}
_FACT_SCHEMAS: dict[str, Any] = Facts.model_json_schema()["properties"]


def number_input(name: str) -> NumberInput:
    """The input of a number fact: its form label, its unit, and the fact's own bounds (its
    field's constraints) as entered (a share of 1 is 100 percent)."""
    fact = about(name)
    unit = _ENTERED_AS[fact.kind]
    (number,) = (s for s in _FACT_SCHEMAS[name]["anyOf"] if s["type"] in ("integer", "number"))
    scale = 100 if unit == "percent" else 1
    low = number["minimum"] if "minimum" in number else number["exclusiveMinimum"] + 1
    return NumberInput(name, fact.form, unit, int(low * scale), int(number["maximum"] * scale))


# The form's sections, each a heading and its facts in order: numbers and the model select.
LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Volume and prompt",
        (
            "monthly_calls",
            "frontier_model",
            "input_tokens",
            "output_tokens",
            "cached_prefix_tokens",
        ),
    ),
    ("Quality and data", ("baseline_quality", "target_quality", "labeled_examples")),
    ("Latency and format", ("first_token_ms", "format_failure_rate")),
    ("The fine-tune's cost", ("build_cost_usd", "monthly_ops_usd")),
)
SECTIONS: tuple[tuple[str, tuple[NumberInput | str, ...]], ...] = tuple(
    (heading, tuple(n if n == "frontier_model" else number_input(n) for n in names))
    for heading, names in LAYOUT
)
NUMBERS: dict[str, NumberInput] = {
    item.name: item for _, items in SECTIONS for item in items if isinstance(item, NumberInput)
}
# The yes/no facts, in the form's order, as a checkbox reads when ticked.
FLAGS: dict[str, str] = {
    name: about(name).form
    for name in (
        "baseline_measured",
        "batch_ok",
        "strict_format",
        "format_schema",
        "frontier_drift",
        "on_device",
    )
}
FORM_FIELDS = frozenset({*NUMBERS, "frontier_model", *FLAGS})
_ASSUMABLE = ("build_cost_usd", "monthly_ops_usd")  # shown even when the facts don't set them


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _context(markdown: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(markdown, 3000)}]}


# -- values as the form shows them and reads them back -------------------------------------------


def number_text(unit: str, value: float | int) -> str:
    """A fact's value as its input shows it: 15000000 · 91 · 27500 · 2.5."""
    shown = value * 100 if unit == "percent" else value
    if isinstance(shown, float):
        text = f"{shown:.4f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(shown)


def parse_number(spec: NumberInput, text: str) -> float | int:
    """A submitted value as the fact takes it; ValueError with what to enter instead."""
    try:
        number = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation as exc:
        raise ValueError(_expected(spec)) from exc
    if not number.is_finite() or number < spec.minimum or number > spec.maximum:
        raise ValueError(_expected(spec))
    if spec.unit == "percent":
        return float(number / 100)
    if spec.unit == "dollars":
        return float(number)
    if number != number.to_integral_value():
        raise ValueError(_expected(spec))
    return int(number)


def _expected(spec: NumberInput) -> str:
    if spec.unit == "percent":
        return "Enter a percentage from 0 to 100, like 91 or 92.5."
    if spec.unit == "dollars":
        return "Enter an amount in US dollars, 0 or more, like 27500."
    low = "1" if spec.minimum else "0"
    return f"Enter a whole number, {low} or more, without units: like 15000000."


def _unchanged(now: str, was: str) -> bool:
    """The same number, however written ("91" and "91.0")."""
    if not now or not was:
        return now == was
    try:
        return Decimal(now) == Decimal(was)
    except InvalidOperation:
        return now == was


def shown(name: str, value: Any) -> str:
    """A value in a "what changed" line: 15,000,000 · 91% · Claude Haiku 5.5 · yes · unknown."""
    if value is None:
        return "unknown"
    if name == "frontier_model":
        return title(str(value))
    return show_value(name, value)


def facts_digest(facts: Facts) -> str:
    """The facts in 16 hex digits: whether they moved while a form was open."""
    canonical = json.dumps(facts.known(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# -- the Adjust numbers form ----------------------------------------------------------------------


@dataclass(frozen=True)
class FormState:
    """What the form showed, kept in the view's private_metadata."""

    ref: VerdictRef
    numbers: dict[str, str]  # block_id -> the value as shown ("" when blank)
    model: str | None
    checked: list[str]
    unticked_no: list[str]  # flags known to be false (unticked, as unknown ones are)
    assumed: dict[str, float]  # build cost and ops the verdict assumed (no fact set them)
    default_model: str | None = None  # what the verdict priced when no model was named
    facts: str = ""  # `facts_digest` of the facts the form opened on
    threaded: bool = True  # the clicked verdict was in its thread (not at the top of a DM)

    def to_metadata(self) -> str:
        return json.dumps(
            {
                "ref": self.ref.value,
                "numbers": self.numbers,
                "model": self.model,
                "checked": self.checked,
                "no": self.unticked_no,
                "assumed": self.assumed,
                "default_model": self.default_model,
                "facts": self.facts,
                "threaded": self.threaded,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_metadata(cls, metadata: str) -> FormState:
        data = json.loads(metadata)
        return cls(
            VerdictRef.parse(data["ref"]),
            dict(data["numbers"]),
            data.get("model"),
            list(data["checked"]),
            list(data.get("no", [])),
            {k: float(v) for k, v in data.get("assumed", {}).items()},
            data.get("default_model"),
            data.get("facts", ""),
            bool(data.get("threaded", True)),
        )


def _model_options(prices: PriceSheet, today: dt.date, current: str | None) -> list[dict]:
    """Current models first, cheapest input first; the thread's model too if retired since."""
    models = [m for m, p in prices.models.items() if offered(p, today)]
    models.sort(key=lambda m: (prices.models[m].input_cost_per_token, m))
    options = [{"text": _plain(title(m)), "value": m} for m in models]
    if current is not None and current not in models and current in prices.models:
        options.append({"text": _plain(f"{title(current)} (retired)"), "value": current})
    return options


def adjust_view(
    ref: VerdictRef,
    facts: Facts,
    decision: Decision | None,
    prices: PriceSheet,
    assumptions: Assumptions,
    *,
    quotes: dict[str, str] | None = None,
    today: dt.date | None = None,
    stale: str | None = None,
    threaded: bool = True,
) -> dict[str, Any]:
    """The modal *Adjust numbers* opens: the thread's facts, ready to change. `threaded`:
    the clicked verdict was in its thread, where the new verdict goes (else at the top of a
    DM)."""
    today = today or dt.date.today()
    quotes = quotes or {}
    known = facts.known()
    in_use = {
        "build_cost_usd": facts.build_cost_usd
        if facts.build_cost_usd is not None
        else assumptions.computed_build_cost,
        "monthly_ops_usd": facts.monthly_ops_usd
        if facts.monthly_ops_usd is not None
        else assumptions.monthly_ops_usd,
    }
    assumed = {name: float(v) for name, v in in_use.items() if getattr(facts, name) is None}
    blocks: list[dict[str, Any]] = []
    if stale:
        blocks.append(_context(f"⚠️ {mrkdwn_escape(stale)}"))
    workload = " ".join((facts.use_case or "This scoping thread").split())
    now = f"Verdict now: *{mrkdwn_escape(Words(decision).headline)}*" if decision else ""
    blocks.append(
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(f"*{mrkdwn_escape(workload)}*\n{now}".strip(), 3000),
            },
        }
    )
    blocks.append(
        _context(
            "Change any number and press *Re-decide*: I'll post the new verdict in the thread. "
            "Leave a box empty for unknown."
        )
    )
    numbers: dict[str, str] = {}
    for heading, items in SECTIONS:
        blocks.append({"type": "header", "text": _plain(heading)})
        for item in items:
            if item == "frontier_model":
                blocks.append(_model_input(facts, prices, assumptions, today, quotes))
                continue
            assert isinstance(item, NumberInput)
            value = in_use.get(item.name, known.get(item.name))
            text = "" if value is None else number_text(item.unit, value)
            numbers[item.name] = text
            hint = _hint(item.name, quotes.get(item.name), item.name in assumed, assumptions)
            blocks.append(_number_input(item, text, hint))
    blocks.append({"type": "header", "text": _plain("Yes or no")})
    checked = [name for name in FLAGS if known.get(name) is True]
    no = [name for name in FLAGS if known.get(name) is False]
    blocks.append(_flags_input(checked, facts))
    default = None if facts.frontier_model else assumptions.default_frontier_model
    state = FormState(
        ref,
        numbers,
        facts.frontier_model,
        checked,
        no,
        assumed,
        default,
        facts_digest(facts),
        threaded,
    )
    return validate_view(
        {
            "type": "modal",
            "callback_id": ADJUST_FORM,
            "title": _plain("Adjust numbers"),
            "submit": _plain("Re-decide"),
            "close": _plain("Cancel"),
            "private_metadata": state.to_metadata(),
            "blocks": blocks,
        }
    )


def _hint(name: str, quote: str | None, assumed: bool, assumptions: Assumptions | None) -> str:
    if assumed and name == "build_cost_usd" and assumptions is not None:
        a = assumptions
        return (
            f"Assumed: {a.engineering_weeks:g} engineering weeks × {money(a.weekly_rate_usd)} + "
            f"{money(a.training_compute_usd)} training + {money(a.eval_suite_usd)} eval suite. "
            "Enter the client's own figure to use it."
        )
    if assumed:
        return "Assumed by the playbook. Enter the client's own figure to use it."
    if quote:
        return truncate(f"From “{' '.join(quote.split())}”", 150)
    return ""


def _number_input(spec: NumberInput, text: str, hint: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "action_id": VALUE,
        "is_decimal_allowed": spec.decimal,
        "min_value": str(spec.minimum),
        "max_value": str(spec.maximum),
    }
    if text:
        element["initial_value"] = text
    block: dict[str, Any] = {
        "type": "input",
        "block_id": spec.name,
        "optional": True,
        "label": _plain(spec.label),
        "element": element,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _model_input(
    facts: Facts,
    prices: PriceSheet,
    assumptions: Assumptions,
    today: dt.date,
    quotes: dict[str, str],
) -> dict[str, Any]:
    options = _model_options(prices, today, facts.frontier_model)
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": VALUE,
        "placeholder": _plain("The model they prompt today"),
        "options": options,
    }
    chosen = next((o for o in options if o["value"] == facts.frontier_model), None)
    if chosen is not None:
        element["initial_option"] = chosen
    block: dict[str, Any] = {
        "type": "input",
        "block_id": "frontier_model",
        "optional": True,
        "label": _plain(about("frontier_model").form),
        "element": element,
    }
    if facts.frontier_model is None:
        hint = f"None named: priced on {title(assumptions.default_frontier_model)}."
    else:
        hint = _hint("frontier_model", quotes.get("frontier_model"), False, None)
    if hint:
        block["hint"] = _plain(hint)
    return block


def _flags_input(checked: list[str], facts: Facts) -> dict[str, Any]:
    options = [{"text": _plain(text), "value": name} for name, text in FLAGS.items()]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": VALUE, "options": options}
    initial = [o for o in options if o["value"] in checked]
    if initial:
        element["initial_options"] = initial
    known_no = [FLAGS[n].lower() for n in FLAGS if getattr(facts, n) is False]
    hint = "An unticked box stays as it was unless you untick it."
    if known_no:
        hint = f"Known to be no: {'; '.join(known_no)}. {hint}"
    return {
        "type": "input",
        "block_id": FLAGS_BLOCK,
        "optional": True,
        "label": _plain("What holds for this workload"),
        "element": element,
        "hint": _plain(truncate(hint, 2000)),
    }


# -- reading a submitted form -------------------------------------------------------------------


@dataclass(frozen=True)
class FormChange:
    """One value the user changed: the fact, and both values as a person reads them."""

    field: str
    before: str
    after: str


@dataclass
class FormRead:
    state: FormState
    values: dict[str, Any] = field(default_factory=dict)  # fact -> new value (None: unknown)
    changes: list[FormChange] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # block_id -> what to fix


def _state_value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(VALUE) or {}


def read_form(view: dict[str, Any]) -> FormRead:
    """What the user changed in a submitted *Adjust numbers* form, and any value that can't be
    a fact (named under its input)."""
    state = FormState.from_metadata(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    read = FormRead(state)
    for name, spec in NUMBERS.items():
        was = state.numbers.get(name, "")
        raw = _state_value(values, name).get("value")
        now = "" if raw is None else str(raw).strip()
        if _unchanged(now, was):
            continue
        assumed = state.assumed.get(name)
        if not now:
            if assumed is not None:
                continue  # blank where the playbook assumed: the assumption stays anyway
            read.values[name] = None
            read.changes.append(FormChange(name, shown(name, _fact_value(spec, was)), "unknown"))
            continue
        try:
            value = parse_number(spec, now)
        except ValueError as exc:
            read.errors[name] = str(exc)
            continue
        before = shown(name, _fact_value(spec, was)) if was else "unknown"
        if assumed is not None:
            before += " (assumed)"
        read.values[name] = value
        read.changes.append(FormChange(name, before, shown(name, value)))
    chosen = (_state_value(values, "frontier_model").get("selected_option") or {}).get("value")
    if chosen and chosen != state.model:
        before = shown("frontier_model", state.model)
        if state.model is None and state.default_model:
            before = f"{title(state.default_model)} (assumed)"
        read.values["frontier_model"] = chosen
        read.changes.append(FormChange("frontier_model", before, title(chosen)))
    ticked = {
        o.get("value") for o in _state_value(values, FLAGS_BLOCK).get("selected_options") or []
    }
    for name in FLAGS:
        was_ticked = name in state.checked
        if name in ticked and not was_ticked:
            read.values[name] = True
            before = "no" if name in state.unticked_no else "unknown"
            read.changes.append(FormChange(name, before, "yes"))
        elif was_ticked and name not in ticked:
            read.values[name] = False
            read.changes.append(FormChange(name, "yes", "no"))
    return read


def _fact_value(spec: NumberInput, text: str) -> float | int | None:
    try:
        return parse_number(spec, text)
    except ValueError:
        return None


def facts_errors(known: Facts, values: dict[str, Any]) -> dict[str, str]:
    """Problems of the facts the form would leave, each under the input it names."""
    merged = {k: v for k, v in known.known().items() if k not in values}
    merged |= {k: v for k, v in values.items() if v is not None}
    try:
        Facts.model_validate(merged)
    except ValidationError as exc:
        return errors_by_block(problems_from(exc), values)
    return {}


def errors_by_block(problems: list[str], values: dict[str, Any]) -> dict[str, str]:
    """The engine's problems ("cached_prefix_tokens: must be ≤ input_tokens …"), each under
    the input of the fact it names, in words people use; one that names no input of the form
    goes under the first value the user changed."""
    errors: dict[str, str] = {}
    fallback = next(iter(values), "monthly_calls")
    for problem in problems:
        name, _, why = problem.partition(":")
        named = name.strip()
        block = named if named in FORM_FIELDS else fallback
        if block in FLAGS:
            block = FLAGS_BLOCK  # one input holds every flag: the message names which
        text = plain_fields(why.strip() if block == named else problem)
        text = text[:1].upper() + text[1:]
        joined = f"{errors[block]} {text}" if block in errors else text
        errors[block] = truncate(joined, MAX_ERROR_TEXT)
    return errors


# -- the New scoping modal (Home tab) -----------------------------------------------------------


NEW_SCOPING_CHANNEL = "channel"
NEW_SCOPING_TEXT = "description"


def new_scoping_view() -> dict[str, Any]:
    """Start a scoping thread in a channel the user picks."""
    return validate_view(
        {
            "type": "modal",
            "callback_id": NEW_SCOPING_FORM,
            "title": _plain("New scoping"),
            "submit": _plain("Start scoping"),
            "close": _plain("Cancel"),
            "blocks": [
                {
                    "type": "input",
                    "block_id": NEW_SCOPING_CHANNEL,
                    "label": _plain("Channel"),
                    "element": {
                        "type": "conversations_select",
                        "action_id": VALUE,
                        "placeholder": _plain("Where the thread should go"),
                        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                        # Slack then sends a response_url for this channel: a refused post can
                        # be explained to the user there.
                        "response_url_enabled": True,
                    },
                    "hint": _plain(
                        "I post only in channels I'm a member of: /invite @ftscope there first."
                    ),
                },
                {
                    "type": "input",
                    "block_id": NEW_SCOPING_TEXT,
                    "label": _plain("What does the client want?"),
                    "element": {
                        "type": "plain_text_input",
                        "action_id": VALUE,
                        "multiline": True,
                        "max_length": 3000,
                        "placeholder": _plain(
                            "Acme wants to fine-tune support ticket routing, ~15M tickets a month"
                        ),
                    },
                },
                _context(
                    "I'll post “Fine-tune scoping: …” in that channel and ask for whatever is "
                    "missing in its thread."
                ),
            ],
        }
    )


@dataclass(frozen=True)
class NewScoping:
    channel: str | None
    text: str
    response_url: str | None
    errors: dict[str, str]


def read_new_scoping(view: dict[str, Any], response_urls: list[dict[str, Any]]) -> NewScoping:
    values = (view.get("state") or {}).get("values") or {}
    channel = _state_value(values, NEW_SCOPING_CHANNEL).get("selected_conversation")
    text = tidy_lines(str(_state_value(values, NEW_SCOPING_TEXT).get("value") or ""))
    errors = {}
    if not channel:
        errors[NEW_SCOPING_CHANNEL] = "Pick the channel the thread should go in."
    if not text:
        errors[NEW_SCOPING_TEXT] = "Describe what the client wants fine-tuned."
    url = next(
        (u.get("response_url") for u in response_urls if u.get("block_id") == NEW_SCOPING_CHANNEL),
        None,
    )
    return NewScoping(channel, text, url, errors)


def notice_view(heading: str, text: str) -> dict[str, Any]:
    """A modal that only says something (the thread is gone, say)."""
    return validate_view(
        {
            "type": "modal",
            "title": _plain(truncate(heading, 24)),
            "close": _plain("Close"),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    )
