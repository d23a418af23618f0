"""The one fake of Claude's Messages API, shared by every test suite and the benchmarks.

`FakeClaude` answers a Messages API request with the extractor's JSON: scripted fact updates
keyed by words of the newest user message (`says`), or whatever a `replier` returns. Tests hand
it to pytest-httpx2 (`httpx2_mock.post(...).mock(side_effect=fake)`); a bot in another process
(`ftscope serve` in the crash test and the benchmarks) reaches it over loopback HTTP after
`start()`. It can fail on cue (`failures`), hold one message (`holds`) or every call (`gate`),
wait a latency, and bill tokens as the real prompt cache would (`cache`, a `CacheSimulator`).

The response builders (`message`, `extraction`, `error`, ...) are for tests that script the
API's answers one by one.

The caching simulation follows the documented behaviour of the API:

- Tokens are estimated, not counted: len(text) / 4 rounded, per content block (system text and
  message text; the output schema and per-message overhead are not counted).
- The cached prefix runs system → messages. Each block's prefix is identified by a hash of the
  model and the canonical JSON of every block up to and including it (`cache_control` itself is
  stripped: moving a breakpoint does not change the content).
- A breakpoint (a block with `cache_control`) whose prefix has at least the model's minimum
  cacheable length (the price sheet's `prompt_cache_min_tokens`, 4,096 for claude-haiku-4-5)
  writes that prefix to the cache once the response starts; below the minimum nothing is
  cached and everything is billed as input, silently, as the real API does.
- A read: at each breakpoint the API looks back up to 20 blocks for a prefix written earlier;
  the longest hit is `cache_read_input_tokens`. From there up to the last breakpoint is
  `cache_creation_input_tokens`, and what follows the last breakpoint is `input_tokens`.
- The 5-minute TTL is irrelevant at test and benchmark timescales and is not modelled.

With `honour_cache_control=False` the simulator behaves as if caching were off: every token of
the request is `input_tokens`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from knowledge import PriceSheet, load_price_sheet

DEFAULT_USAGE = {
    "input_tokens": 150,
    "output_tokens": 80,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 4600,
}
LOOKBACK_BLOCKS = 20
DEFAULT_MIN_CACHEABLE = 4096

# The extractor's reply for a request: {"updates": [...], "question": "..."}.
Replier = Callable[[dict[str, Any]], dict[str, Any]]


# -- replies, one by one ------------------------------------------------------------------------


def message(
    text: str,
    *,
    model: str = "claude-haiku-4-5",
    usage: dict[str, int] | None = None,
    stop_reason: str = "end_turn",
    message_id: str = "msg_test",
) -> httpx.Response:
    """A 200 whose text is `text` (the agreed JSON or not; empty: no content block)."""
    return httpx.Response(
        200,
        json={
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage or DEFAULT_USAGE,
        },
    )


def extraction(updates: list[dict[str, str]], **options: object) -> httpx.Response:
    """A 200 carrying the extractor's reply: these fact updates and no question."""
    return message(json.dumps({"updates": updates, "question": ""}), **options)  # type: ignore[arg-type]


def error(status: int, kind: str, message: str = "", **headers: str) -> httpx.Response:
    """An error of the API: `kind` is its error type (rate_limit_error, overloaded_error...)."""
    return httpx.Response(
        status,
        json={"type": "error", "error": {"type": kind, "message": message or kind}},
        headers=headers,
    )


def overloaded() -> httpx.Response:
    return error(529, "overloaded_error", "Overloaded", **{"retry-after-ms": "1"})


def rate_limited() -> httpx.Response:
    return error(429, "rate_limit_error", "slow down", **{"retry-after-ms": "1"})


# -- reading a request ---------------------------------------------------------------------------


_SLACK_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def visible(text: str) -> str:
    """Text as a person reads it: Slack's entities decoded, control and format characters
    (zero-width, bidi marks) dropped, runs of whitespace one space. The bot may send a
    message in either form; scripted words match what this leaves."""
    for entity, char in _SLACK_ENTITIES:
        text = text.replace(entity, char)
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(text.split())


def estimate_tokens(text: str) -> int:
    """len(text) / 4, rounded: English prose runs near 4 characters a token."""
    return round(len(text) / 4)


def newest_user_text(body: dict[str, Any]) -> str:
    """The text of the first block of the request's last message (the user's newest words)."""
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else content[0].get("text", "")


# -- the prompt cache ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CachePlan:
    """What a request is billed for, and which prefixes it writes once it is answered."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    writes: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class _Block:
    tokens: int
    canonical: str
    breakpoint: bool


def _blocks(body: dict[str, Any]) -> list[_Block]:
    """The request's content blocks in cache-prefix order: system, then messages."""
    items: list[tuple[dict[str, Any], dict[str, Any]]] = []
    system = body.get("system") or []
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    items += [({"in": "system"}, block) for block in system]
    for index, msg in enumerate(body.get("messages", [])):
        content = msg["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        where = {"in": "message", "index": index, "role": msg["role"]}
        items += [(where, block) for block in content]
    blocks = []
    for where, block in items:
        stripped = {k: v for k, v in block.items() if k != "cache_control"}
        text = stripped.get("text")
        tokens = estimate_tokens(text if isinstance(text, str) else json.dumps(stripped))
        canonical = json.dumps([where, stripped], sort_keys=True, ensure_ascii=False)
        blocks.append(_Block(tokens, canonical, "cache_control" in block))
    return blocks


class CacheSimulator:
    """Server-side prompt cache: prefix hash → the prefix's tokens, shared by all requests."""

    def __init__(self, sheet: PriceSheet | None = None, honour_cache_control: bool = True) -> None:
        self.sheet = sheet or load_price_sheet()
        self.honour_cache_control = honour_cache_control
        self._written: dict[str, int] = {}
        self._lock = threading.Lock()

    def min_cacheable(self, model: str) -> int:
        price = self.sheet.models.get(model)
        minimum = getattr(price, "prompt_cache_min_tokens", None) if price else None
        return int(minimum or DEFAULT_MIN_CACHEABLE)

    def plan(self, body: dict[str, Any]) -> CachePlan:
        blocks = _blocks(body)
        prefix_tokens = list(itertools.accumulate(b.tokens for b in blocks))
        total = prefix_tokens[-1] if prefix_tokens else 0
        breakpoints = [i for i, b in enumerate(blocks) if b.breakpoint]
        if not self.honour_cache_control or not breakpoints:
            return CachePlan(total, 0, 0)
        digest = hashlib.sha256(str(body.get("model")).encode())
        hashes = []
        for block in blocks:
            digest.update(block.canonical.encode())
            hashes.append(digest.copy().hexdigest())
        read = 0
        with self._lock:
            for bp in breakpoints:
                for i in range(bp, max(-1, bp - LOOKBACK_BLOCKS), -1):
                    if hashes[i] in self._written:
                        read = max(read, self._written[hashes[i]])
                        break
        last = prefix_tokens[breakpoints[-1]]
        minimum = self.min_cacheable(str(body.get("model")))
        if last < minimum:  # silently nothing: the whole request is input
            return CachePlan(total, 0, 0)
        writes = tuple(
            (hashes[bp], prefix_tokens[bp]) for bp in breakpoints if prefix_tokens[bp] >= minimum
        )
        return CachePlan(total - last, last - read, read, writes)

    def commit(self, plan: CachePlan) -> None:
        """The response has started: its prefixes can be read by later requests."""
        with self._lock:
            self._written.update(plan.writes)


# -- the fake ------------------------------------------------------------------------------------


@dataclass
class Served:
    """One answered request, for a benchmark to inspect."""

    body: dict[str, Any]
    usage: dict[str, int]
    text: str


@dataclass
class FakeClaude:
    """Claude's Messages API, scripted.

    - `says(words, *updates)`: a request whose newest text (as a person reads it, see
      `visible`) contains `words` gets these fact updates; `replier`, if given, answers instead;
    - `failures`: the next calls get these responses (or raise these exceptions) first;
    - `holds`: a call whose newest text is exactly a key waits for its event (one slow call
      while the others go through); `gate`, while cleared, holds every call after it is counted;
    - like the real API, a text block that is empty or only whitespace is a 400;
    - `arrived` lists the newest text of every call that reached it, `requests` the body of
      each call past its hold, `served` each answered call with its usage;
    - usage: from `cache` (a `CacheSimulator`) if given, else the first call writes the cache
      and later ones read it.
    """

    replier: Replier | None = None
    latency_s: float = 0.0
    cache: CacheSimulator | None = None
    # The API answers with a dated snapshot id ("-20251001"); the bot must price it all the same.
    model_suffix: str = ""
    replies: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # words -> the intent (and topic) Claude reads in a message that contains them
    intents: dict[str, tuple[str, str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[httpx.Response | Exception] = field(default_factory=list)
    gate: threading.Event | None = None
    holds: dict[str, threading.Event] = field(default_factory=dict)
    arrived: list[str] = field(default_factory=list)
    served: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def says(self, words: str, *updates: tuple[str, str, str]) -> None:
        self.replies[words] = [{"field": f, "value": v, "quote": q} for f, v, q in updates]

    def reads_as(self, words: str, intent: str, topic: str = "") -> None:
        """A message containing `words` is, as Claude reads it, `intent` (and `topic`)."""
        self.intents[words] = (intent, topic)

    def newest_texts(self) -> list[str]:
        """The newest user text of each call past its hold, in order."""
        return [newest_user_text(r) for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """pytest-httpx2's side effect: the response to one Messages API request."""
        return self.respond(json.loads(request.content))

    def respond(self, body: dict[str, Any]) -> httpx.Response:
        newest = newest_user_text(body)
        self.arrived.append(newest)
        hold = self.holds.get(newest)
        if hold is not None:
            hold.wait(timeout=10)
        self.requests.append(body)
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        texts = [
            b.get("text", "")
            for m in body["messages"]
            for b in (m["content"] if isinstance(m["content"], list) else [{"text": m["content"]}])
        ]
        if any(not text.strip() for text in texts):
            return error(
                400, "invalid_request_error", "messages: text content blocks must be non-empty"
            )
        return self._answer(body, newest)

    def _answer(self, body: dict[str, Any], newest: str) -> httpx.Response:
        plan = self.cache.plan(body) if self.cache is not None else None
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.replier is not None:
            text = json.dumps(self.replier(body), ensure_ascii=False)
        else:
            read = visible(newest)
            updates = [
                u for words, ups in self.replies.items() if visible(words) in read for u in ups
            ]
            intent, topic = next(
                (it for words, it in self.intents.items() if visible(words) in read),
                ("facts", ""),
            )
            reply = {"intent": intent, "topic": topic, "updates": updates, "question": ""}
            text = json.dumps(reply)
        with self._lock:
            turn = len(self.requests)
            if self.cache is not None and plan is not None:
                self.cache.commit(plan)
                usage = {
                    "input_tokens": plan.input_tokens,
                    "cache_creation_input_tokens": plan.cache_creation_input_tokens,
                    "cache_read_input_tokens": plan.cache_read_input_tokens,
                    "output_tokens": estimate_tokens(text),
                }
            else:
                usage = {
                    "input_tokens": 150,
                    "output_tokens": 80,
                    "cache_creation_input_tokens": 400 if turn > 1 else 4600,
                    "cache_read_input_tokens": 4600 if turn > 1 else 0,
                }
            self.served.append(Served(body, usage, text))
        return message(
            text,
            model=f"{body['model']}{self.model_suffix}",
            usage=usage,
            message_id=f"msg_{turn}",
        )

    # -- over loopback HTTP, for a bot in another process -------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeClaude:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        # A reply to a killed process has nowhere to go: that is the point, not an error.
        self._server.handle_error = lambda *args: None  # type: ignore[method-assign]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
            # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm and
            # the client's delayed ACK would add ~40 ms to a kept-alive connection's replies.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.split("?")[0] != "/v1/messages":
                    response = error(404, "not_found_error")
                else:
                    try:
                        response = fake.respond(json.loads(raw))
                    except Exception:  # a scripted exception: the connection drops
                        self.close_connection = True
                        return
                self.send_response(response.status_code)
                for name in ("content-type", "retry-after", "retry-after-ms"):
                    if name in response.headers:
                        self.send_header(name, response.headers[name])
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

        return Handler
