"""How long reading LiteLLM's full price map takes, and how much memory it needs at its peak.

The weekly refresh fetches LiteLLM's `model_prices_and_context_window.json` (about 2,500
entries, 1.6 MB) and keeps only Anthropic's own Claude chat models. This measures that step on
a generated file of the same size and shape: `json.loads` of the text, then
`knowledge.price_sources.read_source` (pick the Claude entries, validate them). The entries
are real ones from tests/fixtures/litellm_prices.json (a verbatim excerpt of LiteLLM's file)
under new names with jittered prices, so key sets, nesting and sizes are LiteLLM's own; there
is no network in the loop, which is measured elsewhere (the fetch has its own timeout).

Run: python benchmarks/bench_price_sources.py [--entries 2500] [--claude 60] [--runs 20]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.price_sources import is_claude_chat, read_source

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "litellm_prices.json"
REAL_FILE_BYTES = 1_642_422  # LiteLLM's file at commit 00035b69 (research/anthropic.md §6)

# Claude-like names the generated anthropic entries get (LiteLLM lists aliases and dated ids).
FAMILIES = ("haiku", "sonnet", "opus", "fable")
MULTIPLIERS = (0.1, 0.25, 0.5, 0.8, 1.0, 1.0, 1.0, 1.25, 2.0, 3.0)
# Shapes are picked with weight 1 / size**SIZE_BIAS: the excerpt over-represents big entries.
SIZE_BIAS = 0.2


def _is_price(key: str, value: object) -> bool:
    return (
        isinstance(value, float)
        and value > 0
        and ("cost_per" in key or key.endswith("_token_cost") or "_token_cost_" in key)
    )


def _jittered(entry: dict[str, Any], factor: float) -> dict[str, Any]:
    """A copy with every price scaled by one factor, so cache read ≤ input still holds."""
    out = copy.deepcopy(entry)
    for key, value in out.items():
        if _is_price(key, value):
            out[key] = float(f"{value * factor:.6g}")
    return out


def generate_litellm_file(entries: int, claude: int = 60, seed: int = 0) -> dict[str, Any]:
    """A LiteLLM-format document with `entries` entries, `claude` of them Claude chat models.

    `sample_spec` first, as in the real file; the rest mostly other providers (Bedrock and
    Vertex copies of Claude, OpenAI, Gemini, embeddings, images…), shuffled. Deterministic
    for a given seed. Small shapes are picked more often, so the mean entry (about 650 bytes
    indented) matches the real file's 1.6 MB for 2,500 entries.
    """
    real = json.loads(FIXTURE.read_text(encoding="utf-8"))
    claude_shapes = [entry for key, entry in real.items() if is_claude_chat(key, entry)]
    other_shapes = [
        (key, entry)
        for key, entry in real.items()
        if key != "sample_spec" and not is_claude_chat(key, entry)
    ]
    weights = [1 / len(json.dumps(entry)) ** SIZE_BIAS for _, entry in other_shapes]
    rng = random.Random(seed)
    claude = max(0, min(claude, entries - 1))
    generated: list[tuple[str, dict[str, Any]]] = []
    for index in range(claude):
        family = FAMILIES[index % len(FAMILIES)]
        name = f"claude-{family}-{3 + index // 16}-{index % 16}"
        if index % 2:
            name += f"-2026{1 + index % 12:02d}{1 + index % 28:02d}"
        generated.append((name, _jittered(rng.choice(claude_shapes), rng.choice(MULTIPLIERS))))
    for index in range(entries - 1 - claude):
        (key, shape) = rng.choices(other_shapes, weights)[0]
        generated.append((f"{key}-v{index}", _jittered(shape, rng.choice(MULTIPLIERS))))
    rng.shuffle(generated)
    return {"sample_spec": copy.deepcopy(real["sample_spec"]), **dict(generated)}


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
    parser.add_argument("--entries", type=int, default=2500)
    parser.add_argument("--claude", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    document = generate_litellm_file(args.entries, args.claude)
    text = json.dumps(document, indent=4)  # LiteLLM's own layout
    parsed = json.loads(text)
    source = read_source(parsed, "generated")
    print(
        f"generated LiteLLM file: {len(document):,} entries, {len(text.encode()) / 1e6:.2f} MB "
        f"(the real one: {REAL_FILE_BYTES / 1e6:.2f} MB); "
        f"{len(source.models)} Claude chat models kept, {source.skipped:,} skipped"
    )
    read_source(parsed, "warm-up")
    both = timed_ms(lambda: read_source(json.loads(text), "generated"), args.runs)
    parse_only = timed_ms(lambda: json.loads(text), args.runs)
    read_only = timed_ms(lambda: read_source(parsed, "generated"), args.runs)
    print(f"json.loads + read_source ({args.runs} runs): {summary(both)}")
    print(f"  json.loads alone:  {summary(parse_only)}")
    print(f"  read_source alone: {summary(read_only)}")
    peak_both = peak_mib(lambda: read_source(json.loads(text), "generated"))
    peak_read = peak_mib(lambda: read_source(parsed, "generated"))
    print(
        f"peak traced memory: {peak_both:.1f} MiB for json.loads + read_source "
        f"(the parsed document included), {peak_read:.2f} MiB for read_source alone "
        f"(text of {len(text) / 2**20:.1f} MiB held outside)"
    )


if __name__ == "__main__":
    main()
