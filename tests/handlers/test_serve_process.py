"""`ftscope serve` as a real process: configuration errors, start-up, health, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot import cli
from bot.settings import get_settings
from tests.fakes.slack_api import FakeSlack

FTSCOPE = [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", **values}
    return env


def test_serve_names_every_missing_setting_and_exits_2(tmp_path):
    done = subprocess.run(
        [*FTSCOPE, "serve"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        assert name in done.stderr
    assert "ANTHROPIC_API_KEY" not in done.stderr  # without it, the offline reader reads


def test_serve_answers_health_checks_and_stops_cleanly_on_sigterm(tmp_path):
    slack = FakeSlack().start()
    port = free_port()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=slack.url,
        ANTHROPIC_API_KEY="sk-ant-test",
        ANTHROPIC_BASE_URL="http://127.0.0.1:9",  # never called: no message is sent
    )
    process = subprocess.Popen(
        [*FTSCOPE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200 and json.loads(r.read()) == {"status": "ok"}
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "ftscope serve did not come up"
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        stderr = process.stderr.read()
        assert "finishing in-flight turns" in stderr
        assert "HTTP mode" in stderr and "xoxb-test" not in stderr and "secret" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
        slack.stop()
    assert slack.calls == []  # starting needs nothing from Slack (auth.test comes lazily)


def test_serve_uses_socket_mode_when_an_app_token_is_set(monkeypatch, tmp_path):
    slack = FakeSlack().start()
    chosen: list[str] = []
    monkeypatch.setattr("bot.server.serve_socket_mode", lambda rt, token: chosen.append(token))
    monkeypatch.setattr("bot.server.serve_http", lambda *a: chosen.append("http"))
    for name, value in clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_APP_TOKEN="xapp-test",
        SLACK_API_URL=slack.url,
        ANTHROPIC_API_KEY="sk-ant-test",
    ).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        assert cli.main(["serve"]) == 0
    finally:
        get_settings.cache_clear()
        slack.stop()
    assert chosen == ["xapp-test"]  # no signing secret needed in Socket Mode


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch):
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
