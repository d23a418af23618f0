"""`ftscope eval`: how well an extractor reads labeled scoping conversations.

Each case is a conversation a salesperson might have with the bot (its messages in order), the
facts it establishes and the verdict those facts give. A case runs through the same
`Conversation` the bot uses, one turn per message with the bot's replies recorded in between,
on a scratch database; its facts and verdict at the end are compared with the labels.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import render
from bot.conversation import Conversation, Turn
from bot.eval_cases import case_mapping, score_table, shown
from bot.extraction import Extractor, Usage
from bot.storage import Store, create_schema, make_engine
from knowledge import (
    Assumptions,
    Facts,
    InputError,
    PriceSheet,
    Verdict,
    facts_from,
    load_assumptions,
    load_price_sheet,
)

# The shipped suite lives beside the packages in a checkout (see README: Evaluating extraction).
SHIPPED_SUITE = Path(__file__).resolve().parent.parent / "evals"
# `use_case` is a line in the extractor's own words: it is not scored.
SCORED_FIELDS: tuple[str, ...] = tuple(f for f in Facts.model_fields if f != "use_case")
CASE_KEYS = frozenset({"name", "about", "messages", "facts", "verdict", "prices", "assumptions"})
# Intent cases (bot/intent_eval.py) live beside the extraction cases but are no conversations.
INTENT_FILES = frozenset({"intents.yaml"})
NUMBER_TOLERANCE = 0.005  # "7M a week" is 30,000,000 calls a month, give or take rounding


@dataclass(frozen=True)
class Case:
    name: str
    messages: list[str]
    facts: Facts
    verdict: Verdict
    prices: PriceSheet
    assumptions: Assumptions
    source: str  # "evals/volume.yaml #3"


@dataclass
class CaseResult:
    case: Case
    facts: dict[str, Any]
    verdict: str  # a Verdict's value, or "problem" when the facts don't fit together
    replies: list[str] = field(default_factory=list)  # the kind of each reply
    usage: list[Usage] = field(default_factory=list)
    cost_usd: float = 0.0
    flagged: int = 0  # numbers the offline check couldn't confirm (Claude only)
    error: str | None = None

    @property
    def verdict_ok(self) -> bool:
        return self.error is None and self.verdict == self.case.verdict.value

    def field_outcome(self, name: str) -> tuple[int, int, int]:
        """(true positives, false positives, false negatives) for one field."""
        expected = self.case.facts.known().get(name)
        got = self.facts.get(name)
        if expected is None and got is None:
            return 0, 0, 0
        if expected is None:
            return 0, 1, 0
        if got is None:
            return 0, 0, 1
        return (1, 0, 0) if same_value(expected, got) else (0, 1, 1)

    @property
    def facts_ok(self) -> bool:
        return all(self.field_outcome(f)[1:] == (0, 0) for f in SCORED_FIELDS)

    def diff(self) -> list[str]:
        """Each fact that differs from the label, as a line for a person."""
        lines = []
        expected = self.case.facts.known()
        for name in SCORED_FIELDS:
            _, fp, fn = self.field_outcome(name)
            if fp and fn:
                lines.append(f"{name}: expected {expected[name]!r}, got {self.facts[name]!r}")
            elif fn:
                lines.append(f"{name}: expected {expected[name]!r}, got nothing")
            elif fp:
                lines.append(f"{name}: expected nothing, got {self.facts[name]!r}")
        return lines


def same_value(expected: object, got: object) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return math.isclose(expected, got, rel_tol=NUMBER_TOLERANCE, abs_tol=1e-9)
    return expected == got


# --- the suite ----------------------------------------------------------------------------------


def suite_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files of the given files and folders (folders searched recursively)."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml") and p.name not in INTENT_FILES
            )
            if not found:
                problems.append(f"{path}: no .yaml files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    if problems:
        raise InputError(problems)
    return files


def load_suite(paths: Sequence[Path] = ()) -> list[Case]:
    """Every case of the given files and folders (default: the shipped suite); every problem
    is named with its file and case number, all at once."""
    if not paths:
        if not SHIPPED_SUITE.is_dir():
            raise InputError(
                [f"the shipped suite is not here ({SHIPPED_SUITE}): pass --suite PATH"]
            )
        paths = [SHIPPED_SUITE]
    cases: list[Case] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    defaults = (load_price_sheet(), load_assumptions())
    for path in suite_files(paths):
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: not YAML: {exc}")
            continue
        for number, document in enumerate(documents, start=1):
            if document is None:  # an empty document (a trailing ---)
                continue
            where = f"{shown(path)} #{number}"
            try:
                case = _case(document, where, path.parent, defaults)
            except InputError as exc:
                problems.extend(f"{where}: {p}" for p in exc.problems)
                continue
            if case.name in seen:
                problems.append(f"{where}: name {case.name!r} is also used by {seen[case.name]}")
                continue
            seen[case.name] = where
            cases.append(case)
    if problems:
        raise InputError(problems)
    if not cases:
        raise InputError(["the suite has no cases"])
    return cases


def _case(
    document: object, where: str, folder: Path, defaults: tuple[PriceSheet, Assumptions]
) -> Case:
    document, problems = case_mapping(document, CASE_KEYS)
    name = document.get("name")
    messages = document.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, str) and m.strip() for m in messages)
    ):
        problems.append("messages: a list of non-empty strings is required")
    try:
        facts = facts_from(document.get("facts") or {}, "facts")
    except InputError as exc:
        problems.extend(f"facts: {p}" for p in exc.problems)
        facts = Facts()
    verdict_value = document.get("verdict")
    try:
        verdict = Verdict(verdict_value)
    except ValueError:
        allowed = ", ".join(v.value for v in Verdict)
        problems.append(f"verdict: {verdict_value!r} is not one of {allowed}")
        verdict = Verdict.need_info
    prices, assumptions = defaults
    try:
        if document.get("prices"):
            prices = load_price_sheet(folder / str(document["prices"]))
        if document.get("assumptions"):
            assumptions = load_assumptions(folder / str(document["assumptions"]))
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    assert isinstance(name, str) and isinstance(messages, list)
    return Case(name.strip(), messages, facts, verdict, prices, assumptions, where)


# --- running ------------------------------------------------------------------------------------


def run_suite(
    cases: Sequence[Case],
    extractor: Callable[[], Extractor],
    *,
    conversation_options: dict[str, Any] | None = None,
    jobs: int = 1,
    turn_budget_s: float = 60.0,
) -> list[CaseResult]:
    """Run every case on a scratch SQLite database; `extractor` makes one per case."""
    with tempfile.TemporaryDirectory(prefix="ftscope-eval-") as folder:
        engine = make_engine(f"sqlite:///{folder}/eval.db")
        try:
            create_schema(engine)
            store = Store(engine)

            def run(numbered: tuple[int, Case]) -> CaseResult:
                number, case = numbered
                conversation = Conversation(
                    store,
                    extractor(),
                    lambda: case.prices,
                    case.assumptions,
                    turn_budget_s=turn_budget_s,
                    **(conversation_options or {}),
                )
                return run_case(conversation, case, number)

            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                return list(pool.map(run, enumerate(cases, start=1)))
        finally:
            engine.dispose()


def run_case(conversation: Conversation, case: Case, number: int) -> CaseResult:
    """The case's messages as turns of one thread; its facts and verdict at the end."""
    base = 1_700_000_000 + number * 1000
    thread_ts = f"{base}.000000"
    result = CaseResult(case, {}, "")
    try:
        for index, text in enumerate(case.messages):
            ts = f"{base + index}.000000"
            outcome = conversation.take(Turn("eval", "evals", thread_ts, "sales", text, ts))
            if outcome is None:
                raise RuntimeError(f"message {index + 1} was not answered")
            result.replies.append(outcome.kind)
            if outcome.usage is not None:
                result.usage.append(outcome.usage)
            result.cost_usd += outcome.cost_usd or 0.0
            result.flagged += len(outcome.unconfirmed)
            # Worded as the terminal words it: a case whose reply can't be rendered fails.
            reply = render.turn_text(outcome, conversation.assumptions)
            conversation.record_reply(outcome, f"{base + index}.000001", reply)
        thread = conversation.store.threads.find("eval", "evals", thread_ts)
        assert thread is not None
        result.facts = dict(thread.facts)
        # The verdict the thread shows: facts that clash left out, as the conversation decides.
        decision = conversation.decide(Facts.model_validate(thread.facts), case.prices).decision
        result.verdict = decision.verdict.value if decision is not None else "problem"
    except Exception as exc:  # one broken case is reported, not the end of the run
        result.error = f"{type(exc).__name__}: {exc}"
    return result


# --- scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldScore:
    name: str
    support: int  # cases whose labels set this field
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.support if self.support else None


# Per-fact floors (precision, recall) for facts few conversations state: a regression in a few
# cases of one of them barely moves the averages. A little under what the offline reader
# measures on the shipped suite (see the README, "Evaluating extraction"), so losing about two
# cases of one fact fails.
FIELD_FLOORS: dict[str, tuple[float, float]] = {
    "batch_ok": (0.95, 0.85),
    "format_schema": (0.90, 0.85),
    "other_baselines": (0.85, 0.85),
}


@dataclass(frozen=True)
class Floors:
    verdict_accuracy: float
    precision: float
    recall: float
    # fact -> (precision, recall); a fact the suite never states or reads is not held
    fields: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(FIELD_FLOORS))


@dataclass
class Report:
    results: list[CaseResult]
    floors: Floors
    seconds: float
    mode: str  # "offline" or "live (model)"

    @property
    def fields(self) -> list[FieldScore]:
        scores = []
        for name in SCORED_FIELDS:
            outcomes = [r.field_outcome(name) for r in self.results]
            tp, fp, fn = (sum(o[i] for o in outcomes) for i in range(3))
            support = sum(1 for r in self.results if name in r.case.facts.known())
            scores.append(FieldScore(name, support, tp, fp, fn))
        return scores

    def _totals(self) -> tuple[int, int, int]:
        fields = self.fields
        return (
            sum(f.true_positives for f in fields),
            sum(f.false_positives for f in fields),
            sum(f.false_negatives for f in fields),
        )

    @property
    def precision(self) -> float:
        tp, fp, _ = self._totals()
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def recall(self) -> float:
        tp, _, fn = self._totals()
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def verdict_accuracy(self) -> float:
        return sum(r.verdict_ok for r in self.results) / len(self.results)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not (r.verdict_ok and r.facts_ok)]

    @property
    def below_floors(self) -> list[str]:
        checks: list[tuple[str, float | None, float]] = [
            ("verdict accuracy", self.verdict_accuracy, self.floors.verdict_accuracy),
            ("precision", self.precision, self.floors.precision),
            ("recall", self.recall, self.floors.recall),
        ]
        for score in self.fields:
            if score.name in self.floors.fields:
                min_precision, min_recall = self.floors.fields[score.name]
                checks.append((f"{score.name} precision", score.precision, min_precision))
                checks.append((f"{score.name} recall", score.recall, min_recall))
        below = [
            f"{name} {got:.3f} < floor {floor:.3f}"
            for name, got, floor in checks
            if got is not None and got < floor
        ]
        crashed = sum(1 for r in self.results if r.error)
        if crashed:  # a case the conversation couldn't run is a bug, whatever the averages say
            below.append(f"{crashed} conversation{'s' if crashed != 1 else ''} raised an error")
        return below

    def token_bill(self) -> dict[str, Any] | None:
        usage = [u for r in self.results for u in r.usage]
        if not usage:
            return None
        bill = {
            "calls": len(usage),
            "input_tokens": sum(u.input_tokens for u in usage),
            "cache_creation_input_tokens": sum(u.cache_creation_input_tokens for u in usage),
            "cache_read_input_tokens": sum(u.cache_read_input_tokens for u in usage),
            "output_tokens": sum(u.output_tokens for u in usage),
            "cost_usd": round(sum(r.cost_usd for r in self.results), 6),
        }
        prompt_side = (
            bill["input_tokens"]
            + bill["cache_creation_input_tokens"]
            + bill["cache_read_input_tokens"]
        )
        bill["cache_read_share"] = (
            round(bill["cache_read_input_tokens"] / prompt_side, 4) if prompt_side else 0.0
        )
        return bill

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "cases": len(self.results),
            "seconds": round(self.seconds, 3),
            "verdict_accuracy": round(self.verdict_accuracy, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "fields": {
                f.name: {
                    "support": f.support,
                    "precision": None if f.precision is None else round(f.precision, 4),
                    "recall": None if f.recall is None else round(f.recall, 4),
                }
                for f in self.fields
            },
            "token_bill": self.token_bill(),
            "flagged_numbers": sum(r.flagged for r in self.results),
            "floors": {
                "verdict_accuracy": self.floors.verdict_accuracy,
                "precision": self.floors.precision,
                "recall": self.floors.recall,
                "fields": {
                    name: {"precision": p, "recall": r}
                    for name, (p, r) in self.floors.fields.items()
                },
            },
            "below_floors": self.below_floors,
            "passed": not self.below_floors,
            "per_case": [
                {
                    "name": r.case.name,
                    "source": r.case.source,
                    "verdict_ok": r.verdict_ok,
                    "facts_ok": r.facts_ok,
                    "expected": {
                        "verdict": r.case.verdict.value,
                        "facts": r.case.facts.known(),
                    },
                    "got": {"verdict": r.verdict, "facts": r.facts},
                    "diff": r.diff(),
                    "error": r.error,
                }
                for r in self.results
            ],
        }


def report_text(report: Report) -> str:
    """The report for a person: the table, the failed conversations, the bill, the floors."""
    seen = [f for f in report.fields if f.support or f.false_positives]
    lines = [
        f"ftscope eval ({report.mode}): {len(report.results)} conversations in "
        f"{report.seconds:.1f} s",
        "",
        *score_table("field", 22, [(f.name, f.support, f.precision, f.recall) for f in seen]),
        f"{'all facts':<22} {'':>5} {report.precision:>9.3f} {report.recall:>7.3f}",
        "",
        f"verdict accuracy: {report.verdict_accuracy:.3f} "
        f"({sum(r.verdict_ok for r in report.results)}/{len(report.results)})",
    ]
    bill = report.token_bill()
    if bill is not None:
        lines += [
            "",
            f"token bill: {bill['calls']} calls · input {bill['input_tokens']:,} · cache write "
            f"{bill['cache_creation_input_tokens']:,} · cache read "
            f"{bill['cache_read_input_tokens']:,} · output {bill['output_tokens']:,} · "
            f"${bill['cost_usd']:.4f} · cache-read share {bill['cache_read_share']:.0%}",
            f"numbers the offline check flagged: {sum(r.flagged for r in report.results)}",
        ]
    failed = report.failed
    if failed:
        lines += ["", f"{len(failed)} conversation{'s' if len(failed) != 1 else ''} differ:"]
        for r in failed:
            verdict = (
                f"verdict {r.case.verdict.value} ✓"
                if r.verdict_ok
                else f"verdict expected {r.case.verdict.value}, got {r.verdict or '–'}"
            )
            lines.append(f"✗ {r.case.name} ({r.case.source}): {verdict}")
            if r.error:
                lines.append(f"    error: {r.error}")
            lines.extend(f"    {line}" for line in r.diff())
    lines.append("")
    if report.below_floors:
        lines.append("BELOW FLOORS: " + "; ".join(report.below_floors))
    else:
        f = report.floors
        per_fact = ", ".join(f"{name} ≥ {p}/{r}" for name, (p, r) in f.fields.items())
        lines.append(
            f"floors held (verdict accuracy ≥ {f.verdict_accuracy}, precision ≥ {f.precision}, "
            f"recall ≥ {f.recall}" + (f"; precision/recall {per_fact}" if per_fact else "") + ")"
        )
    return "\n".join(lines) + "\n"


def evaluate(
    cases: Sequence[Case],
    extractor: Callable[[], Extractor],
    floors: Floors,
    mode: str,
    *,
    conversation_options: dict[str, Any] | None = None,
    jobs: int = 1,
) -> Report:
    started = time.perf_counter()
    results = run_suite(cases, extractor, conversation_options=conversation_options, jobs=jobs)
    return Report(results, floors, time.perf_counter() - started, mode)
