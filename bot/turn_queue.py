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
    ) -> None:
        self._work = work
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
