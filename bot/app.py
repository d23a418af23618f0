"""The Slack app: Bolt with our listeners, acking inside the request and working in the pool."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

import handlers
from handlers.deps import Deps


class _ClientTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does, on
    purpose (the client carries our base URL and retry handlers), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "token` will be unused" not in record.getMessage()


_CLIENT_TOKEN_NOTICE = _ClientTokenNotice()


def create_app(deps: Deps, client: WebClient, signing_secret: str | None) -> App:
    logging.getLogger("slack_bolt.App").addFilter(_CLIENT_TOKEN_NOTICE)
    app = App(
        client=client,
        signing_secret=signing_secret,
        # Listeners only ack and queue the turn, so they can run inside the request: the
        # response leaves as soon as they return, with no 10 ms polling of Bolt's ack thread.
        process_before_response=True,
        # A missing secret is an error in HTTP mode (build_slack_runtime checks); Socket Mode
        # has no signatures to verify.
        request_verification_enabled=signing_secret is not None,
        # auth.test runs on the first request instead of at start: a Slack outage while the
        # machine boots must not crash it (`ftscope doctor` proves the token works).
        token_verification_enabled=False,
    )
    handlers.register(app, deps)
    return app
