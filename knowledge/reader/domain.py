"""The domain a message names (medical, legal, financial, other specialised, general)."""

from __future__ import annotations

import re

from knowledge.reader.text import any_of, clause_at

__all__ = ["domain"]

_MEDICAL = any_of(
    r"\bmedic\w*",
    r"\bclinic\w*",
    r"\bhealth\s?care\b",
    r"\bpatients?\b",
    r"\bicd[\s-]*\d*",
    r"\bcpt\b",
    r"\bhospital\w*",
    r"\bpharma\w*",
    r"\bdiagnos\w*",
    r"\bradiolog\w*",
    r"\behr\b",
    r"\bemr\b",
    r"\bnurs\w*",
    r"\bhl7\b",
    r"\bfhir\b",
    r"\bsnomed\b",
    r"\bdrug\w*",
    r"\bpathology\b",
    r"\bdischarge summar\w*",
    r"\bprior auth\w*",
    r"\bpayer\b",
    r"\bhealth\b",
    r"\bdental\b",
    r"\bveterinar\w*",
    r"\bclaims? coding\b",
)
_LEGAL = any_of(
    r"\blegal\b",
    r"\blaw\b",
    r"\blaw firm\b",
    r"\bcontracts?\b",
    r"\bclauses?\b",
    r"\bcourt\b",
    r"\blitigat\w*",
    r"\battorney\w*",
    r"\blawyers?\b",
    r"\bparalegal\w*",
    r"\bndas?\b",
    r"\be-?discovery\b",
    r"\bcase law\b",
    r"\bstatut\w*",
    r"\bdepositions?\b",
    r"\bpatents?\b",
    r"\bregulatory filings?\b",
    r"\bindemnif\w*",
)
_FINANCIAL = any_of(
    r"\bfinanc\w*",
    r"\bbank\w*",
    r"\b(?:stock|equit(?:y|ies)|securities|algo\w*) trading\b",
    r"\bhedge funds?\b",
    r"\b10-[kq]s?\b",
    r"\bsec filings?\b",
    r"\bloan\w*",
    r"\baml\b",
    r"\bkyc\b",
    r"\bunderwrit\w*",
    r"\bbrokerage\b",
    r"\bearnings calls?\b",
    r"\bmortgage\w*",
    r"\bwealth management\b",
    r"\bderivativ\w*",
    r"\bfx\b",
    r"\basset manag\w*",
    r"\bprospectus\w*",
    r"\bannual reports?\b",
    r"\bxbrl\b",
    r"\bgaap\b",
    r"\bifrs\b",
)
_OTHER_SPECIALIZED = any_of(
    r"\bchemi\w*",
    r"\bsemiconductor\w*",
    r"\baerospace\b",
    r"\bbiotech\w*",
    r"\bgenomic\w*",
    r"\bscientific\b",
    r"\bengineering drawings?\b",
    r"\bpart numbers?\b",
    r"\bmil-?spec\b",
    r"\bnuclear\b",
    r"\bpetroleum\b",
    r"\boil and gas\b",
    r"\bgeolog\w*",
    r"\bmaritime\b",
    r"\baviation\b",
    r"\bmanufacturing\b",
)
_GENERAL = any_of(
    r"\bnothing (?:very |really |too )?speciali[sz]ed\b",
    r"\bnot (?:very |really )?speciali[sz]ed\b",
    r"\bno special(?:i[sz]ed)? (?:domain|vocab\w*|jargon|terminology)\b",
    r"\bgeneral[- ](?:domain|purpose|knowledge|english)\b",
    r"\bplain english\b",
    r"\beveryday (?:language|english)\b",
)
# In order of precedence: a specialised domain named anywhere wins over "general".
_RULES: list[tuple[str, str]] = [
    ("medical", _MEDICAL),
    ("legal", _LEGAL),
    ("financial", _FINANCIAL),
    ("other_specialized", _OTHER_SPECIALIZED),
    ("general", _GENERAL),
]


def domain(message: str) -> tuple[str, str] | None:
    """The first specialised domain the message names; else general if it says so."""
    for name, pattern in _RULES:
        m = re.search(pattern, message, re.IGNORECASE)
        if m is not None:
            return name, clause_at(message, m.start(), m.end())
    return None
