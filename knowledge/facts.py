"""The one facts schema: `ftscope decide` input, a scoping thread's state, and what Claude fills."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from knowledge.documents import require_mapping
from knowledge.errors import InputError, problems_from


class Request(StrEnum):
    cost = "cost"
    domain_vocabulary = "domain_vocabulary"
    latency = "latency"
    output_format = "output_format"
    brand_voice = "brand_voice"
    knowledge_base = "knowledge_base"
    improve_quality = "improve_quality"
    other = "other"


class TaskType(StrEnum):
    classification = "classification"
    extraction = "extraction"
    generation = "generation"
    chat = "chat"
    other = "other"


class Domain(StrEnum):
    general = "general"
    medical = "medical"
    legal = "legal"
    financial = "financial"
    other_specialized = "other_specialized"


class Kind(StrEnum):
    """How a fact's value is read from a message, checked and shown."""

    summary = "summary"  # the extractor's one line, in its own words
    choice = "choice"  # one value of an enum
    model = "model"  # a model id
    count = "count"  # tokens per call
    rate = "rate"  # calls per month ("500k a day" is a rate)
    examples = "examples"  # a number of labeled examples
    quality = "quality"  # a measured or wanted quality, 0-1
    share = "share"  # any other share, 0-1
    milliseconds = "milliseconds"
    flag = "flag"  # yes or no
    model_shares = "model_shares"  # a quality per model
    dollars = "dollars"


@dataclass(frozen=True)
class Ask:
    """The bot's question for a fact (and the facts asked with it), in the order a salesperson
    would answer them."""

    order: int
    ask: str
    examples: str


@dataclass(frozen=True)
class AskAlone:
    """A fact's own question, for when the fact it is asked with is known already."""

    ask: str
    examples: str


@dataclass(frozen=True)
class About:
    """A fact's vocabulary, once: kept as metadata on its field (`about(name)`), so it never
    reaches Claude's JSON schema."""

    kind: Kind
    label: str  # how a reply names it
    unit: str = ""  # what follows a number of it ("calls/month", "ms")
    ask: Ask | None = None
    asked_with: str | None = None  # the fact whose question also settles this one
    # Its own question, for when the fact it is asked with is known already ("they need
    # under 150 ms" leaves on_device); asked where that fact's question would be.
    ask_alone: AskAlone | None = None
    yes: str | None = None  # a flag's words when true, if "<label>" would read badly
    no: str | None = None  # ... and when false, if "not <label>" would
    cue: str | None = None  # words a quote must contain to back a flag (a regex)
    # How the *Adjust numbers* form labels its input (a flag's checkbox, as it reads ticked);
    # "" for a fact the form doesn't show.
    form: str = ""
    # How a known value reads on its own ({value} as shown, {label}, {unit}); flags read as
    # `yes`/`no`, or the label and "not <label>".
    reads: str = "{label} {value}"


def _whole_number(value: object) -> object:
    """A float with nothing after the point is the whole number it holds: JSON has one kind
    of number, so 1.5e7 arrives as 15000000.0. Any other value is left to the strict int."""
    if isinstance(value, float) and value.is_integer():  # never inf or nan
        return int(value)
    return value


# Strict: JSON `true` is not 1 call, and "5000" is not a number; a wrong type is an error that
# names the field, never a silent conversion. 1.5e7 is a whole number, 0.5 or 1.5e-3 are not.
# Upper bounds keep absurd input out of the math.
WholeNumber = BeforeValidator(_whole_number)
Calls = Annotated[int, Field(ge=0, le=10**13, strict=True), WholeNumber]
Tokens = Annotated[int, Field(ge=0, le=10_000_000, strict=True), WholeNumber]
Examples = Annotated[int, Field(ge=0, le=10**12, strict=True), WholeNumber]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]
Dollars = Annotated[float, Field(ge=0.0, le=1e12, allow_inf_nan=False, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
ModelId = Annotated[str, Field(min_length=1, max_length=200)]


class Facts(BaseModel):
    """What is known about a workload. Every field is optional: `None` means unknown."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)

    use_case: Annotated[
        Annotated[str, Field(max_length=2000)] | None,
        About(Kind.summary, "use case", reads="{value} (my summary)"),
    ] = Field(None, description="One line: what the workload is.")
    request: Annotated[
        Request | None,
        About(Kind.choice, "request", reads="{value} request"),
    ] = Field(None, description="What the buyer asks for.")
    task_type: Annotated[
        TaskType | None,
        About(
            Kind.choice,
            "task",
            ask=Ask(
                1,
                "What does the model do on each call?",
                (
                    '"routes tickets to 40 queues" (classification), "pulls totals out of '
                    'invoices" (extraction), "writes product blurbs" (generation), "support chat"'
                ),
            ),
            reads="{value}",
        ),
    ] = Field(None, description="Kind of task the model performs.")
    monthly_calls: Annotated[
        Calls | None,
        About(
            Kind.rate,
            "monthly calls",
            unit="calls/month",
            ask=Ask(2, "How many calls a month in production?", '"~15M a month", "500k a day"'),
            reads="{value} {unit}",
            form="Monthly calls",
        ),
    ] = Field(None, description="Production calls per month.")
    input_tokens: Annotated[
        Tokens | None,
        About(Kind.count, "input tokens", reads="{value} {label}", form="Input tokens per call"),
    ] = Field(None, description="Average input tokens per call.")
    output_tokens: Annotated[
        Tokens | None,
        About(Kind.count, "output tokens", reads="{value} {label}", form="Output tokens per call"),
    ] = Field(None, description="Average output tokens per call.")
    cached_prefix_tokens: Annotated[
        Tokens | None,
        About(
            Kind.count,
            "cached prompt tokens",
            reads="{value} {label}",
            form="Fixed prompt prefix (tokens, cached)",
        ),
    ] = Field(
        None,
        description="Stable part of the prompt (instructions, examples) that prompt caching "
        "serves; at most input_tokens.",
    )
    frontier_model: Annotated[
        Annotated[str, Field(max_length=200)] | None,
        About(Kind.model, "frontier model", form="Frontier model"),
    ] = Field(None, description="Model id prompted today or would be (a key of the price sheet).")
    baseline_measured: Annotated[
        Flag | None,
        About(
            Kind.flag,
            "baseline measured",
            form="A prompted model was measured on this workload",
            ask=Ask(
                8,
                "Has anyone measured a prompted frontier model on this?",
                '"Haiku 5.5 with a good prompt: 91% vs a 93% target", or "not yet"',
            ),
            cue=(
                r"measur|\bran\b|\brun\b|test|eval|tried|benchmark|score|%|percent|accura|"
                "baseline|not yet|haven.?t|nobody|no one|never|prompt"
            ),
        ),
    ] = Field(
        None, description="Quality of the prompted frontier model was measured on the workload."
    )
    baseline_quality: Annotated[
        Share | None,
        About(
            Kind.quality,
            "baseline quality",
            asked_with="baseline_measured",
            ask_alone=AskAlone("What did the prompted model score?", '"91% on their eval set"'),
            form="Quality the prompted model scored (%)",
        ),
    ] = Field(None, description="That measured quality, 0-1.")
    target_quality: Annotated[
        Share | None,
        About(
            Kind.quality,
            "target quality",
            asked_with="baseline_measured",
            ask_alone=AskAlone("What quality do they need?", '"93%", or "at least as good as now"'),
            form="Quality target (%)",
        ),
    ] = Field(None, description="'Good enough' quality, 0-1.")
    labeled_examples: Annotated[
        Examples | None,
        About(
            Kind.examples,
            "labeled examples",
            ask=Ask(
                10,
                "How many labeled examples of correct output exist?",
                '"about 40k labeled tickets"',
            ),
            reads="{value} {label}",
            form="Labeled examples",
        ),
    ] = Field(None, description="Labeled examples of correct output they have.")
    domain: Annotated[
        Domain | None,
        About(
            Kind.choice,
            "domain",
            ask=Ask(
                3,
                "Is the domain specialised, and do frontier models get its terms wrong?",
                (
                    '"medical notes, and Sonnet keeps mangling ICD-10 codes", or "general support, '
                    'no problem with terms"'
                ),
            ),
            reads="{value} domain",
        ),
    ] = Field(None, description="Subject domain of the workload.")
    frontier_drift: Annotated[
        Flag | None,
        About(
            Kind.flag,
            "frontier models drift on its terms",
            form="Frontier models get its terms wrong",
            asked_with="domain",
            ask_alone=AskAlone(
                "Do frontier models get the domain's terms wrong?",
                '"Sonnet keeps mangling ICD-10 codes", or "no problem with terms"',
            ),
            cue=(
                "term|vocab|jargon|code|wrong|mangl|drift|confus|halluc|mistak|miss|struggl|"
                r"handle|fine|okay|\bok\b|correct|name|abbrev|get[s]? it"
            ),
        ),
    ] = Field(None, description="Frontier models were seen to get the domain's terminology wrong.")
    first_token_ms: Annotated[
        Annotated[int, Field(gt=0, le=10**7, strict=True), WholeNumber] | None,
        About(
            Kind.milliseconds,
            "first-token budget",
            unit="ms",
            ask=Ask(
                4,
                "How fast must the first token come back, and must it run on device?",
                '"under 80 ms p95", "on the phone", or "no latency requirement"',
            ),
            reads="first token within {value}",
            form="First-token budget (ms)",
        ),
    ] = Field(None, description="Required time to first token, in milliseconds.")
    on_device: Annotated[
        Flag | None,
        About(
            Kind.flag,
            "on device",
            form="It must run on the device",
            asked_with="first_token_ms",
            ask_alone=AskAlone(
                "Must it run on the device itself, or can it call a hosted model?",
                '"on the phone, no network", or "a cloud API is fine"',
            ),
            cue=(
                "device|phone|mobile|edge|offline|on.?prem|laptop|browser|embedded|local|cloud|"
                "server|batch|api|hosted|network|internet|handheld|scanner|tablet|kiosk|"
                "backend|back end|air.?gap|infra|aws|gcp|azure|data.?cent|unit|console|"
                "hardware|colo|box|connectivity|signal|wifi"
            ),
        ),
    ] = Field(None, description="Must run on device / at the edge.")
    strict_format: Annotated[
        Flag | None,
        About(
            Kind.flag,
            "strict output format",
            form="Every output must match a strict format",
            ask=Ask(
                6,
                "Must every output match a format exactly, and how often does it break today?",
                '"strict JSON schema, no retries; 3% fail now", or "we retry on bad JSON"',
            ),
            cue=(
                "format|schema|json|xml|csv|yaml|exact|strict|pars|structur|template|retr|"
                "fallback|valid|malform|toleran|reject|hl7|edi|x12"
            ),
        ),
    ] = Field(
        None, description="Output must match a format exactly, every call, no parser fallback."
    )
    format_failure_rate: Annotated[
        Share | None,
        About(
            Kind.share,
            "format failure rate",
            asked_with="strict_format",
            ask_alone=AskAlone(
                "How often does the output break the format today?", '"3% fail now"'
            ),
            form="Outputs that break the format today (%)",
        ),
    ] = Field(None, description="Share of frontier outputs that broke the format, 0-1.")
    batch_ok: Annotated[
        Flag | None,
        About(
            Kind.flag,
            "results can wait a day (batch)",
            form="Results can wait a day (batch, half price)",
            ask=Ask(
                5,
                "Can results come back within a day, or is someone waiting on each answer?",
                '"it runs nightly, next morning is fine", or "an agent is waiting on it"',
            ),
            yes="results can wait a day (batch, half price)",
            no="results needed right away (no batch)",
            cue=(
                r"batch|night|overnight|async|wait|\b24|\bday|hour|morning|real.?time|live|"
                "sync|rush|urgent|time.?sensitive|time.?critical|instant|immediate|interactive|"
                "backfill|backlog|cron|schedul|request path|hot path|critical path|right away|"
                "weekly|monthly|daily|turnaround|offline"
            ),
        ),
    ] = Field(
        None,
        description="Results may come back within 24 hours (Anthropic's Message Batches API, "
        "half price).",
    )
    format_schema: Annotated[
        Flag | None,
        About(
            Kind.flag,
            "format fits a JSON schema",
            form="The format fits a JSON schema",
            ask=Ask(
                7,
                "Can the output format be written down as a JSON schema?",
                '"yes, it\'s JSON against their schema", or "no, it\'s a fixed XML layout"',
            ),
            yes="format fits a JSON schema",
            no="format can't be a JSON schema",
            cue=(
                "json|schema|free.?text|free.?form|prose|plain (?:text|english)|pydantic|"
                "openapi|structured output"
            ),
        ),
    ] = Field(
        None,
        description="The required output format can be written as a JSON schema (so structured "
        "outputs can enforce it).",
    )
    other_baselines: Annotated[
        Annotated[dict[ModelId, Share], Field(max_length=50)] | None,
        About(
            Kind.model_shares,
            "quality on other models",
            ask=Ask(
                9,
                "Has it been measured on any other Claude model?",
                '"Haiku 5.5 got 91%, Sonnet 5.5 94%", or "only the one"',
            ),
        ),
    ] = Field(
        None,
        description="Quality (0-1) measured on other models than frontier_model, by model id.",
    )
    build_cost_usd: Annotated[
        Dollars | None,
        About(Kind.dollars, "build cost", form="Build cost (USD)"),
    ] = Field(None, description="Overrides the computed build cost.")
    monthly_ops_usd: Annotated[
        Dollars | None,
        About(Kind.dollars, "monthly ops", form="Monthly ops (USD)"),
    ] = Field(None, description="Overrides the assumed monthly operational overhead.")

    @model_validator(mode="after")
    def _cached_prefix_within_input(self) -> Facts:
        cached, total = self.cached_prefix_tokens, self.input_tokens
        if cached is not None and total is not None and cached > total:
            raise ValueError(
                f"cached_prefix_tokens: must be ≤ input_tokens ({total:,}), got {cached:,}"
            )
        return self

    def known(self) -> dict[str, Any]:
        """The facts that are set, as JSON-ready values."""
        return self.model_dump(mode="json", exclude_none=True)

    def merged(self, update: Facts) -> Facts:
        """These facts with every known field of `update` laid over them (validated).

        Quality measured on other models accumulates model by model: "Sonnet got 94%" after
        "Haiku 5.5 got 91%" adds a measurement, it does not replace the first one.
        """
        known, new = self.known(), update.known()
        if "other_baselines" in known and "other_baselines" in new:
            new["other_baselines"] = {**known["other_baselines"], **new["other_baselines"]}
        return Facts.model_validate({**known, **new})


FACT_FIELDS: tuple[str, ...] = tuple(Facts.model_fields)
# A name in snake case, as the engine's messages name facts ("must be ≤ input_tokens").
FACT_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def facts_named(text: str) -> list[str]:
    """The facts a message names, each once, in the order it names them."""
    return [name for name in dict.fromkeys(FACT_NAME.findall(text)) if name in Facts.model_fields]


def facts_from(data: object, name: str = "facts") -> Facts:
    """Validated facts from parsed JSON/YAML; every problem named by its field."""
    try:
        return Facts.model_validate(require_mapping(data, name))
    except ValidationError as exc:
        raise InputError(problems_from(exc)) from exc


def about(name: str) -> About:
    """The vocabulary of the fact `name` (a field of `Facts`)."""
    return _ABOUT[name]


def fields_of(*kinds: Kind) -> frozenset[str]:
    """The facts of these kinds."""
    return frozenset(name for name, a in _ABOUT.items() if a.kind in kinds)


def choices_of() -> dict[str, type[StrEnum]]:
    """The enum of each choice fact: {"request": Request, ...}."""
    found: dict[str, type[StrEnum]] = {}
    for name in fields_of(Kind.choice):
        (enum,) = (
            t
            for t in get_args(Facts.model_fields[name].annotation)
            if isinstance(t, type) and issubclass(t, StrEnum)
        )
        found[name] = enum
    return {name: found[name] for name in Facts.model_fields if name in found}


def _about(name: str) -> About:
    found = [m for m in Facts.model_fields[name].metadata if isinstance(m, About)]
    if len(found) != 1:
        raise TypeError(f"Facts.{name}: needs exactly one About, has {len(found)}")
    return found[0]


_ABOUT: dict[str, About] = {name: _about(name) for name in Facts.model_fields}
