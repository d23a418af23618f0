"""Everything the bot says in Slack: replies, help, a thread's parent message, reactions, hints.

Each call reports failure by its return value, never by raising: a post Slack refuses has the
user told why (ephemerally, or through a command's `response_url`), and the facts are already
saved by then.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

THINKING_REACTION = "eyes"
SLACK_TIMEOUT_S = 10
MAX_ALT_TEXT = 1000  # files.getUploadURLExternal refuses longer alt text (alt_txt_too_large)

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


def hint_for(error: SlackClientError | OSError) -> str:
    code = error.response.get("error") if isinstance(error, SlackApiError) else None
    return POST_HINTS.get(str(code), GENERIC_HINT.format(error=code or type(error).__name__))


class SlackPoster:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        # Reactions are cosmetic: never sit out a rate limit for one.
        self._reactions = WebClient(
            token=client.token, base_url=client.base_url, timeout=5, retry_handlers=[]
        )
        self._backoff_lock = threading.Lock()
        self._backoff_until = 0.0  # time.monotonic() until which cosmetic calls are skipped

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
        except (SlackClientError, OSError) as exc:
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
        except (SlackClientError, OSError) as exc:
            log.warning("message in %s/%s not posted: %s", channel, thread_ts, exc)
            return False
        return True

    def start_thread(self, channel: str, text: str, response_url: str | None) -> str | None:
        """The parent message of a new thread; its ts, or None (and the user told why)."""
        try:
            return self.post_parent(channel, text)
        except (SlackClientError, OSError) as exc:  # OSError: Slack's API unreachable
            log.warning("cannot start a thread in %s: %s", channel, exc)
            self.respond(response_url, hint_for(exc))
            return None

    def post_parent(self, channel: str, text: str) -> str:
        """Post the parent message of a new thread; its ts. Raises what the Web API raised
        (SlackClientError, or OSError when Slack's API couldn't be reached), for the caller to
        tell the user (bot/thread_starts.py)."""
        parent = self.client.chat_postMessage(
            channel=channel, text=text, unfurl_links=False, unfurl_media=False
        )
        return str(parent["ts"])

    def tell_user(self, channel: str, thread_ts: str | None, user: str, text: str) -> None:
        """An ephemeral note to the user, when the channel still lets us say that much."""
        try:
            self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, text=text
            )
        except (SlackClientError, OSError) as exc:
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
        if add and self.backing_off():
            return False  # nothing added, so nothing to take off either
        client = self._reactions
        call = client.reactions_add if add else client.reactions_remove
        try:
            call(channel=channel, timestamp=ts, name=THINKING_REACTION)
        except (SlackClientError, OSError) as exc:  # a missing reaction is cosmetic
            log.info("reactions.%s on %s/%s: %s", "add" if add else "remove", channel, ts, exc)
            return False
        return True

    # -- views, ephemeral blocks, files ------------------------------------------------------

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        """Open a modal for the click that sent `trigger_id` (valid for 3 s after the click)."""
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackClientError as exc:
            log.warning("views.open refused: %s", exc)
            return False
        return True

    def publish_home(self, user: str, view: dict[str, Any]) -> bool:
        """Show `view` as the user's Home tab of the app."""
        if self.backing_off():  # the Home tab is redrawn on the next visit anyway
            log.info("Home tab of %s not published: backing off a rate limit", user)
            return False
        try:
            self.client.views_publish(user_id=user, view=view)
        except SlackClientError as exc:
            log.warning("views.publish for %s refused: %s", user, exc)
            return False
        return True

    def ephemeral(
        self,
        channel: str,
        thread_ts: str | None,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
    ) -> bool:
        """A message in a thread that only `user` sees (a client summary to copy)."""
        try:
            self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, text=text, blocks=blocks
            )
        except SlackClientError as exc:
            log.warning("ephemeral message to %s in %s not posted: %s", user, channel, exc)
            return False
        return True

    def upload_png(
        self,
        channel: str,
        thread_ts: str | None,
        png: bytes,
        *,
        filename: str,
        title: str,
        alt_text: str,
    ) -> bool:
        """Share an image in a thread (files.getUploadURLExternal, the upload itself, then
        files.completeUploadExternal, which files_upload_v2 runs in turn)."""
        if self.backing_off():
            log.info("image for %s/%s not uploaded: backing off a rate limit", channel, thread_ts)
            return False
        try:
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                file=png,
                filename=filename,
                title=title,
                alt_txt=fit_alt_text(alt_text),
            )
        except (SlackClientError, OSError) as exc:
            log.warning("image for %s/%s not uploaded: %s", channel, thread_ts, exc)
            return False
        return True

    def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a message, or None if Slack won't give one."""
        try:
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except (SlackClientError, KeyError) as exc:
            log.info("no permalink for %s/%s: %s", channel, ts, exc)
            return None

    # -- Slack's app_rate_limited: fewer cosmetic calls for a while ----------------------

    def back_off(self, seconds: float) -> None:
        """Skip the calls that only decorate (reactions, status, charts, the Home tab) for
        `seconds`: replies still go out, and the Web API's own 429 handling paces them."""
        with self._backoff_lock:
            self._backoff_until = max(self._backoff_until, time.monotonic() + seconds)

    def backing_off(self) -> bool:
        with self._backoff_lock:
            return time.monotonic() < self._backoff_until


def fit_alt_text(text: str, limit: int = MAX_ALT_TEXT) -> str:
    """Alt text within Slack's limit, cut after a whole sentence where it can be."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit - 1)
    return text[: cut + 1] if cut > 0 else text[: limit - 1] + "…"
