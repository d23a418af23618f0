"""The offline extractor: `knowledge.reader` behind the same interface as Claude's.

Used when no ANTHROPIC_API_KEY is set (`ftscope chat`, `ftscope serve`, `ftscope eval`), and in
Slack for a turn Claude can't answer ("reduced mode"). Its reads are stored like Claude's, marked
as offline, so that once Claude is back the conversation has Claude read those messages again.
"""

from __future__ import annotations

import json
from typing import Literal

from bot.extraction import Extraction, ExtractRequest
from knowledge.reader import read_message

READER = "offline"
ReducedWhy = Literal["no_key", "outage"]


class OfflineExtractor:
    """Patterns and keywords: deterministic, instant, no network; weaker than Claude."""

    offline = True  # its reads are not read again by itself (see Conversation)

    def __init__(self, why: ReducedWhy = "no_key") -> None:
        self.why = why

    def extract(self, request: ExtractRequest) -> Extraction:
        # The earlier messages: what a bare correction ("oops meant 2M") restates is there.
        reading = read_message(
            request.message,
            asked=request.still_needed,
            known=request.known.known(),
            earlier=[exchange.user_text for exchange in request.history],
        )
        raw = {
            "reader": READER,
            "updates": [
                {"field": u.field, "value": u.value, "quote": u.quote}
                | ({"model": u.model} if u.model else {})
                for u in reading.updates
            ],
            "question": "",
        }
        return Extraction(
            reading.updates,
            raw_text=json.dumps(raw, ensure_ascii=False),
            reduced=self.why,
        )


def is_offline_read(raw_text: str | None) -> bool:
    """Whether a stored extraction is the offline reader's (not Claude's)."""
    if not raw_text or not raw_text.startswith("{"):
        return False
    try:
        data = json.loads(raw_text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("reader") == READER
