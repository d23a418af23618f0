"""What an extractor gives the conversation for one turn, whichever extractor it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from bot.prompt import Exchange
from knowledge.facts import Facts
from knowledge.intents import MessageIntent
from knowledge.prices import PriceSheet
from knowledge.provenance import Update
from knowledge.reader.model import family_of, mentions, model_named
from knowledge.reader.unknowns import is_unknown


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
        price = sheet.price_of(self.model)
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
    # What the message is for, as the extractor read it; None: read as facts.
    intent: MessageIntent | None = None


@dataclass(frozen=True)
class ModelScore:
    """A quality measured on a named model, as Claude reports it (`other_baselines` travels in
    Claude's schema as a list of these: a JSON schema for structured outputs can't have a map)."""

    model: str
    quality: str  # as Claude wrote it: "0.91", "91"
    quote: str


def reply_updates(
    updates: Iterable[Update], scores: Iterable[ModelScore], known: Facts
) -> list[Update]:
    """Claude's reply as fact updates: model names as price-sheet ids ("Sonnet 4.5" is
    claude-sonnet-4-5, a bare "sonnet" the thread's Sonnet or else the current one), and each
    score an update of its own: the frontier model's is baseline_quality, any other model's one
    of `other_baselines`."""
    read: list[Update] = []
    frontier = known.frontier_model
    for update in updates:
        if is_unknown(update):  # nobody knows it: no model to name
            read.append(update)
        elif update.field == "frontier_model":
            frontier = _model_meant(update.value, update.quote, frontier)
            read.append(Update(update.field, frontier, update.quote))
        else:
            read.append(update)
    for score in scores:
        model = _model_meant(score.model, score.quote, frontier)
        if model == frontier:
            read.append(Update("baseline_quality", score.quality, score.quote))
        else:
            read.append(Update("other_baselines", score.quality, score.quote, model))
    return read


def _model_meant(name: str, quote: str, thread_model: str | None) -> str:
    """The id a model Claude reports means: its name read as the reader reads it, and when the
    user's own words are only a bare family name ("sonnet gets 87%"), the thread's model of that
    family, whatever version Claude wrote."""
    model = model_named(name, thread_model) or name.strip()
    said = list(mentions(quote))
    if (
        thread_model is not None
        and said
        and all(m.versioned is None for m in said)
        and family_of(model) == family_of(thread_model) == said[0].family
    ):
        return thread_model
    return model


@dataclass(frozen=True)
class ExtractRequest:
    """What an extractor reads for one turn: the newest message(s), with the thread so far."""

    message: str
    known: Facts = field(default_factory=Facts)  # the facts so far
    still_needed: list[str] = field(default_factory=list)  # what the bot asked for
    history: list[Exchange] = field(default_factory=list)  # earlier turns, for the cache
    budget_s: float | None = None  # seconds left: answer or raise ExtractorUnavailable by then


class Extractor(Protocol):
    """Reads the newest message of a thread into fact updates, with the words each came from."""

    def extract(self, request: ExtractRequest) -> Extraction: ...
