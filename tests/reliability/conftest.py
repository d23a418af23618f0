"""The reliability suite runs on the harness of tests/handlers: the real bot under uvicorn on
loopback, signed requests, the fake Slack Web API, Claude mocked with pytest-httpx2; each test
on SQLite and on PostgreSQL (the `database_url` fixture of tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.handlers.conftest import CLAUDE_API, start_bot  # noqa: F401 - a fixture, re-exported
from tests.reliability.support import HeldClaude


class QuickFakeSlack(FakeSlack):
    """The harness's fake Slack, but its server polls for shutdown every 10 ms, not 0.5 s:
    that half second per test was most of this suite's run time."""

    def start(self) -> QuickFakeSlack:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = QuickFakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def claude(httpx2_mock: Any) -> HeldClaude:
    """The harness's `claude`, with per-message holds (see HeldClaude)."""
    fake = HeldClaude()
    httpx2_mock.post(f"{CLAUDE_API}/v1/messages").mock(side_effect=fake)
    return fake
