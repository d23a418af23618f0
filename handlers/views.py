"""Modal submissions: the *Adjust numbers* form (a bad value is shown under its input, with
Slack's `response_action: errors`) and *New scoping* (a thread in the channel picked)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack import ScopingCommand
from bot.views import ADJUST_FORM, NEW_SCOPING_FORM, read_new_scoping
from handlers.deps import deps_of, needed

VIEWS = re.compile(rf"^(?:{ADJUST_FORM}|{NEW_SCOPING_FORM})$")


def on_view_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    deps = deps_of(context)
    user = str((body.get("user") or {}).get("id") or "")
    if view.get("callback_id") == ADJUST_FORM:
        errors = needed(deps.interactions, "interactions").submit_form(view, user)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()
        return
    scoping = read_new_scoping(view, body.get("response_urls") or [])
    if scoping.errors or scoping.channel is None:
        ack(response_action="errors", errors=scoping.errors)
        return
    ack()
    team = str((body.get("team") or {}).get("id") or context.team_id or "")
    deps.turns.submit_command(
        ScopingCommand(
            team=team,
            channel=scoping.channel,
            user=user,
            text=scoping.text,
            response_url=scoping.response_url,
        )
    )
