"""How well the offline intent reader tells what a message is for: labelled intent cases.

A case is one message and what it is for (`knowledge.intents`): facts, a question about the
verdict and its topic, a what-if, a command and which, or chatter. `evals/intents.yaml` is the
set the reader was developed against, `evals/holdout/intents.yaml` one written after it.
Scoring is per intent: precision (of the messages read as it, how many are) and recall (of the
messages that are it, how many were read as it); a command or a question counts as right only
with the right command or topic, and has a row of its own per command and topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.eval_cases import case_mapping, score_table, shown
from knowledge import InputError
from knowledge.intents import Command, Intent, MessageIntent, Topic
from knowledge.reader.intent import read_intent

__all__ = [
    "INTENT_FLOORS",
    "INTENT_SUITES",
    "IntentCase",
    "IntentScores",
    "LabelScore",
    "intent_eval",
    "intent_table",
    "load_intent_cases",
    "score_intents",
]

_EVALS = Path(__file__).resolve().parent.parent / "evals"
# The labelled set (the reader was developed against it) and the held-out one, by title.
INTENT_SUITES: dict[str, Path] = {
    "labelled": _EVALS / "intents.yaml",
    "held out": _EVALS / "holdout" / "intents.yaml",
}
CASE_KEYS = frozenset({"name", "about", "message", "addressed", "intent", "command", "topic"})


@dataclass(frozen=True)
class IntentCase:
    name: str
    message: str
    expected: MessageIntent
    addressed: bool
    source: str  # "evals/intents.yaml #3"


@dataclass(frozen=True)
class LabelScore:
    """One row: an intent ("question"), or a command or topic of one ("question: math")."""

    label: str
    support: int  # cases labelled with it
    predicted: int  # cases read as it
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None


@dataclass(frozen=True)
class IntentScores:
    results: list[tuple[IntentCase, MessageIntent]]
    rows: list[LabelScore]  # the five intents first, then each command and topic

    @property
    def accuracy(self) -> float:
        right = sum(got == case.expected for case, got in self.results)
        return right / len(self.results) if self.results else 1.0

    @property
    def wrong(self) -> list[tuple[IntentCase, MessageIntent]]:
        return [(case, got) for case, got in self.results if got != case.expected]

    def row(self, label: str) -> LabelScore:
        return next(r for r in self.rows if r.label == label)

    def below(self, floors: Floors) -> list[str]:
        """Each score under its floor, as "question recall 0.800 < floor 0.850"."""
        below = []
        if self.accuracy < floors.accuracy:
            below.append(f"accuracy {self.accuracy:.3f} < floor {floors.accuracy:.3f}")
        for intent, (min_precision, min_recall) in floors.intents.items():
            row = self.row(intent.value)
            for name, got, floor in (
                ("precision", row.precision, min_precision),
                ("recall", row.recall, min_recall),
            ):
                if got is not None and got < floor:
                    below.append(f"{row.label} {name} {got:.3f} < floor {floor:.3f}")
        return below


def _label(intent: MessageIntent) -> str:
    sub = intent.command or intent.topic
    return intent.intent.value if sub is None else f"{intent.intent.value}: {sub.value}"


def score_intents(
    cases: Sequence[IntentCase],
    read: Callable[..., MessageIntent] = read_intent,
) -> IntentScores:
    """Every case read by `read` (the offline reader by default), scored per intent and per
    command and topic."""
    results = [(case, read(case.message, addressed=case.addressed)) for case in cases]
    labels: list[tuple[str, Callable[[MessageIntent], bool]]] = [
        (i.value, lambda m, i=i: m.intent is i) for i in Intent
    ]
    labels += [(f"command: {c.value}", lambda m, c=c: m.command is c) for c in Command]
    labels += [(f"question: {t.value}", lambda m, t=t: m.topic is t) for t in Topic]
    rows = []
    for label, matches in labels:
        is_intent = ":" not in label
        rows.append(
            LabelScore(
                label,
                support=sum(matches(c.expected) for c, _ in results),
                predicted=sum(matches(got) for _, got in results),
                # an intent's row needs the whole reading right: a question with the wrong
                # topic is not a right question
                correct=sum(
                    matches(c.expected) and matches(got) and (not is_intent or got == c.expected)
                    for c, got in results
                ),
            )
        )
    return IntentScores(results, rows)


@dataclass(frozen=True)
class Floors:
    accuracy: float
    intents: dict[Intent, tuple[float, float]]  # intent -> (precision, recall)


# A little under what the offline reader measures (evals/README.md, "Intent cases"): about one
# case's worth per intent, so a change that costs two cases of an intent fails. The held-out
# set's are its figures on arrival, less the same margin.
INTENT_FLOORS: dict[str, Floors] = {
    "labelled": Floors(
        accuracy=0.96,
        intents={
            Intent.facts: (0.95, 0.95),
            Intent.question: (0.95, 0.95),
            Intent.what_if: (0.90, 0.90),
            Intent.command: (0.90, 0.90),
            Intent.chatter: (0.90, 0.90),
        },
    ),
    "held out": Floors(
        accuracy=0.75,
        intents={
            Intent.facts: (0.70, 0.90),
            Intent.question: (0.50, 0.60),
            Intent.what_if: (0.85, 0.70),
            Intent.command: (0.85, 0.60),
            Intent.chatter: (0.85, 0.70),
        },
    ),
}


def intent_table(scores: IntentScores, title: str) -> str:
    """The table for a person: a row per intent, then per command and topic, then the misses."""
    seen = [r for r in scores.rows if r.support or r.predicted]
    lines = [
        f"intents ({title}): {len(scores.results)} messages, "
        f"accuracy {scores.accuracy:.3f} "
        f"({len(scores.results) - len(scores.wrong)}/{len(scores.results)})",
        "",
        *score_table("intent", 26, [(r.label, r.support, r.precision, r.recall) for r in seen]),
    ]
    for case, got in scores.wrong:
        lines.append(
            f"✗ {case.name} ({case.source}): expected {_label(case.expected)}, got {_label(got)}"
        )
    return "\n".join(lines)


def intent_eval(
    suites: dict[str, Path] | None = None, floors: dict[str, Floors] | None = None
) -> tuple[str, list[str]]:
    """The intent tables of the shipped sets (or `suites`, by title) and the scores below their
    floors (an empty list: all held). For `ftscope eval` to print after the extraction table."""
    suites = INTENT_SUITES if suites is None else suites
    floors = INTENT_FLOORS if floors is None else floors
    tables, below = [], []
    for title, path in suites.items():
        scores = score_intents(load_intent_cases(path))
        tables.append(intent_table(scores, title))
        if title in floors:
            below += [f"intents ({title}): {b}" for b in scores.below(floors[title])]
    return "\n\n".join(tables), below


def load_intent_cases(path: Path) -> list[IntentCase]:
    """The cases of one YAML file (documents separated by `---`); every problem is named with
    its case number, all at once."""
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError([f"{path}: {exc}"]) from exc
    cases: list[IntentCase] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        where = f"{shown(path)} #{number}"
        try:
            case = _case(document, where)
        except InputError as exc:
            problems += [f"{where}: {p}" for p in exc.problems]
            continue
        if case.name in seen:
            problems.append(f"{where}: name {case.name!r} is used twice")
        seen.add(case.name)
        cases.append(case)
    if problems:
        raise InputError(problems)
    if not cases:
        raise InputError([f"{path}: no cases"])
    return cases


def _case(document: object, where: str) -> IntentCase:
    document, problems = case_mapping(document, CASE_KEYS)
    name, message = document.get("name"), document.get("message")
    if not isinstance(message, str):
        problems.append("message: a string is required")
    addressed = document.get("addressed", True)
    if not isinstance(addressed, bool):
        problems.append("addressed: true or false")
    expected: MessageIntent | None = None
    try:
        intent = Intent(document.get("intent"))
        command = Command(document["command"]) if "command" in document else None
        topic = Topic(document["topic"]) if "topic" in document else None
        expected = MessageIntent(intent, command, topic)
    except ValueError as exc:
        problems.append(
            f"intent {document.get('intent')!r}, command {document.get('command')!r}, "
            f"topic {document.get('topic')!r}: {exc}"
        )
    if problems:
        raise InputError(problems)
    assert isinstance(name, str) and isinstance(message, str) and expected is not None
    return IntentCase(name.strip(), message, expected, addressed, where)
