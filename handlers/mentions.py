"""@mentions: in a channel a mention starts (or continues) a scoping thread; alone, it's help.

An @mention inside a thread arrives twice, as `app_mention` and as `message`; both carry the
same message ts, and the conversation answers a message ts once. The `message` listener also
leaves mentions to this one, so the common case costs no duplicate work at all.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.conversation import Turn
from handlers.deps import deps_of, team_of
from handlers.text import event_text, is_help, is_person

# Replies sent "also to #channel", and replies with a file attached, are answers too.
ANSWER_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def is_answer(event: dict[str, Any]) -> bool:
    """A person's message: not an edit, a deletion, a join, a bot's or Slack's own post."""
    subtype = event.get("subtype")
    return not (subtype and subtype not in ANSWER_SUBTYPES) and is_person(event)


def on_mention(event: dict[str, Any], context: BoltContext) -> None:
    if not is_answer(event):
        return
    deps = deps_of(context)
    thread_ts = event.get("thread_ts") or event["ts"]
    turn = Turn(
        team=team_of(event, context),
        channel=event["channel"],
        thread_ts=thread_ts,
        user=event["user"],
        text=event_text(event, context.bot_user_id),
        ts=event["ts"],
    )
    if is_help(turn.text):
        deps.turns.submit_help(event["channel"], thread_ts)
        return
    deps.turns.submit_turn(turn)
