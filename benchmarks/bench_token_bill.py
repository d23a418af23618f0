"""The Claude token bill of a scripted 4-turn scoping thread, with prompt caching and without.

The real conversation (`bot.conversation.Conversation`) and the real Claude client
(`bot.claude.ClaudeClient`) run against the fake Messages API of tests/fakes/claude_api.py on a
loopback port, which simulates prompt caching as the API documents it: breakpoints from
`cache_control`, prefix hashes, a 20-block lookback, the model's minimum cacheable prefix (4,096
tokens for claude-haiku-4-5, below which nothing is cached and no error is raised). Tokens are
estimated as len(text)/4 rounded, so the figures are estimates of shape, not an invoice; costs
come from `Usage.cost_usd` with the shipped price sheet (cache writes at 1.25× input, reads at
0.1×).

"Without caching" is the same thread against a server that ignores `cache_control`, i.e. every
token is billed as input: what the bill would be if the prefix fell under the minimum.

Run: python benchmarks/bench_token_bill.py [--model claude-haiku-4-5]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not installed

from bot import render
from bot.claude import ClaudeClient
from bot.conversation import Conversation, Turn
from bot.extraction import Extraction, ExtractRequest, Usage
from bot.prompt import estimated_tokens, system_prompt
from bot.settings import DEFAULT_CLAUDE_MODEL
from bot.storage import Store, create_schema, make_engine
from knowledge import PriceSheet, load_assumptions, load_price_sheet
from tests.fakes import acme
from tests.fakes.claude_api import CacheSimulator, FakeClaude, newest_user_text

TURNS = [acme.FIRST, acme.ANSWER, "actually it's 150M a month, not 15M", "thanks!"]
# The bot's question after each scripted reply (tests/fakes/acme.py SCRIPT has the updates); a
# reply not named here asks none.
QUESTIONS: dict[str, str] = {
    "ticket routing": "Thanks! To size this up: has anyone tried a well-prompted frontier model "
    "on it (which one, what accuracy, and what's the bar)? How many labeled examples of "
    "correct routing exist (e.g. 5k, 40k)? And roughly how many tokens go in and out per "
    "ticket (e.g. 600 in / 10 out)?",
}
COMPANIES = ["Acme", "Globex", "Initech"]
THREAD = ("T0BENCH", "C0SALES", "1800000000.000001", "U0SAM")


def scripted_reply(body: dict[str, Any]) -> dict[str, Any]:
    newest = newest_user_text(body)
    updates, question = [], ""
    for words, script in acme.SCRIPT.items():
        if words in newest:
            updates += [{"field": f, "value": v, "quote": q} for f, v, q in script]
            question = question or QUESTIONS.get(words, "")
    return {"updates": updates, "question": question}


class RecordingExtractor:
    """The real Claude client, keeping each turn's usage for the table."""

    def __init__(self, client: ClaudeClient) -> None:
        self.client = client
        self.usages: list[Usage] = []

    def extract(self, request: ExtractRequest) -> Extraction:
        extraction = self.client.extract(request)
        assert extraction.usage is not None
        self.usages.append(extraction.usage)
        return extraction


class NothingCachedWarnings(logging.Filter):
    """Counts (and keeps off the terminal) the bot's "nothing cached" warning."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "nothing cached" in record.getMessage():
            self.count += 1
            return False
        return True


@dataclass(frozen=True)
class Row:
    turn: str
    kind: str
    usage: Usage
    cost: float


def run_thread(
    model: str, sheet: PriceSheet, *, caching: bool, threads: int = 1
) -> list[list[Row]]:
    """`threads` scoping threads one after the other, each the same 4 turns."""
    fake = FakeClaude(
        scripted_reply, cache=CacheSimulator(sheet, caching), model_suffix="-20251001"
    ).start()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            create_schema(engine)
            extractor = RecordingExtractor(
                ClaudeClient("sk-ant-bench", model, timeout_s=10, base_url=fake.url)
            )
            conversation = Conversation(Store(engine), extractor, lambda: sheet, load_assumptions())
            team, channel, first_ts, user = THREAD
            for t in range(threads):
                thread_ts = f"{first_ts[:-6]}{t * 10 + 1:06d}"
                rows = []
                for n, turn_text in enumerate(TURNS, start=1):
                    # Another buyer in each thread: only the system prompt is shared.
                    text = turn_text.replace("Acme", COMPANIES[t % len(COMPANIES)])
                    ts = f"{first_ts[:-6]}{t * 10 + n:06d}"
                    outcome = conversation.take(Turn(team, channel, thread_ts, user, text, ts))
                    assert outcome is not None
                    # As the Slack edge does once the reply is accepted.
                    reply, _ = render.turn_reply(outcome, conversation.assumptions)
                    conversation.record_reply(outcome, f"1900000000.{t * 10 + n:06d}", reply)
                    usage = extractor.usages[-1]
                    cost = usage.cost_usd(sheet)
                    assert cost is not None, f"the price sheet has no {usage.model}"
                    rows.append(Row(text, outcome.kind, usage, cost))
                results.append(rows)
        finally:
            engine.dispose()
            fake.stop()
    return results


def total(rows: list[Row]) -> tuple[int, int, int, int, float]:
    return (
        sum(r.usage.input_tokens for r in rows),
        sum(r.usage.cache_creation_input_tokens for r in rows),
        sum(r.usage.cache_read_input_tokens for r in rows),
        sum(r.usage.output_tokens for r in rows),
        sum(r.cost for r in rows),
    )


def print_table(title: str, rows: list[Row]) -> None:
    print(title)
    header = f"  {'turn':<44} {'reply':<10} {'input':>7} {'c.write':>8} {'c.read':>7} "
    print(header + f"{'output':>7} {'cost USD':>10}")
    for n, row in enumerate(rows, start=1):
        u = row.usage
        words = row.turn if len(row.turn) <= 40 else row.turn[:39] + "…"
        print(
            f"  {n}. {words:<41} {row.kind:<10} {u.input_tokens:>7,} "
            f"{u.cache_creation_input_tokens:>8,} {u.cache_read_input_tokens:>7,} "
            f"{u.output_tokens:>7,} {row.cost:>10.6f}"
        )
    i, w, r, o, c = total(rows)
    print(f"  {'total':<55} {i:>7,} {w:>8,} {r:>7,} {o:>7,} {c:>10.6f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=DEFAULT_CLAUDE_MODEL)
    args = parser.parse_args()
    sheet = load_price_sheet()
    if args.model not in sheet.models:
        parser.error(f"the shipped price sheet has no {args.model}")
    minimum = CacheSimulator(sheet).min_cacheable(args.model)

    prompt = system_prompt()
    print(
        f"system prompt: {len(prompt):,} characters ≈ {round(len(prompt) / 4):,} tokens at "
        f"len/4, {estimated_tokens(prompt):,} at the conservative len/5; minimum cacheable "
        f"prefix for {args.model}: {minimum:,} tokens "
        f"({'above' if estimated_tokens(prompt) >= minimum else 'BELOW'} it even at len/5)"
    )
    print(f"model {args.model}, shipped price sheet; tokens estimated as len(text)/4 per block\n")

    warnings = NothingCachedWarnings()
    logging.getLogger("bot.conversation").addFilter(warnings)
    cached, second = run_thread(args.model, sheet, caching=True, threads=2)
    warned_cached = warnings.count
    (uncached,) = run_thread(args.model, sheet, caching=False)
    warned_uncached = warnings.count - warned_cached
    print_table("with caching (server honours cache_control):", cached)
    print()
    print_table("without caching (server ignores cache_control):", uncached)

    ci, cw, cr, _, cost_on = total(cached)
    ui, uw, ur, _, cost_off = total(uncached)
    assert uw == ur == 0
    print()
    print(
        f"input-side tokens: {ci + cw + cr:,} with caching ({cr / (ci + cw + cr):.0%} read from "
        f"cache, {cw / (ci + cw + cr):.0%} written), {ui:,} without"
    )
    print(
        f"cost of the thread: ${cost_on:.6f} with caching vs ${cost_off:.6f} without: "
        f"saving {(cost_off - cost_on) / cost_off:.1%}"
    )
    s_cost = total(second)[4]
    print(
        f"a second thread (another buyer) within the cache TTL: its turn 1 reads "
        f"{second[0].usage.cache_read_input_tokens:,} tokens (the system prompt) from cache; "
        f"the thread costs ${s_cost:.6f}, saving {(cost_off - s_cost) / cost_off:.1%} vs no caching"
    )
    per_turn = json.dumps([r.kind for r in cached])
    print(f"replies, turn by turn: {per_turn}")
    print(
        f'the bot\'s "nothing cached" warning: {warned_cached} of {len(cached) + len(second)} '
        f"calls with caching, {warned_uncached} of {len(uncached)} without"
    )


if __name__ == "__main__":
    main()
