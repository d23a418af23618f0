"""Everything the bot says in Slack: replies, help, a thread's parent message, reactions, hints.

Each call reports failure by its return value, never by raising: a post Slack refuses has the
user told why (ephemerally, or through a command's `response_url`), and the facts are already
saved by then.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

THINKING_REACTION = "eyes"
SLACK_TIMEOUT_S = 10

# What to tell the user (ephemerally) when Slack refuses a post, by Slack's error code.
POST_HINTS: dict[str, str] = {
    "not_in_channel": "I'm not in this channel yet. Add me with `/invite @ftscope`, then try "
    "again.",
    "channel_not_found": "I can't see this channel. For a private channel, add me with "
    "`/invite @ftscope` first, then try again.",
    "is_archived": "This channel is archived, so I can't post here. Try an active channel.",
    "restricted_action": "This workspace doesn't let me post in this channel. Ask an admin, or "
    "try another channel.",
    "ratelimited": "Slack is rate-limiting me right now. Everything you told me is saved: try "
    "again in a minute.",
}
GENERIC_HINT = "I couldn't post my reply ({error}). Everything you told me is saved: try again."


def make_web_client(token: str, base_url: str) -> WebClient:
    """A WebClient that waits out Slack's rate limits (Retry-After) and connection blips."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=SLACK_TIMEOUT_S,
        # Only rate limits are retried: a post whose connection dropped may have landed, and
        # posting it again would answer twice.
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )


def hint_for(error: SlackClientError) -> str:
    code = error.response.get("error") if isinstance(error, SlackApiError) else None
    return POST_HINTS.get(str(code), GENERIC_HINT.format(error=code or type(error).__name__))


class SlackPoster:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        # Reactions are cosmetic: never sit out a rate limit for one.
        self._reactions = WebClient(
            token=client.token, base_url=client.base_url, timeout=5, retry_handlers=[]
        )

    def reply(
        self,
        channel: str,
        thread_ts: str | None,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
    ) -> str | None:
        """Post a reply in a thread; its ts, or None (and the user told why) if Slack refused."""
        try:
            posted = self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackClientError as exc:
            log.warning("reply in %s/%s not posted: %s", channel, thread_ts, exc)
            self.tell_user(channel, thread_ts, user, hint_for(exc))
            return None
        return str(posted["ts"])

    def text(self, channel: str, thread_ts: str, text: str) -> bool:
        """A plain-text message in a thread (help, an apology): mrkdwn, no blocks."""
        try:
            self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text, mrkdwn=True
            )
        except SlackClientError as exc:
            log.warning("message in %s/%s not posted: %s", channel, thread_ts, exc)
            return False
        return True

    def start_thread(self, channel: str, text: str, response_url: str | None) -> str | None:
        """The parent message of a new thread; its ts, or None (and the user told why)."""
        try:
            parent = self.client.chat_postMessage(
                channel=channel, text=text, unfurl_links=False, unfurl_media=False
            )
        except SlackClientError as exc:
            log.warning("cannot start a thread in %s: %s", channel, exc)
            self.respond(response_url, hint_for(exc))
            return None
        return str(parent["ts"])

    def tell_user(self, channel: str, thread_ts: str, user: str, text: str) -> None:
        """An ephemeral note to the user, when the channel still lets us say that much."""
        try:
            self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, text=text
            )
        except SlackClientError as exc:
            log.info("ephemeral hint to %s not posted either: %s", user, exc)

    def respond(self, response_url: str | None, text: str) -> None:
        """An ephemeral answer to a slash command, through its `response_url`."""
        if not response_url:
            return
        try:
            WebhookClient(response_url, timeout=SLACK_TIMEOUT_S).send(
                text=text, response_type="ephemeral"
            )
        except (SlackClientError, OSError) as exc:
            log.warning("response_url refused the hint: %s", exc)

    def react(self, add: bool, channel: str, ts: str) -> bool:
        """Put the "thinking" reaction on a message, or take it off; whether Slack did."""
        client = self._reactions
        call = client.reactions_add if add else client.reactions_remove
        try:
            call(channel=channel, timestamp=ts, name=THINKING_REACTION)
        except SlackClientError as exc:  # a missing reaction is cosmetic
            log.info("reactions.%s on %s/%s: %s", "add" if add else "remove", channel, ts, exc)
            return False
        return True
