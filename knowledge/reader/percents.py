"""Percents: a quality (the baseline measured, the target needed) or a format failure rate."""

from __future__ import annotations

from knowledge.reader.flags import MEASURED_YES
from knowledge.reader.model import MODEL
from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import any_word, has

__all__ = ["ON_THE_CURRENT_SETUP", "percent_field"]

_FORMAT_TROUBLE = any_word(
    "format|json|schema|xml|csv|yaml|parse",
    r"pars\w+|malformed|invalid|broken|break|breaks|broke|fail\w*",
)
_ABOUT_FORMAT = r"\b(?:format|json|schema|xml|csv|yaml|pars\w+|malformed|invalid|output)\b"
_QUALITY_UNIT = r"\b(?:accura\w*|right|correct|quality|precision|recall|f1)\b"

# An error rate states the quality as its complement: "8% errors" is 92%.
_ERROR_AFTER = r"^\W*(?:errors?|error rate|wrong|mistakes?|misses|misclassif\w*|failures?)\b"
_ERROR_BEFORE = r"\b(?:error rate|errors?|mistakes?)\b[^%\d]{0,20}$"
_AT_MOST = r"\b(?:under|below|less than|<|at most|max|no more than|tops)\b"
_NEEDED = r"\b(?:need|needs|target|bar|want|wants|require\w*|goal|sla|must)\b"

_TARGET_WORD = any_word(
    r"target|bar|need|needs|needed|require\w*|goal|good enough|acceptable|sla|must",
    r"want|wants|expect\w*|minimum|at least|threshold|aim\w*|hoping|hope|has to|have to",
    "should",
)
_TARGET_BEFORE = _TARGET_WORD + r"[^%]*$"
_TARGET_AFTER = r"^\W*(?:target|bar|is the bar|is good enough|needed|required|minimum|goal)\b"

_VERSUS = r"(?:vs\.?|versus|against|compared to|v\.?)"
_VERSUS_AFTER = rf"^\s*(?:[\w+-]+\s+){{0,2}}{_VERSUS}\s"  # "91% vs the 97 they need"
_VERSUS_BEFORE = rf"\b{_VERSUS}\s*[~≈]?\s*$"  # "91 vs 97%"

_MEASURED = any_word(
    r"accura\w*|right|correct|exact match|match|precision|recall|f1|agreement|quality",
    r"score\w*|hits?|gets?|got|getting|at|does|did|ran|run|tested|measured|baseline",
    r"today|currently|landed|lands|came in|comes in|benchmark\w*|eval\w*|holdout|test set",
    r"on (?:their|our|the) \w+",
)
# Percents of something else: a discount, a share of traffic, growth.
_NOT_QUALITY = any_word(
    "discount|off|margin|of (?:the|their|all|our)|share|growth|increase|decrease",
    r"cheaper|savings?|more|less|traffic|churn|conversion|retention|utili[sz]\w*|uptime",
    "of tickets|of calls|of volume",
)


# A score followed by whose it is: "88% on haiku 4.5", "92% on their current 4.5 setup".
_ON_A_MODEL = (
    r"^\s*(?:\w+\s+){0,2}?(?:on|with|w/|for|from|using|via|by|\()\s*(?:(?:the|their|our)\s+)?"
    r"(?:(?:new|current|old|existing|prod|production)\s+)?(?:claude\s+)?(?:haiku|sonnet|opus|fable)\b"
)
ON_THE_CURRENT_SETUP = (
    r"^\s*(?:\w+\s+){0,2}?(?:on|with|w/|from|using|via)\s+(?:the|their|our)\s+"
    r"(?:current|existing|prod|production)\b(?:\s+[\w.-]+){0,2}?\s+"
    r"(?:setup|prompt|pipeline|model|config\w*|stack|version)\b"
)


def percent_field(n: StatedNumber) -> tuple[str, float] | None:
    """A percent is a quality (baseline, target) or a format failure rate, or nothing."""
    if not n.quantity.is_percent or not 0 <= n.low / 100 <= 1:
        return None
    unit = n.unit_text
    before = n.before.lower()
    context = (before[-60:] + " " + unit[:40]).lower()
    if (
        has(_FORMAT_TROUBLE, context)
        and has(_ABOUT_FORMAT, n.sentence)
        and not has(_QUALITY_UNIT, unit[:30])
    ):
        return "format_failure_rate", n.low / 100
    if has(_ERROR_AFTER, unit) or has(_ERROR_BEFORE, before):
        if has(_AT_MOST, before[-30:]) or has(_NEEDED, before):
            return "target_quality", round(1 - n.high / 100, 6)
        return "baseline_quality", round(1 - n.high / 100, 6)
    target = has(_TARGET_BEFORE, before) or has(_TARGET_AFTER, unit)
    if not target and (has(_ON_A_MODEL, n.after) or has(ON_THE_CURRENT_SETUP, n.after)):
        return "baseline_quality", n.high / 100  # "92% vs 88% on their current haiku 4.5"
    if has(_VERSUS_AFTER, n.after) and not target:
        return "baseline_quality", n.high / 100
    if has(_VERSUS_BEFORE, before) or target:
        return "target_quality", n.low / 100
    if (
        has(_MEASURED, before + " " + unit[:30])
        or MEASURED_YES.search(n.sentence)
        or MODEL.search(n.sentence)
    ):
        if has(_NOT_QUALITY, unit[:30] + " " + before[-20:]):
            return None
        return "baseline_quality", n.high / 100
    return None
