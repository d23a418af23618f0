"""`/ftscope`: help and prices answered in the ack; a description starts a scoping thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot import render
from bot.blocks import tidy_lines
from bot.slack import ScopingCommand
from handlers.deps import deps_of
from handlers.text import HELP_WORDS, slack_text

COMMAND = "/ftscope"


def on_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    deps = deps_of(context)
    text = tidy_lines(slack_text(command.get("text") or ""))
    word = text.casefold()
    if word in HELP_WORDS:
        ack(response_type="ephemeral", text=render.help_text())
        return
    if word == "prices":
        ack(response_type="ephemeral", text=render.prices_reply(deps.prices()))
        return
    ack()
    deps.turns.submit_command(
        ScopingCommand(
            team=command["team_id"],
            channel=command["channel_id"],
            user=command["user_id"],
            text=text,
            response_url=command.get("response_url"),
        )
    )
