"""The Claude call behind the fact extractor: one request per turn, cached, bounded in time."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import anthropic
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.prompt import Exchange, build_request
from knowledge.facts import Facts
from knowledge.prices import PriceSheet


class ClaudeUnavailable(RuntimeError):
    """Claude could not answer this turn (rate limit, overload, timeout, outage, bad output)."""


class RawUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    field: str
    value: str
    quote: str


class RawReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    updates: list[RawUpdate]
    question: str = ""


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
        price = sheet.models.get(self.model)
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
class ClaudeReply:
    reply: RawReply
    raw_text: str  # kept verbatim: the next turn replays it so the cached prefix still matches
    usage: Usage


class ClaudeClient:
    """Extraction calls to Claude. Timeouts and retries fit a chat turn, not a batch job."""

    def __init__(
        self,
        api_key: str,
        model: str,
        timeout_s: float = 25.0,
        max_retries: int = 1,
        base_url: str | None = None,
    ) -> None:
        self.model = model
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    def extract(
        self, history: list[Exchange], message: str, known: Facts, still_needed: list[str]
    ) -> ClaudeReply:
        request = build_request(self.model, history, message, known, still_needed)
        started = time.perf_counter()
        try:
            response = self._client.messages.create(**request)
        except anthropic.APIError as exc:  # status, connection and timeout errors alike
            raise ClaudeUnavailable(_describe(exc)) from exc
        latency_ms = round((time.perf_counter() - started) * 1000)
        text = "".join(block.text for block in response.content if block.type == "text")
        try:
            reply = RawReply.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ClaudeUnavailable(f"Claude's reply was not the agreed JSON: {exc}") from exc
        u = response.usage
        usage = Usage(
            model=response.model or self.model,
            input_tokens=u.input_tokens,
            cache_creation_input_tokens=u.cache_creation_input_tokens or 0,
            cache_read_input_tokens=u.cache_read_input_tokens or 0,
            output_tokens=u.output_tokens,
            latency_ms=latency_ms,
        )
        return ClaudeReply(reply, text, usage)


def _describe(exc: anthropic.APIError) -> str:
    if isinstance(exc, anthropic.APITimeoutError):
        return "Claude timed out"
    if isinstance(exc, anthropic.RateLimitError):
        return "Claude is rate-limiting us (429)"
    if isinstance(exc, anthropic.APIStatusError):
        kind: Any = getattr(exc, "type", None) or type(exc).__name__
        return f"Claude answered {exc.status_code} ({kind})"
    return f"Claude could not be reached ({type(exc).__name__})"
