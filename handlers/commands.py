"""`/ftscope`: help and prices answered in the ack; a description starts a scoping thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import render
from bot.slack import ScopingCommand, SlackTurns
from handlers.events import slack_text

COMMAND = "/ftscope"
HELP_WORDS = frozenset({"", "help", "?", "-h", "--help"})


def register(app: App, turns: SlackTurns) -> None:
    @app.command(COMMAND)
    def scope(ack: Ack, command: dict[str, Any]) -> None:
        text = slack_text(command.get("text") or "").strip()
        word = text.casefold()
        if word in HELP_WORDS:
            ack(response_type="ephemeral", text=render.help_text())
            return
        if word == "prices":
            ack(response_type="ephemeral", text=render.prices_reply(turns.conversation.prices()))
            return
        ack()
        turns.submit_command(
            ScopingCommand(
                team=command["team_id"],
                channel=command["channel_id"],
                user=command["user_id"],
                text=text,
                response_url=command.get("response_url"),
            )
        )
