"""Sustained scoping turns per second through the real HTTP endpoint, until the bot saturates.

Loopback only and bounded. The bot is `ftscope serve` in a process of its own (uvicorn on a
loopback port), with the Slack Web API faked by `tests.fakes.slack_api.FakeSlack` (which notes
when each post arrives) and Claude by `tests.fakes.claude_api.FakeClaude` on a loopback port,
which takes `--claude-latency` seconds a request (1.5 by default) and answers a real extraction
of the scripted message, so every reply is a real question or verdict. FTSCOPE_WORKERS is
`--workers` (the settings' default unless given); FTSCOPE_CLAUDE_TIMEOUT_S is left at its
default. Each database gets a fresh bot: SQLite in a temporary folder, PostgreSQL in a fresh
schema dropped at the end.

1. Setup: K scoping threads (`--threads`, 200) are started by signed `app_mention` events, and
   each thread's first reply is awaited. Setup runs with Claude at 0.05 s (it is not measured,
   and at full latency it alone would take K / (workers / latency) seconds).
2. Load: for each offered rate (`--rates`, turns/s) an open-loop generator sends, for
   `--duration` seconds, signed Events API `message` events with `thread_ts`: a human's reply
   in one of the K threads, round-robin, so a thread's turns (answered in order, one at a time)
   are far apart and don't serialize the load. Sends run on a thread pool so a slow ack never
   delays the next send; each request's ack latency and status are recorded.
3. Drain: after the sends, up to `--drain` seconds (the Claude timeout + 5 s: a turn answers
   within its budget or says it is busy) for every acked turn of the step to get its reply.

The replies of a thread arrive in the order of its turns, so the n-th reply in a thread is the
n-th turn's. Per step:
- ack/s, ack p50/p99/max, non-200: what Slack would see (it gives up after 3 s);
- answered / busy / errors / missing: the step's turns by reply. "busy" is the bot shedding
  load ("I'm answering a lot of threads right now": the turn waited so long for a worker that
  less than the minimum Claude call was left of its budget); "errors" are "I couldn't reach
  Claude" and internal errors; "missing" got no reply within the drain window;
- reply p50/p99: from send to the reply's arrival at the fake Slack (answered turns only);
- done/s: the rate at which the step's answers arrived (the least-squares slope of their
  count over time). A bot that keeps up answers at the offered rate; a saturated one at about
  workers / latency turns a second (in bursts of W every L seconds, which the slope averages
  and a count in a fixed window would not), whatever is offered, or, with enough workers, at
  what its one process's CPU allows;
- bot CPU: the bot process's CPU time over the step (sends + drain), in % of one core.

The rate stops increasing once the bot saturates: done/s below 90% of the offered rate, ack p99
over 1 s, busy replies, or errors. Defaults take about two minutes for both databases,
`--quick` about one.

The target: at least 25 turns a second sustained (not saturated at 25/s offered) on both
databases, nothing lost.

Run: python benchmarks/bench_load.py [--database sqlite|postgres|both] [--workers 64]
         [--claude-latency 1.5] [--rates 5,10,20,25,30,40] [--duration 10] [--threads 200]
         [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not installed

from _bot import Bot, fakes, running_bot, signed, status_of
from bench_slack_ack import (
    CHANNEL,
    DEFAULT_POSTGRES_URL,
    percentile,
    postgres_database,
    sqlite_database,
)
from sqlalchemy import text

from bot.settings import Settings, normalize_database_url
from bot.storage import make_engine
from tests.fakes.claude_api import FakeClaude, newest_user_text
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlack

DEFAULT_WORKERS = int(Settings.model_fields["workers"].default)
DEFAULT_CLAUDE_TIMEOUT_S = float(Settings.model_fields["claude_timeout_s"].default)
SETUP_LATENCY_S = 0.05
TARGET_TURNS_S = 25.0  # sustained, on SQLite and PostgreSQL, with Claude at 1.5 s
SENDERS = 64  # the generator's pool: enough that slow acks never hold back the next send

BUSY_PREFIX = "I'm answering a lot of threads"
OUTAGE_PREFIX = "I couldn't reach Claude"
INTERNAL_ERROR_PREFIX = "Something went wrong on my side"

# -- the conversation: what the salespeople write, and what "Claude" extracts from it ---------

SETUP_TEXT = "Acme {n} wants to fine-tune for support ticket routing, ~15M tickets/mo"
FOLLOW_UPS = (
    "we ran haiku 4.5, 91% vs their 93% bar. they have ~40k labeled. ~600 tokens in, 10 out, "
    "450 of it is the instructions",
    "actually it's 2M a month, not 15M",
    "sorry, my mistake: back to 15M a month",
    "no latency requirement really, it's a nightly batch",
)


def _u(name: str, value: str, quote: str) -> dict[str, str]:
    return {"field": name, "value": value, "quote": quote}


# Marker (a phrase of the message) → the updates a good extraction finds in it.
EXTRACTIONS: dict[str, list[dict[str, str]]] = {
    "support ticket routing": [
        _u("use_case", "Acme: support ticket routing", "support ticket routing"),
        _u("request", "other", "wants to fine-tune"),
        _u("task_type", "classification", "ticket routing"),
        _u("monthly_calls", "15000000", "~15M tickets/mo"),
    ],
    "we ran haiku 4.5": [
        _u("frontier_model", "claude-haiku-4-5", "haiku 4.5"),
        _u("baseline_measured", "true", "we ran haiku 4.5"),
        _u("baseline_quality", "0.91", "91%"),
        _u("target_quality", "0.93", "93% bar"),
        _u("labeled_examples", "40000", "~40k labeled"),
        _u("input_tokens", "600", "~600 tokens in"),
        _u("output_tokens", "10", "10 out"),
        _u("cached_prefix_tokens", "450", "450 of it is the instructions"),
    ],
    "2M a month": [_u("monthly_calls", "2000000", "2M a month")],
    "back to 15M a month": [_u("monthly_calls", "15000000", "15M a month")],
    "nightly batch": [_u("on_device", "false", "nightly batch")],
}


def extraction_reply(body: dict[str, Any]) -> dict[str, Any]:
    """The extraction of the newest message (or of several, after an unanswered one)."""
    newest = newest_user_text(body)
    updates = [u for marker, us in EXTRACTIONS.items() if marker in newest for u in us]
    question = (
        "Has anyone measured a prompted frontier model on this, and how many labeled examples "
        "of correct routing exist?"
        if "support ticket routing" in newest
        else ""
    )
    return {"updates": updates, "question": question}


# -- the fake Slack, with arrival times -------------------------------------------------------


@dataclass(frozen=True)
class Post:
    at: float  # time.monotonic() when the fake Slack received it
    thread_ts: str | None
    text: str


def replies_by_thread(slack: FakeSlack) -> dict[str, list[Post]]:
    """Every chat.postMessage in a thread, with when the fake Slack received it."""
    by_thread: dict[str, list[Post]] = {}
    for call in slack.calls_to("chat.postMessage"):
        thread_ts = call.params.get("thread_ts")
        if thread_ts:
            post = Post(call.at, str(thread_ts), str(call.params.get("text", "")))
            by_thread.setdefault(str(thread_ts), []).append(post)
    return by_thread


def reply_kind(reply: str) -> str:
    if reply.startswith(BUSY_PREFIX):
        return "busy"
    if reply.startswith((OUTAGE_PREFIX, INTERNAL_ERROR_PREFIX)):
        return "error"
    return "answered"


# -- Slack's side: signed Events API requests -------------------------------------------------


def event_request(bot_url: str, event: dict[str, Any]) -> urllib.request.Request:
    """A signed Events API callback, as Slack sends it (signed now: valid for 5 minutes)."""
    envelope = {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0FTSCOPE",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:16].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return signed(bot_url, json.dumps(envelope), "application/json")


def mention_event(ts: str, user: str, words: str) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {words}",
        "ts": ts,
        "channel": CHANNEL,
        "event_ts": ts,
    }


def thread_reply_event(ts: str, thread_ts: str, user: str, words: str) -> dict[str, Any]:
    return {
        "type": "message",
        "user": user,
        "text": words,
        "ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": user,
        "channel": CHANNEL,
        "channel_type": "channel",
        "event_ts": ts,
    }


@dataclass
class Sent:
    """One turn the generator sent: when it was due, when it left, and Slack's view of it."""

    thread_ts: str
    step: int  # -1: the setup mention
    due: float
    sent_at: float = 0.0
    status: int = 0
    ack_ms: float = 0.0
    acked_at: float = 0.0
    error: str | None = None


def post(request: urllib.request.Request, record: Sent) -> None:
    record.sent_at = time.monotonic()
    try:
        record.status = status_of(request)
    except OSError as exc:
        record.status = 0
        record.error = f"{type(exc).__name__}: {exc}"
    record.acked_at = time.monotonic()
    record.ack_ms = (record.acked_at - record.sent_at) * 1000


# -- the bot in its own process ---------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- one database ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    rates: list[float]
    duration: float
    threads: int
    workers: int | None
    latency: float
    drain: float


@dataclass
class Step:
    rate: float
    sent: list[Sent]
    started: float
    sends_ended: float
    finished: float
    gen_lag_ms: float
    bot_cpu_pct: float | None
    bench_cpu_pct: float
    # Filled from the matching of replies to turns:
    answered_at: list[float] = field(default_factory=list)
    busy_s: list[float] = field(default_factory=list)  # send → busy reply, seconds
    errors: int = 0
    missing: int = 0
    reply_s: list[float] = field(default_factory=list)
    saturated_by: list[str] = field(default_factory=list)

    @property
    def acked(self) -> list[Sent]:
        return [s for s in self.sent if s.status == 200]

    @property
    def ack_ms(self) -> list[float]:
        return [s.ack_ms for s in self.sent if s.status != 0]

    @property
    def non_200(self) -> int:
        return sum(1 for s in self.sent if s.status != 200)

    @property
    def ack_rate(self) -> float:
        acked = self.acked
        if not acked:
            return 0.0
        return len(acked) / max(max(s.acked_at for s in acked) - self.started, 1e-9)

    @property
    def busy(self) -> int:
        return len(self.busy_s)

    @property
    def answered(self) -> int:
        return len(self.answered_at)

    @property
    def done_rate(self) -> float:
        """Answers a second: the least-squares slope of the count of answers over their arrival
        times. A saturated bot answers in bursts (W answers every L seconds), which a count in
        a fixed window would over- or under-count by up to a burst; the slope averages them."""
        times = sorted(self.answered_at)
        if len(times) < 2:
            return 0.0
        mean_t = sum(times) / len(times)
        mean_n = (len(times) - 1) / 2
        var = sum((t - mean_t) ** 2 for t in times)
        cov = sum((t - mean_t) * (n - mean_n) for n, t in enumerate(times))
        return cov / var if var > 0 else 0.0


@dataclass
class DatabaseRun:
    name: str
    setup_s: float
    setup_kinds: Counter[str]
    steps: list[Step]
    bot: Bot
    stored: dict[str, int]
    expected: dict[str, int]
    stderr: str


def match_replies(slack: FakeSlack, sent: list[Sent]) -> dict[int, Post]:
    """The reply of each acked turn (by index in `sent`): a thread's n-th reply is its n-th
    acked turn's, as a thread's turns are answered one at a time, in order."""
    by_thread = replies_by_thread(slack)
    turns: dict[str, list[int]] = {}
    for index, s in enumerate(sent):
        if s.status == 200:
            turns.setdefault(s.thread_ts, []).append(index)
    matched: dict[int, Post] = {}
    for thread_ts, indices in turns.items():
        for index, reply in zip(indices, by_thread.get(thread_ts, []), strict=False):
            matched[index] = reply
    return matched


def wait_for_replies(
    slack: FakeSlack, sent: list[Sent], indices: range, deadline: float
) -> dict[int, Post]:
    while True:
        matched = match_replies(slack, sent)
        pending = [i for i in indices if sent[i].status == 200 and i not in matched]
        if not pending or time.monotonic() > deadline:
            return matched
        time.sleep(0.05)


class LoadRun:
    """One database's run: the bot, the fakes, every turn sent, and the steps measured."""

    def __init__(self, bot: Bot, slack: FakeSlack, claude: FakeClaude, opts: Options) -> None:
        self.bot = bot
        self.slack = slack
        self.claude = claude
        self.opts = opts
        self.sent: list[Sent] = []
        self.threads: list[str] = []
        self.steps: list[Step] = []
        self._ts = itertools.count(1)
        self._robin = itertools.count()
        self._follow_ups: Counter[int] = Counter()  # follow-ups sent so far, by thread
        self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="bench-send")

    def close(self) -> None:
        self._senders.shutdown(wait=True, cancel_futures=True)

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"  # never one of the fake Slack's own ts

    def setup(self) -> tuple[float, Counter[str]]:
        """K threads started by @mentions, at most 2 × workers unanswered at a time."""
        window = 2 * (self.opts.workers or DEFAULT_WORKERS)
        started = time.monotonic()
        futures: list[Future[None]] = []
        for n in range(self.opts.threads):
            while len(self.sent) - len(match_replies(self.slack, self.sent)) >= window:
                if time.monotonic() - started > 120:
                    raise RuntimeError("setup stalled: the threads' first replies stopped coming")
                time.sleep(0.01)
            ts = self.next_ts()
            self.threads.append(ts)
            record = Sent(ts, -1, time.monotonic())
            self.sent.append(record)
            event = mention_event(ts, f"U{n % 50:04d}", SETUP_TEXT.format(n=n))
            futures.append(self._senders.submit(post, event_request(self.bot.url, event), record))
        for future in futures:
            future.result()
        failed = [s for s in self.sent if s.status != 200]
        if failed:
            raise RuntimeError(f"{len(failed)} setup mentions not acked, e.g. {failed[0]}")
        everything = range(len(self.sent))
        matched = wait_for_replies(self.slack, self.sent, everything, time.monotonic() + 60)
        kinds = Counter(reply_kind(p.text) for p in matched.values())
        if len(matched) < self.opts.threads:
            raise RuntimeError(f"setup: only {len(matched)}/{self.opts.threads} threads answered")
        return time.monotonic() - started, kinds

    def step(self, number: int, rate: float) -> Step:
        """Offer `rate` turns/s for the step's duration, then wait out the replies."""
        opts = self.opts
        n = max(1, round(rate * opts.duration))
        first = len(self.sent)
        bot_cpu0, bench_cpu0 = cpu_seconds(self.bot.process.pid), time.process_time()
        started = time.monotonic() + 0.05
        futures = []
        for i in range(n):
            k = next(self._robin) % opts.threads
            record = Sent(self.threads[k], number, started + i / rate)
            self.sent.append(record)
            words = FOLLOW_UPS[self._follow_ups[k] % len(FOLLOW_UPS)]
            self._follow_ups[k] += 1
            event = thread_reply_event(self.next_ts(), record.thread_ts, f"U{k % 50:04d}", words)
            request = event_request(self.bot.url, event)
            delay = record.due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(self._senders.submit(post, request, record))
        for future in futures:
            future.result()
        sends_ended = started + n / rate
        indices = range(first, len(self.sent))
        deadline = max(time.monotonic(), sends_ended) + opts.drain
        matched = wait_for_replies(self.slack, self.sent, indices, deadline)
        finished = time.monotonic()
        bot_cpu1 = cpu_seconds(self.bot.process.pid)
        elapsed = finished - started
        step = Step(
            rate=rate,
            sent=self.sent[first:],
            started=started,
            sends_ended=sends_ended,
            finished=finished,
            gen_lag_ms=max((self.sent[i].sent_at - self.sent[i].due) * 1000 for i in indices),
            bot_cpu_pct=None
            if bot_cpu0 is None or bot_cpu1 is None
            else 100 * (bot_cpu1 - bot_cpu0) / elapsed,
            bench_cpu_pct=100 * (time.process_time() - bench_cpu0) / elapsed,
        )
        for i in indices:
            if self.sent[i].status != 200:
                continue
            reply = matched.get(i)
            kind = reply_kind(reply.text) if reply else "missing"
            if reply is not None and kind == "answered":
                step.answered_at.append(reply.at)
                step.reply_s.append(reply.at - self.sent[i].sent_at)
            elif reply is not None and kind == "busy":
                step.busy_s.append(reply.at - self.sent[i].sent_at)
            elif kind == "error":
                step.errors += 1
            else:
                step.missing += 1
        step.saturated_by = saturation(step)
        return step


def run_database(name: str, database_url: str, opts: Options, log_dir: Path) -> DatabaseRun:
    with (
        fakes(extraction_reply, SETUP_LATENCY_S) as (slack, claude),
        running_bot(slack, claude, database_url, opts.workers, log_dir) as bot,
    ):
        run = LoadRun(bot, slack, claude, opts)
        try:
            setup_s, setup_kinds = run.setup()
            claude.latency_s = opts.latency
            for number, rate in enumerate(opts.rates):
                step = run.step(number, rate)
                run.steps.append(step)
                print_step(step, opts, header=number == 0)
                if step.saturated_by:
                    break
            time.sleep(0.5)  # the last replies' usage records and reaction removals
        finally:
            run.close()
    stored, expected = integrity(database_url, run.sent, slack, opts.threads)
    stderr = bot.stderr_path.read_text()
    return DatabaseRun(name, setup_s, setup_kinds, run.steps, bot, stored, expected, stderr)


def saturation(step: Step) -> list[str]:
    reasons = []
    done = step.done_rate
    if done < 0.9 * step.rate:
        reasons.append(f"done/s {done:.1f} < 90% of offered {step.rate:g}/s")
    times = step.ack_ms
    if times and percentile(times, 0.99) > 1000:
        reasons.append(f"ack p99 {percentile(times, 0.99):.0f} ms > 1 s")
    if step.busy:
        reasons.append(f"{step.busy} busy replies")
    if step.errors or step.non_200 or step.missing:
        reasons.append(
            f"{step.errors} error replies, {step.non_200} non-200 acks, {step.missing} missing"
        )
    return reasons


def integrity(
    database_url: str, sent: list[Sent], slack: FakeSlack, threads: int
) -> tuple[dict[str, int], dict[str, int]]:
    """What the database holds after the bot stopped, next to what it should hold."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = {
                "threads": conn.execute(text("SELECT count(*) FROM scoping_threads")).scalar_one(),
                "user messages": conn.execute(
                    text("SELECT count(*) FROM thread_messages WHERE role = 'user'")
                ).scalar_one(),
                "bot replies": conn.execute(
                    text("SELECT count(*) FROM thread_messages WHERE role = 'bot'")
                ).scalar_one(),
            }
    finally:
        engine.dispose()
    posts = [p for ps in replies_by_thread(slack).values() for p in ps]
    expected = {
        "threads": threads,
        "user messages": sum(1 for s in sent if s.status == 200),
        # Internal errors are posted as plain text, not stored as the thread's replies.
        "bot replies": sum(1 for p in posts if not p.text.startswith(INTERNAL_ERROR_PREFIX)),
    }
    return stored, expected


# -- output ------------------------------------------------------------------------------------

COLUMNS = (
    f"{'offered/s':>9} {'sent':>5} {'ack/s':>6} {'ack p50':>7} {'p99':>5} {'max ms':>6} "
    f"{'non200':>6} {'answered':>8} {'busy':>5} {'err':>4} {'miss':>4} {'reply p50':>9} "
    f"{'p99 s':>6} {'done/s':>6} {'bot CPU':>7}"
)


def print_step(step: Step, opts: Options, header: bool) -> None:
    if header:
        print(COLUMNS)
    times = step.ack_ms
    ack = (
        f"{percentile(times, 0.5):7.0f} {percentile(times, 0.99):5.0f} {max(times):6.0f}"
        if times
        else f"{'-':>7} {'-':>5} {'-':>6}"
    )
    replies = (
        f"{percentile(step.reply_s, 0.5):9.2f} {percentile(step.reply_s, 0.99):6.2f}"
        if step.reply_s
        else f"{'-':>9} {'-':>6}"
    )
    cpu = f"{step.bot_cpu_pct:6.0f}%" if step.bot_cpu_pct is not None else f"{'-':>7}"
    print(
        f"{step.rate:9g} {len(step.sent):5d} {step.ack_rate:6.1f} {ack} {step.non_200:6d} "
        f"{step.answered:8d} {step.busy:5d} {step.errors:4d} {step.missing:4d} {replies} "
        f"{step.done_rate:6.1f} {cpu}",
        flush=True,
    )
    notes = []
    if step.gen_lag_ms > 50:
        notes.append(f"generator fell behind by up to {step.gen_lag_ms:.0f} ms")
    drain = step.finished - step.sends_ended
    if drain > opts.latency + 1:
        notes.append(f"drain {drain:.1f} s")
    if step.busy_s:
        notes.append(
            f"busy replies after p50 {percentile(step.busy_s, 0.5):.1f} s, "
            f"max {max(step.busy_s):.1f} s"
        )
    notes.append(f"bench CPU {step.bench_cpu_pct:.0f}%")
    if step.saturated_by:
        notes.append("SATURATED: " + "; ".join(step.saturated_by))
    print(f"{'':9} ({', '.join(notes)})", flush=True)


LOG_LINE = re.compile(r"^\S+ \S+ (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<message>.*)$")


def parse_log_line(line: str) -> dict[str, Any] | None:
    """A log record from the bot's stderr: a JSON line, or `time LEVEL logger: message`."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            return None
        return record if isinstance(record, dict) and "level" in record else None
    found = LOG_LINE.match(line)
    return found.groupdict() if found else None


def shape(text: str, width: int = 110) -> str:
    return re.sub(r"\d+(\.\d+)?", "N", text)[:width]


def summarize_stderr(stderr: str) -> list[str]:
    """Log records by level, the warnings and errors by shape (numbers elided), other lines,
    and the bot's own per-turn records (`"event": "turn"`) of the load turns."""
    levels: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    other: Counter[str] = Counter()
    turns: list[dict[str, Any]] = []
    tracebacks = 0
    for line in stderr.splitlines():
        record = parse_log_line(line)
        if record is not None:
            level = str(record["level"]).upper()
            levels[level] += 1
            if level in ("WARNING", "ERROR", "CRITICAL"):
                shapes[f"{level} {record.get('logger')}: {shape(str(record.get('message')))}"] += 1
            if record.get("exc_info") or record.get("exception"):
                tracebacks += 1
            # The setup mentions start their threads (message ts = thread ts): not load turns.
            if record.get("event") == "turn" and record.get("message_ts") != record.get(
                "thread_ts"
            ):
                turns.append(record)
        elif line.startswith("Traceback"):
            tracebacks += 1
        elif line.strip() and not line.startswith((" ", "\t")):
            other[shape(line)] += 1
    lines = [
        "bot stderr: "
        + (", ".join(f"{n} {level}" for level, n in levels.most_common()) or "no log records")
        + (f", {tracebacks} tracebacks" if tracebacks else "")
    ]
    lines += [f"  {n:5d} × {text}" for text, n in shapes.most_common(8)]
    if len(shapes) > 8:
        lines.append(f"  ... and {len(shapes) - 8} other warning/error shapes")
    lines += [f"  {n:5d} × (not a log record) {text}" for text, n in other.most_common(4)]
    if turns:
        kinds = Counter(str(t.get("reply")) for t in turns)
        unposted = sum(1 for t in turns if t.get("posted") is False)
        latency = [float(t["latency_ms"]) for t in turns if t.get("latency_ms") is not None]
        claude = [float(t["claude_ms"]) for t in turns if t.get("claude_ms") is not None]
        figures = [f"{len(turns)} load turns {dict(kinds)}"]
        if latency:
            figures.append(
                f"turn latency p50 {percentile(latency, 0.5):.0f} / p99 "
                f"{percentile(latency, 0.99):.0f} ms"
            )
        if claude:
            figures.append(
                f"Claude p50 {percentile(claude, 0.5):.0f} / p99 {percentile(claude, 0.99):.0f} ms"
            )
        if unposted:
            figures.append(f"{unposted} not posted")
        lines.append("bot's turn records: " + ", ".join(figures))
    return lines


def report(run: DatabaseRun, opts: Options, workers: int) -> str:
    capacity = workers / opts.latency
    print(
        f"  setup: {opts.threads} threads answered in {run.setup_s:.1f} s "
        f"({dict(run.setup_kinds)}, Claude at {SETUP_LATENCY_S:g} s)"
    )
    bot = run.bot
    # uvicorn re-raises SIGTERM once its graceful shutdown is done: -15 is a clean exit.
    graceful = "Finished server process" in run.stderr
    stop = (
        f"killed after {bot.stop_s:.1f} s"
        if bot.killed
        else f"stopped on SIGTERM in {bot.stop_s:.1f} s, exit code {bot.exit_code}, "
        + ("graceful shutdown completed" if graceful else "NO graceful shutdown in its log")
    )
    print(f"  bot: {stop}")
    mismatched = {k: (run.stored[k], v) for k, v in run.expected.items() if run.stored[k] != v}
    stored = ", ".join(f"{v} {k}" for k, v in run.stored.items())
    print(
        f"  stored: {stored}"
        + (
            " (as expected)"
            if not mismatched
            else "; MISMATCH (stored, expected): "
            + ", ".join(f"{k} {s} vs {e}" for k, (s, e) in mismatched.items())
        )
    )
    for line in summarize_stderr(run.stderr):
        print(f"  {line}")
    best = max(run.steps, key=lambda s: s.done_rate)
    peak = best.done_rate
    last = run.steps[-1]
    bound = f"W / L = {workers}/{opts.latency:g} = {capacity:.1f} turns/s"
    if not last.saturated_by:
        summary = (
            f"{run.name}: did not saturate up to {last.rate:g} turns/s (peak {peak:.1f} done/s) "
            f"with {workers} workers and Claude at {opts.latency:g} s ({bound})"
        )
    else:
        cpu = last.bot_cpu_pct
        if peak >= 0.8 * capacity:
            why = "bounded by W / L"
        elif cpu is not None and cpu >= 70:
            # One Python process: the GIL keeps the bot's own work on about one core.
            why = f"below W / L: bounded by the bot's CPU ({cpu:.0f}% of a core, one process)"
        else:
            why = "below W / L: bounded elsewhere (admission, database, the fakes?)"
        summary = (
            f"{run.name}: saturates at ~{peak:.1f} turns/s with {workers} workers and Claude "
            f"at {opts.latency:g} s: {why} ({bound}); first saturated step {last.rate:g}/s "
            f"offered ({'; '.join(last.saturated_by)})"
        )
    kept_up = max((s.rate for s in run.steps if not s.saturated_by), default=0.0)
    lost = any(run.stored[k] != v for k, v in run.expected.items())
    summary += f"; nothing lost: {'yes' if not lost else 'NO'}"
    if any(s.rate == TARGET_TURNS_S for s in run.steps):  # a sweep through the target
        met = kept_up >= TARGET_TURNS_S and not lost
        summary += (
            f"; kept up with {kept_up:g} turns/s offered [{'ok' if met else 'BELOW TARGET'}: "
            f"at least {TARGET_TURNS_S:g} turns/s sustained, none lost]"
        )
    print(f"  {summary}")
    return summary


def parse_rates(value: str) -> list[float]:
    rates = [float(part) for part in value.replace(",", " ").split()]
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates are positive numbers, e.g. 5,10,20,25,30,40")
    return sorted(rates)


def bench_schemas(base_url: str) -> set[str]:
    engine = make_engine(base_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ftscope_bench_%'")
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--workers", type=int, default=None, help=f"FTSCOPE_WORKERS (default {DEFAULT_WORKERS})"
    )
    parser.add_argument("--claude-latency", type=float, default=1.5, help="seconds a request")
    parser.add_argument("--rates", type=parse_rates, default=None, help="turns/s, e.g. 2,5,10")
    parser.add_argument("--duration", type=float, default=None, help="seconds per rate step")
    parser.add_argument("--threads", type=int, default=None, help="scoping threads (K)")
    parser.add_argument(
        "--drain",
        type=float,
        default=DEFAULT_CLAUDE_TIMEOUT_S + 5,
        help="seconds after a step's sends to wait for its replies",
    )
    parser.add_argument("--log-dir", type=Path, help="keep the bot's stderr here")
    parser.add_argument(
        "--quick", action="store_true", help="shorter: rates 5,10,25, 4 s steps, 40 threads"
    )
    args = parser.parse_args()
    opts = Options(
        rates=args.rates or ([5, 10, 25] if args.quick else [5, 10, 20, 25, 30, 40]),
        duration=args.duration or (4.0 if args.quick else 10.0),
        threads=args.threads or (40 if args.quick else 200),
        workers=args.workers,
        latency=args.claude_latency,
        drain=args.drain,
    )
    workers = opts.workers or DEFAULT_WORKERS
    revisit_s = opts.threads / max(opts.rates)
    print(
        f"load: {opts.threads} threads, steps of {opts.duration:g} s at {opts.rates} turns/s, "
        f"{workers} workers, Claude {opts.latency:g} s a request, timeout "
        f"{DEFAULT_CLAUDE_TIMEOUT_S:g} s (default), {os.cpu_count()} cores"
    )
    if revisit_s < opts.latency:
        print(
            f"  note: at {max(opts.rates):g}/s each thread gets a turn every {revisit_s:.2f} s, "
            f"less than one Claude call: its turns queue behind each other"
        )

    databases: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = []
    postgres_url = normalize_database_url(args.postgres_url)
    if args.database in ("sqlite", "both"):
        databases.append(("SQLite", sqlite_database))
    if args.database in ("postgres", "both"):
        databases.append(("PostgreSQL", lambda: postgres_database(postgres_url)))
    summaries = []
    started = time.monotonic()
    schemas_before = bench_schemas(postgres_url) if args.database != "sqlite" else set()
    with tempfile.TemporaryDirectory(prefix="ftscope-bench-load-") as logs:
        log_dir = args.log_dir or Path(logs)
        log_dir.mkdir(parents=True, exist_ok=True)
        for name, database in databases:
            print(f"\n{name}")
            with database() as database_url:
                run = run_database(name, database_url, opts, log_dir)
                summaries.append(report(run, opts, workers))
    if args.database in ("postgres", "both"):
        left = bench_schemas(postgres_url) - schemas_before
        print(f"\nPostgreSQL bench schemas left behind: {sorted(left) or 'none'}")
    print(f"\nsummary ({time.monotonic() - started:.0f} s in all):")
    for summary in summaries:
        print(f"  {summary}")


if __name__ == "__main__":
    main()
