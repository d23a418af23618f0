"""What the user typed, from the text Slack sends."""

from __future__ import annotations

import re


def slack_text(text: str) -> str:
    """Slack sends the user's `&`, `<` and `>` as entities (its own links and mentions stay
    `<...>`); replies escape them again on the way out. Cleaning the text of invisible
    characters is the turn's job (bot/conversation.py `Turn`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text
