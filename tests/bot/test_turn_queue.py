"""The per-thread work queues' estimate of the wait for a worker, and the gate that lets a
burst of Slack's requests be answered before the work behind them (bot/turn_queue.py)."""

from __future__ import annotations

import threading
import time

from bot.turn_queue import RequestsFirst, ThreadQueues


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


def test_a_burst_of_requests_holds_work_back_until_it_has_passed():
    gate = RequestsFirst(burst=8, window_s=0.05, quiet_s=0.05, max_wait_s=1.0)
    for _ in range(8):
        gate.arrived()
    started = time.monotonic()
    gate.wait_turn()  # opens 50 ms after the last request
    assert 0.03 < time.monotonic() - started < 0.5


def test_work_waits_out_a_burst_no_longer_than_max_wait():
    gate = RequestsFirst(burst=2, window_s=1.0, quiet_s=0.02, max_wait_s=0.1)
    stop = threading.Event()

    def flood() -> None:  # a burst that never ends
        while not stop.is_set():
            gate.arrived()
            time.sleep(0.005)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    time.sleep(0.03)
    started = time.monotonic()
    gate.wait_turn()
    stop.set()
    flooder.join()
    assert time.monotonic() - started < 0.3


def test_a_steady_pace_of_requests_never_holds_work_back():
    gate = RequestsFirst(burst=8, window_s=0.05, quiet_s=0.015, max_wait_s=1.0)
    for _ in range(20):  # 50 a second, for 0.4 s
        gate.arrived()
        started = time.monotonic()
        gate.wait_turn()
        assert time.monotonic() - started < 0.01
        time.sleep(0.02)
