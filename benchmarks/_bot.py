"""`ftscope serve` as the benchmarks run it: a process of its own against local fakes, as in
production (one bot, its own interpreter), its stderr in a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.claude_api import CacheSimulator, FakeClaude
from tests.fakes.harness import slack_request
from tests.fakes.slack_api import FakeSlack

SIGNING_SECRET = "bench-signing-secret"


def signed(bot_url: str, body: str, content_type: str) -> urllib.request.Request:
    """A request to the bot's `/slack/events` as Slack sends it (signed now: valid for 5
    minutes)."""
    return slack_request(bot_url, body, content_type, secret=SIGNING_SECRET)


def status_of(request: urllib.request.Request) -> int:
    """Send the request, read the answer: its HTTP status. OSError when there is none."""
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@dataclass
class Bot:
    url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path
    exit_code: int | None = None
    stop_s: float | None = None
    killed: bool = False


@contextmanager
def fakes(
    reply: Callable[[dict[str, Any]], dict[str, Any]], latency_s: float
) -> Iterator[tuple[FakeSlack, FakeClaude]]:
    """The fake Slack, and a fake Claude that answers `reply` after `latency_s` with prompt
    caching, as the dated Haiku snapshot the real API names; both stopped afterwards."""
    slack = FakeSlack().start()
    claude = FakeClaude(reply, latency_s, CacheSimulator(), model_suffix="-20251001").start()
    try:
        yield slack, claude
    finally:
        claude.stop()
        slack.stop()


@contextmanager
def running_bot(
    slack: FakeSlack, claude: FakeClaude, database_url: str, workers: int | None, log_dir: Path
) -> Iterator[Bot]:
    """`ftscope serve` in a process of its own, its stderr in a file (a pipe nobody reads
    would fill up and block the bot's logging under load)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ANTHROPIC_", "FTSCOPE_", "DATABASE_URL"))
    }
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "ANTHROPIC_API_KEY": "sk-ant-bench",
        "ANTHROPIC_BASE_URL": claude.url,
        "DATABASE_URL": database_url,
    }
    if workers is not None:
        env["FTSCOPE_WORKERS"] = str(workers)
    stderr_path = log_dir / f"bot-{port}.stderr"
    with tempfile.TemporaryDirectory() as cwd, stderr_path.open("wb") as stderr:  # no .env
        if not database_url.startswith("sqlite"):
            # PostgreSQL's schema comes from the release command; SQLite is upgraded at start.
            upgrade = subprocess.run(
                [sys.executable, "-m", "bot.cli", "db", "upgrade"],
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if upgrade.returncode != 0:
                raise RuntimeError(f"ftscope db upgrade failed:\n{upgrade.stderr[-3000:]}")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        bot = Bot(f"http://127.0.0.1:{port}", process, stderr_path)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=2):
                        break
                except OSError as exc:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"ftscope serve did not start:\n{stderr_path.read_text()[-3000:]}"
                        ) from exc
                    time.sleep(0.05)
            yield bot
        finally:
            started = time.monotonic()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # finishes in-flight turns, then exits
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                bot.killed = True
            bot.stop_s = time.monotonic() - started
            bot.exit_code = process.returncode
