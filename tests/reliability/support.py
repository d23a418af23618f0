"""What the reliability tests share: the scripted workload, Claude's replies, and the checks.

The fakes themselves (Slack, Claude, the bot behind its endpoint) are tests/fakes/'s.

Every check reads the two places a thread can be lost from: the database (through `bot.store`,
or row counts of every table) and what the fake Slack accepted.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx
from slack_sdk.models.blocks import Block
from sqlalchemy import func, select
from sqlmodel import SQLModel

from tests.fakes import claude_api
from tests.fakes.acme import ANSWER, FIRST, script_acme  # noqa: F401 - re-exported
from tests.fakes.claude_api import visible  # noqa: F401 - re-exported
from tests.fakes.harness import CHANNEL, USER
from tests.fakes.slack_api import TEAM_ID

# -- the workload every thread scopes ------------------------------------------------------

# FIRST and ANSWER decide acme.VERDICT; on the shipped sheet (the one these bots use) the same
# workload is "fine_tune" at 1.5B calls a month (at 150M it is still acme.VERDICT).
FIRST_FACTS = {
    "use_case": "Acme: support ticket routing",
    "task_type": "classification",
    "monthly_calls": 15_000_000,
}


# -- Claude -----------------------------------------------------------------------------------


def claude_message(text: str, stop_reason: str = "end_turn") -> httpx.Response:
    """A 200 from the Messages API whose text is `text` (valid JSON or not)."""
    return claude_api.message(text, stop_reason=stop_reason, message_id="msg_scripted")


claude_error = claude_api.error


# -- waiting ------------------------------------------------------------------------------


def poll(condition: Callable[[], object], timeout: float) -> bool:
    """Whether the condition came true within the timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def wait_for(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    assert poll(condition, timeout), f"timed out waiting for {what or condition}"


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on threads released together; their results in order."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        start.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# -- the database ------------------------------------------------------------------------------


def row_counts(store: Any) -> dict[str, int]:
    """Rows in every table of the schema: a request that stores nothing changes none."""
    counts = {}
    with store.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = connection.execute(select(func.count()).select_from(table)).one()[
                0
            ]
    return counts


def thread_of(bot: Any, thread_ts: str, channel: str = CHANNEL) -> Any:
    thread = bot.store.threads.find(TEAM_ID, channel, thread_ts)
    assert thread is not None, f"thread {thread_ts} is not in the database"
    return thread


def user_messages(bot: Any, thread_ts: str) -> list[Any]:
    thread = thread_of(bot, thread_ts)
    return [m for m in bot.store.threads.messages(thread.id) if m.role == "user"]


def unread(bot: Any, thread_ts: str) -> list[str]:
    """User messages stored but not yet read by the extractor (an outage's, a crash's): those
    after the last one it read, which the next turn reads together with its own message."""
    pending: list[str] = []
    for message in user_messages(bot, thread_ts):
        pending = [] if message.extraction is not None else [*pending, message.text]
    return pending


# -- what Slack received ---------------------------------------------------------------------


def posted_text(post: dict[str, Any]) -> str:
    return post.get("text", "") + "\n" + json.dumps(post.get("blocks", []), ensure_ascii=False)


def assert_valid_blocks(post: dict[str, Any]) -> None:
    """Blocks Slack would take: parsed and re-serialised by slack_sdk unchanged, in limits."""
    blocks = post.get("blocks")
    if blocks is None:
        assert post.get("text"), "a message with neither blocks nor text"
        return
    parsed = Block.parse_all(blocks)
    assert [b.to_dict() for b in parsed] == blocks
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


# Anything Slack turns into a ping, a channel link or a disguised link.
SPECIAL = re.compile(r"<\s*(?:[!@#]|https?:|mailto:)", re.IGNORECASE)
# The one ping the bot writes itself: the parent message of a /ftscope thread names its starter.
OWN_MENTION = f"started by <@{USER}>"


def assert_no_pings(posts: list[dict[str, Any]]) -> None:
    for post in posts:
        text = posted_text(post)
        if "thread_ts" not in post:
            text = text.replace(OWN_MENTION, "", 1)
        found = SPECIAL.findall(text)
        assert not found, f"raw Slack markup {found} in a posted message: {text[:500]}"
        for word in ("<!channel>", "<!here>", "<!everyone>"):
            assert word not in text


def assert_well_formed(posts: list[dict[str, Any]]) -> None:
    for post in posts:
        assert_valid_blocks(post)
    assert_no_pings(posts)


# -- raw requests -------------------------------------------------------------------------------


def raw_post(url: str, body: str, content_type: str, headers: dict[str, str]) -> int:
    """POST to the bot with exactly these headers (the harness always adds both Slack ones)."""
    request = urllib.request.Request(
        f"{url}/slack/events",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": content_type, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def one_slack(*bots: Any) -> None:
    """Bots that hear from one Slack workspace: one sequence of message ts and event ids (each
    harness Bot counts its own from 1, and two messages with one ts are one message)."""
    for bot in bots[1:]:
        bot._ts, bot._event = bots[0]._ts, bots[0]._event
