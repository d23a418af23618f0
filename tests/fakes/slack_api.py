"""A local stand-in for the Slack Web API: answers like Slack, and records every call.

Real HTTP on 127.0.0.1, so the real `slack_sdk.WebClient` (urllib, which respx can't see) talks
to it through `base_url`. Answers can be scripted per method, e.g. a 429 with Retry-After
first and success after, or `channel_not_found`. Also serves `response_url` posts at
/response/<id>, and the file uploads of `files_upload_v2` (files.getUploadURLExternal hands out
an /upload/<file id> URL here; files.completeUploadExternal shares what was uploaded).

Where Slack documents a check the bot could fail, the fake makes it too: a `trigger_id` older
than 3 s is `expired_trigger_id` (the harness's ids carry when they were issued), alt text over
1,000 characters is `alt_txt_too_large`, completing an upload that never arrived is
`file_not_found`.
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
TRIGGER_TTL_S = 3.0  # a trigger_id is good for 3 s after the click
MAX_ALT_TEXT = 1000


def trigger_id(number: int, issued: float | None = None) -> str:
    """A trigger_id as the harness makes them: it says when it was issued (time.time())."""
    return f"{number}.{issued if issued is not None else time.time():.3f}.fake-trigger"


def trigger_age(trigger: str) -> float | None:
    """Seconds since a harness trigger_id was issued; None for any other id."""
    parts = str(trigger).split(".")
    if len(parts) != 4 or parts[-1] != "fake-trigger":
        return None
    return time.time() - float(f"{parts[1]}.{parts[2]}")


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of calls (50 clicks' views.open) would
    # overflow it, and each dropped connection costs the client a 1 s SYN retry that Slack's
    # own servers never add.
    request_queue_size = 128


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
        self._file_ids = itertools.count(1)
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes POSTed to its upload URL
        self._server = _Server(("127.0.0.1", 0), self._handler())
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

    def views_opened(self) -> list[dict[str, Any]]:
        """Views Slack opened through views.open, in order."""
        return [c.params["view"] for c in self.calls_to("views.open") if c.ok]

    def views_published(self) -> list[dict[str, Any]]:
        return [c.params for c in self.calls_to("views.publish") if c.ok]

    def ephemerals(self) -> list[dict[str, Any]]:
        return [c.params for c in self.calls_to("chat.postEphemeral") if c.ok]

    def shared_files(self) -> list[dict[str, Any]]:
        """Files shared by files.completeUploadExternal: the call's params, with `uploaded`
        (the bytes) and `alt_txt` (given when the upload URL was asked for) per file."""
        alt = {
            c.response.get("file_id"): c.params.get("alt_txt")
            for c in self.calls_to("files.getUploadURLExternal")
            if c.ok
        }
        shared = []
        for call in self.calls_to("files.completeUploadExternal"):
            if not call.ok:
                continue
            files = [
                {**f, "uploaded": self.uploads.get(f["id"]), "alt_txt": alt.get(f["id"])}
                for f in call.params["files"]
            ]
            shared.append({**call.params, "files": files})
        return shared

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
        if method == "views.open":
            age = trigger_age(params.get("trigger_id", ""))
            if not params.get("trigger_id") or (age is not None and age > TRIGGER_TTL_S):
                return Scripted(200, {"ok": False, "error": "expired_trigger_id"})
            return self._view_answer(params)
        if method in ("views.publish", "views.update", "views.push"):
            return self._view_answer(params)
        if method == "files.getUploadURLExternal":
            if len(str(params.get("alt_txt") or "")) > MAX_ALT_TEXT:
                return Scripted(200, {"ok": False, "error": "alt_txt_too_large"})
            if not params.get("filename") or not int(params.get("length") or 0):
                return Scripted(200, {"ok": False, "error": "missing_argument"})
            file_id = f"F{next(self._file_ids):06d}"
            upload_url = self.url.replace("/api/", f"/upload/{file_id}")
            return Scripted(200, {"ok": True, "upload_url": upload_url, "file_id": file_id})
        if method == "files.completeUploadExternal":
            files = params.get("files")
            if isinstance(files, str):
                files = params["files"] = json.loads(files)
            if not files or any(f.get("id") not in self.uploads for f in files):
                return Scripted(200, {"ok": False, "error": "file_not_found"})
            shared = [{"id": f["id"], "title": f.get("title")} for f in files]
            return Scripted(200, {"ok": True, "files": shared})
        if method == "chat.getPermalink":
            channel, ts = params.get("channel"), str(params.get("message_ts", ""))
            link = f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"
            return Scripted(200, {"ok": True, "channel": params.get("channel"), "permalink": link})
        return Scripted(200, {"ok": True})

    @staticmethod
    def _view_answer(params: dict[str, Any]) -> Scripted:
        view = params.get("view")
        if isinstance(view, str):
            view = params["view"] = json.loads(view)
        if not isinstance(view, dict) or not view.get("blocks"):
            return Scripted(200, {"ok": False, "error": "invalid_arguments"})
        return Scripted(200, {"ok": True, "view": {"id": "V0FAKE", **view}})

    def _upload(self, file_id: str, data: bytes) -> Scripted:
        """The POST to an upload URL files.getUploadURLExternal handed out."""
        with self._lock:
            self.uploads[file_id] = data
        return Scripted(200, {"ok": True, "bytes": len(data)})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                at = time.monotonic()
                path = self.path.split("?")[0]
                if path.startswith("/upload/"):  # a file's bytes, not a Web API call
                    file_id = path.rsplit("/", 1)[-1]
                    answer = fake._upload(file_id, data)
                    with fake._lock:
                        fake.calls.append(
                            Call("upload", {"file_id": file_id}, 200, True, answer.body, at)
                        )
                    self._send(answer)
                    return
                raw = data.decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                if isinstance(params.get("blocks"), str):
                    params["blocks"] = json.loads(params["blocks"])
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
                self._send(answer)

            def _send(self, answer: Scripted) -> None:
                body = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler
