"""How soon a click on *Adjust numbers* opens its form while Claude is busy on other threads.

A `trigger_id` expires 3 s after the click, so the bot must call `views.open` well inside that
however busy its turn workers are. The bot is `ftscope serve` in a process of its own against
the local fakes (Slack's Web API in this process, Claude over loopback, taking
`--claude-latency` seconds a call, 2.0 by default). 50 scoping threads with a verdict are
stored first. Then, per round: `--load` new scoping threads (mentions) keep every turn worker
waiting on Claude, and once the workers are busy, `--users` signed clicks on those verdicts'
*Adjust numbers* start together (a barrier). The figure is the time from sending a click to the
fake Slack receiving that click's `views.open` (matched by its trigger_id).

Run: python benchmarks/bench_adjust_click.py [--users 50] [--rounds 3] [--load 24]
         [--workers 8] [--claude-latency 2.0] [--postgres URL]
Target (the interactive-verdicts issue): views.open within 1 s of the click at p99.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not installed

from _bot import running_bot, signed, status_of
from bench_slack_ack import (
    CHANNEL,
    extraction_reply,
    percentile,
    postgres_database,
    sqlite_database,
)

from bot.buttons import ADJUST, VerdictRef, fingerprint
from bot.conversation import Conversation
from bot.storage import Store, create_schema, make_engine
from knowledge import load_assumptions, load_price_sheet
from tests.fakes.acme import FACTS
from tests.fakes.claude_api import FakeClaude
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack, trigger_id
from tests.fakes.threads import start_thread

TARGET_MS = 1000
TRIGGER_TTL_MS = 3000


def seed_verdicts(database_url: str, count: int) -> list[str]:
    """`count` scoping threads with a verdict: each one's Adjust numbers button value."""
    engine = make_engine(database_url)
    create_schema(engine)
    store = Store(engine)
    prices = load_price_sheet()
    conversation = Conversation(store, object(), lambda: prices, load_assumptions())
    values = []
    for n in range(count):
        thread_ts = f"1700000000.{n:06d}"
        start_thread(store, TEAM_ID, CHANNEL, thread_ts, f"U{n:04d}")
        outcome = conversation.amend(TEAM_ID, CHANNEL, thread_ts, FACTS, said="the benchmark")
        assert outcome.decision is not None
        ref = VerdictRef(TEAM_ID, CHANNEL, thread_ts, fingerprint(outcome.decision))
        values.append(ref.value)
    engine.dispose()
    return values


def post(url: str, body: str, content_type: str) -> tuple[int, float]:
    request = signed(url, body, content_type)
    started = time.perf_counter()
    status = status_of(request)
    return status, (time.perf_counter() - started) * 1000


def click_body(value: str, trigger: str, user: str, n: int) -> str:
    thread_ts = json.loads(value)["thread_ts"]
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0FTSCOPE",
        "trigger_id": trigger,
        "container": {
            "type": "message",
            "message_ts": f"1700000001.{n:06d}",
            "channel_id": CHANNEL,
            "thread_ts": thread_ts,
        },
        "channel": {"id": CHANNEL},
        "actions": [
            {
                "type": "button",
                "action_id": ADJUST,
                "value": value,
                "text": {"type": "plain_text", "text": "Adjust numbers"},
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def mention_body(n: int, round_: int) -> str:
    ts = f"1800000{round_:03d}.{n:06d}"
    event = {
        "type": "app_mention",
        "user": f"ULOAD{n}",
        "ts": ts,
        "event_ts": ts,
        "channel": CHANNEL,
        "text": f"<@{BOT_USER_ID}> Load Co {n} wants ticket routing",
    }
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "api_app_id": "A0FTSCOPE",
            "event_id": f"EvLOAD{round_}x{n}",
            "event_time": int(time.time()),
            "event": event,
        }
    )


def one_round(
    url: str, slack: FakeSlack, claude: FakeClaude, values: list[str], *, args: Any, round_: int
) -> dict[str, Any]:
    busy_before = len(claude.arrived)
    for n in range(args.load):  # the turn workers all wait on Claude from here on
        post(url, mention_body(n, round_), "application/json")
    deadline = time.monotonic() + 10
    while len(claude.arrived) - busy_before < min(args.workers, args.load):
        assert time.monotonic() < deadline, "the load never reached Claude"
        time.sleep(0.01)
    barrier = threading.Barrier(args.users)
    sent: dict[str, float] = {}
    acks: list[tuple[int, float]] = []
    lock = threading.Lock()

    def click(n: int) -> None:
        value = values[n % len(values)]
        barrier.wait()
        trigger = trigger_id(round_ * 1000 + n)
        body = click_body(value, trigger, f"UCLICK{n}", n)
        with lock:
            sent[trigger] = time.monotonic()
        answer = post(url, body, "application/x-www-form-urlencoded")
        with lock:
            acks.append(answer)

    claude_calls_at_click = len(claude.arrived)
    threads = [threading.Thread(target=click, args=(n,)) for n in range(args.users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 10
    while True:
        opened = {c.params.get("trigger_id"): c for c in slack.calls_to("views.open")}
        if all(t in opened for t in sent) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    latencies = [(opened[t].at - at) * 1000 for t, at in sent.items() if t in opened]
    expired = sum(1 for t in sent if t in opened and not opened[t].ok)
    in_flight = len(claude.arrived) - len(claude.served)
    return {
        "latencies": latencies,
        "missing": len(sent) - len(latencies),
        "expired": expired,
        "acks": acks,
        "claude_busy": claude_calls_at_click - busy_before,
        "claude_in_flight_after": in_flight,
    }


def run(database_url: str, args: Any) -> dict[str, Any]:
    values = seed_verdicts(database_url, args.users)
    slack = FakeSlack().start()
    claude = FakeClaude(extraction_reply, args.claude_latency).start()
    try:
        with (
            tempfile.TemporaryDirectory() as log_dir,
            running_bot(slack, claude, database_url, args.workers, Path(log_dir)) as bot,
        ):
            # warm-up (excluded): imports, the first form built, connection pools
            post(
                bot.url,
                click_body(values[0], trigger_id(999_999), "UWARM", 0),
                "application/x-www-form-urlencoded",
            )
            time.sleep(1.0)
            rounds = [
                one_round(bot.url, slack, claude, values, args=args, round_=r + 1)
                for r in range(args.rounds)
            ]
    finally:
        slack.stop()
        claude.stop()
    return {
        "latencies": [ms for r in rounds for ms in r["latencies"]],
        "acks": [a for r in rounds for a in r["acks"]],
        "missing": sum(r["missing"] for r in rounds),
        "expired": sum(r["expired"] for r in rounds),
        "claude_busy": [r["claude_busy"] for r in rounds],
    }


def report(name: str, result: dict[str, Any], args: Any) -> bool:
    ms = result["latencies"]
    acks = [a for _, a in result["acks"]]
    non_200 = sum(1 for status, _ in result["acks"] if status != 200)
    p99 = percentile(ms, 0.99) if ms else float("inf")
    print(
        f"{name}: views.open after the click p50 {percentile(ms, 0.5):.0f} ms, "
        f"p95 {percentile(ms, 0.95):.0f} ms, p99 {p99:.0f} ms, max {max(ms):.0f} ms "
        f"({len(ms)} clicks in {args.rounds} rounds of {args.users})"
    )
    print(
        f"{' ' * len(name)}  ack p50 {percentile(acks, 0.5):.0f} ms, p99 "
        f"{percentile(acks, 0.99):.0f} ms; non-200: {non_200}; views.open missing: "
        f"{result['missing']}, expired triggers: {result['expired']}; Claude calls in flight "
        f"when the clicks started: {result['claude_busy']} (each {args.claude_latency:g} s)"
    )
    return p99 <= TARGET_MS and not result["missing"] and not result["expired"] and not non_200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load", type=int, default=24, help="Claude turns started per round")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--claude-latency", type=float, default=2.0)
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL too")
    args = parser.parse_args()
    ok = True
    with sqlite_database() as url:
        ok &= report("SQLite", run(url, args), args)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            ok &= report("PostgreSQL", run(url, args), args)
    print(
        f"target: p99 under {TARGET_MS} ms (a trigger_id lasts {TRIGGER_TTL_MS} ms):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
