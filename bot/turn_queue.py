"""Work queued per thread over a pool of workers: a thread's items run one at a time, in the
order they came, and a chatty thread can't occupy every worker. Knows nothing of Slack."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")

# Weight of the newest item in the running mean of how long an item takes: about the last 20
# items count, so the estimate follows a change of pace (Claude slowing down, the CPU filling
# up) within seconds, and one odd item moves it little.
_MEAN_WEIGHT = 0.05


class RequestsFirst:
    """Slack's requests before the work behind them, during a burst.

    Fifty `/ftscope` at once are fifty acks Slack waits for (it gives up after 3 s) and fifty
    turns that wait on Claude for seconds anyway. In one Python process they share one
    interpreter lock: turns starting while the acks are still being answered take it in turns
    with the event loop, and the last ack waits for them (p99 300 ms measured, 60 ms without
    them). So while requests come in a burst (`burst` within `window_s`), the work behind them
    waits to start until none has come for `quiet_s`, and never longer than `max_wait_s`. At a
    steady pace, even past what the bot can do, nothing waits: one quiet interval follows every
    request, and the gate only closes for bursts.
    """

    def __init__(
        self,
        *,
        burst: int = 8,
        window_s: float = 0.05,
        quiet_s: float = 0.015,
        max_wait_s: float = 0.2,
    ) -> None:
        self.burst = burst
        self.window_s = window_s
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self._lock = threading.Lock()
        self._arrivals: deque[float] = deque()
        self._quiet_at = 0.0  # time.monotonic() at which the current burst counts as over
        self._open = threading.Event()
        self._open.set()

    def arrived(self) -> None:
        """A request came in (called on Slack's request thread: cheap)."""
        now = time.monotonic()
        with self._lock:
            self._arrivals.append(now)
            while self._arrivals[0] < now - self.window_s:
                self._arrivals.popleft()
            if len(self._arrivals) < self.burst:
                return
            self._quiet_at = now + self.quiet_s
            if not self._open.is_set():
                return  # the burst goes on: its reopener sees the new quiet_at
            self._open.clear()
        reopener = threading.Thread(target=self._reopen, args=(now,), name="ftscope-burst")
        reopener.daemon = True
        reopener.start()

    def _reopen(self, closed_at: float) -> None:
        """Open the gate once the burst is over, or `max_wait_s` after it closed."""
        while True:
            with self._lock:
                now = time.monotonic()
                left = min(self._quiet_at, closed_at + self.max_wait_s) - now
                if left <= 0:
                    self._arrivals.clear()  # a new burst must be counted afresh
                    self._open.set()
                    return
            time.sleep(left)

    def wait_turn(self) -> None:
        """Before starting work: wait out a burst of requests (one wake-up, no polling)."""
        self._open.wait(self.max_wait_s)


class ThreadQueues(Generic[Item]):
    """`put(key, item)` queues an item behind the earlier ones of its thread; `work(item)`
    runs on a worker. `backlog` counts items put and not yet picked up by a worker.

    `expected_wait_s()` estimates how long a new item would wait for a worker, from the backlog
    and how long items have been taking (`typical_s` until some have run)."""

    def __init__(
        self,
        work: Callable[[Item], None],
        workers: int,
        *,
        name: str,
        typical_s: float = 2.0,
        gate: RequestsFirst | None = None,
    ) -> None:
        self._work = work
        self._gate = gate  # each item waits out a burst of requests before it starts
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._queues: dict[str, deque[Item]] = {}
        self._lock = threading.Lock()
        self._backlog = 0
        self._mean_s = typical_s  # how long an item takes on its worker, a running mean
        self._idle = threading.Condition()
        self._running = 0  # drains submitted and not finished

    @property
    def backlog(self) -> int:
        with self._lock:
            return self._backlog

    @property
    def mean_item_s(self) -> float:
        with self._lock:
            return self._mean_s

    def expected_wait_s(self) -> float:
        """How long an item put now would wait for a worker: the items ahead of it, taken
        `workers` at a time, each as long as items have lately been taking. The measured time
        includes the wait on Claude and on the CPU alike, so the estimate holds whichever of
        the two bounds the pace (Little's law: done per second = workers / time per item)."""
        with self._lock:
            return (self._backlog + 1) * self._mean_s / self.workers

    def put(self, key: str, item: Item) -> bool:
        """Queue an item; False when the pool is shutting down (the item is dropped)."""
        with self._lock:
            queue = self._queues.get(key)
            self._backlog += 1
            if queue is not None:  # a worker is on this thread: it takes this item next
                queue.append(item)
                return True
            self._queues[key] = deque([item])
        with self._idle:
            self._running += 1
        try:
            self._pool.submit(self._drain, key)
        except RuntimeError:  # shutting down
            with self._lock:
                self._queues.pop(key, None)
                self._backlog -= 1
            self._finished()
            return False
        return True

    def _drain(self, key: str) -> None:
        try:
            while True:
                with self._lock:
                    queue = self._queues[key]
                    if not queue:
                        del self._queues[key]
                        return
                    item = queue.popleft()
                    self._backlog -= 1
                if self._gate is not None:
                    self._gate.wait_turn()
                started = time.monotonic()
                try:
                    self._work(item)
                except Exception:  # a worker must never die silently
                    log.exception("queued work for %s failed", key)
                took = time.monotonic() - started
                with self._lock:
                    self._mean_s += _MEAN_WEIGHT * (took - self._mean_s)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._idle:
            self._running -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queue is drained; False if the timeout came first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
