"""The Claude call behind the fact extractor: one request per turn, cached, bounded in time."""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.extraction import (
    Extraction,
    ExtractorUnavailable,
    ExtractRequest,
    ModelScore,
    Usage,
    reply_updates,
)
from bot.prompt import build_request
from knowledge.intents import Intent, MessageIntent, Topic
from knowledge.provenance import Update


class ClaudeUnavailable(ExtractorUnavailable):
    """Claude could not answer this turn (rate limit, overload, timeout, outage, bad output)."""


class RawUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    field: str
    value: str
    quote: str


class RawScore(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str
    quality: float | str
    quote: str


class RawReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    updates: list[RawUpdate]
    other_baselines: list[RawScore] = []
    question: str = ""
    intent: str = Intent.facts.value
    topic: str = ""


# Below this, another attempt can't finish in what is left of the turn: don't start it.
MIN_ATTEMPT_S = 2.0
MAX_BACKOFF_S = 4.0


class ClaudeClient:
    """Extraction calls to Claude, bounded by one deadline for the whole turn.

    `timeout_s` is the turn's total budget, retries and their waits included: the SDK's own
    retries are off, because they would honour a `retry-after` of up to a minute and give each
    attempt the full timeout, and a Slack user would be left waiting well past 30 s.
    """

    def __init__(
        self,
        api_key: str,
        model: str,
        timeout_s: float = 25.0,
        max_retries: int = 1,
        base_url: str | None = None,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def extract(self, asked: ExtractRequest) -> Extraction:
        request = build_request(
            self.model, asked.history, asked.message, asked.known, asked.still_needed
        )
        started = time.monotonic()
        budget_s = asked.budget_s
        limit = self.timeout_s if budget_s is None else min(self.timeout_s, budget_s)
        deadline = started + limit
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            try:
                response = self._client.with_options(timeout=remaining).messages.create(**request)
                break
            except anthropic.APIError as exc:  # status, connection and timeout errors alike
                wait = _retry_wait(exc, attempt)
                if (
                    wait is None
                    or attempt >= self.max_retries
                    or time.monotonic() + wait + min(MIN_ATTEMPT_S, limit / 4) > deadline
                ):
                    raise ClaudeUnavailable(_describe(exc)) from exc
                time.sleep(wait)
                attempt += 1
        latency_ms = round((time.monotonic() - started) * 1000)
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
        updates = reply_updates(
            [Update(u.field, u.value, u.quote) for u in reply.updates],
            [ModelScore(s.model, str(s.quality), s.quote) for s in reply.other_baselines],
            asked.known,
        )
        return Extraction(updates, reply.question, text, usage, intent=_intent(reply))


def _retry_wait(exc: anthropic.APIError, attempt: int) -> float | None:
    """Seconds to wait before retrying, or None when retrying can't help."""
    if isinstance(exc, anthropic.APIConnectionError):  # includes timeouts
        return 0.0
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    if exc.status_code not in (408, 409, 429) and exc.status_code < 500:
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                break
    return min(MAX_BACKOFF_S, 0.5 * 2**attempt)


def _describe(exc: anthropic.APIError) -> str:
    if isinstance(exc, anthropic.APITimeoutError):
        return "Claude timed out"
    if isinstance(exc, anthropic.RateLimitError):
        return "Claude is rate-limiting us (429)"
    if isinstance(exc, anthropic.APIStatusError):
        kind: Any = getattr(exc, "type", None) or type(exc).__name__
        return f"Claude answered {exc.status_code} ({kind})"
    return f"Claude could not be reached ({type(exc).__name__})"


def _intent(reply: RawReply) -> MessageIntent | None:
    """What Claude says the message is for; None when it isn't one of ours (then the message
    is read as facts, as before intents existed)."""
    try:
        intent = Intent(reply.intent)
        topic = Topic(reply.topic) if intent is Intent.question and reply.topic else None
        if intent is Intent.question and topic is None:
            topic = Topic.why
        if intent is Intent.command:  # which command is the keywords' to read
            return None
        return MessageIntent(intent, topic=topic)
    except ValueError:
        return None
