"""A local stand-in for the Anthropic Messages API, shared by the benchmarks.

Real HTTP on 127.0.0.1, so the real `anthropic` client (through `ClaudeClient(base_url=...)` or
`ANTHROPIC_BASE_URL`) talks to it exactly as it would talk to Claude. Each request waits a
configurable latency, then answers a valid Messages API reply whose text is the extractor's JSON
(`{"updates": [...], "question": ...}`), with a usage block from a prompt-caching simulation.

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
- The 5-minute TTL is irrelevant at benchmark timescales and is not modelled.

With `honour_cache_control=False` the server behaves as if caching were off: every token of the
request is `input_tokens`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from knowledge import PriceSheet, load_price_sheet

LOOKBACK_BLOCKS = 20
DEFAULT_MIN_CACHEABLE = 4096

# The extractor's reply for a request: {"updates": [...], "question": "..."}.
Replier = Callable[[dict[str, Any]], dict[str, Any]]


def estimate_tokens(text: str) -> int:
    """len(text) / 4, rounded: English prose runs near 4 characters a token."""
    return round(len(text) / 4)


def newest_user_text(body: dict[str, Any]) -> str:
    """The text of the first block of the request's last message (the user's newest words)."""
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else content[0].get("text", "")


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
    for index, message in enumerate(body.get("messages", [])):
        content = message["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        where = {"in": "message", "index": index, "role": message["role"]}
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


@dataclass
class Served:
    """One answered request, for the benchmark to inspect."""

    body: dict[str, Any]
    usage: dict[str, int]
    text: str


@dataclass
class FakeClaude:
    """The Messages API on a loopback port: waits `latency_s`, then answers `replier`'s JSON."""

    replier: Replier
    latency_s: float = 0.0
    cache: CacheSimulator = field(default_factory=CacheSimulator)
    served: list[Served] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeClaude:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        plan = self.cache.plan(body)
        time.sleep(self.latency_s)
        self.cache.commit(plan)
        text = json.dumps(self.replier(body), ensure_ascii=False)
        usage = {
            "input_tokens": plan.input_tokens,
            "cache_creation_input_tokens": plan.cache_creation_input_tokens,
            "cache_read_input_tokens": plan.cache_read_input_tokens,
            "output_tokens": estimate_tokens(text),
        }
        with self._lock:
            number = next(self._ids)
            self.served.append(Served(body, usage, text))
        return {
            "id": f"msg_bench_{number:06d}",
            "type": "message",
            "role": "assistant",
            # The API answers with a dated snapshot id; the bot must price it all the same.
            "model": f"{body['model']}-20251001",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }

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
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.split("?")[0] != "/v1/messages":
                    self._send(404, {"type": "error", "error": {"type": "not_found_error"}})
                    return
                self._send(200, fake.answer(json.loads(raw)))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
