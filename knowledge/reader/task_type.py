"""The task type a message names (extraction, classification, generation, chat): keyword rules."""

from __future__ import annotations

import re

from knowledge.reader.text import any_of, clause_at

__all__ = ["task_type"]

_DOCUMENTS = any_of(
    "emails|documents|docs|pdfs|forms|messages|invoices|receipts|reports|notes|filings",
    "statements|contracts|labels|bills|transcripts|resumes|cvs",
)
_EXTRACTION = any_of(
    r"\bextract\w*",
    r"\bpull(?:s|ing)? (?:out|the|fields|key|data|entities)",
    r"\bpars(?:e|es|ing)\b",
    r"\bline items?\b",
    r"\bentit(?:y|ies)\b",
    r"\bner\b",
    r"\bkey fields\b",
    r"\bfields? (?:out|from)\b",
    r"\bstructured data from\b",
    r"\binto (?:json|structured)\b",
    r"\bdata entry\b",
    r"\bcapture\b",
    r"\babstract\w*\b",
    r"\bpull\w*\b[^.]{0,80}\bout of\b",
    rf"\bout of (?:their|the|our|its) (?:[\w-]+ ){{0,3}}{_DOCUMENTS}\b",
    r"\bconvert\w*\b[^.]{0,40}\binto\b",
    r"\b(?:turn(?:ed|s|ing)?|map(?:ped|s|ping)?|transform\w*)\b[^.]{0,40}\binto\b",
    r"\bpull\w*\b[^.]{0,60}\binto\b",
    r"\b(?:output|data|fields|json|xml) (?:from|out of)\b",
    r"\bnormali[sz]\w*\b",
)
_CLASSIFICATION = any_of(
    r"\bclass\w*fi\w*",
    r"\bclasif\w*",
    r"\bpass/fail\b",
    r"\bverdicts?\b",
    r"\bclassify",
    r"\bclassifier",
    r"\brout(?:e|es|ing)\b",
    r"\btriag\w*",
    r"\btag(?:s|ging)?\b",
    r"\bcategori[sz]\w*",
    r"\bintent\w*",
    r"\bsentiment\b",
    r"\bmoderat\w*",
    r"\bspam\b",
    r"\bdetect\w*",
    r"\bflag(?:s|ging)?\b",
    r"\blabel(?:l)?ing\b",
    r"\b(?:[\w-]+ )?label back\b",
    r"\b(?:one|a single) [\w-]+ label (?:per|for each|for every)\b",
    r"\bcod(?:e|es|ing) (?:them|the|each|claims|charts|encounters|into|to)\b",
    r"\bcod(?:e|es|ing)\b[^.]{0,25}\b(?:claims?|charts?|encounters?|visits?)\b",
    r"\b(?:icd|cpt)[\s-]*\d*\s*cod\w*",
    r"\bmedical coding\b",
    r"\bprioriti[sz]\w*",
    r"\bsort(?:s|ing)?\b",
    r"\bscreen\w*",
    r"\btoxicity\b",
    r"\bkyc\b",
    r"\baml\b",
    r"\bfraud (?:check|screen|flag|detect)\w*",
    r"\bgrad(?:e|es|ing)\b",
    r"\bscor(?:e|ing) (?:leads|each)",
)
_GENERATION = any_of(
    r"\bgenerat\w*",
    r"\bwrit(?:e|es|ing)\b",
    r"\bdraft\w*",
    r"\bsummar\w*",
    r"\bproduct descriptions?\b",
    r"\bcopy\b",
    r"\bcopywrit\w*",
    r"\btranslat\w*",
    r"\brewrit\w*",
    r"\breports?\b",
    r"\bblurbs?\b",
    r"\bemails? (?:to|for)\b",
    r"\breplies\b",
    r"\bresponses drafted\b",
    r"\bcaptions?\b",
    r"\bnotes\b",
    r"\bletters?\b",
)
_CHAT = any_of(
    r"\bchat\s?bot",
    r"\bchat\b",
    r"\bassistant\b",
    r"\bconversational\b",
    r"\bagent\b(?! assist)",
    r"\bcopilot\b",
    r"\bcompanion\b",
    r"\bhelpdesk bot\b",
    r"\bbot\b",
)
_RULES: list[tuple[str, str]] = [
    ("extraction", _EXTRACTION),
    ("classification", _CLASSIFICATION),
    ("generation", _GENERATION),
    ("chat", _CHAT),
]

_REPORTS_NOT_WRITTEN = r"\b(?:bug|incident|expense|10-k|annual|quarterly) reports?\b"
_WRITES_DATA = r"\bwrit\w* (?:back|to the db|to|in)\b"


def task_type(message: str) -> tuple[str, str] | None:
    """The task type whose keyword comes first, with the clause it is in."""
    best: tuple[int, str, re.Match[str]] | None = None
    for task, pattern in _RULES:
        for m in re.finditer(pattern, message, re.IGNORECASE):
            if _excluded(task, m, message):
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), task, m)
            break
    if best is None:
        return None
    if best[1] == "chat":
        # "voice agent, intent detection": the agent is the product; the model classifies
        others = [
            (m.start(), task, m)
            for task, pattern in _RULES[:3]
            for m in re.finditer(pattern, message, re.IGNORECASE)
            if not _excluded(task, m, message)
        ]
        if others:
            best = min(others, key=lambda o: o[0])
    _, task, m = best
    return task, clause_at(message, m.start(), m.end())


def _excluded(task: str, m: re.Match[str], message: str) -> bool:
    """A keyword used in another sense: "labeled data", "feature flag", "bug reports"."""
    word = m.group(0).lower()
    around = message[max(0, m.start() - 25) : m.end() + 25].lower()
    if task == "classification" and word.startswith("label") and "labeled" in around:
        return True
    if task == "classification" and word.startswith("flag") and re.search(r"feature flag", around):
        return True
    if (
        task == "generation"
        and word in ("reports", "report")
        and re.search(_REPORTS_NOT_WRITTEN, around)
    ):
        return True
    if task == "generation" and word.startswith("writ") and re.search(_WRITES_DATA, around):
        return True
    return task == "chat" and word == "bot"
