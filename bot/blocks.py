"""Slack Block Kit limits, and the check every message goes through before it is posted.

Blocks are parsed and validated with `slack_sdk.models.blocks`, then checked against the limits
slack_sdk does not check (50 blocks, 3,000 chars a section, 10 fields of 2,000 chars).

slack_sdk is imported on first use, and in a process that hasn't imported it (`ftscope decide
--format blocks`) only its `models` package is: the `slack_sdk` package itself imports the whole
Web API client (asyncio, ssl, http.client: 50–100 ms), which validating blocks never needs.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000


class RenderError(ValueError):
    """A template produced something Slack would reject."""


def mrkdwn_escape(text: object) -> str:
    """Slack's three control characters, escaped so user text can't ping or link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: object, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _block_class() -> Any:
    """slack_sdk's `Block`, without running `slack_sdk/__init__` when nothing has yet.

    The models package depends only on itself and `slack_sdk.errors`. It is loaded under a
    placeholder for its parent package, then every `slack_sdk` module is taken out of
    `sys.modules` again: a later `import slack_sdk` runs the real package as if this never
    happened, and this function keeps its own copy of the models.
    """
    if "slack_sdk" in sys.modules:  # the bot and the tests: loaded anyway
        from slack_sdk.models.blocks import Block  # noqa: PLC0415

        return Block
    spec = importlib.util.find_spec("slack_sdk")
    assert spec is not None and spec.submodule_search_locations is not None
    before = set(sys.modules)
    sys.modules["slack_sdk"] = importlib.util.module_from_spec(spec)  # its __init__ not run
    try:
        from slack_sdk.models.blocks import Block  # noqa: PLC0415
    finally:
        for name in set(sys.modules) - before:
            if name == "slack_sdk" or name.startswith("slack_sdk."):
                del sys.modules[name]
    return Block


def validate_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse, validate and limit-check a message's blocks; they are returned unchanged."""
    Block = _block_class()
    if not isinstance(blocks, list) or not blocks:
        raise RenderError("a message needs at least one block")
    if len(blocks) > MAX_BLOCKS:
        raise RenderError(f"{len(blocks)} blocks; Slack allows {MAX_BLOCKS}")
    parsed = Block.parse_all(blocks)
    if len(parsed) != len(blocks) or any(b is None for b in parsed):
        raise RenderError("a block has an unknown type")
    for block in blocks:
        check_limits(block)
    # to_dict() runs slack_sdk's own validators; its output is what Slack would receive
    normalised = [b.to_dict() for b in parsed]
    if normalised != blocks:
        raise RenderError("blocks changed in validation: a field slack_sdk does not know")
    return blocks


def check_limits(block: dict[str, Any]) -> None:
    kind = block.get("type")
    text = (block.get("text") or {}).get("text", "")
    if kind == "header" and len(text) > MAX_HEADER_TEXT:
        raise RenderError(f"header text is {len(text)} chars; Slack allows {MAX_HEADER_TEXT}")
    if kind == "section":
        if len(text) > MAX_SECTION_TEXT:
            raise RenderError(f"section text is {len(text)} chars; Slack allows {MAX_SECTION_TEXT}")
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            raise RenderError(f"{len(fields)} fields; Slack allows {MAX_FIELDS}")
        for f in fields:
            if len(f.get("text", "")) > MAX_FIELD_TEXT:
                raise RenderError(
                    f"a field is {len(f['text'])} chars; Slack allows {MAX_FIELD_TEXT}"
                )
    if kind == "context":
        elements = block.get("elements", [])
        if len(elements) > MAX_CONTEXT_ELEMENTS:
            raise RenderError(f"context has more than {MAX_CONTEXT_ELEMENTS} elements")
        for element in elements:
            if len(element.get("text", "")) > MAX_CONTEXT_TEXT:
                raise RenderError(
                    f"a context element is {len(element['text'])} chars; Slack allows "
                    f"{MAX_CONTEXT_TEXT}"
                )
