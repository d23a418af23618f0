"""How long the weekly digest takes to re-decide every stored scoping thread, and its memory.

The digest re-decides each thread with the week's prices to find the verdicts that flip. This
stores N scoping threads (10,000 by default) with varied, realistic facts and their decisions
under the shipped price sheet, then builds the digest with Haiku 4.5 at half price (so a share
of the threads flip) and measures:
- building the digest (read every thread in batches, decide, compare): time and peak traced
  memory (tracemalloc; the database driver's C buffers aren't traced);
- storing the changed decisions afterwards (one transaction);
- rendering the digest's Block Kit.

Run: python benchmarks/bench_digest.py [--threads 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bot import render
from bot.digest import build_digest, store_decisions
from bot.storage import ScopingThread, Store, create_schema, make_engine
from knowledge import Facts, PriceSheet, decide, load_assumptions, load_price_sheet

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
TASKS = ("classification", "extraction", "generation", "chat")
MODELS = ("claude-haiku-4-5", "claude-haiku-5-5", "claude-sonnet-5-5", "claude-sonnet-4-5")


def varied_facts(rng: random.Random, n: int) -> dict[str, Any]:
    """A scoping thread's facts at some stage: most decided, some still asking."""
    facts: dict[str, Any] = {
        "use_case": f"Client {n}: workload {n % 97}",
        "request": rng.choice(["cost", "cost", "latency", "output_format", "other"]),
        "task_type": rng.choice(TASKS),
        "monthly_calls": int(10 ** rng.uniform(5, 8.7)),
    }
    if rng.random() < 0.85:
        input_tokens = rng.choice([300, 600, 1200, 2500])
        facts |= {
            "input_tokens": input_tokens,
            "output_tokens": rng.choice([5, 10, 150, 400]),
            "cached_prefix_tokens": int(input_tokens * rng.choice([0, 0.5, 0.75])),
            "frontier_model": rng.choice(MODELS),
            "baseline_measured": True,
            "baseline_quality": 0.9,
            "target_quality": 0.95,
            "labeled_examples": rng.choice([500, 5_000, 40_000]),
        }
    if facts["request"] == "latency":
        facts["first_token_ms"] = rng.choice([80, 300])
    if facts["request"] == "output_format":
        facts["strict_format"] = rng.random() < 0.5
    return facts


def fill(store: Store, count: int, sheet: PriceSheet) -> None:
    rng = random.Random(48)
    assumptions = load_assumptions()
    rows = []
    now = dt.datetime.now(dt.UTC)
    for n in range(count):
        facts = Facts.model_validate(varied_facts(rng, n))
        decision = decide(facts, sheet, assumptions)
        rows.append(
            {
                "team_id": "T1",
                "channel_id": f"C{n % 20:04d}",
                "thread_ts": f"1700000000.{n:06d}",
                "started_by": "U1",
                "status": "open" if decision.verdict == "need_info" else "decided",
                "facts": facts.known(),
                "fact_quotes": {},
                "last_verdict": decision.verdict.value,
                "last_decision": decision.to_json(),
                "frontier_model": facts.frontier_model,
                "created_at": now,
                "updated_at": now,
            }
        )
    with store.engine.begin() as connection:
        for start in range(0, len(rows), 1000):
            connection.execute(insert(ScopingThread), rows[start : start + 1000])


def cheaper_haiku(sheet: PriceSheet) -> PriceSheet:
    haiku = sheet.models["claude-haiku-4-5"]
    read = haiku.cache_read_input_token_cost
    halved = haiku.model_copy(
        update={
            "input_cost_per_token": haiku.input_cost_per_token / 2,
            "cache_read_input_token_cost": None if read is None else read / 2,
        }
    )
    return sheet.model_copy(update={"models": {**sheet.models, "claude-haiku-4-5": halved}})


def run(url: str, label: str, count: int) -> None:
    engine = make_engine(url)
    create_schema(engine)
    store = Store(engine)
    shipped = load_price_sheet()
    started = time.perf_counter()
    fill(store, count, shipped)
    print(f"{label}: {count:,} threads stored in {time.perf_counter() - started:.1f} s")

    new = cheaper_haiku(shipped)

    def digest_now() -> Any:
        return build_digest(
            store, new, shipped, load_assumptions(), sources=[], bot_model=MODELS[0], now=NOW
        )

    started = time.perf_counter()
    digest = digest_now()
    took = time.perf_counter() - started
    tracemalloc.start()  # a second pass: tracing slows Python several times over
    digest_now()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  re-decide {digest.redecided:,} threads: {took:.2f} s "
        f"({took / max(digest.redecided, 1) * 1e6:.0f} µs a thread), "
        f"peak traced memory {peak / 2**20:.1f} MiB; {len(digest.flips):,} flips, "
        f"{len(digest.decisions):,} decisions changed"
    )
    started = time.perf_counter()
    blocks = render.digest_blocks(digest)
    rendered_ms = (time.perf_counter() - started) * 1000
    print(f"  render the digest: {rendered_ms:.0f} ms, {len(blocks)} blocks")
    started = time.perf_counter()
    store_decisions(store, digest)
    print(
        f"  store {len(digest.decisions):,} changed decisions: "
        f"{time.perf_counter() - started:.1f} s"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite", args.threads)
    if args.postgres:
        schema = f"ftscope_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            sep = "&" if "?" in args.postgres else "?"
            run(f"{args.postgres}{sep}options=-csearch_path%3D{schema}", "PostgreSQL", args.threads)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
