"""The Claude models a message names ("sonnet 4.5", "haiku", "claude-opus-4-5"), as model ids.

A versioned name is that model ("haiku 4.5" is claude-haiku-4-5). A bare family name ("sonnet",
"the haiku bill") is the model of that family the thread already names, if it names one, else the
family's current model: Haiku 5.5, Sonnet 5.5, Opus 5.5 (Sonnet 4.5 retired on 2026-11-30, so a
bare "sonnet" can't mean it). Claude's prompt says the same, and Claude's model names go through
`model_named` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["CURRENT", "MODEL", "Mention", "mentions", "model_id", "model_named", "names_model"]

MODEL = re.compile(
    r"\b(?:claude[\s-]*)?(?P<family>haiku|sonnet|opus|fable)"
    r"(?:[\s-]*(?P<major>\d)(?:[.\-](?P<minor>\d))?)?"
    r"(?![\w.]*\d)",
    re.IGNORECASE,
)
# The model a bare family name means when the thread names none of that family: the current one.
CURRENT = {
    "haiku": "claude-haiku-5-5",
    "sonnet": "claude-sonnet-5-5",
    "opus": "claude-opus-5-5",
    "fable": "claude-fable-5",
}


@dataclass(frozen=True)
class Mention:
    """One model named in a message: where, its family, and its id when a version is given."""

    start: int
    end: int
    text: str
    family: str
    versioned: str | None  # "claude-haiku-4-5"; None for a bare family name

    def resolved(self, thread_model: str | None = None) -> str:
        """The id this mention means in a thread whose model (frontier_model) is `thread_model`."""
        if self.versioned is not None:
            return self.versioned
        if thread_model is not None and family_of(thread_model) == self.family:
            return thread_model
        return CURRENT[self.family]


def _versioned(m: re.Match[str]) -> str | None:
    if m.group("major") is None:
        return None
    family = m.group("family").lower()
    minor = f"-{m.group('minor')}" if m.group("minor") else ""
    return f"claude-{family}-{m.group('major')}{minor}"


def model_id(m: re.Match[str], thread_model: str | None = None) -> str:
    """The id a match of `MODEL` names (a bare family name as `Mention.resolved` reads it)."""
    return _mention(m).resolved(thread_model)


def _mention(m: re.Match[str]) -> Mention:
    return Mention(m.start(), m.end(), m.group(0), m.group("family").lower(), _versioned(m))


def mentions(text: str) -> Iterator[Mention]:
    for m in MODEL.finditer(text):
        yield _mention(m)


def family_of(model: str) -> str | None:
    """ "claude-haiku-4-5" -> "haiku"; None for an id that is not a Claude family's."""
    m = MODEL.fullmatch(model.strip())
    if m is None:
        m = MODEL.match(model.strip())  # a dated snapshot: claude-haiku-4-5-20251001
    return m.group("family").lower() if m else None


def model_named(text: str, thread_model: str | None = None) -> str | None:
    """The id a model name means ("Sonnet 4.5", "haiku", "claude-opus-4-5-20251101"), or None
    when `text` names no Claude model (another vendor's model is not a Claude id)."""
    m = MODEL.search(text)
    return None if m is None else model_id(m, thread_model)


def names_model(text: str, model: str) -> bool:
    """Whether `text` names `model`: its id, or its family with no other version."""
    if model.casefold() in text.casefold():
        return True
    family = family_of(model)
    if family is None:
        return False
    return any(
        m.family == family and (m.versioned is None or m.versioned == model) for m in mentions(text)
    )
