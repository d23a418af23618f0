"""What an extractor gives the conversation for one turn, whichever extractor it is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.prompt import Exchange
from knowledge.facts import Facts
from knowledge.prices import PriceSheet
from knowledge.provenance import Update

_SNAPSHOT = re.compile(r"-\d{8}$")


class ExtractorUnavailable(RuntimeError):
    """The extractor could not answer this turn; the thread's facts stay as they were."""


@dataclass(frozen=True)
class Usage:
    model: str
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    output_tokens: int
    latency_ms: int

    def cost_usd(self, sheet: PriceSheet) -> float | None:
        """The call's price from the sheet (None for a model the sheet doesn't list)."""
        # The API may answer with a dated snapshot id ("claude-haiku-4-5-20251001").
        price = sheet.models.get(self.model) or sheet.models.get(_SNAPSHOT.sub("", self.model))
        if price is None:
            return None
        write = price.cache_creation_input_token_cost or price.input_cost_per_token
        return (
            self.input_tokens * price.input_cost_per_token
            + self.cache_creation_input_tokens * write
            + self.cache_read_input_tokens * price.cache_read_cost
            + self.output_tokens * price.output_cost_per_token
        )


@dataclass(frozen=True)
class Extraction:
    updates: list[Update]
    question: str = ""
    # Kept verbatim: the next turn replays it so the cached prompt prefix still matches.
    raw_text: str = ""
    usage: Usage | None = None
    # Read by the offline reader instead of Claude: why ("no_key", "outage"), for the reply.
    reduced: str | None = None


class Extractor(Protocol):
    """Reads the newest message of a thread into fact updates, with the words each came from."""

    def extract(
        self,
        history: list[Exchange],
        message: str,
        known: Facts,
        still_needed: list[str],
        *,
        budget_s: float | None = None,
    ) -> Extraction:
        """`budget_s`: seconds left for this turn; answer or raise ExtractorUnavailable by then."""
        ...
