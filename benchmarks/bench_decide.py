"""How fast the engine decides, in-process and as a whole `ftscope decide` process.

Run: python benchmarks/bench_decide.py [--seconds 3] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from knowledge import Facts, decide, load_assumptions, load_price_sheet

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def decisions_per_second(seconds: float) -> tuple[float, int]:
    prices, assumptions = load_price_sheet(), load_assumptions()
    facts = [Facts.model_validate(json.loads(p.read_text())) for p in EXAMPLES]
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for f in facts:
            decide(f, prices, assumptions).to_json()
        count += len(facts)
    return count / elapsed, count


def whole_process_ms(runs: int) -> list[float]:
    ftscope = shutil.which("ftscope", path=str(Path(sys.executable).parent)) or "ftscope"
    example = str(ROOT / "examples" / "acme-ticket-routing.json")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([ftscope, "decide", example], check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    rate, count = decisions_per_second(args.seconds)
    print(
        f"decide(): {rate:,.0f} decisions/s ({count:,} decisions over {len(EXAMPLES)} examples, "
        f"shipped sheet with its {len(load_price_sheet().finetune_serving)} serving options)"
    )
    times = sorted(whole_process_ms(args.runs))
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(
        f"ftscope decide (whole process, {args.runs} runs): "
        f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, min {times[0]:.0f} ms"
    )


if __name__ == "__main__":
    main()
