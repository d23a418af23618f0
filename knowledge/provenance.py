"""Which of an extractor's fact updates the user's own words support.

The extractor (Claude, or the offline one) reports each fact as a field, a value written as a
string and the words it came from. Nothing reaches the facts unless the thread backs it: a
number must be stated in the user's messages (units and rates allowed: "20M", "5k", "500k a day"
is 15M a month), any other value must quote words the user wrote. A quality measured on another
model (`other_baselines`, one update per model) must quote the user's words that name that
model and state its score ("haiku 5.5 got 91%"). What this module does not accept it explains,
so the bot can say what it ignored and why.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from knowledge.facts import FACT_FIELDS, Kind, about, choices_of, fields_of
from knowledge.quantities import Quantity, find_quantities, monthly, supports

# How each field's value is read and checked against the user's words (its kind, in facts.py).
COUNT_FIELDS = fields_of(Kind.count)
RATE_FIELDS = fields_of(Kind.rate)
EXAMPLE_FIELDS = fields_of(Kind.examples)
QUALITY_FIELDS = fields_of(Kind.quality)
SHARE_FIELDS = fields_of(Kind.quality, Kind.share)
# Characters per token that a size in characters may be converted with: English text runs about
# 4 (Anthropic's token counting guidance puts it near 3.5; OpenAI's tokenizer notes say ~4).
CHARS_PER_TOKEN_MIN = 3.0
CHARS_PER_TOKEN_MAX = 4.5
DOLLAR_FIELDS = fields_of(Kind.dollars)
MILLISECOND_FIELDS = fields_of(Kind.milliseconds)
FLAG_FIELDS = fields_of(Kind.flag)
# Quality measured on a model other than the frontier model: a share, per model (see `Update`).
MODEL_SHARE_FIELDS = fields_of(Kind.model_shares)
ENUM_FIELDS: dict[str, type[StrEnum]] = choices_of()
NUMBER_FIELDS = (
    COUNT_FIELDS | RATE_FIELDS | EXAMPLE_FIELDS | SHARE_FIELDS | DOLLAR_FIELDS | MILLISECOND_FIELDS
)
# A one-line description the extractor writes in its own words; shown escaped, decides nothing.
SUMMARY_FIELDS = fields_of(Kind.summary)
MAX_SUMMARY_CHARS = 300

# Words a quote must contain to back a yes/no or a choice: "fine-tune" is no evidence that a
# model must run on device. A heuristic against a fooled extractor, not a parser: the quote
# is also shown next to the fact, so a person sees what it rests on.
_FIELD_CUES: dict[str, str] = {
    name: cue for name in FACT_FIELDS if (cue := about(name).cue) is not None
}
_VALUE_CUES: dict[tuple[str, str], str] = {
    ("domain", "medical"): r"medic|clinic|health|patient|icd|doctor|hospital|pharma|diagnos|"
    r"nurs|radiolog|ehr|emr|care|hl7|fhir|cpt|snomed|drug|patholog|dental|payer",
    ("domain", "legal"): r"legal|law|contract|clause|court|complian|attorney|regulat|litig|"
    r"\bndas?\b|discovery|statut|deposition|patent|paralegal|indemn",
    ("domain", "financial"): r"financ|bank|trad|invest|insur|loan|credit|payment|fraud|"
    r"account|tax|fintech|ledger|audit|fund|10-?[kq]|filing|underwrit|\baml\b|\bkyc\b|broker|"
    r"earnings|ticker|mortgage|wealth|derivativ|\bfx\b",
    ("domain", "general"): r"general|support|everyday|generic|common|plain|consumer|ticket|"
    r"retail|e.?commerce|customer|marketplace|speciali[sz]|saas|help.?desk|travel|gaming|"
    r"hospitality|food|restaurant|real estate|marketing|social media|\bhr\b",
    ("task_type", "classification"): r"classif|rout|categor|label|tag|triage|detect|intent|"
    r"sentiment|sort|flag|moderat|spam|priorit|triag|verdict|pass/fail|\bcod|screen|toxic|grad|scor|kyc|\baml\b|fraud",
    ("task_type", "extraction"): r"extract|pull|pars|field|invoice|\bner\b|entit|capture|"
    r"line item|json|scrap|\bcod|entry|abstract|convert|normali|from|out of|into|turn|map|"
    r"transform",
    ("task_type", "generation"): r"generat|writ|draft|summar|descript|copy|blurb|email|"
    r"translat|rewrit|respon|report|content",
    ("task_type", "chat"): r"chat|assistant|conversation|agent|bot|support|dialog|voice",
    ("request", "cost"): r"cost|cheap|price|spend|bill|money|sav|expens|budget",
    ("request", "domain_vocabulary"): r"vocab|term|jargon|domain|language|speak|wrong|invent|"
    r"mangl|hallucin|\bcodes?\b|confus|drift|made up|makes up|names",
    ("request", "latency"): r"latency|fast|speed|\bms\b|millisec|first token|real.?time|"
    r"quick|slow|lag",
    ("request", "output_format"): r"format|schema|json|structur|consisten|template|exact|"
    r"valid|hl7|edi|x12|csv|xml|yaml",
    ("request", "brand_voice"): r"brand|voice|tone|style|sound|persona",
    ("request", "knowledge_base"): r"knowledge|docs|document|wiki|\bkb\b|faq|manual|handbook|"
    r"content|policies|policy|catalog|data|confluence|notion|sharepoint|pdf|\bsops?\b|know|"
    r"answer|articles|pages|archive|history",
    ("request", "improve_quality"): r"quality|better|accura|improv|worse|mistake|error|smarter",
    ("request", "other"): r"fine.?tun|train|custom|own model",
}
MIN_QUOTE_CHARS = 3


def _cue(field: str, value: object) -> re.Pattern[str] | None:
    pattern = _FIELD_CUES.get(field) or _VALUE_CUES.get((field, str(value)))
    return re.compile(pattern, re.IGNORECASE) if pattern else None


def _backs(field: str, value: object, quote: str) -> bool:
    """The quote is long enough, and has a word that bears on this field (and value)."""
    if len(quote.strip()) < MIN_QUOTE_CHARS:
        return False
    if field == "frontier_model":  # "haiku 4.5" backs claude-haiku-4-5, "haiku" any Haiku
        return _names(quote, str(value))
    cue = _cue(field, value)
    return cue is None or cue.search(quote) is not None


_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True)
class Update:
    """One fact as an extractor reports it.

    `model`: for `other_baselines`, the model whose quality `value` is (one update per model).
    """

    field: str
    value: str
    quote: str
    model: str | None = None


@dataclass(frozen=True)
class Accepted:
    field: str
    # typed for the Facts model: int, float, bool, enum value or str; for other_baselines
    # {model id: share}, one model per update
    value: Any
    quote: str


@dataclass(frozen=True)
class Rejected:
    field: str
    value: str
    why: str


@dataclass(frozen=True)
class Checked:
    accepted: list[Accepted]
    rejected: list[Rejected]


def _normalised(text: str) -> str:
    """Case, width, quote and dash variants and runs of whitespace don't matter."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”]", '"', text)
    text = re.sub(r"[‐‑‒–—―]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def quoted_from(quote: str, words: str) -> bool:
    """The quote is a span of the user's words (up to case, whitespace and quote styles)."""
    needle = _normalised(quote).strip(" \"'.,;:!?")
    return bool(needle) and needle in _normalised(words)


def _number(raw: str) -> float | None:
    text = raw.strip().replace(",", "").replace("_", "").replace("$", "")
    percent = text.endswith("%")
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def _whole(value: float) -> int | None:
    return int(value) if value == int(value) else None


def _stated(field: str, value: float, words: str, *, quoted: bool) -> str | None:
    """The words' span that states the number (in the field's unit), or None.

    `quoted`: the words are the update's own quote (the user's span it says the fact came
    from), not the whole newest message. Readings that need the words right around a number to
    be sure of it ("they need 97" as a percent, "no labeled data" as zero) are only taken from
    a quote.
    """
    if field in MILLISECOND_FIELDS:
        return _stated_duration_ms(value, words)
    if field in RATE_FIELDS:
        found = supports(words, value, monthly_rate=True)
        if found is None and quoted:
            return _per_member_rate(value, words)  # "300 agents each asking 20 a day"
    elif field in SHARE_FIELDS:
        found = supports(words, value, share=True)
        if found is None and quoted and 0 < value <= 1 and _BAR.search(words):
            found = _bare_percent(value, words)  # "they need 97", next to "88%"
        if found is None and field in QUALITY_FIELDS:
            found = _error_rate(1 - value, words)  # "under 2% errors" is a 98% target
    else:
        found = supports(words, value)
        if found is None and field in COUNT_FIELDS:
            return _stated_characters(value, words)
        if found is None and quoted and value == 0 and field in EXAMPLE_FIELDS:
            none = _NONE.search(words)  # "they don't have labeled data": zero examples
            return none.group(0) if none else None
    return found.text if found is not None else None


def _per_member_rate(value: float, words: str) -> str | None:
    """A monthly volume that is a count times a rate the quote states ("300 agents each asking
    20 questions a day" backs 180,000): the quote, when one count and one rate multiply to it."""
    found = find_quantities(words)
    for rate in (q for q in found if q.period is not None and not q.is_percent):
        for count in (q for q in found if q.period is None and not q.is_percent and q.value > 1):
            if math.isclose(monthly(rate) * count.value, value, rel_tol=0.005):
                return words
    return None


# Words that make a bare number a quality bar: "they need 97", "target is 99.5".
_BAR = re.compile(
    r"\b(?:need|needs|needed|target|bar|want|wants|accept|goal|require\w*|happy|sla)\b|%",
    re.IGNORECASE,
)


def _bare_percent(value: float, words: str) -> Quantity | None:
    return next(
        (
            q
            for q in find_quantities(words)
            if not q.is_percent
            and 1 < q.value <= 100
            and math.isclose(q.value, value * 100, rel_tol=0.005)
        ),
        None,
    )


# An error rate, the error words attached to the percent: "2% errors", "error rate under 2%".
_ERROR_WORDS = r"(?:errors?|error rate|wrong|mistakes?|misclassif\w*|failures?|incorrect)"
_ERROR_AFTER = re.compile(rf"\s*(?:of\s+\w+\s+)?{_ERROR_WORDS}\b", re.IGNORECASE)
_ERROR_BEFORE = re.compile(rf"\b{_ERROR_WORDS}\b[^\d%]{{0,20}}\Z", re.IGNORECASE)


def _error_rate(share: float, words: str) -> Quantity | None:
    for q in find_quantities(words):
        if (
            q.is_percent
            and math.isclose(q.value / 100, share, rel_tol=0.005, abs_tol=1e-9)
            and (
                _ERROR_AFTER.match(words, q.end) is not None
                or _ERROR_BEFORE.search(words, max(0, q.start - 30), q.start) is not None
            )
        ):
            return q
    return None


# "no labeled data", "they do NOT have labeled data", "labeled: none"; not "no PII in the
# training data", "no issues with the data" or "zero labeled data problems".
_NONE = re.compile(
    r"(?:\b(?:no|zero|none|nothing|not any|don'?t have|do not have|doesn'?t have|does not have|"
    r"haven'?t got|have no|has no)\s+(?:any\s+)?(?:label\w*|annotat\w*|gold|hand-?label\w*)\b"
    r"|\b(?:label\w*|annotat\w*|gold)\b(?: \w+)?(?:[^.\d]|\.{2,}){0,15}\b(?:none|zero|nothing)\b)"
    r"(?!(?:\s+\w+){0,2}\s+(?:problems?|issues?|concerns?|worries))",
    re.IGNORECASE,
)
_CHARACTERS_THROUGH = re.compile(r"[^\n]{0,20}?\b(?:characters?|chars?)\b", re.IGNORECASE)
# "8,000 characters", "the 2,000 was characters"
CHARACTERS_AFTER = re.compile(
    r"\s*(?:(?:was|were|is|are)\s+)?(?:characters?|chars?)\b", re.IGNORECASE
)


def _stated_characters(value: float, words: str) -> str | None:
    """A size in characters backs a token count: "8,000 characters" is about 2,000 tokens."""
    for q in find_quantities(words):
        after = _unit_after(q, words)
        if q.period is None and not q.is_percent and CHARACTERS_AFTER.match(after):
            low, high = q.value / CHARS_PER_TOKEN_MAX, q.value / CHARS_PER_TOKEN_MIN
            if low * 0.99 <= value <= high * 1.01:
                unit = _CHARACTERS_THROUGH.match(words, q.end)  # shown with its unit
                return words[q.start : unit.end()] if unit else q.text
    return None


_MILLISECONDS = re.compile(r"\s*(?:ms\b|msec|millis)", re.IGNORECASE)
_SECONDS = re.compile(r"\s*(?:s\b|sec)", re.IGNORECASE)


def _unit_after(q: Quantity, words: str) -> str:
    """What follows a quantity's number: its own suffix ("80ms") and the words after ("0.2 s"),
    past a multiplier ("8k characters", "2 and a half seconds")."""
    own = re.sub(r"^.*\d[\d.,]*", "", q.text) if re.search(r"\d", q.text) else ""
    own = _MULTIPLIER_WORDS.sub("", own)
    return own + words[q.end : q.end + 16]


_MULTIPLIER_WORDS = re.compile(
    r"^(?:\s*(?:[kmb](?![a-z])|mm|bn|thousand|million|billion|and a half))+", re.IGNORECASE
)


def _stated_duration_ms(value: float, words: str) -> str | None:
    """A duration with its unit: "80ms", "80 milliseconds", "0.2 s" (not a bare "80")."""
    for q in find_quantities(words):
        after = _unit_after(q, words)
        if q.period is not None or q.is_percent:
            continue
        if _MILLISECONDS.match(after) and math.isclose(q.value, value, rel_tol=0.005):
            return q.text
        if _SECONDS.match(after) and math.isclose(q.value * 1000, value, rel_tol=0.005):
            return q.text
    return None


def _typed(update: Update) -> tuple[Any, str | None]:
    """The value in the field's type, or None and why it can't be read."""
    field, raw = update.field, update.value.strip()
    if field in MODEL_SHARE_FIELDS:
        model = (update.model or "").strip()
        if not model:
            return None, "it names no model"
        number = _number(raw)
        if number is None:
            return None, f"{raw!r} is not a number"
        return {model: number / 100 if 1 < number <= 100 else number}, None
    if field in NUMBER_FIELDS:
        number = _number(raw)
        if number is None:
            return None, f"{raw!r} is not a number"
        if field in SHARE_FIELDS:
            # "91" for 91%: a share above 1 can only have been meant as a percent
            return (number / 100 if 1 < number <= 100 else number), None
        if field in DOLLAR_FIELDS:
            return number, None
        whole = _whole(number)
        if whole is None:
            return None, f"{raw!r} is not a whole number"
        return whole, None
    if field in FLAG_FIELDS:
        lowered = raw.casefold()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return None, f"{raw!r} is not yes or no"
    if field in ENUM_FIELDS:
        kind = ENUM_FIELDS[field]
        lowered = raw.casefold().replace(" ", "_").replace("-", "_")
        if lowered not in kind.__members__:
            allowed = ", ".join(kind.__members__)
            return None, f"{raw!r} is not one of {allowed}"
        return kind(lowered).value, None
    if field in SUMMARY_FIELDS:
        text = " ".join(raw.split())
        if len(text) > MAX_SUMMARY_CHARS:
            text = text[: MAX_SUMMARY_CHARS - 1] + "…"
        return (text, None) if text else (None, "it is empty")
    if not raw:
        return None, "it is empty"
    return raw, None


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_updates(updates: list[Update], words: str, newest: str) -> Checked:
    """Split updates into those the user's words back and those they don't (with why).

    `words` is everything the user wrote in the thread so far, `newest` the message(s) this
    turn reads. A number must be stated in its quote, and the quote must be the user's words;
    or, if the extractor paraphrased the quote, the number must be stated in the newest message
    (in any unit or rate `knowledge.quantities` reads). A number from some other sentence of
    the thread ("10 out" is not a 10 ms latency) is not enough. Any other fact must quote the
    user's words. Only the summary line (`use_case`) is the extractor's own phrasing.
    """
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    for update in updates:
        if update.field not in FACT_FIELDS:
            rejected.append(Rejected(update.field, update.value, "it is not a fact I track"))
            continue
        value, problem = _typed(update)
        shown = update.quote.strip()
        if problem is None and update.field in MODEL_SHARE_FIELDS:
            problem = _model_share_problem(update, value, words)
        elif problem is None and update.field in NUMBER_FIELDS and isinstance(value, int | float):
            span = (
                _stated(update.field, float(value), update.quote, quoted=True)
                if quoted_from(update.quote, words)
                else None
            )
            if span is None:
                # A paraphrased quote: the newest message itself must state the number, and
                # what is shown as the user's words is then their own span, not the quote.
                span = _stated(update.field, float(value), newest, quoted=False)
                if span is None:
                    problem = "that number isn't in your messages"
                else:
                    shown = span
        elif problem is None and update.field not in SUMMARY_FIELDS:
            if not quoted_from(update.quote, words):
                problem = "I couldn't find the words it came from in your messages"
            elif not _backs(update.field, value, update.quote):
                problem = f"“{_clip(update.quote)}” doesn't say that"
        if problem is not None:
            raw = f"{update.model} {update.value}" if update.model else update.value
            rejected.append(Rejected(update.field, raw, problem))
        else:
            accepted.append(Accepted(update.field, value, shown))
    return Checked(accepted, rejected)


def _model_share_problem(update: Update, value: dict[str, float], words: str) -> str | None:
    """Why a quality measured on another model isn't backed: its quote must be the user's words,
    name that model and state the score. No paraphrase: the words tie the score to the model."""
    ((model, share),) = value.items()
    if not quoted_from(update.quote, words):
        return "I couldn't find the words it came from in your messages"
    if not _names(update.quote, model):
        return f"“{_clip(update.quote)}” doesn't name {model}"
    if _stated("baseline_quality", share, update.quote, quoted=True) is None:
        return f"“{_clip(update.quote)}” doesn't state that score"
    return None


def _names(quote: str, model: str) -> bool:
    """The quote names the model: its id, or its family with no other version ("sonnet" backs
    claude-sonnet-5-5, "sonnet 4.6" doesn't)."""
    # the reader imports this module (for Update): a top-level import would be circular
    from knowledge.reader.model import family_of, names_model  # noqa: PLC0415

    if family_of(model) is None:  # not a Claude id: a name word in common, as before
        words = set(re.findall(r"[a-z]{3,}", model.casefold()))
        return any(word in quote.casefold() for word in words)
    return names_model(quote, model)
