"""Bolt's `authorize` from memory (bot/slack_identity.py), against the fake Slack Web API."""

from __future__ import annotations

import socket
import time

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.slack_identity import EVENT_BOT_USER, SlackIdentity
from tests.fakes import harness
from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, TEAM_ID

TOKEN = "xoxb-test-token"
slack = harness.fake_slack  # the fixture: the fake Slack Web API, running


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


def identity_at(url: str, retry_s: float = 30.0) -> SlackIdentity:
    return SlackIdentity(WebClient(token=TOKEN, base_url=url), retry_s=retry_s)


def authorize(identity: SlackIdentity, **context: str) -> object:
    return identity.bolt_authorize()(
        context=BoltContext(context), enterprise_id=None, team_id="T9", user_id="U1"
    )


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_before_slack_answers_a_request_is_authorized_with_the_token_and_the_events_bot_id():
    identity = identity_at(dead_url())
    started = time.perf_counter()
    result = authorize(identity, **{EVENT_BOT_USER: "UFROMEVENT"})
    assert time.perf_counter() - started < 0.5  # never waits on Slack
    assert result.bot_token == TOKEN and result.bot_user_id == "UFROMEVENT"
    assert (result.team_id, result.user_id, result.bot_id) == ("T9", "U1", None)
    wait_for(lambda: not identity._asking)  # the background auth.test failed
    assert identity.known is None


def test_once_auth_test_answers_requests_carry_the_bot_ids_and_it_is_asked_no_more(slack):
    identity = identity_at(slack.url)
    authorize(identity)  # asks in the background
    wait_for(lambda: identity.known is not None)
    result = authorize(identity)
    assert (result.bot_user_id, result.bot_id, result.team_id) == (BOT_USER_ID, BOT_ID, TEAM_ID)
    assert result.user_id == "U1" and result.bot_token == TOKEN
    for _ in range(3):
        authorize(identity)
    time.sleep(0.05)
    assert len(slack.calls_to("auth.test")) == 1


def test_a_token_slack_refuses_gets_no_authorization_and_is_asked_about_again_later(slack):
    slack.fail("auth.test", "token_revoked")
    identity = identity_at(slack.url, retry_s=0.05)
    assert identity.learn() is None
    assert authorize(identity) is None  # Bolt: "installation no longer available"
    time.sleep(0.06)
    authorize(identity)  # asks again: the fake answers now
    wait_for(lambda: identity.known is not None)
    assert authorize(identity).bot_user_id == BOT_USER_ID


def test_a_slack_error_that_is_not_about_the_token_keeps_requests_going(slack):
    slack.fail("auth.test", "internal_error")
    identity = identity_at(slack.url)
    assert identity.learn() is None
    assert authorize(identity).bot_token == TOKEN


def test_the_bot_user_id_of_an_event_is_remembered_for_authorize():
    context = BoltContext()
    called = []
    body = {"authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]}
    SlackIdentity.remember_event_bot_user(body, context, lambda: called.append(True))
    assert context[EVENT_BOT_USER] == BOT_USER_ID and called == [True]
    other = BoltContext()
    SlackIdentity.remember_event_bot_user({"command": "/ftscope"}, other, lambda: None)
    assert EVENT_BOT_USER not in other
