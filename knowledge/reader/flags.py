"""Yes/no facts: whether the baseline was measured, the frontier model drifts on the domain's
terms, the model must run on a device, the output format is strict, and "no labeled data".

Each is a pair of patterns, one for yes and one for no; the last one the message says wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import any_of, any_word, clause_at, clause_span_at, has, negated

__all__ = [
    "MEASURED_YES",
    "baseline_measured",
    "drift",
    "no_labels",
    "says_not_yet",
    "yes_no_flags",
]

_NOT_DONE = any_word(
    r"haven'?t|hasn'?t|have not|has not|never|didn'?t|did not",
    "nobody(?: has)?|no one(?: has)?|not",
)
_TESTING = any_word(
    r"test\w*|tr(?:y|ied|ying)|measur\w*|benchmark\w*|evaluat\w*|eval\w*|run\w*|ran",
    r"compar\w*|check\w*|baselin\w*",
)
_WITHOUT_A_TEST = _NOT_DONE + r"[^.]{0,25}" + _TESTING  # "nobody has actually tested it"
_MEASURED_NO = re.compile(
    any_of(
        _WITHOUT_A_TEST,
        r"\b(?:no|zero) (?:baseline|evals?|measurements?|benchmarks?|numbers|scores?)\b",
        r"\bnot (?:yet )?(?:measured|tested|benchmarked|evaluated)\b",
        r"\bjust assum\w*",
        r"\bno idea how\b",
        r"\bnever (?:tried|tested)\b",
        r"\b(?:measur|test|benchmark|eval|baselin|scor)\w*[^.]{0,60}\?\s*"
        r"(?:not yet|no|nope|nah|none)\b",
    ),
    re.IGNORECASE,
)
MEASURED_YES = re.compile(
    any_word(
        r"ran|run|tested|tried|measured|benchmarked|evaluated|eval'?d|scored|scores",
        "gets|got|getting|hits|hit|lands|landed|does|did|came in|comes in|baseline|at",
    ),
    re.IGNORECASE,
)

_VOCABULARY = any_of(r"terms?|terminology|jargon|vocab\w*|codes?|acronyms?|abbreviations?")
_DRIFT_YES = re.compile(
    any_word(
        r"hallucinat\w*|mangl\w*|makes? up|made up|making up|invent\w*|confus\w*",
        r"butcher\w*|botch\w*|mix(?:es|ed|ing)? up",
        r"gets? (?:the )?\w+(?: \w+)? wrong",
        r"got (?:the )?\w+(?: \w+)? wrong",
        r"getting (?:the )?\w+(?: \w+)? wrong",
        r"wrong (?:codes?|terms?|terminology|names?)",
        r"drift\w*|misus\w*|misread\w*|garbl\w*",
        rf"struggl\w* with (?:the )?{_VOCABULARY}",
        r"doesn'?t know (?:the )?(?:terms?|jargon|codes?)",
        r"fake (?:codes?|citations?|terms?)",
        "non-?existent",
    ),
    re.IGNORECASE,
)
_HANDLES_THE_TERMS = (
    r"\b(?:handles?|handled|gets?|got|knows?)\b[^.]{0,30}"
    r"\b(?:terminology|terms|jargon|vocab\w*|codes?|acronyms?)\b[^.]{0,15}"
    r"\b(?:fine|ok|okay|well|right|correctly|great|just fine)\b"
)
_DRIFT_NO = re.compile(
    any_of(
        _HANDLES_THE_TERMS,
        r"\bno (?:drift|terminology|jargon|vocab\w*) (?:issues?|problems?)\b",
        r"\b(?:terminology|jargon|vocab\w*) (?:isn'?t|is not) (?:an? )?(?:issue|problem)\b",
        r"\bdoesn'?t (?:drift|hallucinate)\b",
        r"\bhandles? (?:it|them|that|this|those) (?:fine|well|ok|okay|just fine)\b",
        r"\b(?:gets?|got) (?:it|them|those|the terms) right\b",
    ),
    re.IGNORECASE,
)
# Without a domain, "gets … wrong" is only drift when the message talks about words.
_VOCABULARY_MENTIONED = r"\b(?:term\w*|jargon|vocab\w*|codes?|acronyms?|names?|abbrev\w*)\b"

_DEVICES = any_of(
    "phones?|handhelds?|devices?|tablets?|laptops?|kiosks?|cameras?|cars?|vehicles?",
    "robots?|drones?|scanners?|headsets?|head units?|consoles?|set-?top box(?:es)?",
    r"terminals?|hardware|box|boxes|glasses|watch(?:es)?|edge",
)
_DEVICE_YES = re.compile(
    any_of(
        r"\bon[- ]device\b",
        rf"\bon (?:the |their |a |each )?(?:\w+ )?{_DEVICES}\b",
        r"\bat the edge\b",
        r"\bedge (?:devices?|hardware|deploy\w*)\b",
        r"\boffline\b",
        r"\bno (?:network|internet|connectivity|cloud)\b",
        r"\bair[- ]?gapped\b",
        r"\bin[- ]browser\b",
        r"\bembedded\b",
        r"\blocally on\b",
        r"\bruns? locally\b",
    ),
    re.IGNORECASE,
)
_SERVERS = any_of(
    r"backend|back end|cloud|servers?|data ?cent(?:er|re)|aws|gcp|azure|their infra|vpc"
)
_DEVICE_NO = re.compile(
    any_of(
        r"\b(?:to|in|from|via) the cloud\b",
        r"\bcloud[- ](?:based|hosted|api)\b",
        rf"\b(?:runs?|running|lives?|sits?|hosted|deployed)\b[^.]{{0,25}}\b{_SERVERS}\b",
        r"\bserver[- ]side\b",
        r"\b(?:nightly|overnight|offline)? ?batch\w*\b",
        r"\bcloud is fine\b",
        r"\b(?:doesn'?t|does not|don'?t|no need to|not) (?:need to )?(?:run )?"
        r"on[- ]?(?:device|prem|the edge)\b",
        r"\bno (?:on[- ]?device|edge) (?:requirement|need)\b",
        r"\basync\w*\b",
    ),
    re.IGNORECASE,
)

_EACH_OUTPUT = r"(?:every|each) (?:single )?(?:call|time|output|response|record|message)\b"
_FORMAT_YES = re.compile(
    any_of(
        r"\bno parser\b",
        r"\bevery (?:single )?row\b",
        r"\bno exceptions\b",
        r"\bno (?:parser |parsing )?fallbacks?(?: parser)?\b",
        r"\bno fallback pars\w*\b",
        r"\bzero tolerance\b",
        r"\bno retries\b",
        r"\bnever (?:be )?malformed\b",
        r"\b(?:has|have|needs?|must) to (?:be |match |validate )?(?:\w+ ){0,2}"
        r"(?:exact\w*|valid|strict\w*|perfect\w*|precise\w*)\b",
        r"\bexact(?:ly)? (?:the )?(?:same )?(?:json|schema|format|xml|structure|template)\b",
        r"\bstrict (?:json|schema|format)\b",
        rf"\b{_EACH_OUTPUT}[^.]{{0,30}}\b(?:valid|exact|format|schema|json|parse)",
        rf"(?:valid|exact|format|schema|json)\w*\b[^.]{{0,40}}\b{_EACH_OUTPUT}",
        r"\bschema[- ]valid\b",
        r"\bcan'?t (?:have|afford) (?:a )?(?:single )?(?:malformed|broken|invalid)\b",
    ),
    re.IGNORECASE,
)
_FORMAT_NO = re.compile(
    any_of(
        r"\b(?:fallback|lenient|tolerant) pars\w*\b",
        r"\bparser (?:fallback|handles?)\b",
        r"\b(?:loose|flexible|free[- ]?form)\b[^.]{0,15}\b(?:format|output|text)\b",
        r"\bformat (?:doesn'?t|does not) matter\b",
        r"\bcan (?:just )?retry\b",
        r"\bretries are fine\b",
        r"\bno strict (?:format|schema)\b",
        r"\bformat (?:isn'?t|is not) (?:strict|critical|an issue)\b",
        r"\bfree text is fine\b",
    ),
    re.IGNORECASE,
)

_LABELED = r"(?:labeled|labelled|annotated|gold)"
_NO_LABELS = re.compile(
    any_of(
        r"\bno (?:labeled|labelled|annotated|gold|training) (?:data|examples|set|samples)\b",
        rf"\b(?:zero|0|none|nothing) {_LABELED}\b(?! data (?:problems?|issues?))",
        r"\bno labels\b",
        r"\blabel(?:l)?ed(?: \w+)?(?:\s*[:=-]\s*|[^.\d]{0,10}\.{2,}\s*)(?:none|zero|nothing|0)\b",
        r"\b(?:don'?t|do not|doesn'?t|does not|haven'?t|have no|has no)\b[^.]{0,20}"
        r"\b(?:label(?:l)?ed|annotated|gold|training) \w+",
        r"\bnothing (?:is )?label(?:l)?ed\b",
        r"\bnot (?:a )?single label\w*\b",
    ),
    re.IGNORECASE,
)
_SHORT_NO = re.compile(
    r"^\W*(?:no|nope|nah|not yet|no,? not yet|not really|none yet|nothing yet)\b", re.IGNORECASE
)

# Words before a match that keep it from saying anything (see `_flag`).
_ONLY_ASKED = r"\b(?:asked|ask|asking|wondering|check(?:ing)?|see) (?:if|whether)\b[^.]*$"
_CANNOT = r"\b(?:can'?t|cannot|won'?t|couldn'?t)\b"
_WISH = r"\b(?:wants?|needs?|would like|hoping|so that|so it|a model that)\b[^.]*$"
_NOT_RIGHT_BEFORE = r"(?:\b(?:no|not|never|without)|n't)\s+$"
_DO_NOT_EXIST = r"\b(?:don'?t|doesn'?t|do not|does not) exist\w*\b\W*(?:\w+\W+)?$"


def _flag(
    message: str, yes: re.Pattern[str], no: re.Pattern[str], *, wishes_say_nothing: bool = False
) -> tuple[bool, str] | None:
    """The last of yes/no the message says, with its clause (a later sentence corrects).

    A negated yes is a no ("doesn't need to run on device"), a negated no is a yes ("no
    fallback parser"), and a yes that is only asked about ("i asked if it gets the terms
    wrong") says nothing.
    """
    found: tuple[int, bool, str] | None = None
    for pattern, value in ((no, False), (yes, True)):
        for m in pattern.finditer(message):
            clause_start = clause_span_at(message, m.start(), m.end()).start
            before = message[max(clause_start, m.start() - 25) : m.start()]
            if has(_ONLY_ASKED, before):
                continue
            if has(_CANNOT, before):
                continue  # "claude can't live on the box": about the frontier model, not the need
            if wishes_say_nothing and has(_WISH, before):
                continue  # "they want a model that gets the vocabulary right"
            said = value
            # a yes is negated by a "not" a few words before it, a no only by one right before it
            is_negated = negated(before) if value else has(_NOT_RIGHT_BEFORE, before) is not None
            if is_negated and has(_DO_NOT_EXIST, before):
                is_negated = False  # "codes that don't exist and mixes up…": the codes don't exist
            if is_negated and not negated(m.group(0)):
                said = not value
            if found is None or m.start() > found[0]:
                found = (m.start(), said, clause_at(message, m.start(), m.end()))
    if found is None:
        return None
    return found[1], found[2]


def yes_no_flags(message: str, *, domain_named: bool) -> list[tuple[str, bool, str]]:
    """frontier_drift, on_device and strict_format as the message states them, with quotes."""
    said: list[tuple[str, bool, str]] = []
    for field, yes, no in (
        ("frontier_drift", _DRIFT_YES, _DRIFT_NO),
        ("on_device", _DEVICE_YES, _DEVICE_NO),
        ("strict_format", _FORMAT_YES, _FORMAT_NO),
    ):
        flag = _flag(message, yes, no, wishes_say_nothing=field == "frontier_drift")
        if flag is None:
            continue
        if (
            field == "frontier_drift"
            and flag[0]
            and not domain_named
            and not has(_VOCABULARY_MENTIONED, message)
        ):
            continue  # "it gets the answer wrong": a mistake, not drift on the domain's terms
        said.append((field, flag[0], flag[1]))
    return said


def drift(message: str) -> tuple[bool, str] | None:
    return _flag(message, _DRIFT_YES, _DRIFT_NO, wishes_say_nothing=True)


def baseline_measured(
    message: str, numbers: Iterable[tuple[StatedNumber, str]]
) -> tuple[bool, str] | None:
    no = _MEASURED_NO.search(message)
    quality = [n for n, field in numbers if field == "baseline_quality"]
    if quality:
        # a stated score of the prompted model is a measurement, unless it is denied later
        n = quality[-1]
        if no is None or no.start() < n.quantity.start:
            return True, n.clause
    if no is not None:
        return False, clause_at(message, no.start(), no.end())
    return None


def says_not_yet(message: str) -> bool:
    """A short no ("not yet", "nope"): the answer to the question the bot asked."""
    return _SHORT_NO.search(message) is not None


def no_labels(message: str) -> str | None:
    """The clause saying there are no labeled examples, if one does."""
    m = _NO_LABELS.search(message)
    return None if m is None else clause_at(message, m.start(), m.end())
