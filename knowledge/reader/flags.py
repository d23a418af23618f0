"""Yes/no facts: whether the baseline was measured, the frontier model drifts on the domain's
terms, the model must run on a device, the output format is strict, results may wait a day
(batch), the format is JSON (a JSON schema can enforce it), and "no labeled data".

Each is a pair of patterns, one for yes and one for no; the last one the message says wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import (
    any_of,
    any_word,
    around,
    clause_at,
    clause_span_at,
    has,
    negated,
    sentences,
)

__all__ = [
    "MEASURED_YES",
    "UNSURE",
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
    r"test\w*|tr(?:y|ied|ying)|measur\w*|benchmark\w*|evaluat\w*|eval\w*",
    # "run on device", "ran locally": where a model runs, not a test run
    r"(?:run\w*|ran)(?!\s+(?:on|locally|in|at|inside|offline|fast|faster|slow))",
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
        r"\b(?:has|have|needs?|must) to (?:match|validate against|conform to|follow)"
        r" (?:their|the|our) (?:[\w-]+ )?schema\b",
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

# Results may come back within 24 hours (the Batch API), or someone waits for each answer.
_BATCH_YES = re.compile(
    any_of(
        r"\bnightly\b",
        r"\bovernight\b",
        r"\bevery (?:night|evening)\b",
        r"\bbatch(?:es|ed|ing)?\b(?!\s+(?:of|sizes?|numbers?|no)\b)",
        r"\basync(?:hronous(?:ly)?)?\b",
        r"\bcan wait\b",
        r"\b(?:next|following)[- ](?:day|morning)\b",
        r"\bby (?:the )?(?:next )?morning\b",
        r"\bend of (?:the )?day\b",
        r"\bwithin (?:a day|the day|24 ?h\w*|a few hours|hours)\b",
        r"\b(?:24|48) ?h(?:ou)?rs? (?:is|are|would be) (?:fine|ok|okay)\b",
        r"\bsla (?:is |of )?(?:24|48|72) ?h",
        r"\bnext business day\b",
        r"\bturnaround\b[^.]{0,20}\b(?:day|24|hours|overnight)\b",
        r"\bno rush\b",
        r"\bnot (?:\w+ )?(?:time[- ]sensitive|time[- ]critical|urgent)\b",
        r"\b(?:nobody|no one|no-one)(?:'s| is)? waiting\b",
        r"\bbackfill\w*\b",
        r"\bbacklog\b",
        r"\bcron\b",
        r"\bscheduled (?:job|run|batch|task)\b",
        r"\bruns? (?:daily|weekly|monthly|once a (?:day|week)|every (?:night|morning|day|week))\b",
        r"\b(?:daily|weekly|monthly) (?:job|batch|run|export|import|report|pipeline|dump)\b",
        r"\boffline (?:job|batch|processing|pipeline|scoring|run)\b",
        r"\bonce a (?:day|night)\b",
    ),
    re.IGNORECASE,
)
_WAITS = r"(?:waits?|waiting)"
_BATCH_NO = re.compile(
    any_of(
        r"\breal[- ]?time\b",
        r"\blive[- ](?:chats?|calls?|agents?|agent-assist|conversations?|traffic|support"
        r"|transcription|sessions?|commentary|broadcasts?|streams?|streaming|feeds?|video|audio"
        r"|captions?|sports|games?|in-game|events?)\b",
        r"\b(?:generated|served|answered|scored|tagged|classified|translated|shown) live\b",
        rf"\b(?:users?|customers?|callers?|agents?|patients?|shoppers?|riders?|drivers?|players?"
        rf"|clients?|people|someone|somebody|reps?|the person)\b[^.,;!?]{{0,40}}\b{_WAITS}\b",
        rf"\b(?:while|as) (?:the |a |their )?(?:user|customer|caller|agent|person|they|people|rep)"
        rf"\b[^.]{{0,20}}\b{_WAITS}\b",
        rf"\b{_WAITS} (?:for|on) (?:the |each |an? |every )?"
        r"(?:answer|reply|response|result|output)",
        r"\bin the (?:request|hot|critical) path\b",
        r"\bsynchronous(?:ly)?\b",
        r"\binteractive (?:chat|sessions?|use|apps?|tools?|experiences?|workloads?|traffic)\b",
        r"\b(?:is|it'?s|are) interactive\b",
        r"\binstant(?:ly|aneous)?\b",
        r"\bimmediately\b",
        r"\bright away\b",
        r"\bon[- ]demand\b",
        r"\bas (?:the |a )?(?:user|customer|agent|rep|person) (?:types|speaks|talks)\b",
        r"\b(?:can'?t|cannot) (?:wait|be batch\w*|batch\w*)\b",
        r"\bneeds? (?:it|them|the \w+|answers?|results?) (?:now|back now|straight away)\b",
    ),
    re.IGNORECASE,
)
# "doesn't need to be real-time": words before a no that take it back.
_NOT_NEEDED = (
    r"\b(?:doesn'?t|does not|don'?t|do not|no need to|needn'?t|not|never)\b(?:\s+\w+){0,3}\s+$"
)

# The required output is JSON, or fits a schema: structured outputs can enforce it. A layout of
# another kind (XML, HL7, EDI, CSV) may or may not be expressible as JSON: a person judges that.
_OTHER_FORMATS = any_word(
    r"xml|xsd|hl7|edi|x12|csv|tsv|avro|protobuf|proto|fixed[- ]width|cobol|sql|yaml"
)
_JSON = r"\bjson\b"
_JSON_INPUT = re.compile(
    r"(?:\b(?:from|out of|parse|parses|parsing|reads?|reading|ingest\w*|incoming|raw|source|input"
    r")\s+(?:\w+\s+)?json\b"
    r"|\bjson\s+(?:logs?|events?|payloads?|input|files?|blobs?|dumps?|feeds?|documents?|docs?"
    r"|messages?|webhooks?|requests?)\b)",
    re.IGNORECASE,
)
_SCHEMA_YES = re.compile(
    any_of(
        r"\bjson[- ]?schemas?\b",
        _JSON,
        r"\b(?:match(?:es|ing)?|validat\w*|conform\w*|fits?|follow(?:s|ing)?|against|to|into)\s+"
        r"(?:their|our|the|a|an|its|this|a fixed|the same)\s+(?:own\s+)?(?:[\w-]+\s+)?schema\b",
        r"\b(?:fixed|strict|defined|typed|published|versioned) (?:output )?schema\b",
        r"\bpydantic\b",
        r"\bopenapi\b",
        r"\bstructured outputs?\b",
    ),
    re.IGNORECASE,
)
_SCHEMA_NO = re.compile(
    any_of(
        r"\b(?:outputs?|answers?|responses?|replies|reply|results?|summar\w*|drafts?|descriptions?"
        r"|posts?|copy)\b[^.]{0,20}\b(?:is|are|as|in)"
        r"\s+(?:just\s+)?(?:free[- ]?(?:text|form)|prose|plain (?:text|english))\b",
        r"\bfree[- ]?(?:text|form) (?:outputs?|answers?|responses?|replies|summar\w*|notes?)\b",
        r"\bfree text is fine\b",
        r"\b(?:can'?t|cannot|couldn'?t)\s+(?:be\s+)?(?:written|expressed|described|captured|put)"
        r"\s+(?:as|in|with|by|into)\s+(?:a\s+)?(?:json(?:\s+schema)?|schema)\b",
        r"\bno (?:fixed |real |set |formal )?schema\b",
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
    r"^\W*(?:no|nope|nah|not yet|no,? not yet|not really|none yet|nothing yet)\b"
    r"(?!\W*(?:idea|clue|sure|certain)\b)",  # "no idea", "not sure": unknown, not a no
    re.IGNORECASE,
)

# Words before a match that keep it from saying anything (see `_flag`).
_ONLY_ASKED = r"\b(?:asked|ask|asking|wondering|check(?:ing)?|see) (?:if|whether)\b[^.]*$"
# Not knowing whether it is so says neither yes nor no: "not sure if they measured", "no idea
# whether it runs on the phone", "dunno if they tested".
UNSURE = re.compile(
    any_of(
        r"\bnot (?:\w+ )?(?:sure|certain|clear)",
        r"\b(?:unsure|uncertain|unclear|dunno|idk)",
        r"\b(?:don'?t|do not|doesn'?t|does not|didn'?t) (?:\w+ )?(?:know|remember|recall)",
        r"\bno (?:idea|clue)",
        r"\b(?:nobody|no one|no-one) knows",
        r"\bcan'?t (?:tell|say|remember)",
        r"\bhave to (?:check|ask)",
        r"\bneed to (?:check|ask|confirm)",
    )
    + r"\b[^.?!]{0,12}?\b(?:if|whether|whether or not|that)\b[^.?!]*$",
    re.IGNORECASE,
)
_CANNOT = r"\b(?:can'?t|cannot|won'?t|couldn'?t)\b"
_WISH = r"\b(?:wants?|needs?|would like|hoping|so that|so it|a model that)\b[^.]*$"
_NOT_RIGHT_BEFORE = r"(?:\b(?:no|not|never|without)|n't)\s+$"
_DO_NOT_EXIST = r"\b(?:don'?t|doesn'?t|do not|does not) exist\w*\b\W*(?:\w+\W+)?$"


def _flag(
    message: str,
    yes: re.Pattern[str],
    no: re.Pattern[str],
    *,
    wishes_say_nothing: bool = False,
    no_taken_back: str | None = None,
    skip: Callable[[re.Match[str], bool], bool] | None = None,
) -> tuple[bool, str] | None:
    """The last of yes/no the message says, with its clause (a later sentence corrects).

    A negated yes is a no ("doesn't need to run on device"), a negated no is a yes ("no
    fallback parser"), and a yes that is only asked about ("i asked if it gets the terms
    wrong") says nothing. `no_taken_back`: words before a no that take it back from further
    away ("doesn't need to be real-time"); a no taken back then says nothing (not needing
    realtime is not being able to wait a day). `skip(match, value)`: a match that says nothing.
    """
    found: tuple[int, bool, str] | None = None
    for pattern, value in ((no, False), (yes, True)):
        for m in pattern.finditer(message):
            clause_start = clause_span_at(message, m.start(), m.end()).start
            before = message[max(clause_start, m.start() - 25) : m.start()]
            if has(_ONLY_ASKED, before) or UNSURE.search(message, clause_start, m.start()):
                continue
            if has(_CANNOT, before):
                continue  # "claude can't live on the box": about the frontier model, not the need
            if wishes_say_nothing and has(_WISH, before):
                continue  # "they want a model that gets the vocabulary right"
            if skip is not None and skip(m, value):
                continue
            said = value
            # a yes is negated by a "not" a few words before it, a no only by one right before it
            is_negated = negated(before) if value else has(_NOT_RIGHT_BEFORE, before) is not None
            if (
                not value
                and no_taken_back is not None
                and (is_negated or has(no_taken_back, before))
            ):
                continue
            if is_negated and has(_DO_NOT_EXIST, before):
                is_negated = False  # "codes that don't exist and mixes up…": the codes don't exist
            if is_negated and not negated(m.group(0)):
                said = not value
            if found is None or m.start() > found[0]:
                found = (m.start(), said, clause_at(message, m.start(), m.end()))
    if found is None:
        return None
    return found[1], found[2]


# "still on the phone", "on the phone with a customer": a call, not a device.
_ON_A_CALL = re.compile(
    r"(?:\b(?:still|while|is|are|'s|'re|be|stays?|staying|get|gets)\s+on the phone\b"
    r"|\bon the phone (?:with|to)\b)",
    re.IGNORECASE,
)


def _not_the_device(message: str, m: re.Match[str], value: bool) -> bool:
    """ "still on the phone" is a call, not a device; "no batching" / "not a batch thing" says
    nothing about where the model runs."""
    if value:
        return _overlapped(_ON_A_CALL, message, m)
    before = message[max(0, m.start() - 12) : m.start()]
    return "batch" in m.group(0).casefold() and negated(before)


def yes_no_flags(message: str, *, domain_named: bool) -> list[tuple[str, bool, str]]:
    """frontier_drift, on_device, strict_format, batch_ok and format_schema as the message states
    them, with quotes."""
    said: list[tuple[str, bool, str]] = []
    for field, yes, no in (
        ("frontier_drift", _DRIFT_YES, _DRIFT_NO),
        ("on_device", _DEVICE_YES, _DEVICE_NO),
        ("strict_format", _FORMAT_YES, _FORMAT_NO),
    ):
        flag = _flag(
            message,
            yes,
            no,
            wishes_say_nothing=field == "frontier_drift",
            skip=(
                (lambda m, value: _not_the_device(message, m, value))
                if field == "on_device"
                else None
            ),
        )
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
    batch = _flag(message, _BATCH_YES, _BATCH_NO, no_taken_back=_NOT_NEEDED)
    if batch is not None:
        said.append(("batch_ok", batch[0], batch[1]))
    schema = _flag(
        message, _SCHEMA_YES, _SCHEMA_NO, skip=lambda m, value: _not_about_output(message, m, value)
    )
    if schema is not None:
        said.append(("format_schema", schema[0], schema[1]))
    return said


def _not_about_output(message: str, m: re.Match[str], value: bool) -> bool:
    """A JSON the model reads, not writes ("pulls fields out of JSON payloads"); a schema of
    another format ("their XML schema"): neither says the output fits a JSON schema."""
    if not value:
        return False
    if has(_JSON, m.group(0)):
        return _overlapped(_JSON_INPUT, message, m)
    sentence = around(sentences(message), m.start())  # a long paste is one "sentence": near it
    start, end = max(sentence.start, m.start() - _NEAR), min(sentence.end, m.end() + _NEAR)
    return has(_OTHER_FORMATS, message[start:end]) is not None


_NEAR = 200


def _overlapped(pattern: re.Pattern[str], message: str, m: re.Match[str], reach: int = 60) -> bool:
    """Whether a match of `pattern` near `m` overlaps it (only near it: a long paste has
    thousands of matches, and each looked at the whole message would take seconds)."""
    window = pattern.finditer(message, max(0, m.start() - reach), m.end() + reach)
    return any(c.start() <= m.end() and m.start() <= c.end() for c in window)


def drift(message: str) -> tuple[bool, str] | None:
    return _flag(message, _DRIFT_YES, _DRIFT_NO, wishes_say_nothing=True)


def baseline_measured(
    message: str, numbers: Iterable[tuple[StatedNumber, str]]
) -> tuple[bool, str] | None:
    no = next((m for m in _MEASURED_NO.finditer(message) if not _unsure_of(message, m)), None)
    quality = [n for n, field in numbers if field == "baseline_quality"]
    if quality:
        # a stated score of the prompted model is a measurement, unless it is denied later
        n = quality[-1]
        if no is None or no.start() < n.quantity.start:
            return True, n.clause
    if no is not None:
        return False, clause_at(message, no.start(), no.end())
    return None


def _unsure_of(message: str, m: re.Match[str]) -> bool:
    """ "not sure if they measured": the no is inside words that say it is not known."""
    sentence = around(sentences(message), m.start())
    return UNSURE.search(message, max(sentence.start, m.start() - 60), m.end()) is not None


def says_not_yet(message: str) -> bool:
    """A short no ("not yet", "nope"): the answer to the question the bot asked."""
    return _SHORT_NO.search(message) is not None


def no_labels(message: str) -> str | None:
    """The clause saying there are no labeled examples, if one does."""
    m = _NO_LABELS.search(message)
    return None if m is None else clause_at(message, m.start(), m.end())
