"""Each listener called directly, as Bolt calls it, with a recording fake in place of the bot."""

from typing import Any

import pytest
from slack_bolt import BoltContext

from bot.conversation import Turn
from bot.slack import ScopingCommand
from handlers.commands import on_command
from handlers.deps import CONTEXT_KEY, Deps
from handlers.mentions import on_mention
from handlers.messages import on_message


class RecordingTurns:
    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.commands: list[ScopingCommand] = []
        self.help: list[tuple[str, str]] = []

    def submit_turn(self, turn: Turn) -> None:
        self.turns.append(turn)

    def submit_command(self, command: ScopingCommand) -> None:
        self.commands.append(command)

    def submit_help(self, channel: str, thread_ts: str) -> None:
        self.help.append((channel, thread_ts))


class RecordingAck:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.fixture
def turns() -> RecordingTurns:
    return RecordingTurns()


@pytest.fixture
def context(turns, prices) -> BoltContext:
    deps = Deps(turns=turns, prices=lambda: prices)
    return BoltContext({"bot_user_id": "UBOT", "team_id": "T1", CONTEXT_KEY: deps})


def mention(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.1", "text": text} | extra


def test_a_mention_starts_a_turn_with_the_bots_mention_and_slacks_entities_taken_out(
    context, turns
):
    on_mention(mention("<@UBOT> route tickets &amp; tag them, &lt;100ms"), context)
    [turn] = turns.turns
    assert (turn.team, turn.channel, turn.thread_ts, turn.ts) == ("T1", "C1", "1.1", "1.1")
    assert turn.text == "route tickets & tag them, <100ms"
    assert turn.may_start


def test_a_mention_inside_a_thread_is_a_turn_of_that_thread(context, turns):
    on_mention(mention("<@UBOT> 15M a month", thread_ts="1.0"), context)
    assert turns.turns[0].thread_ts == "1.0"


@pytest.mark.parametrize("text", ["<@UBOT>", "<@UBOT|ftscope>  ", "<@UBOT> \u200b\u2060"])
def test_a_bare_mention_gets_help_not_a_scoping(context, turns, text):
    on_mention(mention(text), context)
    assert turns.help == [("C1", "1.1")] and turns.turns == []


@pytest.mark.parametrize(
    "extra",
    [{"bot_id": "B1"}, {"subtype": "message_changed"}, {"subtype": "channel_join"}],
    ids=["a-bot", "an-edit", "a-join"],
)
def test_mentions_that_are_not_a_persons_message_are_ignored(context, turns, extra):
    on_mention(mention("<@UBOT> hi", **extra), context)
    assert turns.turns == [] and turns.help == []


def test_a_reply_broadcast_to_the_channel_is_an_answer(context, turns):
    on_mention(mention("<@UBOT> 40k labeled", subtype="thread_broadcast", thread_ts="1.0"), context)
    assert len(turns.turns) == 1


def message(text: str, **extra: Any) -> dict[str, Any]:
    event = {"type": "message", "user": "U1", "channel": "C1", "ts": "1.2", "text": text}
    return event | extra


def test_a_thread_reply_continues_only_a_thread_the_bot_scopes(context, turns):
    on_message(message("about 40k labeled", thread_ts="1.0"), context)
    [turn] = turns.turns
    assert turn.thread_ts == "1.0" and not turn.may_start


def test_channel_chatter_outside_a_thread_is_ignored(context, turns):
    on_message(message("lunch?"), context)
    assert turns.turns == []


def test_a_thread_reply_that_mentions_the_bot_is_left_to_the_mention_listener(context, turns):
    on_message(message("<@UBOT> 40k labeled", thread_ts="1.0"), context)
    assert turns.turns == []


def test_a_direct_message_starts_a_scoping_of_its_own(context, turns):
    on_message(message("route tickets", channel="D1", channel_type="im"), context)
    [turn] = turns.turns
    assert turn.thread_ts == "1.2" and turn.may_start


@pytest.mark.parametrize(
    "event",
    [
        message("", thread_ts="1.0"),
        message("\u200b", thread_ts="1.0"),
        message("hi", thread_ts="1.0", bot_id="B1"),
        message("hi", thread_ts="1.0", subtype="message_deleted"),
        {"type": "message", "channel": "C1", "ts": "1.3", "thread_ts": "1.0", "text": "x"},
    ],
    ids=["empty", "invisible", "a-bot", "a-deletion", "no-user"],
)
def test_messages_with_nothing_to_read_are_ignored(context, turns, event):
    on_message(event, context)
    assert turns.turns == []


def command(text: str) -> dict[str, Any]:
    return {
        "command": "/ftscope",
        "text": text,
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "response_url": "https://hooks.example/1",
    }


@pytest.mark.parametrize("text", ["", "help", "  HELP ", "?"])
def test_ftscope_help_is_answered_in_the_ack(context, turns, text):
    ack = RecordingAck()
    on_command(ack, command(text), context)
    [answer] = ack.calls
    assert answer["response_type"] == "ephemeral" and "/ftscope" in answer["text"]
    assert turns.commands == []


def test_ftscope_prices_shows_the_sheet_in_use_in_the_ack(context, turns, prices):
    ack = RecordingAck()
    on_command(ack, command("prices"), context)
    [answer] = ack.calls
    assert answer["text"].startswith("```") and next(iter(prices.models)) in answer["text"]


def test_ftscope_with_a_description_acks_at_once_and_starts_a_thread(context, turns):
    ack = RecordingAck()
    on_command(ack, command("route   Acme's tickets &amp; tag them"), context)
    assert ack.calls == [{}]
    [started] = turns.commands
    assert started.text == "route Acme's tickets & tag them"
    assert (started.team, started.channel, started.user) == ("T1", "C1", "U1")
    assert started.response_url == "https://hooks.example/1"


def test_a_listener_without_its_dependencies_says_what_is_missing():
    with pytest.raises(LookupError, match=r"handlers\.register"):
        on_mention(mention("<@UBOT> hi"), BoltContext({"bot_user_id": "UBOT"}))


def test_slackbots_own_messages_never_start_a_scoping(context, turns):
    notice = message("You have been removed from #testing", channel="D1", channel_type="im")
    on_message(notice | {"user": "USLACKBOT"}, context)
    on_mention(mention("<@UBOT> hi", user="USLACKBOT"), context)
    assert turns.turns == [] and turns.help == []


@pytest.mark.parametrize("text", ["<@UBOT> help", "<@UBOT> HELP ", "<@UBOT> ?"])
def test_help_alone_after_a_mention_is_help(context, turns, text):
    on_mention(mention(text), context)
    assert turns.help == [("C1", "1.1")] and turns.turns == []


def test_help_alone_in_a_dm_is_help(context, turns):
    on_message(message("help", channel="D1", channel_type="im"), context)
    assert turns.help == [("D1", "1.2")] and turns.turns == []


def test_a_shared_message_is_read_with_where_it_came_from(context, turns):
    shared = {
        "is_share": True,
        "author_id": "U9",
        "text": "We route ~15M tickets a month into 40 queues &amp; need &lt;100ms",
        "fallback": "[December 6th] client: We route…",
    }
    on_mention(mention("<@UBOT> can you scope this one?", attachments=[shared]), context)
    [turn] = turns.turns
    assert turn.text == (
        "can you scope this one?\n\nShared message from <@U9>:\n"
        "We route ~15M tickets a month into 40 queues & need <100ms"
    )


def test_rich_text_is_read_when_the_message_has_no_plain_text(context, turns):
    blocks = [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "user", "user_id": "UBOT"},
                        {"type": "text", "text": " 15M tickets a month, "},
                        {"type": "text", "text": "40k labeled", "style": {"bold": True}},
                    ],
                }
            ],
        }
    ]
    on_mention(mention("", blocks=blocks), context)
    [turn] = turns.turns
    assert turn.text == "15M tickets a month, 40k labeled"
