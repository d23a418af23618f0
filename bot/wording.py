"""How facts and questions read in a reply: one place for the bot's words about each field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from knowledge.assumptions import Assumptions
from knowledge.facts import Facts


@dataclass(frozen=True)
class Question:
    fields: tuple[str, ...]  # the facts one answer settles
    ask: str
    examples: str


# In the order a salesperson would answer them; fields asked together share one bullet.
QUESTIONS: tuple[Question, ...] = (
    Question(
        ("task_type",),
        "What does the model do on each call?",
        '"routes tickets to 40 queues" (classification), "pulls totals out of invoices" '
        '(extraction), "writes product blurbs" (generation), "support chat"',
    ),
    Question(
        ("monthly_calls",),
        "How many calls a month in production?",
        '"~15M a month", "500k a day"',
    ),
    Question(
        ("domain", "frontier_drift"),
        "Is the domain specialised, and do frontier models get its terms wrong?",
        '"medical notes, and Sonnet keeps mangling ICD-10 codes", or "general support, no '
        'problem with terms"',
    ),
    Question(
        ("first_token_ms", "on_device"),
        "How fast must the first token come back, and must it run on device?",
        '"under 80 ms p95", "on the phone", or "no latency requirement"',
    ),
    Question(
        ("batch_ok",),
        "Can results come back within a day, or is someone waiting on each answer?",
        '"it runs nightly, next morning is fine", or "an agent is waiting on it"',
    ),
    Question(
        ("strict_format", "format_failure_rate"),
        "Must every output match a format exactly, and how often does it break today?",
        '"strict JSON schema, no retries; 3% fail now", or "we retry on bad JSON"',
    ),
    Question(
        ("format_schema",),
        "Can the output format be written down as a JSON schema?",
        '"yes, it\'s JSON against their schema", or "no, it\'s a fixed XML layout"',
    ),
    Question(
        ("baseline_measured", "baseline_quality", "target_quality"),
        "Has anyone measured a prompted frontier model on this?",
        '"Haiku 5.5 with a good prompt: 91% vs a 93% target", or "not yet"',
    ),
    Question(
        ("other_baselines",),
        "Has it been measured on any other Claude model?",
        '"Haiku 5.5 got 91%, Sonnet 5.5 94%", or "only the one"',
    ),
    Question(
        ("labeled_examples",),
        "How many labeled examples of correct output exist?",
        '"about 40k labeled tickets"',
    ),
)

FIELD_LABELS: dict[str, str] = {
    "use_case": "use case",
    "request": "request",
    "task_type": "task",
    "monthly_calls": "monthly calls",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "cached_prefix_tokens": "cached prompt tokens",
    "frontier_model": "frontier model",
    "baseline_measured": "baseline measured",
    "baseline_quality": "baseline quality",
    "target_quality": "target quality",
    "labeled_examples": "labeled examples",
    "domain": "domain",
    "frontier_drift": "frontier models drift on its terms",
    "first_token_ms": "first-token budget",
    "on_device": "on device",
    "strict_format": "strict output format",
    "format_failure_rate": "format failure rate",
    "batch_ok": "results can wait a day (batch)",
    "format_schema": "format fits a JSON schema",
    "other_baselines": "quality on other models",
    "build_cost_usd": "build cost",
    "monthly_ops_usd": "monthly ops",
}

_SHARES = {"baseline_quality", "target_quality", "format_failure_rate"}
_DOLLARS = {"build_cost_usd", "monthly_ops_usd"}


# How a model id reads: claude-haiku-5-5 -> Haiku 5.5, claude-sonnet-5 -> Sonnet 5.
_MODEL_ID = re.compile(r"claude-([a-z]+)-(\d+)(?:-(\d+))?")


def model_name(model: str) -> str:
    """A model as a person names it: "Haiku 5.5"; an id it can't read, as it is."""
    m = _MODEL_ID.fullmatch(model)
    if m is None:
        return model
    family, major, minor = m.groups()
    return f"{family.capitalize()} {major}{f'.{minor}' if minor else ''}"


def _share(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def show_value(field: str, value: Any) -> str:
    """A fact's value as a person reads it: 15,000,000 · 91% · yes · $27,500 · 80 ms."""
    if value is None:
        return "unknown"
    if field == "other_baselines" and isinstance(value, dict):
        return ", ".join(f"{model_name(m)} {_share(q)}" for m, q in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in _SHARES:
        return _share(value)
    if field in _DOLLARS:
        return f"${value:,.0f}"
    if field == "first_token_ms":
        return f"{value:,} ms"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("_", " ")


# Yes/no facts whose "not <label>" would read badly.
_FLAG_WORDS: dict[tuple[str, bool], str] = {
    ("batch_ok", True): "results can wait a day (batch, half price)",
    ("batch_ok", False): "results needed right away (no batch)",
    ("format_schema", True): "format fits a JSON schema",
    ("format_schema", False): "format can't be a JSON schema",
}


def show_fact(field: str, value: Any) -> str:
    """A fact on its own: "15,000,000 calls/month", "classification", "no strict format"."""
    shown = show_value(field, value)
    if isinstance(value, bool):
        return _FLAG_WORDS.get((field, value)) or (
            FIELD_LABELS[field] if value else f"not {FIELD_LABELS[field]}"
        )
    match field:
        case "other_baselines":
            if isinstance(value, dict) and len(value) == 1:
                ((model, share),) = value.items()
                return f"{model_name(model)} scored {_share(share)}"
            return f"other models scored {shown}"
        case "use_case":  # the extractor's words, not the user's: say so
            return f"{shown} (my summary)"
        case "monthly_calls":
            return f"{shown} calls/month"
        case "task_type":
            return shown
        case "domain":
            return f"{shown} domain"
        case "input_tokens" | "output_tokens" | "cached_prefix_tokens" | "labeled_examples":
            return f"{shown} {FIELD_LABELS[field]}"
        case "first_token_ms":
            return f"first token within {shown}"
        case _:
            return f"{FIELD_LABELS.get(field, field)} {shown}"


def questions_for(missing: list[str]) -> list[Question]:
    """The questions that settle the missing facts, each asked once, in a natural order."""
    wanted = set(missing)
    asked = [q for q in QUESTIONS if wanted.intersection(q.fields)]
    covered = {f for q in asked for f in q.fields}
    # A field with no question of its own still gets asked, plainly.
    asked.extend(
        Question((f,), f"What is the {FIELD_LABELS.get(f, f)}?", "")
        for f in missing
        if f not in covered
    )
    return asked


def optional_asks(facts: Facts, assumptions: Assumptions) -> list[str]:
    """Facts the math would otherwise assume, worth a line marked optional."""
    lines = []
    defaults = assumptions.default_tokens.get(facts.task_type) if facts.task_type else None
    if facts.input_tokens is None or facts.output_tokens is None:
        assumed = (
            f" Without them I assume {defaults.input:,} in / {defaults.output:,} out for "
            f"{facts.task_type.value if facts.task_type else 'this task'}."
            if defaults is not None
            else ""
        )
        lines.append(
            'typical tokens per call (e.g. "600 in / 10 out"), and how much of the prompt is '
            f"fixed instructions or examples.{assumed}"
        )
    if facts.frontier_model is None:
        lines.append(
            'which model they prompt today (e.g. "Haiku 5.5" or "Sonnet 5.5"). Without it I '
            f"price `{assumptions.default_frontier_model}`."
        )
    return lines
