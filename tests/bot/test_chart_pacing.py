"""Charts take only the CPU the turns leave (bot/interactive.py, ChartUploads): a thread's
chart is drawn for its newest verdict only, one that waited too long is skipped, and the pool
rests after each chart in proportion to the CPU it took."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from bot import interactive
from bot.interactive import ChartUploads
from knowledge import Decision, Facts, decide

EXAMPLES = Path(__file__).parents[2] / "examples"


def decision_for(example: str, prices, assumptions) -> Decision:
    facts = Facts.model_validate(json.loads((EXAMPLES / f"{example}.json").read_text()))
    return decide(facts, prices, assumptions)


class Uploads:
    def __init__(self) -> None:
        self.alts: list[tuple[str, str | None, str]] = []
        self.at: list[float] = []
        self.release = threading.Event()
        self.release.set()

    def upload_png(self, channel, thread_ts, png, *, filename, title, alt_text) -> bool:
        self.release.wait(5)
        self.alts.append((channel, thread_ts, alt_text))
        self.at.append(time.monotonic())
        return True


def test_a_threads_chart_is_drawn_for_its_newest_verdict_only(prices, assumptions):
    poster = Uploads()
    poster.release.clear()  # the first chart's upload hangs: the others queue behind it
    charts = ChartUploads(poster, lambda: prices, assumptions)  # type: ignore[arg-type]
    fraud = decision_for("payments-fraud-tagging", prices, assumptions)
    acme = decision_for("acme-ticket-routing", prices, assumptions)
    charts.submit("C1", "1.0", fraud)
    time.sleep(0.3)  # drawn, now uploading
    charts.submit("C1", "2.0", fraud)  # another thread: waits its turn, then drawn
    charts.submit("C1", "2.0", fraud)  # superseded by the next verdict of its thread
    charts.submit("C1", "2.0", acme)
    poster.release.set()
    assert charts.wait_idle(30)
    assert [(c, t) for c, t, _ in poster.alts] == [("C1", "1.0"), ("C1", "2.0")]
    assert "200M calls a month" not in poster.alts[1][2]  # acme's chart, the newest
    charts.shutdown()


def test_a_chart_that_waited_too_long_is_skipped(prices, assumptions, monkeypatch):
    monkeypatch.setattr(interactive, "CHART_STALE_S", 0.0)
    poster = Uploads()
    charts = ChartUploads(poster, lambda: prices, assumptions)  # type: ignore[arg-type]
    charts.submit("C1", "1.0", decision_for("payments-fraud-tagging", prices, assumptions))
    assert charts.wait_idle(30)
    assert poster.alts == []
    charts.shutdown()


def test_after_a_chart_the_next_waits_in_proportion_to_its_cpu(prices, assumptions, monkeypatch):
    monkeypatch.setattr(interactive, "CHART_REST_FACTOR", 10.0)
    poster = Uploads()
    charts = ChartUploads(poster, lambda: prices, assumptions)  # type: ignore[arg-type]
    fraud = decision_for("payments-fraud-tagging", prices, assumptions)
    charts.submit("C1", "1.0", fraud)
    charts.submit("C1", "2.0", fraud)
    assert charts.wait_idle(30)
    assert len(poster.at) == 2
    # A chart takes tens of milliseconds of CPU at the least: the next one starts ten times
    # that later, then takes as long again to draw.
    assert poster.at[1] - poster.at[0] > 0.3
    charts.shutdown()
