"""Requests Slack didn't sign, or signed too long ago, are refused before anything happens.

Each forgery goes to one bot as an event and as a `/ftscope` command: the answer is 401, no
table of the database gains a row, Slack and Claude are not called. Then the genuine request
for the same message is answered once: the forgery claimed nothing that would make the bot
skip it.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable

import pytest

from tests.fakes.harness import CHANNEL, SIGNING_SECRET, USER, sign
from tests.fakes.slack_api import TEAM_ID
from tests.reliability.support import FIRST, raw_post, row_counts, script_acme

pytestmark = pytest.mark.httpx2(assert_all_called=False)

STALE_S = 5 * 60  # Slack's window: a request older (or newer) than this is a replay


def signed(body: str, ts: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(body, ts, secret)}


# Each: the headers a forger sends for `body`, at `now`.
FORGERIES: dict[str, Callable[[str, int], dict[str, str]]] = {
    "zero-signature": lambda body, now: {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": "v0=" + "0" * 64,
    },
    "garbage-signature": lambda body, now: {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": "definitely not a signature",
    },
    "signature-of-another-body": lambda body, now: {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": sign(body.replace("Acme", "Evil"), now),
    },
    "wrong-secret": lambda body, now: signed(body, now, secret="not-the-signing-secret"),
    "wrong-version": lambda body, now: {
        **signed(body, now),
        "X-Slack-Signature": sign(body, now).replace("v0=", "v1="),
    },
    "timestamp-not-the-signed-one": lambda body, now: {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": sign(body, now - 1),
    },
    "missing-signature": lambda body, now: {"X-Slack-Request-Timestamp": str(now)},
    "missing-timestamp": lambda body, now: {"X-Slack-Signature": sign(body, now)},
    "missing-both": lambda body, now: {},
    "stale-by-10-minutes": lambda body, now: signed(body, now - 2 * STALE_S),
    "stale-by-1-second": lambda body, now: signed(body, now - STALE_S - 1),
    # The future side of the window: a margin so a slow request can't slip back inside it.
    "future-by-6-minutes": lambda body, now: signed(body, now + STALE_S + 60),
}


def event_body(event: dict) -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "api_app_id": "A0FTSCOPE",
            "event_id": "Ev0FORGED",
            "event_time": int(time.time()),
            "event": event,
        }
    )


def command_body(bot) -> str:
    return urllib.parse.urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": CHANNEL,
            "user_id": USER,
            "command": "/ftscope",
            "text": FIRST,
            "response_url": bot.slack.response_url(),
            "trigger_id": "trigger.forged",
        }
    )


def test_forged_and_replayed_requests_are_refused_and_change_nothing(start_bot, claude):
    bot = start_bot()
    script_acme(claude)
    ts, event = bot.mention(FIRST)
    bodies = {
        "event": (event_body(event), "application/json"),
        "command": (command_body(bot), "application/x-www-form-urlencoded"),
    }
    before_rows, before_calls = row_counts(bot.store), len(bot.slack.calls)

    for forgery, forge in FORGERIES.items():
        for kind, (body, content_type) in bodies.items():
            status = raw_post(bot.url, body, content_type, forge(body, int(time.time())))
            assert status == 401, f"{forgery} {kind}: answered {status}"
        bot.wait()
        assert row_counts(bot.store) == before_rows, f"{forgery}: a row was stored"
        assert len(bot.slack.calls) == before_calls, f"{forgery}: Slack was called"
        assert claude.requests == [], f"{forgery}: Claude was called"

    # The genuine delivery of the same message is answered, once: no forgery claimed it.
    assert bot.event(event, event_id="Ev0FORGED").status == 200
    bot.wait()
    assert len(bot.slack.replies_in(ts)) == 1
    assert bot.store.threads.find(TEAM_ID, CHANNEL, ts).facts["monthly_calls"] == 15_000_000


def test_a_timestamp_that_is_not_a_number_is_refused_with_401(start_bot, claude):
    bot = start_bot()
    _, event = bot.mention(FIRST)
    body = event_body(event)
    before = row_counts(bot.store)
    status = raw_post(
        bot.url,
        body,
        "application/json",
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": sign(body, "soon")},
    )
    bot.wait()
    assert row_counts(bot.store) == before and claude.requests == []
    assert status == 401
