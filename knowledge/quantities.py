"""Every quantity a text states, with units normalised: the check on numbers Claude extracts.

Claude turns a salesperson's Slack messages into facts; every number it reports must appear in
the user's own words. `find_quantities` reads the numbers a text states ("~15M tickets/mo",
"500k per day", "91%", "10–20 million", "$3.49/h", "half a million"), `supports` finds the one
that backs a claimed value.

Misses cost more than false positives here (a miss rejects a true fact; a false positive only
lets a number through that is somewhere in the text anyway), so ambiguous text yields every
reading: "10 200" is 10,200 and also 10 and 200; "3 and 20 million" is 3 million, 3 and 20
million. Model ids, versions and the like come out as (harmless) quantities; ISO dates, URLs
and Slack mentions are skipped.

A month is 30 days here: per day ×30, per week ×30/7, per hour ×720, per year ÷12.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

__all__ = ["PERIODS", "Quantity", "find_quantities", "monthly", "supports"]

# How many of each period fit in a month (a 30-day month; a year is 12 months).
_PER_MONTH: dict[str, float] = {
    "second": 30 * 24 * 3600,
    "minute": 30 * 24 * 60,
    "hour": 30 * 24,
    "day": 30,
    "week": 30 / 7,
    "month": 1,
    "year": 1 / 12,
}
PERIODS = tuple(_PER_MONTH)


@dataclass(frozen=True)
class Quantity:
    value: float  # as stated, multipliers applied ("15M/mo" → 15e6); `monthly` converts rates
    text: str  # the exact span of the source text, e.g. "~15M tickets/mo"
    start: int
    end: int
    period: str | None  # one of PERIODS ("day", "week", "month", "year", "hour", ...) or None
    is_percent: bool


def monthly(q: Quantity) -> float:
    """The quantity per month: per day ×30, per week ×30/7, per year ÷12; no period unchanged."""
    return q.value * _PER_MONTH.get(q.period or "month", 1)


def supports(
    text: str,
    value: float,
    *,
    monthly_rate: bool = False,
    share: bool = False,
    rel_tol: float = 0.005,
) -> Quantity | None:
    """The quantity in `text` that supports `value` (the closest one), or None.

    monthly_rate: compare `monthly(q)` (so "500k/day" supports 15,000,000; percents never do).
    share: a percent q is compared as a fraction (91% supports 0.91), anything else as is (0.91).
    Otherwise the stated value is compared (91% supports 91).
    """
    if monthly_rate and share:
        raise ValueError("monthly_rate and share are exclusive")
    if not math.isfinite(value):
        return None
    best: Quantity | None = None
    best_error = math.inf
    for q in find_quantities(text):
        if monthly_rate:
            if q.is_percent:
                continue
            candidate = monthly(q)
        elif share and q.is_percent:
            candidate = q.value / 100
        else:
            candidate = q.value
        if math.isclose(candidate, value, rel_tol=rel_tol):
            error = abs(candidate - value)
            if error < best_error:
                best, best_error = q, error
    return best


# --- the grammar --------------------------------------------------------------------------------

_SP = r"[ \t\u00a0\u202f\u2009]"  # horizontal whitespace, incl. no-break and thin spaces
_GROUP_SP = r"[\u00a0\u202f\u2009]"  # the unambiguous thousands separators

_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
_TEENS += ("eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_VALUES: dict[str, int] = {
    **{w: i + 1 for i, w in enumerate(_UNITS)},
    **{w: i + 10 for i, w in enumerate(_TEENS)},
    **{w: (i + 2) * 10 for i, w in enumerate(_TENS)},
    "a": 1,
    "an": 1,
}
_WORD_NUMBER = (
    rf"(?i:an?{_SP}couple(?:{_SP}of)?"
    rf"|(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS)}))?|{'|'.join(_TEENS)}"
    rf"|{'|'.join(_UNITS)}|an?)(?:{_SP}hundred)?|half(?:{_SP}an?)?)"
    rf"(?![A-Za-z])"
)
_DIGITS = (
    r"\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?"  # 15,000,000
    r"|\d{1,3}(?:\.\d{3}){2,}(?![.\d])"  # 15.000.000
    rf"|\d{{1,3}}(?:{_GROUP_SP}\d{{3}})+(?!\d)(?:\.\d+)?"  # 15 000 000 (no-break spaces)
    r"|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"  # 15, 0.91, 1e6
    r"|\.\d+"  # .91
)
_SPACE_GROUPED = r"\d{1,3}(?: \d{3})+(?!\d)(?:\.\d+)?"  # 15 000 000 (plain spaces: ambiguous)
_NOT_INSIDE = r"(?<![A-Za-z0-9_])(?<!\d\.)"  # not inside a word, an id or a version
_NUMBER = re.compile(rf"{_NOT_INSIDE}(?:(?P<digits>{_DIGITS})|(?P<words>{_WORD_NUMBER}))")
_NUMBER_SPACE_GROUPED = re.compile(
    rf"{_NOT_INSIDE}(?:(?P<digits>{_SPACE_GROUPED}|{_DIGITS})|(?P<words>{_WORD_NUMBER}))"
)

_MULTIPLIERS: dict[str, int] = {
    "hundred": 10**2,
    "k": 10**3,
    "thousand": 10**3,
    "grand": 10**3,
    "lakh": 10**5,
    "lac": 10**5,
    "m": 10**6,
    "mm": 10**6,
    "mn": 10**6,
    "mil": 10**6,
    "mill": 10**6,
    "mio": 10**6,
    "mln": 10**6,
    "million": 10**6,
    "crore": 10**7,
    "b": 10**9,
    "bn": 10**9,
    "bil": 10**9,
    "bln": 10**9,
    "billion": 10**9,
    "t": 10**12,
    "tn": 10**12,
    "trillion": 10**12,
}
_SUFFIX = re.compile(
    rf"(?:{_SP}?(?P<mult>(?i:mm|bn|mn|tn)|[kKmMbBT]|(?i:(?:thousand|million|billion|trillion"
    rf"|hundred|grand|lakh|lac|crore|mill?|mio|mln|bln|bil)s?))(?![A-Za-z]))?"
    rf"(?P<plus>\+)?"
    rf"(?:{_SP}?(?P<pct>%|(?i:percent|per{_SP}cent|pct)(?![A-Za-z])))?"
    rf"(?:{_SP}?(?i:ms|msecs?|milliseconds?)(?![A-Za-z]))?"  # "80 ms" is no rate and no million
)
_PREFIX_CHARS = "~≈$€£"
_AND_A_HALF = re.compile(rf"{_SP}+(?i:and){_SP}+(?i:a){_SP}+(?i:half)(?![A-Za-z])")
_TIMING_BEFORE = re.compile(
    r"(?i:under|within|in|less than|than|below|about|around|over|sub|max|at most|taking|takes)"
    rf"[{_SP[1:-1]}-]*\Z"
)
_TIME_UNIT = re.compile(rf"{_SP}+(?i:seconds?|secs?|milliseconds?)(?![A-Za-z])")

_RANGE = re.compile(rf"{_SP}*(?P<dash>[-–—‒]){_SP}*|{_SP}+(?P<word>to|and|or|through|thru){_SP}+")

_SLASH_UNITS = (
    r"(?i:mos?|mths?|months?|days?|d|wks?|weeks?|w|yrs?|years?|y|annum|hrs?|hours?|h"
    r"|mins?|minutes?|secs?|seconds?|s)|m"  # "/M" is per million, "/m" per month
)
_WORD_UNITS = (
    r"(?i:mos?|mths?|months?|days?|wks?|weeks?|yrs?|years?|annum|hrs?|hours?"
    r"|mins?|minutes?|secs?|seconds?)"
)
_ADVERBS = r"(?i:daily|nightly|weekly|monthly|yearly|annually|hourly|qps|rps|tps|p\.a\.)"
_PERIOD = re.compile(
    rf"(?:{_SP}+[A-Za-z][A-Za-z'’-]*){{0,3}}?{_SP}*"  # up to three words: "15M support tickets"
    rf"(?:/{_SP}?(?P<slash>{_SLASH_UNITS})"
    rf"|(?i:per|an?|each|every){_SP}+(?P<word>{_WORD_UNITS})"
    rf"|(?P<adv>{_ADVERBS}))(?![A-Za-z])"
)
# A period stated before the number: "daily volume ~500k", "per day we see 500k".
_PERIOD_BEFORE = re.compile(
    rf"(?<![A-Za-z])(?P<adv>(?i:daily|nightly|weekly|monthly|yearly|annual|annually|hourly"
    rf"|per{_SP}+(?:{_WORD_UNITS})))"
    rf"(?:{_SP}+(?!(?i:and|or|but|vs|versus)(?![A-Za-z]))[A-Za-z][A-Za-z'’-]*){{0,3}}"
    rf"{_SP}*[:=]?{_SP}*[~≈]?{_SP}*\Z"
)

_SKIPPED = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"  # ISO dates
    r"|\d{1,2}/\d{1,2}/\d{2,4}"  # 11/30/2026
    r"|(?:https?://|www\.)\S+"  # URLs
    r"|<[@#!][^>]*>"  # Slack mentions and specials
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+"  # e-mail addresses (from the start of one)
    # a model's version is its name, not a quantity: "haiku 4.5 - 94%" is no range from 4.5
    # ("sonnet 94%" is a score: a version has one or two digits a part and no percent sign)
    r"|(?i:\b(?:claude[- ]?)?(?:haiku|sonnet|opus|fable|mythos)[- ]?\d{1,2}(?:[.-]\d{1,2})*"
    r"(?![\d%.]))"
    r"|(?i:\b(?:gpt|llama|gemini|qwen|mistral)[- ]?\d{1,2}(?:\.\d{1,2})*(?![\d%.]))"
)

_PERIOD_WORDS: dict[str, tuple[str, ...]] = {
    "month": ("m", "mo", "mos", "mth", "mths", "month", "months", "monthly"),
    "day": ("d", "day", "days", "daily", "nightly"),
    "week": ("w", "wk", "wks", "week", "weeks", "weekly"),
    "year": ("y", "yr", "yrs", "year", "years", "annum", "yearly", "annually", "annual", "p.a."),
    "hour": ("h", "hr", "hrs", "hour", "hours", "hourly"),
    "minute": ("min", "mins", "minute", "minutes"),
    "second": ("s", "sec", "secs", "second", "seconds", "qps", "rps", "tps"),
}
_PERIOD_OF: dict[str, str] = {w: p for p, words in _PERIOD_WORDS.items() for w in words}


@dataclass(frozen=True)
class _Term:
    """One number with its own suffix: "15M", "91%", "half a million"."""

    start: int  # incl. a prefix like "~$"
    number_end: int
    end: int
    base: Decimal
    multiplier: int | None
    percent: bool


def _multiplier(word: str) -> int:
    key = word.lower()
    if key not in _MULTIPLIERS and key.endswith("s"):
        key = key[:-1]
    return _MULTIPLIERS[key]


def _word_value(words: str) -> Decimal:
    parts = [p for p in re.split(r"[\s\u00a0\u202f\u2009-]+", words.lower()) if p]
    hundred = parts[-1] == "hundred"
    if hundred:
        parts = parts[:-1]
    if "couple" in parts:
        return Decimal(2)
    value = Decimal("0.5") if parts[0] == "half" else Decimal(sum(_WORD_VALUES[p] for p in parts))
    return value * 100 if hundred else value


def _term(text: str, m: re.Match[str]) -> _Term | None:
    """The number matched by `m` with its suffix; None if it isn't a number on its own ("a")."""
    if m.group("digits") is not None:
        raw = m.group("digits")
        if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", raw):
            raw = raw.replace(".", "")
        try:
            base = Decimal(re.sub(r"[,\s\u00a0\u202f\u2009]", "", raw))
        except InvalidOperation:  # pragma: no cover - the grammar only lets numbers through
            return None
        bare_ok = True
    else:
        words = m.group("words")
        base = _word_value(words)
        head = words.lower().split()[0]
        bare_ok = (
            head not in ("a", "an", "half")
            or words.lower().endswith(("hundred", "couple", "of"))
            # "under a second", "half a second": a duration, not the article ("a second model")
            or (
                _TIME_UNIT.match(text, m.end()) is not None
                and (head == "half" or _TIMING_BEFORE.search(text, 0, m.start()) is not None)
            )
        )
    number_end = m.end()
    # "two and a half million"
    if (half := _AND_A_HALF.match(text, number_end)) is not None:
        base, number_end = base + Decimal("0.5"), half.end()
    suffix = _SUFFIX.match(text, number_end)
    assert suffix is not None  # every part of it is optional
    mult = _multiplier(suffix.group("mult")) if suffix.group("mult") else None
    if not bare_ok and mult is None:
        return None
    end = suffix.end()
    # "a million and a half"
    if mult is not None and not suffix.group("pct") and (half := _AND_A_HALF.match(text, end)):
        base, end = base + Decimal("0.5"), half.end()
    start = m.start()
    while start > 0 and text[start - 1] in _PREFIX_CHARS:
        start -= 1
    return _Term(start, m.end(), end, base, mult, suffix.group("pct") is not None)


@dataclass(frozen=True)
class _Reading:
    base: Decimal
    multiplier: int | None
    percent: bool

    def quantity(self, text: str, span: tuple[int, int], period: str | None) -> Quantity | None:
        value = float(self.base * (self.multiplier or 1))
        if not math.isfinite(value):
            return None
        start, end = span
        return Quantity(value, text[start:end], start, end, period, self.percent)


def _period(text: str, start: int, end: int) -> tuple[int, int, str | None]:
    """The span widened to a period stated after it ("/mo") or else before it ("daily ...")."""
    after = _PERIOD.match(text, end)
    if after is not None:
        unit = after.group("slash") or after.group("word") or after.group("adv")
        return start, after.end(), _PERIOD_OF[unit if unit == "m" else unit.lower()]
    before = _PERIOD_BEFORE.search(text, max(0, start - 60), start)
    if before is not None:
        return before.start(), end, _PERIOD_OF[before.group("adv").lower().split()[-1]]
    return start, end, None


def _readings(low: _Term, high: _Term | None) -> list[_Reading]:
    """The values a term or a range states: "10–20M" is 10M and 20M."""
    if high is None:
        return [_Reading(low.base, low.multiplier, low.percent)]
    readings = [_Reading(high.base, high.multiplier, high.percent)]
    if low.multiplier is not None or low.percent:
        return [_Reading(low.base, low.multiplier, low.percent), *readings]
    readings.insert(0, _Reading(low.base, high.multiplier, high.percent))
    return readings


_POWER = re.compile(r"[ \t]*(?:\^|\*\*)[ \t]*(?P<exp>\d{1,4})(?!\d)")
_MINUS = "-−‒–"


def _negated(text: str, start: int) -> bool:
    if start == 0 or text[start - 1] not in _MINUS:
        return False
    before = text[start - 2] if start >= 2 else " "
    return not (before.isalnum() or before in ".,%")


def _scan(text: str, number: re.Pattern[str], skipped: list[tuple[int, int]]) -> list[Quantity]:
    found: list[Quantity] = []

    def is_skipped(i: int) -> bool:
        return any(a <= i < b for a, b in skipped)

    pos = 0
    while (m := number.search(text, pos)) is not None:
        pos = m.end()
        if is_skipped(m.start()) or (term := _term(text, m)) is None:
            continue
        digits = m.group("digits") or ""
        i = m.start()
        if re.match(r"0\d", digits) and i >= 2 and text[i - 1] == " " and text[i - 2].isdigit():
            continue  # the "000" of "15 000": the space-grouped scan reads the whole number
        power = _POWER.match(text, term.end)
        if power is not None:
            # "10^20" is 1e20, not 10 and 20: one quantity, the exponent isn't a number of its own
            pos = max(pos, power.end())
            exponent = int(power.group("exp"))
            value = float(term.base) ** exponent if exponent <= 308 else math.inf
            if math.isfinite(value):
                start, end, period = _period(text, term.start, power.end())
                found.append(Quantity(value, text[start:end], start, end, period, False))
            continue
        if _negated(text, term.start):
            # "-5M calls" is minus five million, which supports no count (a range's dash has a
            # number before it: "10-20M")
            term = dataclasses.replace(term, base=-term.base)
        high: _Term | None = None
        connector = _RANGE.match(text, term.end)
        if connector is not None:
            m2 = number.match(text, connector.end())
            if m2 is not None and not is_skipped(m2.start()):
                high = _term(text, m2)
        start, end, period = _period(text, term.start, (high or term).end)
        pos = max(pos, end)
        word = connector.group("word") if connector is not None and high is not None else None
        for reading in _readings(term, high):
            if (q := reading.quantity(text, (start, end), period)) is not None:
                found.append(q)
        if high is not None and word in ("and", "or"):
            # "3 and 20 million", "15M and 500k/day" may be two numbers, not a range: keep the
            # first as stated on its own too
            alone_start, alone_end, alone_period = _period(text, term.start, term.end)
            alone = _Reading(term.base, term.multiplier, term.percent)
            if (q := alone.quantity(text, (alone_start, alone_end), alone_period)) is not None:
                found.append(q)
    return found


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity `text` states, in order of position (ambiguous text gives every reading)."""
    return list(_quantities(text))


@lru_cache(maxsize=256)
def _quantities(text: str) -> tuple[Quantity, ...]:
    # Cached: provenance checks every number a turn reports against the same message, and a
    # 50 KB message takes tens of milliseconds to scan.
    skipped = [m.span() for m in _SKIPPED.finditer(text)]
    found = _scan(text, _NUMBER, skipped)
    if re.search(r"\d \d{3}(?!\d)", text):
        found += _scan(text, _NUMBER_SPACE_GROUPED, skipped)
    unique = {(q.start, q.end, q.value, q.period, q.is_percent): q for q in found}
    return tuple(unique[k] for k in sorted(unique, key=lambda k: (k[0], k[1], k[2])))
