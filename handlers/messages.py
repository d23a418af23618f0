"""Thread replies and DMs: a reply in a thread the bot scopes, or any DM, is a turn."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.conversation import Turn
from handlers.deps import deps_of, team_of
from handlers.mentions import is_answer
from handlers.text import event_text, is_blank, is_help, is_person, mentions


def on_message(event: dict[str, Any], context: BoltContext) -> None:
    subtype = event.get("subtype")
    if subtype in REVISIONS:
        on_revision(event, context)
        return
    if not is_answer(event):
        return
    direct = event.get("channel_type") == "im"
    if not direct and mentions(event.get("text", ""), context.bot_user_id):
        return  # app_mention brings it
    thread_ts = event.get("thread_ts")
    if not direct and thread_ts is None:
        return  # channel chatter outside any thread the bot scopes
    turn = Turn(
        team=team_of(event, context),
        channel=event["channel"],
        thread_ts=thread_ts or event["ts"],
        user=event["user"],
        text=event_text(event, context.bot_user_id),
        ts=event["ts"],
        # In a channel only threads the bot already scopes are answered; a DM starts one.
        may_start=direct,
        in_dm=direct and thread_ts is None,
    )
    if is_blank(turn.text):
        return
    if direct and is_help(turn.text):
        deps_of(context).turns.submit_help(event["channel"], turn.thread_ts)
        return
    deps_of(context).turns.submit_turn(turn)


# Slack's subtypes for a message edited or deleted after it was sent.
REVISIONS = {"message_changed": "edited", "message_deleted": "deleted"}


def on_revision(event: dict[str, Any], context: BoltContext) -> None:
    """An edited message is read again as a correction of what it said; a deleted one takes the
    facts only it gave with it. The conversation ignores messages it never read."""
    revision = REVISIONS[event["subtype"]]
    message = event.get("message") if revision == "edited" else event.get("previous_message")
    if not isinstance(message, dict) or not is_person(message) or not message.get("ts"):
        return
    if revision == "edited" and message.get("text") == (event.get("previous_message") or {}).get(
        "text"
    ):
        return  # an unfurl or a reaction's update: the words are the same
    turn = Turn(
        team=team_of(event, context),
        channel=event["channel"],
        thread_ts=message.get("thread_ts") or message["ts"],
        user=message["user"],
        text=event_text(message, context.bot_user_id) if revision == "edited" else "",
        ts=message["ts"],
        may_start=False,
        revision=revision,
    )
    deps_of(context).turns.submit_turn(turn)
