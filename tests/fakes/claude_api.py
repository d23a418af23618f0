"""Replies of Claude's Messages API, as the tests hand them to pytest-httpx2."""

from __future__ import annotations

import json

import httpx

DEFAULT_USAGE = {
    "input_tokens": 150,
    "output_tokens": 80,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 4600,
}


def message(
    text: str,
    *,
    model: str = "claude-haiku-4-5",
    usage: dict[str, int] | None = None,
    stop_reason: str = "end_turn",
    message_id: str = "msg_test",
) -> httpx.Response:
    """A 200 whose text is `text` (the agreed JSON or not; empty: no content block)."""
    return httpx.Response(
        200,
        json={
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage or DEFAULT_USAGE,
        },
    )


def extraction(updates: list[dict[str, str]], **options: object) -> httpx.Response:
    """A 200 carrying the extractor's reply: these fact updates and no question."""
    return message(json.dumps({"updates": updates, "question": ""}), **options)  # type: ignore[arg-type]
