"""Buttons: a verdict's *Adjust numbers*, *What would flip it?* and *Client summary*, and the
Home tab's *New scoping*. Acked at once; the work runs off the request (bot/interactive.py)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.buttons import ADJUST, FLIP, NEW_SCOPING, SUMMARY
from handlers.deps import deps_of, needed

ACTIONS = re.compile(rf"^(?:{ADJUST}|{FLIP}|{SUMMARY}|{NEW_SCOPING})$")


def on_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    ack()
    interactions = needed(deps_of(context).interactions, "interactions")
    action_id = action.get("action_id")
    trigger_id = str(body.get("trigger_id") or "")
    if action_id == NEW_SCOPING:
        interactions.open_new_scoping(trigger_id)
        return
    user = str((body.get("user") or {}).get("id") or "")
    value = str(action.get("value") or "")
    container = body.get("container") or {}
    message = body.get("message") or {}
    # The message the button is on: a verdict posted before a later one is an old verdict.
    clicked_ts = container.get("message_ts") or message.get("ts")
    # A verdict posted at the top of a DM (not in a thread) is answered there too.
    threaded = bool(container.get("thread_ts") or message.get("thread_ts"))
    if action_id == ADJUST:
        interactions.open_adjust(trigger_id, value, user, clicked_ts, threaded=threaded)
    elif action_id == FLIP:
        interactions.post_flip(value, user, clicked_ts, threaded=threaded)
    elif action_id == SUMMARY:
        interactions.post_summary(value, user, clicked_ts, threaded=threaded)
