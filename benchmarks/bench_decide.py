"""How fast the engine decides, in-process and as a whole `ftscope decide` process.

In process: every example of examples/ and, for each one with a workload, the same facts with
`batch_ok: true` (batch rates, scale-to-zero serving), decided in a loop with the shipped sheet.
Every decision that has math computes its `thresholds` (by replica band): the figure counts them.

Whole process: `ftscope decide examples/acme-ticket-routing.json` in each format, the formats
taking turns so a busy machine slows them alike, in an empty folder with DATABASE_URL unset
(the shipped sheet, no database: the common case).

Run: python benchmarks/bench_decide.py [--seconds 3] [--runs 20]
Targets (issue 11): 5,000 decisions a second; each format under 300 ms median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import machine, mark, p95

from knowledge import Facts, decide, load_assumptions, load_price_sheet

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
FORMATS = ("json", "text", "blocks")
TARGET_RATE = 5_000
TARGET_MS = 300


def benchmark_facts() -> list[Facts]:
    facts = []
    for path in EXAMPLES:
        data = json.loads(path.read_text())
        facts.append(Facts.model_validate(data))
        if data.get("monthly_calls") is not None:
            facts.append(Facts.model_validate({**data, "batch_ok": True}))
    return facts


def decisions_per_second(seconds: float, today: dt.date) -> tuple[float, int, int, int]:
    """(decisions a second, decisions made, facts, facts whose decision has thresholds)."""
    prices, assumptions = load_price_sheet(), load_assumptions()
    facts = benchmark_facts()
    with_thresholds = sum(
        decide(f, prices, assumptions, today=today).to_json()["thresholds"] is not None
        for f in facts
    )
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for f in facts:
            decide(f, prices, assumptions, today=today).to_json()
        count += len(facts)
    return count / elapsed, count, len(facts), with_thresholds


def whole_process_ms(runs: int) -> dict[str, list[float]]:
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent)) or "ftscope"
    example = str(ROOT / "examples" / "acme-ticket-routing.json")
    env = {k: v for k, v in os.environ.items() if k.upper() != "DATABASE_URL"}
    times: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
    with tempfile.TemporaryDirectory(prefix="ftscope-bench-") as folder:
        for fmt in FORMATS:  # warm the file cache; not counted
            command = [ftscope, "decide", example, "--format", fmt]
            subprocess.run(command, check=True, capture_output=True, cwd=folder, env=env)
        for _ in range(runs):
            for fmt in FORMATS:
                command = [ftscope, "decide", example, "--format", fmt]
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, cwd=folder, env=env)
                times[fmt].append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--today", type=dt.date.fromisoformat, default=dt.date.today(), help="YYYY-MM-DD"
    )
    args = parser.parse_args()

    print(machine())
    rate, count, facts, with_thresholds = decisions_per_second(args.seconds, args.today)
    sheet = load_price_sheet()
    print(
        f"decide(): {rate:,.0f} decisions/s [{mark(rate >= TARGET_RATE, 'BELOW TARGET')}, target "
        f"{TARGET_RATE:,}] ({count:,} decisions of {facts} facts, {with_thresholds} with "
        f"thresholds; shipped sheet: {len(sheet.models)} models, "
        f"{len(sheet.finetune_serving)} serving options)"
    )
    times = whole_process_ms(args.runs)
    for fmt in FORMATS:
        median = statistics.median(times[fmt])
        print(
            f"ftscope decide --format {fmt:<6} ({args.runs} runs): median {median:.0f} ms "
            f"[{mark(median < TARGET_MS, 'ABOVE TARGET')}, target {TARGET_MS}], "
            f"p95 {p95(times[fmt]):.0f} ms, min {min(times[fmt]):.0f} ms"
        )


if __name__ == "__main__":
    main()
