"""The Slack app manifest asks for exactly what the code uses."""

from pathlib import Path

import yaml

from bot.interactive import SUGGESTED_PROMPTS
from bot.server import EVENTS_PATH
from bot.slack_poster import THINKING_REACTION
from handlers.commands import COMMAND
from handlers.lifecycle import LIFECYCLE_EVENTS

MANIFEST = yaml.safe_load((Path(__file__).parents[1] / "manifest.yml").read_text())


def test_the_command_and_every_url_point_at_the_events_endpoint():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == COMMAND
    settings = MANIFEST["settings"]
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)


def test_events_and_scopes_match_the_listeners_and_calls():
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "app_home_opened",  # the Home tab
        "assistant_thread_started",  # the assistant pane
        "assistant_thread_context_changed",
        *LIFECYCLE_EVENTS,  # app_uninstalled, tokens_revoked
    }
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {
        "app_mentions:read",  # app_mention
        "channels:history",  # message.channels
        "groups:history",  # message.groups
        "im:history",  # message.im (and the assistant pane's messages)
        "chat:write",  # chat.postMessage, chat.postEphemeral
        "commands",  # /ftscope
        "reactions:write",  # the thinking reaction
        "files:write",  # the breakeven chart (files_upload_v2)
        "assistant:write",  # assistant.threads.setStatus / setTitle / setSuggestedPrompts
    }
    assert scopes == needed
    assert THINKING_REACTION == "eyes"
    assert "chat:write.public" not in scopes  # posts only where invited


def test_buttons_modals_the_home_tab_and_the_assistant_pane_are_on():
    features = MANIFEST["features"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    pane = features["assistant_view"]
    assert pane["assistant_description"]
    # the pane's first prompts are the ones the bot suggests in each new thread
    assert pane["suggested_prompts"] == SUGGESTED_PROMPTS


def test_dms_are_open_and_socket_mode_is_off_by_default():
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert MANIFEST["settings"]["socket_mode_enabled"] is False
