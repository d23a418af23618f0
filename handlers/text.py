"""What the user typed, from the event Slack sends: its text, a shared message's, rich text."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.blocks import tidy_lines

# The bot's help, wherever it is asked for: `/ftscope help`, "@ftscope help", a DM saying "help".
HELP_WORDS = frozenset({"", "help", "?", "-h", "--help"})

# Slack's own system user (channel notices, reminders): never a scoping request.
SYSTEM_USERS = frozenset({"USLACKBOT"})


def slack_text(text: str) -> str:
    """Slack sends the user's `&`, `<` and `>` as entities (its own links and mentions stay
    `<...>`); replies escape them again on the way out. Cleaning the text of invisible
    characters is the turn's job (bot/conversation.py `Turn`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's mention, tidied (`tidy_lines`: its line breaks kept)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return tidy_lines(text)


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


def is_blank(text: str) -> bool:
    """Nothing a person could read: whitespace and invisible format characters only."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text)


def is_help(text: str) -> bool:
    return is_blank(text) or text.strip().casefold() in HELP_WORDS


def is_person(event: dict[str, Any]) -> bool:
    """A message from a person: not a bot's, not Slack's own."""
    user = event.get("user")
    return bool(user) and user not in SYSTEM_USERS and not event.get("bot_id")


def event_text(event: dict[str, Any], bot_user_id: str | None) -> str:
    """What a message says, as the bot reads it: its own text (the bot's mention taken out),
    then any message shared or forwarded with it, each marked with where it came from."""
    own = event.get("text") or _rich_text(event.get("blocks") or [])
    parts = [strip_mention(slack_text(own), bot_user_id)]
    for attachment in event.get("attachments") or []:
        shared = _shared(attachment)
        if shared:
            parts.append(shared)
    return "\n\n".join(part for part in parts if part)


def _shared(attachment: dict[str, Any]) -> str:
    """A shared or forwarded message: its text (or its rich text), with its author."""
    text = attachment.get("text") or _rich_text(
        [
            b
            for m in attachment.get("message_blocks") or []
            for b in m.get("message", {}).get("blocks") or []
        ]
    )
    text = slack_text(text or attachment.get("fallback") or "").strip()
    if not text:
        return ""
    author = attachment.get("author_name") or (
        f"<@{attachment['author_id']}>" if attachment.get("author_id") else None
    )
    origin = f"Shared message from {author}" if author else "Shared message"
    return f"{origin}:\n{text}"


def _rich_text(blocks: list[dict[str, Any]]) -> str:
    """The plain text of `rich_text` blocks (what a client sends when `text` is empty)."""
    lines: list[str] = []
    for block in blocks:
        if block.get("type") != "rich_text":
            continue
        lines.extend(_inline(element) for element in block.get("elements") or [])
    return "\n".join(line for line in lines if line)


def _inline(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "user":
        return f"<@{element.get('user_id', '')}>"
    if kind == "link":
        return str(element.get("text") or element.get("url", ""))
    if kind == "emoji":
        return f":{element.get('name', '')}:"
    if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
        return "".join(_inline(e) for e in element.get("elements") or [])
    if kind == "rich_text_list":
        return "\n".join(_inline(e) for e in element.get("elements") or [])
    return ""
