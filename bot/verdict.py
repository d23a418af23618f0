"""A verdict as people read it, headline first: terminal text and Slack Block Kit.

The order is the same in both: the headline (the verdict and its number), the warnings, the
line that explains it (measure-first, the competitor, …), what would have to be true for it to
flip, then the detail: cases, the three questions, the math, the ways of prompting it, the next
step, the assumptions and the price sheet's date.

Each piece is worded once, as plain sentences, and laid out twice. This is plain Python rather
than a Jinja template on purpose: a whole `ftscope decide --format text|blocks` process must
start in under 300 ms, and importing Jinja2 and compiling the verdict templates alone took more
than the time left once the engine has decided. The replies around a verdict (what a turn
learned, the questions) stay in templates/.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bot.blocks import MAX_HEADER_TEXT, mrkdwn_escape, truncate, validate_blocks
from bot.wording import FIELD_LABELS, Question, listed, questions_for
from knowledge.billing import Mode, Priced
from knowledge.decision import GATE_NAMES, Case, Decision, Gate, GateName, Verdict
from knowledge.facts import FACT_NAME, Facts, Request
from knowledge.market import model_title

_FACT_NAMES = frozenset(Facts.model_fields)
ALTERNATIVES_SHOWN = 3  # the cheapest few models; the buyer's, the competitor and measured ones too
SOURCE_CHARS = 100  # the price sheet's source, shortened at a clause boundary
WARNING = "⚠️"


def field_label(name: str) -> str:
    """A fact's name as people say it ("monthly calls"), never the field name itself."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").strip()


def plain_fields(text: str) -> str:
    """The engine's messages ("must be ≤ input_tokens") with facts named as people say them
    ("must be ≤ input tokens")."""
    return FACT_NAME.sub(
        lambda m: field_label(m.group(0)) if m.group(0) in _FACT_NAMES else m.group(0), text
    )


# -- numbers as people read them ------------------------------------------------------------


def _rounded(value: float, direction: str = "nearest", significant: int = 3) -> float:
    """A figure to a few significant digits: 53,017 → 53,000, 7,666 → 7,670. `down` and `up`
    keep a bound on the safe side."""
    if value == 0 or not math.isfinite(value):
        return value
    size = abs(value)
    digits = math.floor(math.log10(size))
    step = 10.0 ** (digits - significant + 1)
    steps = round(size / step, 6)
    steps = {"down": math.floor, "up": math.ceil}.get(direction, round)(steps)
    return math.copysign(steps * step, value)


def money(value: float | None) -> str:
    """An exact figure, to the dollar: $9,166 · -$599."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "$0"
    if abs(value) < 10:  # a small bill: cents, not "$0"
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    return f"-${-value:,.0f}" if round(value) < 0 else f"${value:,.0f}"


def about(value: float | None, direction: str = "nearest", significant: int = 3) -> str:
    """A figure for a sentence: $975 · $7,670 · $53,000 · $1.7M."""
    if value is None or not math.isfinite(value):
        return "—"
    if 0 < abs(value) < 10:
        return money(value)
    if abs(value) < 1000:
        whole = {"down": math.floor, "up": math.ceil}.get(direction, round)(abs(value))
        return f"-${whole:,}" if value < 0 and whole else f"${whole:,}"
    shown = abs(_rounded(value, direction, significant))
    sign = "-" if value < 0 else ""
    if shown >= 1e6:
        return f"{sign}${shown / 1e6:,.4g}M"
    return f"{sign}${shown:,.0f}"


def volume(value: float | None, direction: str = "nearest", significant: int = 3) -> str:
    """Calls as people say them: 15M · 6.4M · 53.8M · 460k · 9,500."""
    if value is None or not math.isfinite(value):
        return "never"
    shown = _rounded(value, direction, significant) if value >= 10_000 else round(value)
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if shown >= size and (unit != "k" or shown >= 10_000):
            return f"{shown / size:,.4g}{unit}"
    return f"{shown:,.0f}"


def calls_today(value: int) -> str:
    """Today's volume, as given: 15M, 200M, 3M, 15.3M, 450k."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size and (unit != "k" or value >= 10_000):
            return f"{value / size:,.4g}{unit}"
    return f"{value:,}"


def per_thousand(per_call: float | None) -> str:
    """A per-call price as a price per 1,000 calls, to two significant digits: $0.65 · $0.039."""
    if per_call is None or not math.isfinite(per_call):
        return "—"
    value = per_call * 1000
    size = abs(value)
    sign = "-" if value < 0 else ""
    if size == 0:
        return "$0"
    if size >= 100:
        return f"{sign}${size:,.0f}"
    if size >= 1:
        return f"{sign}${size:,.2f}"
    decimals = -math.floor(math.log10(size)) + 1
    return f"{sign}${size:.{decimals}f}"


def share(value: float | None) -> str:
    """A share as a percentage with the decimal it has: 91% · 99.5% · 96.8%."""
    if value is None or not math.isfinite(value):
        return "n/a"
    shown = f"{value * 100:.1f}"
    if shown == "100.0" and value < 1:
        shown = f"{value * 100:.2f}"
    return (shown.rstrip("0").rstrip(".") if "." in shown else shown) + "%"


def months(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "never"
    if value < 0.05:
        return "under 0.1 months"
    shown = f"{value:.1f}"
    return "1 month" if shown == "1.0" else f"{shown} months"


def title(model: str) -> str:
    """A model as people say it: "Claude Haiku 4.5"."""
    return model_title(model)


def short(model: str) -> str:
    """A model once it has been named in full: "Haiku 4.5"."""
    return model_title(model).removeprefix("Claude ")


_MODEL_ID = re.compile(r"\bclaude-[a-z]+(?:-\d+)+\b")


def human(sentence: str) -> str:
    """A sentence of the engine's, with model ids as people say them."""
    return _MODEL_ID.sub(lambda m: model_title(m.group(0)), sentence)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def short_source(source: str, limit: int = SOURCE_CHARS) -> str:
    """The price sheet's source cut at a clause boundary outside parentheses, never mid-way
    through one: the whole of it is in `ftscope prices`."""
    source = " ".join(source.split())
    if len(source) <= limit:
        return source
    depth, cut = 0, 0
    for index, char in enumerate(source[:limit]):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and char in ",;." and source[index + 1 : index + 2] == " ":
            cut = index
    if cut == 0:  # no boundary: cut at a space outside parentheses
        depth = 0
        for index, char in enumerate(source[:limit]):
            depth += (char == "(") - (char == ")")
            if char == " " and depth <= 0:
                cut = index
    return (source[:cut] if cut else source[: limit - 1]).rstrip(",;. ") + " …"


# -- assumptions, for people ------------------------------------------------------------------

_DEFAULTED_TOKENS = re.compile(r"^(input|output)_tokens defaulted to ([\d,]+) for (\w+)$")
_DEFAULTED_MODEL = re.compile(r"^frontier_model defaulted to (\S+)$")
_NO_PREFIX = re.compile(r"^cached_prefix_tokens assumed 0\b")


def assumption_lines(assumptions: Iterable[str]) -> list[str]:
    """The decision's assumptions (a public JSON interface, so phrased for machines as much as
    people) as a salesperson would say them."""
    lines: list[str] = []
    tokens: dict[str, str] = {}
    task = ""
    for line in assumptions:
        found = _DEFAULTED_TOKENS.match(line)
        if found:
            tokens[found.group(1)] = found.group(2)
            task = found.group(3)
            continue
        found = _DEFAULTED_MODEL.match(line)
        if found:
            lines.append(f"priced on {title(found.group(1))}: no model was named")
        elif _NO_PREFIX.match(line):
            lines.append("no cached prompt prefix (no fixed instructions or examples given)")
        else:
            lines.append(human(FACT_NAME.sub(lambda m: field_label(m.group(0)), line)))
    if tokens:
        given = " / ".join(f"{tokens[k]} {k}" for k in ("input", "output") if k in tokens)
        typical = task.replace("_", " ")
        lines.insert(0, f"{given} tokens a call, typical for {typical} (give yours to sharpen it)")
    return lines


# -- the verdict's words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Labelling:
    """Under build_dataset: the labeled examples there are, and what the missing ones cost."""

    have: int
    needed: int  # more than `have`
    each: str  # per example: "$1.00"
    cost: str  # all of them labelled by hand, rounded: "$700"

    @property
    def at_least(self) -> int:
        return self.have + self.needed


class Words:
    """Everything a verdict says, worded once, for both layouts."""

    def __init__(self, d: Decision) -> None:
        self.d = d
        self.b = d.breakeven
        self.f = d.facts
        self.horizon = f"{d.horizon_months:g} months"

    # -- what the decision is about --

    @cached_property
    def batch(self) -> bool:
        return self.b is not None and self.b.frontier_mode is Mode.batch

    @property
    def mode(self) -> str:
        return " in batch" if self.batch else ""

    @cached_property
    def baseline_model(self) -> str | None:
        return self.d.baseline.model if self.d.baseline else None

    @cached_property
    def measured_model(self) -> str | None:
        """The model the buyer measured: the one the facts name (even if retired since)."""
        return self.f.frontier_model or self.baseline_model

    def yours(self, model: str | None) -> str:
        """How the buyer's model is tagged: "your model", or why it is priced instead."""
        if model is None or model != self.baseline_model:
            return ""
        named = self.f.frontier_model
        if named is None:
            return "assumed: no model named"
        if short(named) != short(model):
            return f"replaces your {title(named)}"
        return "your model"

    @cached_property
    def first_measure(self) -> Priced | None:
        wanted = self.d.measure_models[:1]
        return next((p for p in self.d.alternatives if p.model in wanted), None)

    def net_against(self, alternative: Priced) -> float:
        """Monthly savings after ops were the fine-tune compared with `alternative`."""
        assert self.b is not None
        engine = getattr(self.d, "against_cheapest", None)  # the engine's own figure
        if (
            engine is not None
            and engine.frontier_model == alternative.model
            and engine.frontier_mode is alternative.mode
        ):
            return engine.monthly_net_savings
        return alternative.monthly_cost - self.b.serving.monthly - self.b.monthly_ops

    def payback_against(self, alternative: Priced) -> float:
        assert self.b is not None
        net = self.net_against(alternative)
        return self.b.build_cost / net if net > 0 else math.inf

    @cached_property
    def latency(self) -> bool:
        return Case.C3 in self.d.cases

    @property
    def within_budget(self) -> str:
        """The first-token budget as a phrase: "within 80 ms", or "fast enough" if none is known."""
        limit = self.f.first_token_ms
        return f"within {limit:,} ms" if limit is not None else "fast enough"

    @cached_property
    def anti_pattern(self) -> bool:
        """Decided by the request alone (RAG, brand voice, an unmeasured quality complaint)."""
        d = self.d
        if d.verdict is Verdict.rag:
            return True
        return not d.cases and self.f.request in (Request.brand_voice, Request.improve_quality)

    @cached_property
    def questions(self) -> list[Question]:
        """The bot's own questions for the missing facts (a fact without a question of its
        own is asked by its label, never by its field name)."""
        asked = []
        for q in questions_for(self.d.missing):
            ask = q.ask
            for name in q.fields:
                ask = ask.replace(name, field_label(name))
            asked.append(Question(q.fields, ask, q.examples))
        return asked

    # -- the headline --

    @cached_property
    def headline(self) -> str:
        d, b = self.d, self.b
        match d.verdict:
            case Verdict.fine_tune:
                return self._fine_tune_headline()
            case Verdict.measure_baseline if d.measure_models and b is not None:
                names = listed([title(m) for m in d.measure_models])
                first = self.first_measure
                against = f"against {short(b.frontier_model)}{self.mode}"
                if first is None:
                    tail = ""
                elif self.net_against(first) <= 0:
                    tail = f", but not against {short(first.model)}"
                else:
                    tail = f", but not within {self.horizon} against {short(first.model)}"
                return (
                    f"Measure {names} first · a fine-tune would save "
                    f"{about(b.monthly_net_savings)} a month {against}{tail}"
                )
            case Verdict.measure_baseline:
                cost = self._cost_phrase(d.baseline)
                if self.f.request is Request.improve_quality and not d.cases:
                    lead = "Measure quality first: 70% of the time it's a prompt or eval problem"
                else:
                    lead = "Measure first: nobody has measured a prompted model on this yet"
                return f"{lead}{' · ' + cost if cost else ''}"
            case Verdict.prompt:
                reason = self._prompt_reason()
                if d.competitor is not None and reason.startswith(title(d.competitor.model)):
                    mode = " in batch" if d.competitor.mode is Mode.batch else ""
                    cost = f"for {about(d.competitor.monthly_cost)} a month{mode}"
                    return f"Prompt: {reason}, {cost}"
                cost = self._cost_phrase(d.competitor)
                return f"Prompt: {reason}{' · ' + cost if cost else ''}"
            case Verdict.rag:
                cost = self._cost_phrase(d.competitor, "about ")
                lead = "RAG, not a fine-tune: fine-tuning on documents doesn't teach them"
                return f"{lead}{' · ' + cost if cost else ''}"
            case Verdict.build_dataset:
                ds = d.dataset
                if ds is None:
                    return "Build the training set first: too few labeled examples"
                return (
                    f"Build the training set first: {_plural(ds.examples_needed, 'more example')}"
                    f" to label, about {about(ds.human_labels_usd)}"
                )
            case _:
                count = len(self.questions) or len(d.missing)
                return f"More facts needed: {_plural(count, 'question')} before a verdict"

    def _cost_phrase(self, priced: Priced | None, qualifier: str = "") -> str:
        if priced is None:
            return ""
        mode = " in batch" if priced.mode is Mode.batch else ""
        return f"{title(priced.model)}{mode} costs {qualifier}{about(priced.monthly_cost)} a month"

    def _fine_tune_headline(self) -> str:
        d, b = self.d, self.b
        if d.on_device_build_cost is not None:
            build = about(d.on_device_build_cost)
            return f"Fine-tune: only a small model runs on the device · build about {build}"
        if self.latency:
            limit = self.f.first_token_ms
            lead = (
                f"Fine-tune: the only way to a first token within {limit:,} ms"
                if limit is not None
                else "Fine-tune: latency rules out frontier APIs"
            )
            if b is None:
                return lead
            if b.payback_months <= self.d.horizon_months:
                return f"{lead} · it also pays back in {months(b.payback_months)}"
            return f"{lead} · on cost alone it {self._never_or(b.payback_months)}"
        assert b is not None
        return (
            f"Fine-tune: saves {about(b.monthly_net_savings)} a month, pays back in "
            f"{months(b.payback_months)}"
        )

    @staticmethod
    def _never_or(payback: float) -> str:
        if not math.isfinite(payback):
            return "never pays back"
        return f"takes {months(payback)} to pay back"

    def _prompt_reason(self) -> str:
        d, f, b = self.d, self.f, self.b
        if d.gates[GateName.q3_volume] is Gate.failed and b is not None:
            if not math.isfinite(b.payback_months):
                return "a fine-tune never pays back"
            return (
                f"a fine-tune would take {months(b.payback_months)} to pay back "
                f"(limit {self.horizon})"
            )
        if f.request is Request.brand_voice and not d.cases:
            return "brand voice is a prompt job"
        if d.gates[GateName.q1_baseline] is Gate.failed:
            model = title(self.baseline_model) if self.baseline_model else "the prompted model"
            if f.baseline_quality is not None and f.target_quality is not None:
                return (
                    f"{model} already meets your target ({share(f.baseline_quality)} vs "
                    f"{share(f.target_quality)})"
                )
            return f"{model} already meets your target"
        return "nothing here calls for a fine-tune"

    # -- warnings and the line under the headline --

    @cached_property
    def warnings(self) -> list[str]:
        return [human(w) for w in self.d.warnings]

    @cached_property
    def lede(self) -> list[str]:
        d = self.d
        match d.verdict:
            case Verdict.fine_tune:
                return self._fine_tune_lede()
            case Verdict.measure_baseline if d.measure_models and self.b is not None:
                return self._measure_models_lede()
            case Verdict.measure_baseline:
                return self._measure_lede()
            case Verdict.prompt:
                return self._prompt_lede()
            case Verdict.rag:
                return [
                    "Build retrieval over the documents (or long context with caching): a model "
                    "answers from what it is given, and fine-tuning on documents doesn't make it "
                    "know them."
                ]
            case Verdict.build_dataset:
                return self._dataset_lede()
            case _:
                return []

    def _competitor(self) -> tuple[str, str]:
        """The prompting a fine-tune is compared with ("Claude Haiku 4.5 (your model)"), and
        a sentence on why that one when it isn't simply the buyer's model ("" otherwise)."""
        d, b = self.d, self.b
        assert b is not None and d.competitor is not None
        name = title(b.frontier_model)
        if b.frontier_model == self.baseline_model:
            why = "" if not self.batch else "Batch halves the price when results can wait a day."
            tag = self.yours(b.frontier_model)
            return f"{name}{self.mode}" + (f" ({tag})" if tag else ""), why
        quality, bar = d.competitor.quality, self.f.baseline_quality
        baseline = short(self.measured_model) if self.measured_model else "your model"
        scored = f"it scored {share(quality)}" if quality is not None else "it was measured"
        held = f"{baseline}'s {share(bar)}" if bar is not None else baseline
        why = (
            f"The fine-tune is compared with {name}{self.mode}: {scored}, at least {held}, and "
            "it is the cheapest way of prompting known to be that good."
        )
        return f"{name}{self.mode}", why

    def _cheaper_lines(self) -> list[str]:
        """What the cheapest way of prompting would change, when it beats the competitor."""
        d, b = self.d, self.b
        cheaper = d.cheaper_frontier
        if cheaper is None or b is None or cheaper.model in d.measure_models:
            return []
        name, mode = title(cheaper.model), " in batch" if cheaper.mode is Mode.batch else ""
        cost = f"{about(cheaper.monthly_cost)} a month{mode}"
        bar = self.f.baseline_quality
        if cheaper.quality is not None and (bar is None or cheaper.quality < bar):
            below = f", below your model's {share(bar)}" if bar is not None else ""
            return [f"{name} costs less ({cost}) but scored {share(cheaper.quality)}{below}."]
        if d.verdict is Verdict.fine_tune and not self.latency:
            payback = self.payback_against(cheaper)
            if payback <= d.horizon_months:
                return [
                    f"Even if {name} ({cost}, not measured) is as good, the fine-tune pays back "
                    f"in {months(payback)} against it."
                ]
            return []
        return [f"Cheaper still: {name} runs it for {cost}; measure its quality first."]

    def _fine_tune_lede(self) -> list[str]:
        d, b = self.d, self.b
        if d.on_device_build_cost is not None:
            return [
                "Nothing in the cloud can serve a model on the device, so there is no API bill to "
                f"compare with: the cost is the build, {money(d.on_device_build_cost)} with the "
                "device work."
            ]
        if b is None:
            return []
        serving = (
            f"the fine-tuned model costs {about(b.serving.monthly)} a month to serve plus "
            f"{money(b.monthly_ops)} of ops"
        )
        competitor, why = self._competitor()
        prompting = (
            f"Prompting {competitor} would cost {about(b.frontier_monthly)} a month at "
            f"{calls_today(b.monthly_calls)} calls"
        )
        if self.latency:
            lines = [
                f"Frontier APIs can't answer {self.within_budget}, so fine-tuning is the only "
                "path: the cost is reported, not a gate."
            ]
            prompting = prompting[0].lower() + prompting[1:]
            if b.payback_months <= d.horizon_months:
                lines.append(
                    f"It also pays for itself: {prompting}, and {serving}, so it saves "
                    f"{about(b.monthly_net_savings)} a month."
                )
            else:
                lines.append(
                    f"On cost alone it {self._never_or(b.payback_months)}: {prompting}, and "
                    f"{serving}. Budget the {money(b.build_cost)} build as the price of the "
                    "latency."
                )
            return lines
        return [*([why] if why else []), f"{prompting}; {serving}.", *self._cheaper_lines()]

    def _measure_models_lede(self) -> list[str]:
        b, first, f = self.b, self.first_measure, self.f
        assert b is not None
        baseline = short(self.measured_model) if self.measured_model else "your model"
        if first is None:
            return []
        others = len(self.d.measure_models) - 1
        name = title(first.model) + (f" (or one of the {others} others)" if others else "")
        reaches = (
            f"reaches {share(f.baseline_quality)}, what {baseline} scored"
            if f.baseline_quality is not None
            else f"does as well as {baseline}"
        )
        mode = " in batch" if first.mode is Mode.batch else ""
        outcome = self._never_or(self.payback_against(first))
        if math.isfinite(self.payback_against(first)):
            outcome = f"{outcome}, over the {self.horizon} limit"
        return [
            f"If {name} {reaches}, prompting it costs {about(first.monthly_cost)} a month{mode} "
            f"and the fine-tune {outcome}. If it doesn't, the fine-tune pays back in "
            f"{months(b.payback_months)} against {short(b.frontier_model)}{self.mode}."
        ]

    def _measure_lede(self) -> list[str]:
        d = self.d
        if self.f.request is Request.improve_quality and not d.cases:
            lines = [
                "“Not good enough” is a prompt or eval problem 70% of the time: write down what "
                "good looks like, build a small eval set, and measure a well-prompted model on it."
            ]
        else:
            lines = [
                "The gap between what a well-prompted model scores and your target is what a "
                "fine-tune would buy: measure it first."
            ]
        return lines + self._cheaper_lines()

    def _prompt_lede(self) -> list[str]:
        d, b, f = self.d, self.b, self.f
        lines: list[str] = []
        if d.gates[GateName.q3_volume] is Gate.failed and b is not None:
            against = f"{title(b.frontier_model)}{self.mode}"
            why = self._competitor()[1] if d.competitor is not None else ""
            if why and not self.batch:
                lines.append(why)
            if b.savings_per_call <= 0:
                lines.append(
                    f"The fine-tuned model would cost more per call than prompting {against}."
                )
            elif math.isfinite(b.payback_months):
                lines.append(
                    f"Against {against} the fine-tune saves {about(b.monthly_net_savings)} a "
                    f"month after ops: its {money(b.build_cost)} build takes "
                    f"{months(b.payback_months)} to pay back."
                )
            else:
                lines.append(
                    f"Against {against} the fine-tune saves {about(b.monthly_savings)} a month, "
                    f"less than the {money(b.monthly_ops)} of ops it needs."
                )
        elif f.request is Request.brand_voice and not d.cases:
            lines.append(
                "A system prompt with 3–5 example outputs gets the voice; fine-tuning locks you "
                "into the base model."
            )
        elif d.gates[GateName.q1_baseline] is Gate.failed:
            lines.append("There is no quality gap for a fine-tune to buy.")
        else:
            lines.append(
                "None of the four cases for fine-tuning holds, so the default stands: a "
                "well-prompted model with caching and an eval suite."
            )
        return lines + self._cheaper_lines()

    @cached_property
    def labelling(self) -> Labelling | None:
        ds = self.d.dataset
        if ds is None:
            return None
        each = f"${ds.per_example_usd:,.2f}"
        return Labelling(
            self.f.labeled_examples or 0, ds.examples_needed, each, about(ds.human_labels_usd)
        )

    def _dataset_lede(self) -> list[str]:
        lab, f = self.labelling, self.f
        if lab is None:
            return []
        domain = f" ({f.domain.value.replace('_', ' ')})" if f.domain else ""
        lines = [
            f"{lab.have:,} labeled examples exist; a fine-tune needs at least {lab.at_least:,}. "
            f"Labelling the other {lab.needed:,} at {lab.each} each{domain} costs about {lab.cost}."
        ]
        if self.frontier_labels is not None:
            lines.append(f"{self.frontier_labels}: check a sample by hand.")
        return lines

    @cached_property
    def frontier_labels(self) -> str | None:
        """What labelling the missing examples with the prompted model's own outputs would
        cost, where it meets the target (a sentence without its end); else None."""
        ds = self.d.dataset
        if ds is None or ds.frontier_labels_usd is None:
            return None
        model = title(self.baseline_model) if self.baseline_model else "The prompted model"
        return (
            f"{model} already meets your target, so its own outputs could label them for about "
            f"{about(ds.frontier_labels_usd)}"
        )

    # -- what would have to be true --

    @cached_property
    def threshold(self) -> tuple[str, str] | None:
        """(label, sentences) saying when the fine-tune pays back; None where that would
        confuse: anti-patterns, no case, no quality gap, on device."""
        d, b, t = self.d, self.b, self.d.thresholds
        if t is None or b is None or not d.cases or self.anti_pattern:
            return None
        if d.verdict in (Verdict.need_info, Verdict.rag):
            return None
        if d.verdict is Verdict.prompt and d.gates[GateName.q1_baseline] is Gate.failed:
            return None  # no quality gap: volume can't flip it
        label = "What would have to be true"
        if self.latency:
            label = ""
        elif d.verdict is Verdict.build_dataset:
            label = "Once the data exists"
        elif d.measure_models:
            label = f"What would have to be true against {short(b.frontier_model)}{self.mode}"
        sentences = [self._volume_sentence()]
        if t.max_build_cost_usd is not None and not self.latency:
            limit = about(t.max_build_cost_usd, "down", 2)
            if t.max_build_cost_usd < b.build_cost:
                sentences.append(
                    f"At today's volume the build would have to cost under {limit} (estimated "
                    f"at {about(b.build_cost)})."
                )
            else:
                sentences.append(f"At today's volume the build must cost under {limit}.")
        price = self._price_sentence()
        if price:
            sentences.append(price)
        return label, " ".join(sentences)

    @staticmethod
    def _bound(calls: int, today: int) -> str:
        """A threshold volume rounded up, with the digits it takes not to read as today's."""
        for significant in (2, 3, 4):
            shown = volume(calls, "up", significant)
            if calls == today or shown != calls_today(today):
                return shown
        return volume(calls, "up", 5)

    def _volume_sentence(self) -> str:
        """The volumes at which it pays back, against today's: dead zones (where one more GPU
        eats the savings) only when today's volume is below or inside them."""
        b, t = self.b, self.d.thresholds
        assert b is not None and t is not None
        today = b.monthly_calls
        now = f"(today {calls_today(today)})"
        within = f"within {self.horizon}"
        start, always, zones = t.min_monthly_calls, t.always_pays_above_calls, t.dead_zones
        if start is None:
            return f"No volume up to 100B calls a month pays it back {within}."
        first = self._bound(start, today)
        if always is not None and today >= always:
            if not zones:
                return f"Pays back {within} from {first} calls a month {now}."
            above = self._bound(always, today)
            return f"Pays back {within} at any volume above {above} calls a month {now}."
        inside = next(((a, z) for a, z in zones if a <= today < z), None)
        if inside is not None:
            a, z = inside
            return (
                f"At today's volume one more GPU eats the savings: it pays back {within} from "
                f"{first} to {volume(a, 'down', 2)} calls a month, and again from "
                f"{volume(z, 'up', 2)} {now}."
            )
        except_ = ""
        if zones:
            a, z = zones[0]
            more = f" (and {_plural(len(zones) - 1, 'more range')})" if len(zones) > 1 else ""
            except_ = (
                f", except between {volume(a, 'nearest', 2)} and {volume(z, 'nearest', 2)}"
                f"{more}, where one more GPU eats the savings"
            )
        if today >= start:
            return f"Pays back {within} at today's volume {now}{except_}."
        some = " only in some ranges" if always is None else ""
        return f"Would pay back {within}{some} from {first} calls a month {now}{except_}."

    def _price_sentence(self) -> str:
        """The competitor's price move that would flip it, when it is a plausible one."""
        b, t = self.b, self.d.thresholds
        assert b is not None and t is not None
        factor = t.frontier_price_factor
        if factor is None or self.latency:
            return ""
        name = short(b.frontier_model) + ("'s batch" if self.batch else "'s")
        pays = b.payback_months <= self.d.horizon_months
        if pays and 0.5 <= factor < 1:
            return f"It stops paying back if {name} price falls by {1 - factor:.0%} or more."
        if not pays and 1 < factor <= 1.5:
            return f"It would pay back if {name} price rose by {factor - 1:.0%}."
        return ""

    # -- what would flip it (the "What would flip it?" button) --

    @cached_property
    def flip(self) -> tuple[str, list[str]]:
        """(title, sentences): what would change this verdict. For a verdict the numbers decide,
        the volume, build cost, ops and price at which the fine-tune's payback crosses the
        horizon; for the others, what decides instead."""
        d, b, f = self.d, self.b, self.f
        if d.verdict is Verdict.need_info:
            asks = [q.ask for q in self.questions]
            return "Nothing to flip yet", ["There is no verdict until I know more:", *asks]
        if self.anti_pattern:
            return "What would flip it", self._flip_by_request()
        if d.on_device_build_cost is not None:
            return "What would flip it", [
                "Running on the device decides this: nothing in the cloud can serve it, so "
                "there is no API bill to compare with. Only dropping the on-device requirement "
                "would bring prompting back into question, and then the cost would decide."
            ]
        if d.verdict is Verdict.prompt and d.gates[GateName.q1_baseline] is Gate.failed:
            return "What would flip it", self._flip_by_quality()
        if not d.cases:
            notes = [f"{line}." for line in self.case_lines]
            return "What would flip it", [
                "None of the four cases for fine-tuning holds, so no volume or price flips this "
                "one; one of them would have to:",
                *notes,
            ]
        title = self.threshold[0] if self.threshold and self.threshold[0] else "What would flip it"
        lines: list[str] = []
        if self.latency:
            limit = f"{f.first_token_ms:,} ms" if f.first_token_ms is not None else "its budget"
            lines.append(
                f"Latency decides this: frontier APIs can't answer within {limit}. With a looser "
                "first-token budget the cost would decide:"
            )
        elif d.verdict is Verdict.build_dataset and d.dataset is not None:
            lines.append(
                f"Labelling {d.dataset.examples_needed:,} more examples (about "
                f"{about(d.dataset.human_labels_usd)}) makes this a fine-tune question."
            )
        elif d.verdict is Verdict.measure_baseline:
            lines.extend(self.lede)
        if b is not None and d.thresholds is not None:
            lines.extend(self._flip_by_numbers())
        if d.verdict is not Verdict.measure_baseline and not self.latency:
            lines.extend(self._cheaper_lines())  # a slower model is no alternative to latency
        return title, lines or [self.headline]

    def _flip_by_numbers(self) -> list[str]:
        """The thresholds at today's volume, each a sentence."""
        b, t = self.b, self.d.thresholds
        assert b is not None and t is not None
        lines = [self._volume_sentence()]
        build = t.max_build_cost_usd
        if build is not None and build > 0 and not self.latency:
            limit = about(build, "down", 2)
            if build < b.build_cost:
                lines.append(
                    f"At today's volume the build would have to cost under {limit} (estimated "
                    f"at {money(b.build_cost)})."
                )
            else:
                lines.append(
                    f"At today's volume it keeps paying back while the build costs under {limit} "
                    f"(estimated at {money(b.build_cost)})."
                )
        ops = t.max_monthly_ops_usd
        if ops is not None and ops > 0 and not self.latency:
            limit = about(ops, "down", 2)
            assumed = money(b.monthly_ops)
            if ops < b.monthly_ops:
                lines.append(
                    f"Ops would have to come under {limit} a month (assumed {assumed} a month)."
                )
            else:
                lines.append(
                    f"Ops can rise to {limit} a month before it stops paying back (assumed "
                    f"{assumed} a month)."
                )
        factor = t.frontier_price_factor
        if factor is not None and 0 < factor < 1:
            name = short(b.frontier_model) + ("'s batch" if self.batch else "'s")
            lines.append(f"It stops paying back if {name} price falls by {1 - factor:.0%} or more.")
        elif factor is not None and 1 < factor <= 3:
            name = short(b.frontier_model) + ("'s batch" if self.batch else "'s")
            lines.append(f"It would pay back if {name} price rose by {factor - 1:.0%}.")
        return lines

    def _flip_by_request(self) -> list[str]:
        d, f = self.d, self.f
        asked = f.request.value.replace("_", " ") if f.request is not None else "the request"
        lines = [
            f"What the buyer asks for ({asked}) decides this, not volume or price: no number "
            "in the thread flips it."
        ]
        if d.verdict is Verdict.measure_baseline:
            lines.append(
                "Measuring a well-prompted model against a written-down target would: if it "
                "falls short and one of the four cases holds (volume, domain language, latency, "
                "a strict format), the cost math decides."
            )
        else:
            lines.append(
                "It would take one of the four cases for fine-tuning to hold: high volume, "
                "domain language frontier models get wrong, a latency budget no API meets, or a "
                "strict output format."
            )
        return lines

    def _flip_by_quality(self) -> list[str]:
        f = self.f
        model = title(self.baseline_model) if self.baseline_model else "The prompted model"
        if f.baseline_quality is not None and f.target_quality is not None:
            scored = f"{share(f.baseline_quality)} against a {share(f.target_quality)} target"
            return [
                f"{model} already meets the target ({scored}), so there is no gap for a "
                "fine-tune to buy.",
                f"It would take a target above {share(f.baseline_quality)}, or a new measurement "
                "below the target; then the cost math decides.",
            ]
        return [
            f"{model} already meets the target, so there is no gap for a fine-tune to buy; only "
            "a measurement below the target would reopen it."
        ]

    # -- the detail --

    @cached_property
    def cases_title(self) -> str:
        if self.d.cases:
            return (
                "Cases that could favour fine-tuning"
                if len(self.d.cases) > 1
                else ("Case that could favour fine-tuning")
            )
        return "Cases checked (none holds)"

    @cached_property
    def case_lines(self) -> list[str]:
        d = self.d
        if d.cases:
            return [self._case_line(name) for name in d.cases]
        if d.verdict is Verdict.prompt and not self.anti_pattern:
            return [self._case_line(name) for name in sorted(d.case_notes)]
        return []

    def _case_line(self, case: Case) -> str:
        note = self.d.case_notes.get(case)
        return f"{case.label}: {human(note)}" if note else case.label

    @cached_property
    def gate_lines(self) -> list[str]:
        d = self.d
        if all(g is Gate.not_reached for g in d.gates.values()):
            return []
        lines = []
        for name in GATE_NAMES:
            state = d.gates[name]
            note = d.gate_notes.get(name)
            if name is GateName.q1_baseline and d.measure_models:
                measured = _baseline_note(self)
                note = f"{measured}; measure {listed([title(m) for m in d.measure_models])} first"
            elif name is GateName.q1_baseline and state is Gate.passed:
                note = _baseline_note(self)
            if not note:
                note = "not reached" if state is Gate.not_reached else state.value
            note = note.replace("skipped: ", "skipped – ", 1)
            lines.append(f"{state.icon} {name.label}: {human(note)}")
        return lines

    @cached_property
    def math_title(self) -> str:
        b = self.b
        if b is None:
            return "The math"
        return f"The math, against prompting {title(b.frontier_model)}{self.mode}"

    @cached_property
    def math_rows(self) -> list[Row]:
        d, b, f = self.d, self.b, self.f
        if self.anti_pattern:
            return []  # the request decides; a payback would only confuse
        if b is None:
            if d.on_device_build_cost is not None:
                return [Row("Build cost, with the device work", money(d.on_device_build_cost))]
            return []
        competitor = d.competitor
        cache = ""
        if f.cached_prefix_tokens:
            inputs = f"{f.input_tokens:,}" if f.input_tokens else "the"
            cache = (
                f" ({f.cached_prefix_tokens:,} of {inputs} input tokens cached)"
                if competitor is not None and competitor.cached
                else " (nothing cached)"
            )
        serving = b.serving
        if serving.busy_only:
            how = " (busy GPU time only)"
        elif serving.replicas:
            how = f" ({_plural(serving.replicas, 'GPU')}, always on)"
        else:
            how = " (per token)"
        if b.savings_per_call > 0:
            savings = f"{per_thousand(b.savings_per_call)} per 1,000 calls"
            if b.savings_pct is not None:
                savings += f" ({b.savings_pct:.0%})"
            savings += f" · {money(b.monthly_savings)} a month"
        elif math.isfinite(b.savings_per_call):
            savings = (
                f"none: the fine-tuned model costs {per_thousand(-b.savings_per_call)} more per "
                f"1,000 calls, {money(-b.monthly_savings)} more a month"
            )
        else:
            savings = f"none: the fine-tuned model costs {money(-b.monthly_savings)} more a month"
        if math.isfinite(b.payback_months):
            payback = f"{months(b.payback_months)} ({volume(b.breakeven_calls)} calls)"
        elif b.savings_per_call <= 0:
            payback = "never: the fine-tuned model costs more per call"
        else:
            payback = "never: the savings don't cover the ops"
        return [
            Row(
                f"Prompting {title(b.frontier_model)}{self.mode}",
                f"{per_thousand(b.frontier_cost_per_call)} per 1,000 calls · "
                f"{money(b.frontier_monthly)} a month{cache}",
            ),
            Row(
                serving.option.title,
                (
                    f"{per_thousand(serving.per_call)} per 1,000 calls · "
                    if math.isfinite(serving.per_call)
                    else "no calls to spread it over · "
                )
                + f"{money(serving.monthly)} a month{how}",
            ),
            Row("Savings", savings),
            Row(
                "After ops",
                f"{money(b.monthly_net_savings)} a month (ops {money(b.monthly_ops)} a month)",
            ),
            Row("Build cost", money(b.build_cost)),
            Row("Payback", payback),
        ]

    @cached_property
    def alternatives(self) -> tuple[list[str], str | None]:
        """The cheapest few ways of prompting it (and the ones the verdict names), one line per
        model, with a line for the rest."""
        d = self.d
        if not d.alternatives or self.latency or d.verdict is Verdict.need_info:
            return [], None
        by_model: dict[str, list[Priced]] = {}
        for priced in d.alternatives:
            by_model.setdefault(priced.model, []).append(priced)
        named = {self.baseline_model, *d.measure_models}
        if d.competitor is not None:
            named.add(d.competitor.model)
        named |= {p.model for p in d.alternatives if p.quality is not None}
        shown = [m for index, m in enumerate(by_model) if index < ALTERNATIVES_SHOWN or m in named]
        lines = [self._alternative_line(m, by_model[m]) for m in shown]
        rest = [m for m in by_model if m not in shown]
        more = None
        if rest:
            top = max(p.monthly_cost for m in rest for p in by_model[m])
            more = f"…and {_plural(len(rest), 'more model')}, up to {about(top)} a month"
        return lines, more

    def _alternative_line(self, model: str, priced: list[Priced]) -> str:
        d = self.d
        first, *others = priced
        cost = f"{money(first.monthly_cost)} a month" + (
            " in batch" if first.mode is Mode.batch else ""
        )
        if others:
            cost += (
                " ("
                + ", ".join(
                    f"{money(p.monthly_cost)} {'in batch' if p.mode is Mode.batch else 'realtime'}"
                    for p in others
                )
                + ")"
            )
        quality = priced[0].quality
        tags = []
        if self.yours(model):
            tags.append(self.yours(model))
        if model in d.measure_models:
            tags.append("measure it first")
        scored = f"scored {share(quality)}" if quality is not None else "not measured"
        named = self.f.frontier_model
        if quality is not None and named and self.yours(model).startswith("replaces"):
            scored = f"{short(named)} scored {share(quality)}"
        elif quality is not None and named is None and self.yours(model):
            # the score is of whatever they prompted, which nobody named: not this model's own
            scored = f"their prompted model scored {share(quality)}"
        tag = f" ({', '.join(tags)})" if tags else ""
        return f"{title(model)}{tag}: {cost} · {scored}"

    @cached_property
    def next_step(self) -> str:
        d, b = self.d, self.b
        match d.verdict:
            case Verdict.fine_tune if d.on_device_build_cost is not None:
                return (
                    "scope the fine-tune: split the labeled set into train and held-out eval, "
                    "build the eval suite first, and plan the on-device runtime (quantisation, "
                    "an on-device eval pass)."
                )
            case Verdict.fine_tune:
                option = b.serving.option.title if b is not None else "the cheapest option"
                limit = self.f.first_token_ms if self.latency else None
                fast = b.serving.option.first_token_ms if b is not None else None
                if limit is not None and (fast is None or fast > limit):
                    return (
                        "scope the fine-tune: split the labeled set into train and held-out "
                        "eval, build the eval suite first, and find serving that answers within "
                        f"{limit:,} ms: the price sheet has none, and the math uses {option} for "
                        "cost only."
                    )
                return (
                    "scope the fine-tune: split the labeled set into train and held-out eval, "
                    f"build the eval suite first, and plan serving on {option}."
                )
            case Verdict.measure_baseline if d.measure_models:
                names = listed([title(m) for m in d.measure_models])
                against = short(self.measured_model) if self.measured_model else "your model"
                return (
                    f"run {names} with a good prompt on the same eval set as {against} and send "
                    "me the score; I'll redo the math."
                )
            case Verdict.measure_baseline:
                return (
                    "run the workload on a well-prompted frontier model with caching, measure "
                    "quality against the target, then come back with both numbers."
                )
            case Verdict.prompt:
                return (
                    "keep prompting with caching and build the eval suite; revisit if volume or "
                    "prices move (the weekly digest will say)."
                )
            case Verdict.rag:
                return (
                    "build retrieval over the knowledge base (or long context with caching) and "
                    "an eval suite for answers."
                )
            case Verdict.build_dataset:
                cost = f" (about {about(d.dataset.human_labels_usd)})" if d.dataset else ""
                return (
                    f"building the labeled set is its own project: budget it{cost}, then "
                    "revisit the fine-tune."
                )
            case _:
                return "answer the questions above and I'll decide."

    @cached_property
    def assumptions(self) -> list[str]:
        lines = self.d.assumptions
        if self.anti_pattern:  # no fine-tune is costed: its build and ops would be noise
            lines = [a for a in lines if not a.startswith(("build cost ", "ops overhead "))]
        return assumption_lines(lines)

    @cached_property
    def prices(self) -> str:
        d = self.d
        source = short_source(d.price_sheet_source)
        return f"Prices as of {d.price_sheet_as_of} · source: {source}"


def _baseline_note(w: Words) -> str:
    f = w.f
    model = short(w.measured_model) if w.measured_model else "the prompted model"
    if f.baseline_quality is None:
        return f"{model} measured"
    if f.target_quality is None:
        return f"{model} scored {share(f.baseline_quality)}"
    if f.baseline_quality >= f.target_quality:
        return (
            f"{model} scored {share(f.baseline_quality)}, at or above the "
            f"{share(f.target_quality)} target"
        )
    gap = (f.target_quality - f.baseline_quality) * 100
    points = f"{gap:.1f}".removesuffix(".0")
    unit = "point" if points == "1" else "points"
    return (
        f"{model} scored {share(f.baseline_quality)} vs {share(f.target_quality)} target "
        f"(gap {points} {unit})"
    )


# -- the layouts --------------------------------------------------------------------------------


def verdict_title(decision: Decision) -> str:
    """The verdict in a few words, for "Verdict changed: … → …": "Measure Claude Haiku 5.5
    first" rather than the generic title where the decision names the models."""
    if decision.verdict is Verdict.measure_baseline and decision.measure_models:
        return f"Measure {listed([title(m) for m in decision.measure_models])} first"
    return decision.verdict.label


def headline(decision: Decision) -> str:
    """The verdict in one line, with its number."""
    return Words(decision).headline


def flip(decision: Decision) -> tuple[str, list[str]]:
    """What would flip the verdict: a title and one sentence a line (plain text)."""
    return Words(decision).flip


def fallback_text(decision: Decision) -> str:
    """The notification text that goes with the blocks (and screen readers use)."""
    return f"Verdict: {headline(decision)}"


def _threshold_line(label: str, sentence: str, bold: str = "") -> str:
    if not label:
        return sentence
    return f"{bold}{label}:{bold} {sentence[0].lower()}{sentence[1:]}"


def text(decision: Decision) -> str:
    """The verdict for a terminal."""
    w = Words(decision)
    out = [w.headline]
    if w.f.use_case:
        out.append(f"Workload: {' '.join(w.f.use_case.split())}")
    if w.warnings:
        out += ["", *(f"{WARNING} {line}" for line in w.warnings)]
    top = list(w.lede)
    if w.threshold:
        top.append(_threshold_line(*w.threshold))
    if top:
        out += ["", *top]
    if w.questions:
        out += ["", "To decide I still need:"]
        for q in w.questions:
            out.append(f"  - {q.ask}" + (f" e.g. {q.examples}" if q.examples else ""))
    if w.case_lines:
        out += ["", f"{w.cases_title}:", *(f"  - {line}" for line in w.case_lines)]
    if w.gate_lines:
        out += ["", "The three questions:", *(f"  {line}" for line in w.gate_lines)]
    if w.math_rows:
        out += ["", f"{w.math_title}:", *(f"  {r.label}: {r.value}" for r in w.math_rows)]
    lines, more = w.alternatives
    if lines:
        out += ["", "Ways of prompting it (a month, cheapest first):"]
        out += [f"  - {line}" for line in lines] + ([f"  {more}"] if more else [])
    out += ["", f"Next step: {w.next_step}"]
    if w.assumptions:
        out += ["", "Assumptions:", *(f"  - {line}" for line in w.assumptions)]
    out.append(w.prices)
    return "\n".join(out) + "\n"


def _section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(markdown, 3000)}}


def _context(markdown: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(markdown, 3000)}]}


def _fit(lines: list[str], limit: int = 2800) -> list[str]:
    """As many lines as fit a section, then "…and N more"."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > limit - 40:
            kept.append(f"…and {len(lines) - index} more")
            break
        kept.append(line)
        used += len(line) + 1
    return kept


def blocks(decision: Decision) -> list[dict[str, Any]]:
    """The verdict as a Slack message: validated, within Slack's limits."""
    w = Words(decision)
    esc = mrkdwn_escape
    result: list[dict[str, Any]] = []
    head, rest = w.headline, ""
    if len(head) > MAX_HEADER_TEXT:
        head, _, rest = head.partition(" · ")
        head = truncate(head, MAX_HEADER_TEXT)
    result.append({"type": "header", "text": {"type": "plain_text", "text": head, "emoji": True}})
    if w.f.use_case:
        result.append(_context(esc(truncate(" ".join(w.f.use_case.split()), 300))))
    if w.warnings:
        result.append(_section("\n".join(f"{WARNING} {esc(line)}" for line in w.warnings)))
    top = ([f"*{esc(rest)}*"] if rest else []) + [esc(line) for line in w.lede]
    if w.threshold:
        label, sentence = w.threshold
        top.append(_threshold_line(esc(label), esc(sentence), "*"))
    if w.questions:
        asks = [
            f"• *{esc(q.ask)}*" + (f" e.g. {esc(q.examples)}" if q.examples else "")
            for q in w.questions
        ]
        top += ["*To decide I still need:*", *_fit(asks)]
    if top:
        result.append(_section("\n".join(top)))
    detail = []
    if w.case_lines:
        cases = "\n".join(f"• {esc(line)}" for line in w.case_lines)
        detail.append(f"*{w.cases_title}*\n{cases}")
    if w.gate_lines:
        detail.append("*The three questions*\n" + "\n".join(esc(line) for line in w.gate_lines))
    if detail or w.math_rows:
        result.append({"type": "divider"})
    if detail:
        result.append(_section("\n\n".join(detail)))
    if w.math_rows:
        result.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{esc(w.math_title)}*"},
                "fields": [
                    {"type": "mrkdwn", "text": truncate(f"*{esc(r.label)}*\n{esc(r.value)}", 2000)}
                    for r in w.math_rows
                ],
            }
        )
    lines, more = w.alternatives
    if lines:
        listed = [f"• {esc(line)}" for line in lines] + ([esc(more)] if more else [])
        result.append(
            _section("*Ways of prompting it* (a month, cheapest first)\n" + "\n".join(listed))
        )
    result.append(_section(f"*Next step:* {esc(w.next_step)}"))
    footer = [{"type": "mrkdwn", "text": esc(w.prices)}]
    if w.assumptions:
        assumed = truncate(f"Assumptions: {'; '.join(w.assumptions)}", 2900)
        footer.insert(0, {"type": "mrkdwn", "text": esc(assumed)})
    result.append({"type": "context", "elements": footer})
    return validate_blocks(result)
