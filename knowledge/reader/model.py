"""The Claude model a message names ("sonnet 4.5", "haiku"), as a model id."""

from __future__ import annotations

import re

__all__ = ["MODEL", "model_id"]

MODEL = re.compile(
    r"\b(?:claude[\s-]*)?(?P<family>haiku|sonnet|opus|fable)"
    r"(?:[\s-]*(?P<major>\d)(?:[.\-](?P<minor>\d))?)?"
    r"(?![\w.]*\d)",
    re.IGNORECASE,
)
# The version a salesperson means by a bare family name (the extractor's prompt does the same).
_DEFAULT_VERSION = {"haiku": "4-5", "sonnet": "4-5", "opus": "4-5", "fable": "5"}


def model_id(m: re.Match[str]) -> str:
    family = m.group("family").lower()
    if m.group("major") is None:
        return f"claude-{family}-{_DEFAULT_VERSION[family]}"
    minor = f"-{m.group('minor')}" if m.group("minor") else ""
    return f"claude-{family}-{m.group('major')}{minor}"
