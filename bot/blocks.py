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


def tidy_lines(text: str) -> str:
    """A person's text as the bot reads it: spaces collapsed and blank lines dropped, each line
    break kept ("new workload" on one line and the workload on the next; a list of facts)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


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
        check_interactive_limits(block)
    # to_dict() runs slack_sdk's own validators; its output is what Slack would receive
    normalised = [b.to_dict() for b in parsed]
    if normalised != blocks:
        raise RenderError("blocks changed in validation: a field slack_sdk does not know")
    return blocks


def _check_length(what: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise RenderError(f"{what} is {len(text)} chars; Slack allows {limit}")


def check_limits(block: dict[str, Any]) -> None:
    kind = block.get("type")
    text = (block.get("text") or {}).get("text", "")
    if kind == "header":
        _check_length("header text", text, MAX_HEADER_TEXT)
    if kind == "section":
        _check_length("section text", text, MAX_SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            raise RenderError(f"{len(fields)} fields; Slack allows {MAX_FIELDS}")
        for f in fields:
            _check_length("a field", f.get("text", ""), MAX_FIELD_TEXT)
    if kind == "context":
        elements = block.get("elements", [])
        if len(elements) > MAX_CONTEXT_ELEMENTS:
            raise RenderError(f"context has more than {MAX_CONTEXT_ELEMENTS} elements")
        for element in elements:
            _check_length("a context element", element.get("text", ""), MAX_CONTEXT_TEXT)


# -- views (modals and the Home tab) and interactive elements ------------------------------------
# Slack's documented limits that slack_sdk's models don't check themselves (they check a view's
# title, submit, close, callback_id, private_metadata and block count; a button's text and value).

MAX_VIEW_BLOCKS = 100  # a modal or the Home tab
MAX_ACTION_ELEMENTS = 25  # an actions block
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_INPUT_LABEL = 2000
MAX_INPUT_HINT = 2000
MAX_PLACEHOLDER = 150
MAX_SELECT_OPTIONS = 100
MAX_CHECKBOX_OPTIONS = 10
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLAIN_TEXT_INPUT = 3000


@cache
def _view_class() -> Any:
    # Views are validated only where the bot runs (slack_sdk is loaded there anyway), never by
    # `ftscope decide`, so no care is needed here over what the import costs.
    from slack_sdk.models.views import View  # noqa: PLC0415

    return View


def validate_view(view: dict[str, Any]) -> dict[str, Any]:
    """Parse and validate a modal or Home tab with slack_sdk's `View`, and check the limits
    slack_sdk leaves to Slack; the view is returned unchanged."""
    View = _view_class()
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        raise RenderError("a view needs at least one block")
    if len(blocks) > MAX_VIEW_BLOCKS:
        raise RenderError(f"{len(blocks)} blocks in a view; Slack allows {MAX_VIEW_BLOCKS}")
    try:
        parsed = View(**view)
        parsed.validate_json()
    except Exception as exc:  # slack_sdk raises SlackObjectFormationError (and TypeError)
        raise RenderError(f"invalid view: {exc}") from exc
    for block in blocks:
        check_limits(block)
        check_interactive_limits(block)
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        raise RenderError("two blocks of a view share a block_id")
    if parsed.to_dict() != view:
        raise RenderError("view changed in validation: a field slack_sdk does not know")
    return view


def _text_of(obj: dict[str, Any] | None) -> str:
    return str((obj or {}).get("text", ""))


def _check_length(what: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise RenderError(f"{what} is {len(text)} chars; Slack allows {limit}")


def _check_element(element: dict[str, Any]) -> None:
    kind = element.get("type")
    _check_length("an action_id", str(element.get("action_id", "")), MAX_ACTION_ID)
    _check_length("a placeholder", _text_of(element.get("placeholder")), MAX_PLACEHOLDER)
    if kind == "button":
        _check_length("a button's text", _text_of(element.get("text")), MAX_BUTTON_TEXT)
        _check_length("a button's value", str(element.get("value", "")), MAX_BUTTON_VALUE)
    options = element.get("options")
    if options is not None:
        limit = (
            MAX_CHECKBOX_OPTIONS
            if kind in ("checkboxes", "radio_buttons")
            else (MAX_SELECT_OPTIONS)
        )
        if not options or len(options) > limit:
            raise RenderError(f"{kind} has {len(options)} options; Slack allows 1 to {limit}")
        for option in options:
            _check_length("an option's text", _text_of(option.get("text")), MAX_OPTION_TEXT)
            _check_length("an option's value", str(option.get("value", "")), MAX_OPTION_VALUE)
        values = {o.get("value") for o in options}
        chosen = element.get("initial_options") or (
            [element["initial_option"]] if element.get("initial_option") else []
        )
        if any(o not in options for o in chosen) or len(values) != len(options):
            raise RenderError(f"{kind}: initial options must be among its (distinct) options")
    if kind == "plain_text_input":
        initial = str(element.get("initial_value", ""))
        _check_length("a text input's initial value", initial, MAX_PLAIN_TEXT_INPUT)
        if int(element.get("max_length", MAX_PLAIN_TEXT_INPUT)) > MAX_PLAIN_TEXT_INPUT:
            raise RenderError(f"a text input's max_length is over {MAX_PLAIN_TEXT_INPUT}")
    if kind == "number_input":
        _check_number_input(element)


def _check_number_input(element: dict[str, Any]) -> None:
    from decimal import Decimal, InvalidOperation  # noqa: PLC0415 - rarely needed

    decimal = bool(element.get("is_decimal_allowed"))
    values = {}
    for key in ("initial_value", "min_value", "max_value"):
        if element.get(key) is None:
            continue
        try:
            values[key] = Decimal(str(element[key]))
        except InvalidOperation as exc:
            raise RenderError(f"number_input {key} {element[key]!r} is not a number") from exc
        if not decimal and values[key] != values[key].to_integral_value():
            raise RenderError(f"number_input {key} {element[key]!r} is not a whole number")
    low, high = values.get("min_value"), values.get("max_value")
    if low is not None and high is not None and low > high:
        raise RenderError("number_input min_value is above its max_value")
    initial = values.get("initial_value")
    if initial is not None and (
        (low is not None and initial < low) or (high is not None and initial > high)
    ):
        raise RenderError(f"number_input initial_value {initial} is outside its bounds")


def check_interactive_limits(block: dict[str, Any]) -> None:
    """The limits of actions and input blocks, and of the elements in them."""
    _check_length("a block_id", str(block.get("block_id", "")), MAX_BLOCK_ID)
    kind = block.get("type")
    if kind == "actions":
        elements = block.get("elements", [])
        if not elements or len(elements) > MAX_ACTION_ELEMENTS:
            raise RenderError(
                f"an actions block has {len(elements)} elements; Slack allows 1 to "
                f"{MAX_ACTION_ELEMENTS}"
            )
        action_ids = [e.get("action_id") for e in elements]
        if len(action_ids) != len(set(action_ids)):
            raise RenderError("two elements of an actions block share an action_id")
        for element in elements:
            _check_element(element)
    elif kind == "input":
        _check_length("an input's label", _text_of(block.get("label")), MAX_INPUT_LABEL)
        _check_length("an input's hint", _text_of(block.get("hint")), MAX_INPUT_HINT)
        _check_element(block.get("element") or {})
    elif kind == "section" and block.get("accessory"):
        _check_element(block["accessory"])
