"""How long the breakeven chart takes to draw, and how big it is.

Every example of examples/ whose verdict has a chart, decided on the shipped sheet, drawn in
turn after one warm-up each (the first chart in a process also imports matplotlib and reads
its font cache: that is timed separately, in fresh processes). Per render: the whole of
`breakeven_chart` (the engine's curves, matplotlib drawing on Agg, PNG encoding), and the
curves alone.

Run: python benchmarks/bench_chart.py [--rounds 30] [--cold-runs 3]
Target (the chart issue): each render under 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _timing import machine, mark, p95

from bot.chart import breakeven_chart, curves
from knowledge import Decision, Facts, decide, load_assumptions, load_price_sheet

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TARGET_MS = 200
TODAY = dt.date(2026, 12, 6)  # the shipped sheet's date: the same verdicts as README's table

COLD = """
import datetime as dt, json, sys, time
from pathlib import Path
from knowledge import Facts, decide, load_assumptions, load_price_sheet
prices, assumptions = load_price_sheet(), load_assumptions()
facts = Facts.model_validate(json.loads(Path(sys.argv[1]).read_text()))
decision = decide(facts, prices, assumptions, today=dt.date(2026, 12, 6))
start = time.perf_counter()
from bot.chart import breakeven_chart
chart = breakeven_chart(decision, prices, assumptions)
assert chart is not None
print((time.perf_counter() - start) * 1000)
"""


def charted() -> list[tuple[str, Decision]]:
    prices, assumptions = load_price_sheet(), load_assumptions()
    found = []
    for path in EXAMPLES:
        facts = Facts.model_validate(json.loads(path.read_text()))
        decision = decide(facts, prices, assumptions, today=TODAY)
        if breakeven_chart(decision, prices, assumptions) is not None:  # also the warm-up
            found.append((path.stem, decision))
    return found


def render_ms(decisions: list[tuple[str, Decision]], rounds: int) -> dict[str, list[float]]:
    prices, assumptions = load_price_sheet(), load_assumptions()
    times: dict[str, list[float]] = {name: [] for name, _ in decisions}
    for _ in range(rounds):  # taking turns, so a busy machine slows them alike
        for name, decision in decisions:
            start = time.perf_counter()
            breakeven_chart(decision, prices, assumptions)
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def curves_ms(decisions: list[tuple[str, Decision]], rounds: int) -> list[float]:
    prices, assumptions = load_price_sheet(), load_assumptions()
    times = []
    for _ in range(rounds):
        for _, decision in decisions:
            start = time.perf_counter()
            curves(decision, prices, assumptions)
            times.append((time.perf_counter() - start) * 1000)
    return times


def cold_ms(runs: int) -> list[float]:
    """The first chart of a fresh process: importing matplotlib included."""
    example = str(ROOT / "examples" / "acme-ticket-routing.json")
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", COLD, example],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        times.append(float(done.stdout.strip()))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="renders of each chart")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes (0: skip)")
    args = parser.parse_args()

    print(machine())
    prices, assumptions = load_price_sheet(), load_assumptions()
    decisions = charted()
    times = render_ms(decisions, args.rounds)
    every = [t for name in times for t in times[name]]
    median = statistics.median(every)
    print(
        f"breakeven_chart ({len(every)} renders, {len(decisions)} charts × {args.rounds}): "
        f"median {median:.0f} ms [{mark(median < TARGET_MS, 'ABOVE TARGET')}, target "
        f"{TARGET_MS}], p95 {p95(every):.0f} ms [{mark(p95(every) < TARGET_MS, 'ABOVE TARGET')}]"
        f", min {min(every):.0f} ms, max {max(every):.0f} ms"
    )
    for name, decision in decisions:
        chart = breakeven_chart(decision, prices, assumptions)
        assert chart is not None
        lines = curves(decision, prices, assumptions)
        assert lines is not None
        print(
            f"  {name:<24} median {statistics.median(times[name]):.0f} ms, p95 "
            f"{p95(times[name]):.0f} ms; {len(chart.png) / 1024:.0f} KiB, "
            f"{len(lines.calls)} volumes, {'log' if lines.log_scale else 'linear'} axes, "
            f"{len(chart.alt_text)} characters of alt text"
        )
    engine = curves_ms(decisions, args.rounds)
    print(
        f"of which the curves (the engine's breakeven at each volume): median "
        f"{statistics.median(engine):.1f} ms, p95 {p95(engine):.1f} ms"
    )
    if args.cold_runs:
        cold = cold_ms(args.cold_runs)
        print(
            f"first chart in a fresh process, importing matplotlib ({args.cold_runs} runs): "
            f"median {statistics.median(cold):.0f} ms, max {max(cold):.0f} ms"
        )


if __name__ == "__main__":
    main()
