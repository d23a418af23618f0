"""How long the offline extractor takes to read one message, and a whole offline eval run.

Every message of the shipped eval suite is read by `OfflineExtractor.extract`, each time with the
quantity scanner's cache cleared (a real message is read once), and the figures are per message.
Long messages are the slow ones, so the suite's messages are also read pasted together 10× and
50× (a long thread summary pasted into Slack), and hostile shapes at Slack's 40,000 characters.

Run: python benchmarks/bench_offline_extraction.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.evals import Floors, evaluate, load_suite
from bot.extraction import ExtractRequest
from bot.offline import OfflineExtractor
from knowledge import Facts
from knowledge.quantities import _quantities

SLACK_MAX_CHARS = 40_000  # Slack truncates a message's text past this
# Shapes that once made a regex scan quadratic, at Slack's longest message.
HOSTILE = {
    "numbers": "1 2 3 " * 7000,
    "one word": "x" * SLACK_MAX_CHARS,
    "articles": "a " * 20000,
    "percents": "91% vs 93% " * 4000,
    "ranges": "10-20M a month " * 3000,
    "sizes": "600 tokens in, " * 3000,
    "negations": "no not never " * 3500,
}


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))]


def read_times_ms(messages: list[str], repeat: int) -> list[float]:
    extractor, known = OfflineExtractor(), Facts()
    times = []
    for _ in range(repeat):
        for message in messages:
            _quantities.cache_clear()
            start = time.perf_counter()
            extractor.extract(ExtractRequest(message, known))
            times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="reads of each message")
    args = parser.parse_args()

    cases = load_suite()
    messages = [m for case in cases for m in case.messages]
    chars = [len(m) for m in messages]
    times = read_times_ms(messages, args.repeat)
    print(
        f"offline extraction, {len(messages)} messages of the shipped suite "
        f"({min(chars)}–{max(chars)} chars, median {statistics.median(chars):.0f}), "
        f"{args.repeat} reads each, cold cache:"
    )
    p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
    print(f"  per message: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {times[-1]:.2f} ms")
    for factor in (10, 50):
        pasted = [" ".join(messages[i : i + factor]) for i in range(0, len(messages), factor)]
        long_times = read_times_ms(pasted, 1)
        size = statistics.median(len(p) for p in pasted)
        print(
            f"  {factor} messages pasted together (median {size:,.0f} chars): "
            f"p50 {percentile(long_times, 0.5):.1f} ms, max {long_times[-1]:.1f} ms"
        )
    worst = max(
        (read_times_ms([text[:SLACK_MAX_CHARS]], 1)[0], name) for name, text in HOSTILE.items()
    )
    print(
        f"  hostile {SLACK_MAX_CHARS:,}-char messages ({', '.join(HOSTILE)}): "
        f"slowest {worst[0]:.0f} ms ({worst[1]})"
    )
    start = time.perf_counter()
    report = evaluate(cases, OfflineExtractor, Floors(0.0, 0.0, 0.0), "offline")
    elapsed = time.perf_counter() - start
    turns = len(messages)
    print(
        f"whole offline eval: {len(cases)} conversations, {turns} turns in {elapsed:.2f} s "
        f"({elapsed / turns * 1000:.1f} ms a turn incl. storage and decide); verdict accuracy "
        f"{report.verdict_accuracy:.3f}"
    )


if __name__ == "__main__":
    main()
