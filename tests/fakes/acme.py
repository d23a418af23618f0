"""The Acme thread the tests script: two messages, and what an honest extractor reads in them.

FIRST and ANSWER decide VERDICT: Haiku 5.5, cheaper and not measured yet, would make the fine-tune
moot, so measure it first; the verdict's headline opens with HEADLINE. At 150M calls a month (the
"150M" correction) the fine-tune pays back even against Haiku 5.5 on the test sheet
(tests/fixtures/prices.yaml): "fine_tune". On the shipped sheet Haiku 5.5 is cheaper still and
150M stays VERDICT: it takes 1.5B calls a month to make it "fine_tune" there. Each update quotes
the words it came from: (field, value, quote).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.claude_api import FakeClaude

VERDICT = "measure_baseline"
HEADLINE = "Measure Claude Haiku 5.5 first"  # then " · " and the saving, on either sheet
# What FIRST and ANSWER state, as facts (spec/conversation.md's workload).
FACTS = {
    "task_type": "classification",
    "monthly_calls": 15_000_000,
    "input_tokens": 600,
    "output_tokens": 10,
    "cached_prefix_tokens": 450,
    "frontier_model": "claude-haiku-4-5",
    "baseline_measured": True,
    "baseline_quality": 0.91,
    "target_quality": 0.93,
    "labeled_examples": 40_000,
}

FIRST = "Acme wants to fine-tune for support ticket routing, ~15M tickets/mo"
ANSWER = (
    "we ran haiku 4.5, 91% vs their 93% bar. they have ~40k labeled. ~600 tokens in, 10 out, "
    "450 of it is the instructions"
)
# Keyed by words of the message the updates are read from.
SCRIPT: dict[str, list[tuple[str, str, str]]] = {
    "ticket routing": [
        ("use_case", "Acme: support ticket routing", "support ticket routing"),
        ("task_type", "classification", "ticket routing"),
        ("monthly_calls", "15000000", "~15M tickets/mo"),
    ],
    "we ran haiku": [
        ("frontier_model", "claude-haiku-4-5", "haiku 4.5"),
        ("baseline_measured", "true", "we ran haiku 4.5"),
        ("baseline_quality", "0.91", "91%"),
        ("target_quality", "0.93", "93% bar"),
        ("labeled_examples", "40000", "~40k labeled"),
        ("input_tokens", "600", "~600 tokens in"),
        ("output_tokens", "10", "10 out"),
        ("cached_prefix_tokens", "450", "450 of it is the instructions"),
    ],
    "150M": [("monthly_calls", "150000000", "150M a month")],
}


def script_acme(claude: FakeClaude) -> None:
    """An honest extractor for the Acme thread: the fake Claude reads SCRIPT."""
    for words, updates in SCRIPT.items():
        claude.says(words, *updates)
