"""How long reading LiteLLM's full price map takes, and how much memory it needs at its peak.

The weekly refresh fetches LiteLLM's `model_prices_and_context_window.json` (4,878 entries,
3.5 MB in litellm 1.110.2) and keeps only Anthropic's own Claude chat models. This measures that
step on the map `tests/fakes/litellm_map.py` generates at the same size and shape (the refresh
tests read the same one): `json.loads` of the text, `knowledge.price_sources.read_source` (sort
every entry into kept or skipped-for-a-reason, validate the kept ones), and the merge over the
shipped sheet. There is no network in the loop, which is measured elsewhere (the fetch has its
own timeout).

Run: python benchmarks/bench_price_sources.py [--entries 4878] [--runs 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not installed

from knowledge import load_price_sheet
from knowledge.price_sources import read_source, read_source_text
from knowledge.refresh import SourceRead, merge_sources
from tests.fakes.litellm_map import REAL_BYTES, REAL_ENTRIES, litellm_map

TODAY = dt.date(2026, 12, 7)


def timed_ms(step: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def peak_mib(step: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def summary(times: list[float]) -> str:
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, min {times[0]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=REAL_ENTRIES)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    document = litellm_map(args.entries, seed=args.seed)
    text = json.dumps(document, indent=4)  # LiteLLM's own layout
    parsed = json.loads(text)
    source = read_source(parsed, "generated")
    base = load_price_sheet()
    merged = merge_sources(base, [SourceRead("generated", data=source)], TODAY)
    (outcome,) = merged.outcomes
    print(
        f"generated LiteLLM map: {len(document):,} entries, {len(text.encode()) / 1e6:.2f} MB "
        f"(litellm 1.110.2's: {REAL_ENTRIES:,} entries, {REAL_BYTES / 1e6:.2f} MB); "
        f"{len(source.models)} Claude chat models read, {len(outcome.stored_models)} stored, "
        f"{outcome.skipped_count:,} skipped:"
    )
    for skipped in outcome.skipped:
        print(f"  {skipped.count:>6,}  {skipped.reason}")
    read_source(parsed, "warm-up")
    both = timed_ms(lambda: read_source_text(text, "generated"), args.runs)
    parse_only = timed_ms(lambda: json.loads(text), args.runs)
    read_only = timed_ms(lambda: read_source(parsed, "generated"), args.runs)
    reads = [SourceRead("generated", data=source)]
    merge_only = timed_ms(lambda: merge_sources(base, reads, TODAY), args.runs)
    print(f"read_source_text (json.loads + read_source, {args.runs} runs): {summary(both)}")
    print(f"  json.loads alone:    {summary(parse_only)}")
    print(f"  read_source alone:   {summary(read_only)}")
    print(f"  merge_sources alone: {summary(merge_only)}")
    peak_both = peak_mib(lambda: read_source_text(text, "generated"))
    peak_read = peak_mib(lambda: read_source(parsed, "generated"))
    print(
        f"peak traced memory: {peak_both:.1f} MiB for read_source_text (the parsed document "
        f"included), {peak_read:.2f} MiB for read_source alone (text of "
        f"{len(text) / 2**20:.1f} MiB held outside)"
    )


if __name__ == "__main__":
    main()
