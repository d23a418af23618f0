"""Ack latency of `/ftscope` under 50 concurrent commands, and the time until every thread has
its reply, through the real HTTP endpoint.

The bot is `ftscope serve` in a process of its own (uvicorn on a loopback port), as in
production, with the Slack Web API faked by `tests.fakes.slack_api.FakeSlack` and Claude by
`tests.fakes.claude_api.FakeClaude` on a loopback port, which takes `--claude-latency` seconds
per request (2.0 by default) and answers a real extraction (task type and monthly volume), so
each reply is a real question in the thread. N signed slash commands start together (a barrier),
each from its own thread.

What the figures mean:
- ack: the time until Slack gets its HTTP 200. The handler verifies the signature, acks and
  queues the turn; nothing waits on Claude, Slack or the database, so it does not depend on
  Claude's latency or the pool size. Slack gives up after 3 s; the target is p99 under 150 ms.
- all replies: the turns run on a bounded pool (FTSCOPE_WORKERS, default 64), each holding a
  worker for one Claude call, so N turns take about ceil(N / workers) × latency, plus the
  Slack posts and the database: with 64 workers and 2 s, 50 turns are one round, and the
  target is all 50 replies within 4 s (with the old default of 8 workers: ceil(50/8) × 2 s =
  14 s).

Before the measured burst, an uncounted warm-up burst of the same size opens what a burst opens
(the database pool's connections, the turn workers' threads, the HTTP connections to Slack and
Claude), as in a bot that has served a while. `--cold` warms up with one command instead: the
first burst after a start, which opens all of those while the acks are being answered. Cold,
the figures vary from run to run: on PostgreSQL here (2 cores, the database, the fakes and the
bot on them) ack p99 was under 120 ms in 5 runs of 10 and 150-950 ms in the others; opening
the database pool at start made no difference (2 of 5 still above 600 ms), so it is not the
new PostgreSQL connections alone.

The fakes and the 50 sender threads share this script's process; the bot's own CPU work
(Slack posts, database, building the Claude request: some 30 ms a turn) runs in the bot's
process while the acks are answered, as it would in production. Both share this machine's two
cores, so the figures are pessimistic next to a bot talking to remote Slack and Claude.

Run: python benchmarks/bench_slack_ack.py [--concurrency 50] [--workers 64]
         [--claude-latency 2.0] [--postgres | --both] [--cold]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not installed

from _bot import fakes, signed, status_of
from _bot import running_bot as serve
from sqlalchemy import text

from bot import render
from bot.settings import Settings, normalize_database_url
from bot.storage import Store, UsageTotals, make_engine
from tests.fakes.claude_api import FakeClaude
from tests.fakes.slack_api import TEAM_ID, FakeSlack

CHANNEL = "C0SALES"
SEND_TIMEOUT_S = 30.0  # the urllib timeout of a send is shorter: every sender is done by then
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_WORKERS = int(Settings.model_fields["workers"].default)
ACK_P99_TARGET_MS = 150
# All replies within twice Claude's latency (4 s at 2 s): one round of Claude calls, and as long
# again for the rest (parents, the database, the replies' posts).
ALL_REPLIES_TARGET_LATENCIES = 2


def extraction_reply(_body: dict[str, Any]) -> dict[str, Any]:
    return {
        "updates": [
            {"field": "task_type", "value": "classification", "quote": "ticket routing"},
            {"field": "monthly_calls", "value": "15000000", "quote": "~15M tickets/mo"},
        ],
        "question": "Has anyone tried a well-prompted frontier model on this, and how many "
        "labeled examples of correct routing exist?",
    }


def with_param(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={urllib.parse.quote(value)}"


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_database(base: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards; every pooled connection lands in it."""
    schema = f"ftscope_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(with_param(base, "connect_timeout", "5"))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield with_param(base, "options", f"-csearch_path={schema}")
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@dataclass(frozen=True)
class Ack:
    status: int
    ms: float
    error: str | None = None


def command_request(
    bot_url: str, response_url: str, user: str, description: str
) -> urllib.request.Request:
    """A signed `/ftscope <description>` as Slack sends it (signed now: valid for 5 minutes)."""
    form = {
        "token": "unused",
        "team_id": TEAM_ID,
        "team_domain": "bench",
        "channel_id": CHANNEL,
        "channel_name": "sales",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/ftscope",
        "text": description,
        "api_app_id": "A0FTSCOPE",
        "response_url": response_url,
        "trigger_id": f"trigger.{user}",
    }
    return signed(bot_url, urllib.parse.urlencode(form), "application/x-www-form-urlencoded")


def send(request: urllib.request.Request) -> Ack:
    started = time.perf_counter()
    try:
        status = status_of(request)
    except OSError as exc:
        return Ack(0, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")
    return Ack(status, (time.perf_counter() - started) * 1000)


@contextmanager
def running_bot(
    slack: FakeSlack, claude: FakeClaude, database_url: str, workers: int
) -> Iterator[tuple[Store, str]]:
    """`ftscope serve` in a process of its own, as in production; yields its store and URL."""
    with (
        tempfile.TemporaryDirectory() as log_dir,
        serve(slack, claude, database_url, workers, Path(log_dir)) as bot,
    ):
        store = Store(make_engine(database_url))
        try:
            yield store, bot.url
        finally:
            store.engine.dispose()


def parents_and_replies(slack: FakeSlack) -> tuple[dict[str, str], dict[str, str]]:
    """Parent messages (ts → text) and the first reply in each thread (thread_ts → text)."""
    parents: dict[str, str] = {}
    replies: dict[str, str] = {}
    for call in slack.calls_to("chat.postMessage"):
        if not call.ok:
            continue
        if call.params.get("thread_ts"):
            replies.setdefault(str(call.params["thread_ts"]), str(call.params.get("text", "")))
        else:
            parents[str(call.response["ts"])] = str(call.params.get("text", ""))
    return parents, replies


@dataclass
class Timeline:
    """Seconds from the first send until Slack saw the parent messages and the replies."""

    first_parent_s: float | None = None
    all_parents_s: float | None = None
    first_reply_s: float | None = None
    all_replies_s: float | None = None
    replies: dict[str, str] = field(default_factory=dict)


def wait_for_replies(slack: FakeSlack, marker: str, expected: int, timeout: float) -> Timeline:
    """Poll the fake Slack until `expected` threads whose parent names `marker` have a reply
    (or the timeout passes)."""
    start = time.perf_counter()
    seen = Timeline()
    while True:
        parents, replies = parents_and_replies(slack)
        ours = [ts for ts, t in parents.items() if marker in t]
        seen.replies = {ts: replies[ts] for ts in ours if ts in replies}
        elapsed = time.perf_counter() - start
        if ours and seen.first_parent_s is None:
            seen.first_parent_s = elapsed
        if len(ours) >= expected and seen.all_parents_s is None:
            seen.all_parents_s = elapsed
        if seen.replies and seen.first_reply_s is None:
            seen.first_reply_s = elapsed
        if len(seen.replies) >= expected:
            seen.all_replies_s = elapsed
            return seen
        if elapsed > timeout:
            return seen
        time.sleep(0.005)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def reply_kind(reply: str) -> str:
    if reply.startswith("To decide I still need"):
        return "question"
    if reply == render.INTERNAL_ERROR_TEXT:
        return "internal error"
    if reply.startswith("I couldn't reach Claude"):
        return "outage"
    return "other"


@dataclass(frozen=True)
class Result:
    acks: list[Ack]
    timeline: Timeline
    claude_requests: int
    slack_refusals: int
    usage: UsageTotals


def burst(
    url: str, response_url: str, n: int, name: str, sending: threading.Event | None = None
) -> list[Ack]:
    """`n` signed `/ftscope` commands sent at once (a barrier), each from its own thread, for
    workloads "<name> 0" to "<name> n-1"; their acks. `sending` is set as they are sent."""
    barrier = threading.Barrier(n + 1, timeout=10)
    acks: list[Ack] = []
    lock = threading.Lock()
    requests = [
        command_request(
            url, response_url, f"U{name[:3]}{i:04d}", f"{name} {i} wants ticket routing, ~15M/mo"
        )
        for i in range(n)
    ]

    def fire(i: int) -> None:
        barrier.wait()
        ack = send(requests[i])
        with lock:
            acks.append(ack)

    threads = [threading.Thread(target=fire, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()  # everyone sends from here: the clock starts with the first send
    if sending is not None:
        sending.set()
    deadline = time.monotonic() + SEND_TIMEOUT_S
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    with lock:
        return list(acks)


def run(database_url: str, n: int, workers: int, latency: float, *, cold: bool) -> Result:
    with (
        fakes(extraction_reply, latency) as (slack, claude),
        running_bot(slack, claude, database_url, workers) as (store, url),
    ):
        response_url = slack.response_url("bench")
        # Warm-up (excluded): imports, the first prompt cache write, and, unless `cold`, a
        # burst as large as the measured one, which opens what a burst opens (the database
        # pool's connections, each a new PostgreSQL backend; the turn workers' threads; the
        # HTTP connections to Slack and Claude) as a bot that has served a while has them.
        warm = burst(url, response_url, 1 if cold else n, "Warm-up")
        if any(a.status != 200 for a in warm):
            raise RuntimeError(f"a warm-up command got HTTP {[a.status for a in warm]}")
        if (
            wait_for_replies(slack, "Warm-up", len(warm), timeout=latency + 30).all_replies_s
            is None
        ):
            raise RuntimeError("the warm-up commands got no reply in their threads")
        served_before = len(claude.served)
        since = datetime.now(UTC)

        acks: list[Ack] = []
        sending = threading.Event()
        sender = threading.Thread(
            target=lambda: acks.extend(burst(url, response_url, n, "Acme", sending)), daemon=True
        )
        sender.start()
        if not sending.wait(timeout=30):
            raise RuntimeError("the senders did not start within 30 s")
        limit = math.ceil(n / workers) * latency + 30
        timeline = wait_for_replies(slack, "Acme ", n, timeout=limit)  # from the first send
        sender.join(timeout=SEND_TIMEOUT_S + 5)
        time.sleep(0.5)  # the last turns record their usage after posting
        usage = store.usage.between(since, datetime.now(UTC) + timedelta(minutes=1))
        refusals = sum(1 for c in slack.calls if not c.ok)
        served = len(claude.served) - served_before
    acks += [Ack(0, math.nan, "no answer from the sender thread")] * (n - len(acks))
    return Result(acks, timeline, served, refusals, usage)


def seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "NOT within the time limit"


def report(database: str, n: int, workers: int, latency: float, r: Result, *, cold: bool) -> None:
    times = [a.ms for a in r.acks if a.status != 0]
    non_200 = sum(1 for a in r.acks if a.status != 200)
    errors = sorted({a.error for a in r.acks if a.error})
    kinds: dict[str, int] = {}
    for reply in r.timeline.replies.values():
        kinds[reply_kind(reply)] = kinds.get(reply_kind(reply), 0) + 1
    expected = math.ceil(n / workers) * latency
    warmed = "first burst after start" if cold else f"after a warm-up burst of {n}"
    print(
        f"{database}: {n} concurrent /ftscope, {workers} workers, Claude {latency:g} s a request, "
        f"{warmed}"
    )
    if times:
        p99 = percentile(times, 0.99)
        verdict = "ok" if p99 < ACK_P99_TARGET_MS and not non_200 else "ABOVE TARGET"
        print(
            f"  ack: p50 {percentile(times, 0.50):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, "
            f"p99 {p99:.0f} ms, max {max(times):.0f} ms; non-200: {non_200} "
            f"[{verdict}: p99 under {ACK_P99_TARGET_MS} ms, all 200]"
        )
    else:
        print(f"  ack: no answers; non-200: {non_200}")
    t = r.timeline
    print(
        f"  parent messages: first after {seconds(t.first_parent_s)}, all {n} after "
        f"{seconds(t.all_parents_s)}"
    )
    target_s = ALL_REPLIES_TARGET_LATENCIES * latency
    in_time = t.all_replies_s is not None and t.all_replies_s <= target_s
    print(
        f"  replies: {len(t.replies)}/{n} threads answered; first after "
        f"{seconds(t.first_reply_s)}, all after {seconds(t.all_replies_s)} "
        f"(ceil({n}/{workers}) × {latency:g} s = {expected:g} s) "
        f"[{'ok' if in_time else 'ABOVE TARGET'}: all within {target_s:g} s]"
    )
    print(
        f"  reply kinds: {kinds}; Claude requests: {r.claude_requests}; Slack calls refused: "
        f"{r.slack_refusals}; errors: {'; '.join(errors) or 'none'}"
    )
    u = r.usage
    print(
        f"  Claude bill of the {u.calls} turns: {u.cache_read_input_tokens:,} cache-read, "
        f"{u.cache_creation_input_tokens:,} cache-write, {u.input_tokens:,} input, "
        f"{u.output_tokens:,} output tokens (len/4 estimates), ${u.cost_usd:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--claude-latency", type=float, default=2.0)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    which.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="warm up with one command, not a burst: the first burst after the bot started",
    )
    args = parser.parse_args()

    databases: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = []
    if not args.postgres:
        databases.append(("SQLite", sqlite_database))
    if args.postgres or args.both:
        url = normalize_database_url(args.postgres_url)
        databases.append(("PostgreSQL", lambda: postgres_database(url)))
    for number, (name, database) in enumerate(databases):
        if number:
            print()
        with database() as database_url:
            result = run(
                database_url, args.concurrency, args.workers, args.claude_latency, cold=args.cold
            )
        report(name, args.concurrency, args.workers, args.claude_latency, result, cold=args.cold)


if __name__ == "__main__":
    main()
