"""A local stand-in for the Slack Web API: answers like Slack, and records every call.

Real HTTP on 127.0.0.1, so the real `slack_sdk.WebClient` (urllib, which respx can't see) talks
to it through `base_url`. Answers can be scripted per method, e.g. a 429 with Retry-After
first and success after, or `channel_not_found`. Also serves `response_url` posts at
/response/<id>.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    ok: bool
    response: dict[str, Any]
    at: float = 0.0  # time.monotonic() when the fake received it


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._script: dict[str, list[Scripted]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # Polls for shutdown every 10 ms, not 0.5 s: that half second per test adds up.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return self.url.replace("/api/", f"/response/{name}")

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- scripting and inspection --------------------------------------------------------

    def script(self, method: str, *answers: Scripted) -> None:
        """The next calls of `method` get these answers, in order; then the normal ones."""
        with self._lock:
            self._script.setdefault(method, []).extend(answers)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        self.script(method, *[Scripted(200, {"ok": False, "error": error})] * times)

    def rate_limit(self, method: str, retry_after: int = 0, times: int = 1) -> None:
        body = {"ok": False, "error": "ratelimited"}
        answer = Scripted(429, body, {"Retry-After": str(retry_after)})
        self.script(method, *[answer] * times)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self) -> list[dict[str, Any]]:
        """Messages Slack accepted through chat.postMessage."""
        return [c.params for c in self.calls_to("chat.postMessage") if c.ok]

    def replies_in(self, thread_ts: str) -> list[dict[str, Any]]:
        return [p for p in self.posts() if p.get("thread_ts") == thread_ts]

    # -- the server ----------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> Scripted:
        with self._lock:
            queue = self._script.get(method)
            if queue:
                return queue.pop(0)
        if method == "auth.test":
            return Scripted(
                200,
                {
                    "ok": True,
                    "url": "https://fake.slack.test/",
                    "team": "Fake",
                    "user": "ftscope",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                },
            )
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return Scripted(
                200, {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {}}
            )
        if method == "chat.getPermalink":
            channel, ts = params.get("channel"), str(params.get("message_ts", ""))
            link = f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"
            return Scripted(200, {"ok": True, "channel": params.get("channel"), "permalink": link})
        return Scripted(200, {"ok": True})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                at = time.monotonic()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                if isinstance(params.get("blocks"), str):
                    params["blocks"] = json.loads(params["blocks"])
                path = self.path.split("?")[0]
                method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else path
                answer = fake._answer(method, params)
                with fake._lock:
                    fake.calls.append(
                        Call(
                            method,
                            params,
                            answer.status,
                            bool(answer.body.get("ok")),
                            answer.body,
                            at,
                        )
                    )
                body = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler
