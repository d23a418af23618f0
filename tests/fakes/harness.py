"""The bot behind its real HTTP endpoint, as the handler and reliability suites run it: uvicorn
on a loopback port, signed Slack requests, the fake Slack Web API (tests/fakes/slack_api.py) and
the fake Claude (tests/fakes/claude_api.py) behind pytest-httpx2.

The fixtures (`fake_slack`, `claude`, `start_bot`) are imported by each suite's conftest."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from bot.runtime import SlackRuntime, build_slack_runtime
from bot.server import asgi_app
from bot.settings import Settings
from bot.storage import create_schema, make_engine
from tests.fakes.claude_api import FakeClaude
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack, trigger_id

SIGNING_SECRET = "test-signing-secret"
CLAUDE_API = "https://api.anthropic.test"
CHANNEL = "C0SALES"
USER = "U0SAM"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def claude(httpx2_mock: Any) -> FakeClaude:
    """The fake Claude behind the bot's ANTHROPIC_BASE_URL."""
    fake = FakeClaude()
    httpx2_mock.post(f"{CLAUDE_API}/v1/messages").mock(side_effect=fake)
    return fake


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_request(
    url: str,
    body: str,
    content_type: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> urllib.request.Request:
    """A POST to the bot's `/slack/events` as Slack sends it: signed with `secret` at
    `timestamp` (now by default), or carrying `signature` instead."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return urllib.request.Request(
        f"{url}/slack/events",
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or sign(body, timestamp, secret),
            **(headers or {}),
        },
    )


@dataclass
class Answer:
    status: int
    body: str
    elapsed_ms: float

    def json(self) -> Any:
        return json.loads(self.body)


class Bot:
    """The running bot, and the ways Slack talks to it."""

    def __init__(self, runtime: SlackRuntime, url: str, slack: FakeSlack) -> None:
        self.runtime = runtime
        self.url = url
        self.slack = slack
        self._ts = iter(range(1, 10_000))
        self._event = iter(range(1, 10_000))

    @property
    def store(self) -> Any:
        return self.runtime.store

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        request = slack_request(
            self.url, body, content_type, timestamp=timestamp, signature=signature, headers=headers
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        return Answer(status, text, (time.perf_counter() - started) * 1000)

    def command(self, text: str, user: str = USER, channel: str = CHANNEL, **kw: Any) -> Answer:
        form = {
            "token": "unused",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "sales",
            "user_id": user,
            "user_name": "sam",
            "command": "/ftscope",
            "text": text,
            "api_app_id": "A0FTSCOPE",
            "response_url": self.slack.response_url(),
            "trigger_id": f"trigger.{next(self._event)}",
        }
        return self.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded", **kw)

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
        **kw: Any,
    ) -> Answer:
        payload = {
            "token": "unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0FTSCOPE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._event):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        headers = kw.pop("headers", {})
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(payload), "application/json", headers=headers, **kw)

    def mention(
        self,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        channel: str = CHANNEL,
        user: str = USER,
    ) -> tuple[str, dict[str, Any]]:
        return self._message_event(
            "app_mention",
            f"<@{BOT_USER_ID}> {text}",
            ts=ts,
            thread_ts=thread_ts,
            channel=channel,
            user=user,
        )

    def message(
        self,
        text: str,
        *,
        thread_ts: str | None,
        ts: str | None = None,
        channel: str = CHANNEL,
        user: str = USER,
        channel_type: str = "channel",
        **extra: Any,
    ) -> tuple[str, dict[str, Any]]:
        return self._message_event(
            "message",
            text,
            ts=ts,
            thread_ts=thread_ts,
            channel=channel,
            user=user,
            channel_type=channel_type,
            **extra,
        )

    def mention_in_thread(self, text: str, thread_ts: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A mention of the bot in a thread, as Slack delivers it: twice, as an `app_mention`
        event and as a `message` event of the same message (one ts)."""
        ts, as_mention = self.mention(text, thread_ts=thread_ts)
        _, as_message = self.message(as_mention["text"], thread_ts=thread_ts, ts=ts)
        return as_mention, as_message

    def _message_event(
        self,
        kind: str,
        text: str,
        *,
        ts: str | None,
        thread_ts: str | None,
        channel: str,
        user: str,
        **fields: Any,
    ) -> tuple[str, dict[str, Any]]:
        """A message event of this type (a new ts unless given), in `thread_ts`'s thread if
        that is given; its ts, and the event."""
        ts = ts or self.next_ts()
        event = {
            "type": kind,
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            **fields,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, event

    def say(self, text: str, thread_ts: str) -> str:
        """A human reply in a thread, delivered the way Slack does, and waited for."""
        ts, event = self.message(text, thread_ts=thread_ts)
        assert self.event(event).status == 200
        self.wait()
        return ts

    def open_thread(self, text: str) -> str:
        """A mention that opens a thread, delivered the way Slack does, and waited for; the
        thread's ts."""
        ts, event = self.mention(text)
        assert self.event(event).status == 200
        self.wait()
        return ts

    def wait(self) -> None:
        assert self.runtime.wait_idle(timeout=30), "turns or clicks still running after 30 s"

    # -- interactivity: buttons, modals, the Home tab, the assistant pane ---------------------

    def trigger(self) -> str:
        """A trigger_id as Slack sends with a click: good for 3 s (the fake checks)."""
        return trigger_id(next(self._event))

    def interactive(self, payload: dict[str, Any], **kw: Any) -> Answer:
        """An interactive payload, form-encoded as Slack sends it (`payload=<json>`)."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def interaction(
        self, kind: str, user: str = USER, trigger: str | None = None, **fields: Any
    ) -> Answer:
        """An interactive payload of type `kind` from `user` in the fake workspace, with a
        fresh trigger_id unless `trigger` is given, and these other fields."""
        return self.interactive(
            {
                "type": kind,
                "team": {"id": TEAM_ID, "domain": "fake"},
                "user": {"id": user, "username": "sam", "team_id": TEAM_ID},
                "api_app_id": "A0FTSCOPE",
                "trigger_id": trigger or self.trigger(),
                **fields,
            }
        )

    def click(
        self,
        button: dict[str, Any],
        *,
        message_ts: str,
        thread_ts: str,
        user: str = USER,
        channel: str = CHANNEL,
        trigger: str | None = None,
    ) -> Answer:
        """A click on a button (a block element, as the bot posted it) of a message."""
        return self.interaction(
            "block_actions",
            user,
            trigger,
            container={
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
                "thread_ts": thread_ts,
            },
            channel={"id": channel, "name": "sales"},
            message={"type": "message", "ts": message_ts, "thread_ts": thread_ts},
            actions=[
                {
                    "type": "button",
                    "block_id": "b",
                    "action_id": button["action_id"],
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        )

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        user: str = USER,
        response_urls: list[dict[str, Any]] | None = None,
    ) -> Answer:
        """A modal submitted with these input values (`state.values`, as `filled` builds)."""
        return self.interaction(
            "view_submission",
            user,
            view={"id": "V0FAKE", **view, "state": {"values": values}},
            response_urls=response_urls or [],
        )

    def home_opened(self, user: str = USER, tab: str = "home") -> Answer:
        return self.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0HOME",
                "tab": tab,
                "event_ts": self.next_ts(),
            }
        )

    def assistant_thread_started(self, thread_ts: str, channel: str = "D0PANE") -> Answer:
        return self.event(
            {
                "type": "assistant_thread_started",
                "assistant_thread": {
                    "user_id": USER,
                    "context": {"channel_id": CHANNEL, "team_id": TEAM_ID},
                    "channel_id": channel,
                    "thread_ts": thread_ts,
                },
                "event_ts": self.next_ts(),
            }
        )


def button_of(post: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The button with this action_id in a posted message."""
    for block in post.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in the message")


def filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A modal's `state.values` as Slack sends them when the user submits it: every input as
    it opened, with `changes` by block_id (a number input's text, a model id for a select, a
    list of values for checkboxes, a channel id for a conversations select, None to empty)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        kind, action = element["type"], element["action_id"]
        given = changes.get(block_id, ...)
        if kind in ("number_input", "plain_text_input"):
            value = element.get("initial_value") if given is ... else given
            state = {"type": kind, "value": value}
        elif kind == "static_select":
            chosen = (
                element.get("initial_option")
                if given is ...
                else next(o for o in element["options"] if o["value"] == given)
            )
            state = {"type": kind, "selected_option": chosen}
        elif kind == "checkboxes":
            ticked = (
                element.get("initial_options", [])
                if given is ...
                else [o for o in element["options"] if o["value"] in given]
            )
            state = {"type": kind, "selected_options": ticked}
        elif kind == "conversations_select":
            state = {"type": kind, "selected_conversation": None if given is ... else given}
        else:
            raise AssertionError(f"filled() doesn't know {kind} inputs")
        values[block_id] = {action: state}
    return values


def bot_settings(fake_slack: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake_slack.url,
        "anthropic_api_key": "sk-ant-test",
        "anthropic_base_url": CLAUDE_API,
        "claude_timeout_s": 5,
        "database_url": database_url,
        "workers": 4,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def start_bot(fake_slack: FakeSlack, database_url: str) -> Iterator[Callable[..., Bot]]:
    """Start a bot process (as many as a test needs: a restart is a second one)."""
    servers: list[tuple[uvicorn.Server, threading.Thread, SlackRuntime]] = []

    migrated = make_engine(database_url)
    create_schema(migrated)  # as `ftscope db upgrade` does before a deploy starts the bot
    migrated.dispose()

    def start(**overrides: Any) -> Bot:
        runtime = build_slack_runtime(
            bot_settings(fake_slack, database_url, **overrides), socket_mode=False
        )
        config = uvicorn.Config(
            asgi_app(runtime), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        servers.append((server, thread, runtime))
        return Bot(runtime, f"http://127.0.0.1:{port}", fake_slack)

    yield start
    for server, thread, runtime in servers:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.store.engine.dispose()


def stop(bot: Bot) -> None:
    """Stop a bot the way SIGTERM would: finish in-flight turns, close the database."""
    bot.wait()
    bot.runtime.stop()
    bot.runtime.store.engine.dispose()
