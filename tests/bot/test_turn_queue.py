"""The per-thread work queues' estimate of the wait for a worker (bot/turn_queue.py)."""

from __future__ import annotations

import threading
import time

from bot.turn_queue import ThreadQueues


def test_before_anything_ran_a_wait_is_estimated_from_the_typical_item():
    gate = threading.Event()
    queues: ThreadQueues[int] = ThreadQueues(lambda _: gate.wait(5), 2, name="t", typical_s=2.0)
    try:
        assert queues.expected_wait_s() == 1.0  # nothing queued: one item's time, halved
        for n in range(6):  # two on the workers, four waiting
            queues.put(f"thread-{n}", n)
        while queues.backlog != 4:
            time.sleep(0.001)
        assert queues.expected_wait_s() == (4 + 1) * 2.0 / 2
    finally:
        gate.set()
        assert queues.wait_idle(5)
        queues.shutdown()


def test_the_estimate_follows_how_long_items_actually_take():
    queues: ThreadQueues[int] = ThreadQueues(lambda _: None, 4, name="t", typical_s=2.0)
    for n in range(200):
        queues.put(f"thread-{n % 7}", n)
    assert queues.wait_idle(5)
    queues.shutdown()
    # Items that take no time at all pull the running mean from 2 s to almost nothing, so a
    # bot whose turns are quick never sheds for a backlog it gets through in time.
    assert queues.mean_item_s < 0.01
