"""The playbook as a procedure: facts in, verdict out, the same way every time.

spec/decision.md is the source: anti-patterns first, then the four cases that can favour
fine-tuning, then the three scoping questions in order. An unknown fact the procedure needs
gives `need_info` listing every field the remaining steps need, so the bot asks once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.assumptions import Assumptions
from knowledge.billing import Mode, Priced, Workload
from knowledge.breakeven import Breakeven, Serving, breakeven
from knowledge.decision import (
    CASE_NAMES,
    GATE_NAMES,
    Case,
    DatasetCost,
    Decision,
    Gate,
    GateName,
    Verdict,
)
from knowledge.errors import InputError
from knowledge.facts import Domain, Facts, Request, TaskType
from knowledge.market import Baseline, Market, cache_warnings, check_models, market, model_title
from knowledge.prices import ModelPrice, PriceSheet
from knowledge.thresholds import thresholds

CASE_FOR_REQUEST = {
    Request.domain_vocabulary: Case.C2,
    Request.latency: Case.C3,
    Request.output_format: Case.C4,
}


def priced_serving(
    facts: Facts, prices: PriceSheet, a: Assumptions, latency_case: bool
) -> tuple[Serving, bool]:
    """The fine-tune serving options the math prices, and whether they meet the first-token
    limit. A latency case (C3) may only use the options fast enough; when none is, the fastest
    the sheet declares (the nearest thing to the requirement), else every option."""
    options = list(prices.finetune_serving)
    limit = facts.first_token_ms
    reached = True
    if latency_case and limit is not None:
        eligible = [
            o for o in options if o.first_token_ms is not None and o.first_token_ms <= limit
        ]
        if eligible:
            options = eligible
        else:
            reached = False
            declared = [o for o in options if o.first_token_ms is not None]
            fastest = min((o.first_token_ms for o in declared), default=None)
            if fastest is not None:
                options = [o for o in declared if o.first_token_ms == fastest]
    serving = Serving(options, batch=facts.batch_ok is True, min_replicas=a.min_replicas_realtime)
    return serving, reached


@dataclass(frozen=True)
class CaseCheck:
    """A case's three-valued state: True, False, or None (unknown, with the facts it lacks)."""

    holds: bool | None
    note: str = ""
    unknown: tuple[str, ...] = ()


def _count(n: float) -> str:
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    return f"{n:,.0f}"


def check_volume(facts: Facts, a: Assumptions) -> CaseCheck:
    unknown = tuple(f for f in ("task_type", "monthly_calls") if getattr(facts, f) is None)
    if unknown:
        return CaseCheck(None, unknown=unknown)
    assert facts.task_type is not None and facts.monthly_calls is not None
    bulk = facts.task_type in (TaskType.classification, TaskType.extraction)
    big = facts.monthly_calls >= a.volume_case_min_calls
    if not bulk:
        return CaseCheck(False, f"{facts.task_type.value} is not classification or extraction")
    sign = "≥" if big else "<"
    note = (
        f"{_count(facts.monthly_calls)} {facts.task_type.value} calls/month {sign} "
        f"{_count(a.volume_case_min_calls)}"
    )
    return CaseCheck(big, note)


def check_domain(facts: Facts) -> CaseCheck:
    if facts.domain is Domain.general:
        return CaseCheck(False, "general domain")
    if facts.frontier_drift is False:
        return CaseCheck(False, "frontier models were not seen to drift on the terminology")
    if facts.domain is not None and facts.frontier_drift:
        return CaseCheck(True, f"{facts.domain.value} terminology, frontier models drift on it")
    unknown = tuple(f for f in ("domain", "frontier_drift") if getattr(facts, f) is None)
    return CaseCheck(None, unknown=unknown)


def check_latency(facts: Facts, a: Assumptions) -> CaseCheck:
    limit = a.latency_case_max_first_token_ms
    if facts.on_device:
        return CaseCheck(True, "must run on device / at the edge")
    if facts.first_token_ms is not None and facts.first_token_ms <= limit:
        return CaseCheck(True, f"first token within {facts.first_token_ms} ms ≤ {limit} ms")
    unknown = tuple(f for f in ("first_token_ms", "on_device") if getattr(facts, f) is None)
    if unknown:
        return CaseCheck(None, unknown=unknown)
    return CaseCheck(False, f"first token budget {facts.first_token_ms} ms > {limit} ms")


def check_format(facts: Facts, a: Assumptions, model: str, price: ModelPrice) -> CaseCheck:
    floor = a.format_case_min_calls
    if facts.strict_format is False:
        return CaseCheck(False, "no strict output format")
    if facts.format_schema and price.supports_native_structured_output:
        return CaseCheck(
            False,
            f"the format fits a JSON schema, and {model}'s structured outputs already guarantee "
            "schema-valid output",
        )
    if facts.monthly_calls is not None and facts.monthly_calls < floor:
        return CaseCheck(False, f"{_count(facts.monthly_calls)} calls/month < {_count(floor)}")
    unknown = tuple(f for f in ("strict_format", "monthly_calls") if getattr(facts, f) is None)
    if unknown:
        return CaseCheck(None, unknown=unknown)
    assert facts.monthly_calls is not None
    note = f"strict format at {_count(facts.monthly_calls)} calls/month ≥ {_count(floor)}"
    return CaseCheck(True, note)


def check_cases(
    facts: Facts, a: Assumptions, model: str, price: ModelPrice
) -> dict[Case, CaseCheck]:
    return {
        Case.C1: check_volume(facts, a),
        Case.C2: check_domain(facts),
        Case.C3: check_latency(facts, a),
        Case.C4: check_format(facts, a, model, price),
    }


@dataclass(frozen=True)
class TokenPlan:
    workload: Workload | None
    assumptions: list[str]


def plan_workload(facts: Facts, a: Assumptions) -> TokenPlan:
    """The workload the math uses: given token sizes, or the task type's defaults (flagged)."""
    if facts.monthly_calls is None:
        return TokenPlan(None, [])
    notes: list[str] = []
    defaults = a.default_tokens.get(facts.task_type) if facts.task_type else None
    sizes: dict[str, int] = {}
    for fact, default_key in (("input_tokens", "input"), ("output_tokens", "output")):
        value = getattr(facts, fact)
        if value is None:
            if defaults is None:
                return TokenPlan(None, [])
            assert facts.task_type is not None
            value = getattr(defaults, default_key)
            notes.append(f"{fact} defaulted to {value:,} for {facts.task_type.value}")
        sizes[fact] = value
    cached = facts.cached_prefix_tokens
    if cached is None:
        cached = 0
        notes.append("cached_prefix_tokens assumed 0 (no stable prompt prefix to cache)")
    elif cached > sizes["input_tokens"]:
        raise InputError(
            [
                f"cached_prefix_tokens: must be ≤ input_tokens ({sizes['input_tokens']:,}, "
                f"assumed for {facts.task_type.value if facts.task_type else 'this task'}), "
                f"got {cached:,}; give input_tokens"
            ]
        )
    thinking = a.thinking_tokens.get(facts.task_type, 0) if facts.task_type else 0
    workload = Workload(
        facts.monthly_calls, sizes["input_tokens"], sizes["output_tokens"], cached, thinking
    )
    return TokenPlan(workload, notes)


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _months(x: float) -> str:
    return "never" if not math.isfinite(x) else f"{x:.1f} months"


class _Procedure:
    """One run of the procedure; collects reasons and notes as rules fire."""

    def __init__(self, facts: Facts, prices: PriceSheet, a: Assumptions, today: dt.date) -> None:
        self.facts, self.prices, self.a, self.today = facts, prices, a, today
        self.reasons: list[str] = []
        self.assumptions: list[str] = []
        self.warnings: list[str] = []
        self.gates = dict.fromkeys(GATE_NAMES, Gate.not_reached)
        self.gate_notes: dict[GateName, str] = {}
        self.baseline: Baseline = check_models(facts, prices, a, today)
        model = self.baseline.model
        self.checks = check_cases(facts, a, model, prices.models[model])
        self.measure_models: list[str] = []
        self.dataset: DatasetCost | None = None
        self.workload: Workload | None = None
        self.market: Market | None = None
        self.serving: Serving | None = None
        self.on_device_build: float | None = None
        self._model_warnings()
        self.math = self._math()

    # -- the market and the math ---------------------------------------------------------

    def _model_warnings(self) -> None:
        b, prices = self.baseline, self.prices
        if b.retired:
            named = b.named or self.a.default_frontier_model
            retired_on = prices.models[named].deprecation_date
            assert retired_on is not None
            self.warnings.append(
                f"{named} retired on {retired_on.isoformat()}: priced as {b.model} instead."
            )
        retiring = prices.models[b.model].deprecation_date
        if retiring is not None and not prices.models[b.model].retired_by(self.today):
            self.reasons.append(f"{b.model} retires on {retiring.isoformat()}")
        others = ", ".join(self.facts.other_baselines or {})
        if others and self.facts.baseline_quality is None:
            self.reasons.append(
                f"the quality measured on {others} can't be compared: the baseline's quality "
                "is unknown"
            )

    def _build_cost(self) -> float:
        facts, a = self.facts, self.a
        if facts.build_cost_usd is not None:
            return facts.build_cost_usd
        build = a.computed_build_cost
        self.assumptions.append(
            f"build cost {_money(build)} = {a.engineering_weeks:g} engineering weeks × "
            f"{_money(a.weekly_rate_usd)} + {_money(a.training_compute_usd)} training + "
            f"{_money(a.eval_suite_usd)} eval suite"
        )
        return build

    def _build_and_ops(self) -> tuple[float, float]:
        facts, a = self.facts, self.a
        build = self._build_cost()
        if facts.monthly_ops_usd is not None:
            ops = facts.monthly_ops_usd
        else:
            ops = a.monthly_ops_usd
            self.assumptions.append(f"ops overhead {_money(ops)}/month")
        return build, ops

    def _math(self) -> Breakeven | None:
        facts, a = self.facts, self.a
        if facts.on_device:
            build = self._build_cost()
            self.on_device_build = build + a.on_device_build_extra_usd
            self.assumptions.append(
                f"on device: {_money(a.on_device_build_extra_usd)} more to build for the device "
                "(no cloud serving, no frontier model to compare)"
            )
            return None
        plan = plan_workload(facts, a)
        if plan.workload is None:
            return None
        self.workload = workload = plan.workload
        self.assumptions.extend(plan.assumptions)
        if self.baseline.defaulted:
            self.assumptions.append(f"frontier_model defaulted to {self.baseline.model}")
        self.market = found = market(facts, self.prices, self.baseline, workload, self.today)
        self._market_notes(found, workload)
        self.serving = self._serving()
        build, ops = self._build_and_ops()
        return breakeven(found.competitor, self.serving, workload, build, ops)

    def _against(self, competitor: Priced) -> Breakeven:
        """The fine-tune of this decision against another way of prompting."""
        m, workload = self.math, self.workload
        assert m is not None and workload is not None and self.serving is not None
        return breakeven(
            competitor, self.serving, workload, m.build_cost, m.monthly_ops, fine_tuned=m.serving
        )

    def _market_notes(self, found: Market, workload: Workload) -> None:
        models = self.prices.models
        self.warnings.extend(
            cache_warnings(self.prices, [found.baseline.model, found.competitor.model], workload)
        )
        # the models whose figures a verdict quotes: the buyer's, the competitor, the cheapest
        quoted = list(
            dict.fromkeys(
                [found.baseline.model, found.competitor.model, found.alternatives[0].model]
            )
        )
        thinking = [m for m in quoted if models[m].thinking_always_on]
        if thinking and workload.thinking_tokens:
            self.assumptions.append(
                f"{workload.thinking_tokens:,} thinking tokens billed per call on "
                f"{', '.join(model_title(m) for m in thinking)}, which always think"
            )
        recount = [m for m in quoted if models[m].token_count_factor != 1]
        if recount:
            factors = ", ".join(
                f"{model_title(m)} ×{models[m].token_count_factor:g}" for m in recount
            )
            self.assumptions.append(f"token counts as each model counts the same text ({factors})")

    def _serving(self) -> Serving:
        latency_case = self.checks[Case.C3].holds
        serving, reached = priced_serving(self.facts, self.prices, self.a, latency_case)
        limit = self.facts.first_token_ms
        if not reached and limit is not None:
            fastest = min((o.first_token_ms or 0 for o in serving.options), default=0)
            near = f"the fastest option in it ({fastest:,} ms)" if fastest else "every option"
            self.warnings.append(
                f"No serving option in the price sheet is known to reach a first token "
                f"within {limit:,} ms: the math below prices {near}."
            )
        return serving

    def holding(self) -> list[Case]:
        return [name for name in CASE_NAMES if self.checks[name].holds]

    def decision(self, verdict: Verdict, summary: str, missing: Iterable[str] = ()) -> Decision:
        found = self.market
        limits = None
        if self.math is not None and self.serving is not None and self.workload is not None:
            limits = thresholds(
                self.math.frontier_cost_per_call,
                self.serving,
                self.workload,
                build_cost=self.math.build_cost,
                monthly_ops=self.math.monthly_ops,
                horizon=self.a.payback_horizon_months,
            )
        against_cheapest = None
        if self.math is not None and found is not None and self.workload is not None:
            cheapest = found.alternatives[0]
            if cheapest.cost_per_call < found.competitor.cost_per_call:
                against_cheapest = self._against(cheapest)
        return Decision(
            verdict=verdict,
            cases=self.holding(),
            gates=self.gates,
            missing=list(dict.fromkeys(missing)),
            breakeven=self.math,
            assumptions=self.assumptions,
            price_sheet_as_of=self.prices.as_of.isoformat(),
            price_sheet_source=self.prices.source,
            reasons=self.reasons + self._math_reasons(),
            summary=summary,
            facts=self.facts,
            case_notes={n: c.note for n, c in self.checks.items() if c.note},
            gate_notes=self.gate_notes,
            baseline=None if found is None else found.baseline,
            alternatives=[] if found is None else found.alternatives,
            competitor=None if found is None else found.competitor,
            measure_models=self.measure_models,
            against_cheapest=against_cheapest,
            thresholds=limits,
            warnings=self.warnings,
            dataset=self.dataset,
            on_device_build_cost=self.on_device_build,
            horizon_months=self.a.payback_horizon_months,
        )

    def _math_reasons(self) -> list[str]:
        m = self.math
        if m is None:
            return []
        lines = []
        if m.frontier_model != self.baseline.model or m.frontier_mode is Mode.batch:
            lines.append(
                f"the fine-tune is compared with {m.frontier_model} ({m.frontier_mode.value}), "
                "the cheapest way of prompting known to be as good as the buyer's model"
            )
        if m.savings_per_call <= 0:
            lines.append(
                "breakeven_calls is null (infinite): the fine-tuned model saves nothing per call"
            )
        if m.payback_months == math.inf:
            lines.append(
                "payback_months is null (infinite): monthly savings do not cover "
                f"{_money(m.monthly_ops)}/month of ops"
            )
        if not math.isfinite(m.serving.per_call):
            lines.append("finetune_cost_per_call is null: a monthly GPU bill spread over 0 calls")
        return lines

    # -- the procedure -----------------------------------------------------------------

    def run(self) -> Decision:
        early = self.anti_patterns()
        if early is not None:
            return early
        missing = self.unsettled_cases()
        if missing:
            self.reasons.append("facts needed to settle the cases are unknown")
            return self.decision(
                Verdict.need_info, "a few facts are missing", missing + self.later_needs()
            )
        if self.facts.request is Request.output_format and self.facts.format_schema is None:
            self.reasons.append(
                "format_schema is unknown: ask whether the format can be written as a JSON "
                "schema; if it can, structured outputs guarantee it and C4 does not hold"
            )
        holding = self.holding()
        if not holding:
            self.reasons.append(
                "no case for fine-tuning holds: default position, a frontier model with a good "
                "prompt, caching and an eval suite"
            )
            return self.decision(Verdict.prompt, "no case for fine-tuning holds")
        for name in holding:
            self.reasons.append(f"{name.label} holds: {self.checks[name].note}")
        return self.questions(holding)

    def anti_patterns(self) -> Decision | None:
        request, facts = self.facts.request, self.facts
        if request is Request.knowledge_base:
            self.reasons.append(
                "knowledge base request: RAG or long context with caching; fine-tuning on "
                "documents doesn't make a model know them"
            )
            return self.decision(Verdict.rag, "fine-tuning on documents doesn't teach them")
        if request is Request.brand_voice and not self.checks[Case.C3].holds:
            self.reasons.append(
                "brand voice request: system prompt + 3–5 example outputs; fine-tuning locks "
                "you into the base model"
            )
            return self.decision(Verdict.prompt, "brand voice is a prompt job")
        if request is Request.improve_quality and facts.baseline_measured is not True:
            return self.unmeasured(
                "improve-quality request with no measured baseline: a prompt or eval problem "
                "70% of the time, fix those first",
                "quality is unmeasured",
            )
        return None

    def settle(self, name: GateName, state: Gate, *, note: str | None = None, reason: str) -> None:
        """A gate's state, the note a reply shows beside it (if any), and the reason why."""
        self.gates[name] = state
        if note is not None:
            self.gate_notes[name] = note
        self.reasons.append(reason)

    def unmeasured(self, reason: str, summary: str) -> Decision:
        """Q1 fails for want of a measured baseline: measuring it comes first."""
        self.settle(GateName.q1_baseline, Gate.failed, note="not measured yet", reason=reason)
        return self.decision(Verdict.measure_baseline, summary)

    def unsettled_cases(self) -> list[str]:
        """Facts that must be asked before the cases are settled (empty when settled)."""
        missing = [f for f in ("task_type", "monthly_calls") if getattr(self.facts, f) is None]
        named = CASE_FOR_REQUEST.get(self.facts.request) if self.facts.request else None
        if named is not None and self.checks[named].holds is None:
            missing.extend(self.checks[named].unknown)
        return missing

    def _only_quality_cases(self) -> bool:
        """Only C2/C4 can hold: the quality gap is what fine-tuning would buy."""
        named = CASE_FOR_REQUEST.get(self.facts.request) if self.facts.request else None

        def possible(name: Case) -> bool:
            check = self.checks[name]
            return bool(check.holds) or (check.holds is None and name == named)

        return (
            not self.checks[Case.C1].holds
            and not self.checks[Case.C3].holds
            and (possible(Case.C2) or possible(Case.C4))
        )

    def later_needs(self) -> list[str]:
        """Unknown facts the scoping questions will need, asked together with the cases'."""
        f = self.facts
        needs: list[str] = []
        if not self.checks[Case.C3].holds:
            if f.baseline_measured is None:
                needs.append("baseline_measured")
            if f.baseline_measured is False:
                return needs
            if self._only_quality_cases():
                needs.extend(
                    q for q in ("baseline_quality", "target_quality") if getattr(f, q) is None
                )
        if f.labeled_examples is None:
            needs.append("labeled_examples")
        return needs

    def questions(self, holding: list[Case]) -> Decision:
        f = self.facts
        # Q1: what does prompting the frontier model already give?
        if Case.C3 in holding:
            why = (
                "on device, there is no API to measure"
                if self.facts.on_device
                else "frontier APIs can't meet the latency"
            )
            self.settle(
                GateName.q1_baseline,
                Gate.skipped,
                note=f"skipped: {why}",
                reason=f"Q1 skipped under C3: {why}",
            )
        elif f.baseline_measured is None:
            self.settle(
                GateName.q1_baseline,
                Gate.unknown,
                reason="Q1: has the prompted frontier model been measured? unknown",
            )
            return self.decision(Verdict.need_info, "a few facts are missing", self.later_needs())
        elif f.baseline_measured is False:
            return self.unmeasured(
                "Q1 fails: measure a well-prompted frontier model with caching first; the gap "
                "to good enough is the budget for fine-tuning",
                "the prompted baseline is unmeasured",
            )
        else:
            early = self.baseline_gap(holding)
            if early is not None:
                return early
            early = self.cheaper_unmeasured()
            if early is not None:
                return early
        early = self.labeled_data()
        if early is not None:
            return early
        return self.volume(holding)

    def baseline_gap(self, holding: list[Case]) -> Decision | None:
        """Q1 with a measured baseline: under C2/C4 alone there must be a gap to buy."""
        f = self.facts
        gap_only = set(holding) <= {Case.C2, Case.C4}
        if gap_only and (f.baseline_quality is None or f.target_quality is None):
            self.settle(
                GateName.q1_baseline,
                Gate.unknown,
                reason="Q1: measured and target quality are needed for C2/C4",
            )
            return self.decision(
                Verdict.need_info, "quality figures are missing", self.later_needs()
            )
        if (
            gap_only
            and f.baseline_quality is not None
            and f.target_quality is not None
            and f.baseline_quality >= f.target_quality
        ):
            self.settle(
                GateName.q1_baseline,
                Gate.failed,
                note=f"{_share(f.baseline_quality)} already meets the {_share(f.target_quality)} "
                "target",
                reason="Q1: the prompted frontier model already meets the target, so there "
                "is no quality gap for fine-tuning to buy",
            )
            return self.decision(Verdict.prompt, "no quality gap to buy")
        note = _baseline_note(f)
        self.settle(
            GateName.q1_baseline,
            Gate.passed,
            note=note,
            reason=f"Q1 passes: baseline measured ({note})",
        )
        return None

    def cheaper_unmeasured(self) -> Decision | None:
        """Q1's second step: a cheaper model nobody measured could make the fine-tune moot."""
        m, found, workload = self.math, self.market, self.workload
        if m is None or found is None or workload is None:
            return None
        horizon = self.a.payback_horizon_months
        if m.payback_months > horizon:
            return None  # it doesn't pay back against the competitor: cheaper models won't help
        moot: list[Priced] = []
        for alternative in found.alternatives:
            if alternative.quality is not None:
                continue  # measured: as good (a competitor) or worse (no competitor)
            if alternative.cost_per_call >= found.competitor.cost_per_call:
                break  # cheapest first
            against = self._against(alternative)
            if against.payback_months > horizon and alternative.model not in {
                p.model for p in moot
            }:
                moot.append(alternative)
        if not moot:
            return None
        self.measure_models = [p.model for p in moot]
        first = moot[0]
        bar = _share(self.facts.baseline_quality) if self.facts.baseline_quality else "the bar"
        self.settle(
            GateName.q1_baseline,
            Gate.failed,
            note=f"measure {', '.join(model_title(p) for p in self.measure_models)} first",
            reason=f"Q1: measure {first.model} first: if it reaches {bar}, prompting it costs "
            f"{_money(first.monthly_cost)} a month"
            f"{' in batch' if first.mode is Mode.batch else ''} and the fine-tune never pays "
            f"back within {horizon:g} months; if it doesn't, the fine-tune pays back in "
            f"{_months(m.payback_months)} against {m.frontier_model}",
        )
        return self.decision(Verdict.measure_baseline, f"measure {model_title(first.model)} first")

    def labeled_data(self) -> Decision | None:
        f, a = self.facts, self.a
        if f.labeled_examples is None:
            self.settle(
                GateName.q2_data,
                Gate.unknown,
                reason="Q2: how many labeled examples exist? unknown",
            )
            return self.decision(Verdict.need_info, "labeled data is unknown", ["labeled_examples"])
        floor = a.min_labeled_examples
        if f.labeled_examples < floor:
            self.settle(
                GateName.q2_data,
                Gate.failed,
                note=f"{f.labeled_examples:,} < {floor:,}",
                reason=f"Q2 fails: {f.labeled_examples:,} labeled examples < {floor:,}; building "
                "the training set is a different project and comes first",
            )
            self.dataset = self._dataset_cost(floor - f.labeled_examples)
            return self.decision(Verdict.build_dataset, "too few labeled examples")
        self.settle(
            GateName.q2_data,
            Gate.passed,
            note=f"{f.labeled_examples:,} ≥ {floor:,}",
            reason=f"Q2 passes: {f.labeled_examples:,} labeled examples ≥ {floor:,}",
        )
        return None

    def _dataset_cost(self, needed: int) -> DatasetCost:
        f = self.facts
        rate = self.a.labeling_cost_per_example_usd[f.domain or Domain.general]
        frontier = None
        meets = (
            f.baseline_quality is not None
            and f.target_quality is not None
            and f.baseline_quality >= f.target_quality
        )
        if meets and self.market is not None:
            frontier = needed * self.market.baseline.cost_per_call
            self.reasons.append(
                f"the baseline meets the target: labelling the {needed:,} missing examples with "
                f"{self.market.baseline.model}'s own outputs costs about {_money(frontier)}"
            )
        self.reasons.append(
            f"labelling {needed:,} examples at ${rate:,.2f} each costs about "
            f"{_money(needed * rate)}"
        )
        return DatasetCost(needed, rate, frontier)

    def volume(self, holding: list[Case]) -> Decision:
        """Q3: does the volume pay back the build (against the competitor)?"""
        if self.facts.on_device:
            self.settle(
                GateName.q3_volume,
                Gate.skipped,
                note="skipped: on device, there is nothing to compare",
                reason="Q3 skipped on device: no cloud serving and no frontier API to compare "
                "with; fine-tuning a small model is the only path",
            )
            return self.decision(Verdict.fine_tune, "only a small model runs on the device")
        m = self.math
        assert m is not None  # task_type and monthly_calls are known by now
        horizon = self.a.payback_horizon_months
        pays_back = m.payback_months <= horizon
        self.gates[GateName.q3_volume] = Gate.passed if pays_back else Gate.failed
        shown = _months(m.payback_months)
        sign = "≤" if pays_back else ">"
        self.gate_notes[GateName.q3_volume] = (
            f"payback {shown} {sign} {horizon:g}" if shown != "never" else "never pays back"
        )
        if Case.C3 in holding:
            self.reasons.append(
                f"Q3 reported, not a gate under C3 ({self.gate_notes['q3_volume']}): when "
                "latency is the requirement, fine-tuning is the only path"
            )
            return self.decision(Verdict.fine_tune, "latency rules out frontier APIs")
        if not pays_back:
            self.reasons.append(
                f"Q3 fails: {self.gate_notes['q3_volume']} months horizon; fine-tuning doesn't "
                "pay back at this volume"
                if shown != "never"
                else "Q3 fails: fine-tuning never pays back at this volume"
            )
            return self.decision(Verdict.prompt, "fine-tuning doesn't pay back")
        self.reasons.append(f"Q3 passes: {self.gate_notes['q3_volume']} months")
        return self.decision(Verdict.fine_tune, "all three questions favour it")


def _share(value: float | None) -> str:
    """A quality share as a percentage, with a decimal only where it has one (99.5%)."""
    if value is None:
        return "?"
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _baseline_note(f: Facts) -> str:
    if f.baseline_quality is not None and f.target_quality is not None:
        shown = f"{_share(f.baseline_quality)} vs {_share(f.target_quality)} target"
        gap = (f.target_quality - f.baseline_quality) * 100
        if gap <= 0:
            return f"{shown}, already met"
        points = f"{gap:.1f}".removesuffix(".0")
        return f"{shown}, a {points}-point gap"
    if f.baseline_quality is not None:
        return _share(f.baseline_quality)
    return "measured"


def decide(
    facts: Facts,
    prices: PriceSheet,
    assumptions: Assumptions,
    today: dt.date | None = None,
) -> Decision:
    """The verdict for these facts under this price sheet and these assumptions, on `today`
    (the system date unless given: retirements are judged on the run's date)."""
    return _Procedure(facts, prices, assumptions, today or dt.date.today()).run()
