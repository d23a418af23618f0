"""The Slack app: Bolt with our listeners, acking inside the request and working in the pool."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

import handlers
from bot.slack_identity import SlackIdentity
from handlers.deps import Deps


class _ClientTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins, and that
    `authorize` supersedes the token; both on purpose (the client carries our base URL and
    retry handlers, `authorize` hands out the same token), so the warnings are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "token` will be unused" not in message and "will be ignored" not in message


_CLIENT_TOKEN_NOTICE = _ClientTokenNotice()


def create_app(deps: Deps, client: WebClient, signing_secret: str | None) -> App:
    logging.getLogger("slack_bolt.App").addFilter(_CLIENT_TOKEN_NOTICE)
    identity = SlackIdentity(client)
    app = App(
        client=client,
        signing_secret=signing_secret,
        # Listeners only ack and queue the turn, so they can run inside the request: the
        # response leaves as soon as they return, with no 10 ms polling of Bolt's ack thread.
        process_before_response=True,
        # A missing secret is an error in HTTP mode (build_slack_runtime checks); Socket Mode
        # has no signatures to verify.
        request_verification_enabled=signing_secret is not None,
        # No auth.test at start, nor on a request: a Slack outage must neither stop the
        # machine booting nor fail a request with HTTP 500 (bot/slack_identity.py). `ftscope
        # doctor` proves the token works.
        authorize=identity.bolt_authorize(),
        before_authorize=identity.remember_event_bot_user,
    )
    handlers.register(app, deps)
    return app
