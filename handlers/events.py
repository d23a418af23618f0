"""@mentions, thread replies and DMs: each becomes a turn of the conversation.

An @mention inside a thread arrives twice, as `app_mention` and as `message`; both carry the
same message ts, and the conversation answers a message ts once. The `message` listener also
leaves mentions to `app_mention`, so the common case costs no duplicate work at all.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext

from bot.conversation import Turn, clean_text
from bot.slack import SlackTurns


def slack_text(text: str) -> str:
    """What the user typed: Slack sends their `&`, `<` and `>` as entities (its own links and
    mentions stay `<...>`); replies escape them again on the way out."""
    typed = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return clean_text(typed).strip()  # a message of only invisible characters is blank


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


# Replies sent "also to #channel", and replies with a file attached, are answers too.
ANSWER_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def _team(event: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or event.get("team") or "")


def register(app: App, turns: SlackTurns) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: BoltContext) -> None:
        subtype = event.get("subtype")
        if (subtype and subtype not in ANSWER_SUBTYPES) or event.get("bot_id"):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        text = slack_text(strip_mention(event.get("text", ""), context.bot_user_id))
        if not text:
            turns.submit_help(event["channel"], thread_ts)
            return
        turns.submit_turn(
            Turn(
                team=_team(event, context),
                channel=event["channel"],
                thread_ts=thread_ts,
                user=event["user"],
                text=text,
                ts=event["ts"],
            )
        )

    @app.event("message")
    def on_message(event: dict[str, Any], context: BoltContext) -> None:
        # Edits, deletions, joins, bot posts and other subtypes are not answers.
        subtype = event.get("subtype")
        if (subtype and subtype not in ANSWER_SUBTYPES) or event.get("bot_id"):
            return
        if not event.get("user"):
            return
        text = event.get("text", "")
        direct = event.get("channel_type") == "im"
        if not direct and mentions(text, context.bot_user_id):
            return  # app_mention brings it
        thread_ts = event.get("thread_ts")
        if not direct and thread_ts is None:
            return  # channel chatter outside any thread the bot scopes
        text = slack_text(strip_mention(text, context.bot_user_id))
        if not text:
            return
        turns.submit_turn(
            Turn(
                team=_team(event, context),
                channel=event["channel"],
                thread_ts=thread_ts or event["ts"],
                user=event["user"],
                text=text,
                ts=event["ts"],
                # In a channel only threads the bot already scopes are answered; a DM starts one.
                may_start=direct,
            )
        )
