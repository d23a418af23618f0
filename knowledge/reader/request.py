"""What the buyer asks for (a knowledge base, brand voice, lower cost, a fine-tune...): keywords."""

from __future__ import annotations

import re

from knowledge.reader.text import any_of, any_word, clause_at, has, negated, sentence_at

__all__ = ["request"]

_KNOWLEDGE_SOURCES = any_of(
    "docs|documents|documentation|wiki|kb|knowledge ?base|pdfs?|manuals?|handbooks?",
    r"polic(?:y|ies)|faqs?|confluence|notion|sharepoint|help ?cent(?:er|re)|articles|catalog\w*",
    "playbooks?|sops?|guides?|content|archive|knowledge|history|tickets history",
)
_KNOWN_THINGS = any_of(
    "docs|documents|documentation|wiki|kb|knowledge ?base|pdfs?",
    r"manuals?|polic(?:y|ies)|products?|catalog\w*|faqs?|content|everything",
)
_KNOWLEDGE_BASE = any_of(
    rf"\b(?:train|tune|fine-?tune|teach)\w*\b[^.]{{0,50}}?\b{_KNOWLEDGE_SOURCES}\b",
    rf"\b(?:knows?|know about|memori[sz]e|learn)\b[^.]{{0,30}}\b{_KNOWN_THINGS}\b",
    r"\bknowledge ?base\b",
)
_BRAND_VOICE = any_of(
    r"\bbrand(?:'s)? voice\b",
    r"\bon[- ]brand\b",
    r"\bsound(?:s)? like (?:us|them|our|their|the brand|a human)\b",
    r"\b(?:their|our|brand|house) (?:tone|voice|style)\b",
    r"\btone of voice\b",
    r"\bbrand\b[^.]{0,25}\b(?:voice|tone|sound|style|personality|persona)\b",
    r"\bvoice and tone\b",
    r"\b(?:talk|sound|write|speak)s? like (?:their|our|the|a) "
    r"(?:mascot|brand|founder|character)\b",
    r"\b(?:studio|company|brand)'s (?:voice|tone|style)\b",
    r"\bhouse (?:voice|style|tone)\b",
    r"\bin (?:their|our) (?:own )?(?:voice|tone)\b",
    r"\bbrand persona\b",
)
_IMPROVE_QUALITY = any_of(
    r"\bimprov\w*\b[^.]{0,20}\b(?:quality|accuracy|answers|results|outputs?)\b",
    r"\b(?:better|higher)[- ](?:quality|accuracy|answers|results|outputs?)\b",
    r"\bmore accurate\b",
    r"\bsmarter\b",
    r"\bquality (?:is|isn't|isnt|sucks|is bad|issues|problems?)\b",
    r"\b(?:not|isn'?t|aren'?t|is not|are not) (?:\w+ )?"
    r"(?:good|accurate|reliable|smart) enough\b",
    r"\bbetter at\b",
    r"\bwants? ['\"‘“]?better['\"’”]?\s+\w+",
    r"\bfix (?:the )?(?:quality|accuracy|errors|mistakes)\b",
)
_CUTTING = r"(?:cut|cutting|reduce|reducing|lower|lowering|save|saving|slash)"
_SPEND = r"(?:costs?|spend|bill|inference|cost)"
_BILL_TOO_BIG = any_of("silly|huge|insane|crazy|high|big|out of hand|painful|killing|ridiculous")
_COST = any_of(
    r"\bcheaper\b",
    r"\bcost(?:s)? (?:less|down|too much)\b",
    rf"\b{_CUTTING}\w* (?:the |their |our )?(?:[\w.]+ ){{0,3}}{_SPEND}\b",
    r"\bbill (?:down|lower|cheaper|smaller)\b",
    r"\bbill is (?:too )?(?:high|huge|big|insane|crazy)\b",
    r"\btoo expensive\b",
    r"\bexpensive\b",
    r"\bsave money\b",
    rf"\bbill\b[^.]{{0,20}}\b{_BILL_TOO_BIG}\b",
    r"\bcost[- ]driven\b",
    r"\bfor (?:the )?cost\b",
    r"\bspend(?:ing)? too much\b",
)
_LATENCY = any_of(
    r"\b(?:reason|ask|driver|point|problem|issue|concern)\b[^.]{0,40}\bis latency\b",
    r"\b(?:purely|just|mainly|only|all) (?:for|about) (?:the )?latency\b",
    r"\bfaster\b",
    r"\blower latency\b",
    r"\blatency\b[^.]{0,20}"
    r"\b(?:problem|issue|requirement|critical|matters|is key|bound|sensitive)\b",
    r"\btoo slow\b",
    r"\bspeed\b",
    r"\breal[- ]?time\b",
    r"\bfirst[- ]token\b",
    r"\bttft\b",
)
_DEPENDABLE = any_of(
    "consistent|exact|strict|valid|reliable|uniform|clean|cleaner",
    "well-formed|exactly[- ]right|correct",
)
_STRUCTURE = any_of("json|format|schema|output|xml|structure|hl7|edi|x12|csv|yaml")
_OUTPUT_FORMAT = any_of(
    rf"\b{_DEPENDABLE}\w*(?: [\w-]+){{0,3}} {_STRUCTURE}\b",
    r"\bformat(?:ting)? (?:consistency|issues?|problems?|errors?|drift)\b",
    r"\bbreaks? the (?:format|schema|json)\b",
    r"\bschema compliance\b",
)
_DOMAIN_VOCABULARY = any_word(
    r"terminology|jargon|vocab\w*|lingo|their language|our language|domain language",
    r"speak\w* (?:our|their) language",
)
_OTHER = any_of(
    r"\bfine[- ]?tun\w*",
    r"\bfinetun\w*",
    r"\b(?:train|build|have|own)\w* (?:their|our|a|its) own (?:model|llm)\b",
    r"\bcustom (?:model|llm)\b",
    r"\btrain(?:ed|ing)? (?:a|their|our) (?:own |custom )?(?:model|llm)\b",
    r"\bown (?:model|llm)\b",
)
_RULES: list[tuple[str, str]] = [
    ("knowledge_base", _KNOWLEDGE_BASE),
    ("brand_voice", _BRAND_VOICE),
    ("improve_quality", _IMPROVE_QUALITY),
    ("cost", _COST),
    ("latency", _LATENCY),
    ("output_format", _OUTPUT_FORMAT),
    ("domain_vocabulary", _DOMAIN_VOCABULARY),
    ("other", _OTHER),
]
# A case word only names the request when someone asks for it.
_CASES = ("latency", "output_format", "domain_vocabulary")

_TASK_PURPOSE = re.compile(
    r"\bto "
    + any_of(
        "classify|route|tag|extract|pull|summari[sz]e|write|draft|detect|triage|moderate",
        "score|parse|convert|label|sort|translate|generate|review",
    )
    + r"\b"
    # "a fine-tune for privilege tagging of discovery docs": the docs are the task's input
    + r"|\bfor (?:\w+[- ]){0,2}"
    + any_of(
        "tagging|classif\\w*|routing|extraction|triage|labell?ing|coding|moderation",
        "summari[sz]\\w*|parsing|scoring|review|screening",
    )
    + r"\b",
    re.IGNORECASE,
)
_ASK = re.compile(
    any_word(
        "reason|driver|whole point|their ask|the ask|want|wants|wanted|asking|ask|asked|asks",
        "looking|hoping|need|needs|goal|request|requested|pitch|main thing|care about|after",
        "interested|push|pushing|keen|mandate|so (?:that )?it",
    ),
    re.IGNORECASE,
)
_LATENCY_DENIED = r"\bno latency\b|latency (?:isn'?t|is not|doesn'?t)"
_ADVICE_BEFORE = r"\b(?:say|says|recommend|tell (?:them|us))\W*$"  # "we'd recommend fine-tuning"


def request(message: str) -> tuple[str, str] | None:
    """What the buyer asks for: the anti-patterns first, then the cases, then a bare fine-tune."""
    for name, pattern in _RULES:
        for m in re.finditer(pattern, message, re.IGNORECASE):
            if _asked_for(name, m, message):
                return name, clause_at(message, m.start(), m.end())
    return None


# How far around a case word the ask for it is looked for (a long paste is one "sentence").
_ASK_WINDOW = 200


def _asked_for(name: str, m: re.Match[str], message: str) -> bool:
    sentence = sentence_at(message, m.start())
    if len(sentence) > 2 * _ASK_WINDOW:
        start = max(0, m.start() - _ASK_WINDOW)
        sentence = message[start : m.end() + _ASK_WINDOW]
    just_before = message[max(0, m.start() - 20) : m.start()]
    if name in _CASES:
        if not _ASK.search(sentence) or negated(just_before):
            return False
        return not (name == "latency" and has(_LATENCY_DENIED, sentence))
    if name == "knowledge_base" and _TASK_PURPOSE.search(m.group(0)):
        return False  # "a fine-tuned model to classify shipping documents" is a task
    return not (negated(just_before) or has(_ADVICE_BEFORE, just_before))
