"""Golden tests for the rendered verdicts, headline first: text, and Block Kit parsed and
validated with slack_sdk. Decided on the fixture sheet, on a fixed day (2026-12-06: Sonnet 4.5
retired on 2026-11-30), so the figures can be checked by hand and don't move with the shipped
sheet."""

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from bot import render, verdict
from knowledge import Facts, decide
from knowledge.decision import MATH_KEYS
from knowledge.documents import read_document
from tests.golden_files import GOLDEN, check_golden, check_golden_blocks

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TODAY = dt.date(2026, 12, 6)


def example(name: str) -> dict:
    return read_document(ROOT / "examples" / f"{name}.json")


# Golden cases beyond examples/: one per kind of verdict version 2 can give.
CASES = {
    "acme-batch": {**example("acme-ticket-routing"), "batch_ok": True},
    "acme-retired-model": {**example("acme-ticket-routing"), "frontier_model": "claude-sonnet-4-5"},
    "robot-on-device": {
        "use_case": "Warehouse robot: parse spoken commands on the robot, no network",
        "request": "latency",
        "task_type": "classification",
        "monthly_calls": 2_000_000,
        "on_device": True,
        "labeled_examples": 5000,
    },
    "icd10-build-dataset": {
        **example("icd10-coding-no-labels"),
        "other_baselines": {"claude-haiku-5-5": 0.7},
    },
    "voice-no-fast-serving": {**example("voice-agent-latency"), "first_token_ms": 30},
    "claims-structured-outputs": {
        "use_case": "Insurer: claims into a strict JSON schema",
        "request": "output_format",
        "task_type": "extraction",
        "monthly_calls": 5_000_000,
        "strict_format": True,
        "format_schema": True,
        "baseline_measured": True,
        "baseline_quality": 0.9,
        "target_quality": 0.97,
        "labeled_examples": 5000,
    },
    "acme-haiku-5-5-measured": {
        **example("acme-ticket-routing"),
        "other_baselines": {"claude-haiku-5-5": 0.92},
    },
}
ALL = {e.stem: read_document(e) for e in EXAMPLES} | CASES


def decided(facts: dict, prices, assumptions):
    return decide(Facts.model_validate(facts), prices, assumptions, TODAY)


def decision_for(name: str, prices, assumptions):
    return decided(ALL[name], prices, assumptions)


def section_texts(blocks):
    return [b.text.text for b in Block.parse_all(blocks) if isinstance(b, SectionBlock) and b.text]


def shown(blocks) -> str:
    """Every word a Slack user would read in a message."""
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(ALL))
def test_verdict_blocks_match_golden(name, prices, assumptions, update_golden):
    decision = decision_for(name, prices, assumptions)
    blocks = render.verdict_blocks(decision)

    parsed = Block.parse_all(blocks)
    assert [b.to_dict() for b in parsed] == blocks
    assert isinstance(parsed[0], HeaderBlock)
    assert parsed[0].text.text == verdict.headline(decision)  # headline first
    assert isinstance(parsed[-1], ContextBlock)
    assert len(blocks) <= 50
    check_golden_blocks(f"{name}.blocks.json", blocks, update_golden)


@pytest.mark.parametrize("name", sorted(ALL))
def test_verdict_text_matches_golden(name, prices, assumptions, update_golden):
    decision = decision_for(name, prices, assumptions)
    text = render.verdict_text(decision)
    assert text.splitlines()[0] == verdict.headline(decision)
    check_golden(GOLDEN / f"{name}.txt", text, update_golden)


# -- the headline and what would have to be true ------------------------------------------------

HEADLINES = {
    "acme-ticket-routing": (
        "Measure Claude Haiku 5.5 first · a fine-tune would save $7,670 a month against Haiku "
        "4.5, but not against Haiku 5.5"
    ),
    "payments-fraud-tagging": "Fine-tune: saves $142,000 a month, pays back in 0.2 months",
    "voice-agent-latency": (
        "Fine-tune: the only way to a first token within 80 ms · on cost alone it never pays back"
    ),
    "robot-on-device": "Fine-tune: only a small model runs on the device · build about $37,500",
    "brand-voice": "Prompt: brand voice is a prompt job · Claude Haiku 4.5 costs $140 a month",
    "acme-haiku-5-5-measured": (
        "Prompt: a fine-tune never pays back · Claude Haiku 5.5 costs $975 a month"
    ),
    "claims-structured-outputs": (
        "Prompt: nothing here calls for a fine-tune · Claude Haiku 4.5 costs $8,750 a month"
    ),
    "knowledge-base": (
        "RAG, not a fine-tune: fine-tuning on documents doesn't teach them · Claude Haiku 4.5 "
        "costs about $1,200 a month"
    ),
    "icd10-build-dataset": "Build the training set first: 700 more examples to label, about $700",
    "first-message": "More facts needed: 3 questions before a verdict",
}


@pytest.mark.parametrize("name", sorted(HEADLINES))
def test_every_verdict_opens_with_its_headline_and_number(name, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    assert verdict.headline(decision) == HEADLINES[name]
    assert render.verdict_fallback_text(decision) == f"Verdict: {HEADLINES[name]}"


def test_what_would_have_to_be_true_is_in_the_blocks_too(prices, assumptions):
    blocks = render.verdict_blocks(decision_for("payments-fraud-tagging", prices, assumptions))
    texts = "\n".join(section_texts(blocks))
    assert (
        "*What would have to be true:* pays back within 12 months from 5.7M calls a month "
        "(today 200M). At today's volume the build must cost under $1.7M."
    ) in texts


@pytest.mark.parametrize(
    "name", ["brand-voice", "knowledge-base", "improve-quality", "claims-structured-outputs"]
)
def test_no_thresholds_where_the_request_or_no_case_decides(name, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    assert decision.thresholds is not None  # the engine has them; showing them would confuse
    text = render.verdict_text(decision) + shown(render.verdict_blocks(decision))
    assert "would have to be true" not in text.lower()
    assert "pays back within" not in text


@pytest.mark.parametrize(
    ("name", "sentences"),
    [
        pytest.param(
            "acme-ticket-routing",
            (
                "If Claude Haiku 5.5 reaches 91%, what Haiku 4.5 scored, prompting it costs $975 a "
                "month and the fine-tune never pays back. If it doesn't, the fine-tune pays back "
                "in 3.6 months against Haiku 4.5.",
                "What would have to be true against Haiku 4.5: pays back within 12 months from "
                "6.4M calls a month (today 15M). At today's volume the build must cost under "
                "$91,000.",
            ),
            id="measure-first-says-what-each-outcome-means",
        ),
        pytest.param(
            "acme-haiku-5-5-measured",
            (
                "What would have to be true: would pay back within 12 months from 86M calls a "
                "month (today 15M), except between 91M and 94M, where one more GPU eats the "
                "savings.",
            ),
            id="dead-zones-are-named-when-today-is-below-them",
        ),
        pytest.param(
            "icd10-build-dataset",
            (
                "300 labeled examples exist; a fine-tune needs at least 1,000. Labelling the "
                "other 700 at $1.00 each (medical) costs about $700.",
            ),
            id="build-dataset-prices-the-missing-examples",
        ),
        pytest.param(
            "acme-batch",
            (
                "Prompting Claude Haiku 4.5 in batch: $0.33 per 1,000 calls · $4,875 a month",
                "Claude Haiku 5.5 (measure it first): $487 a month in batch ($975 realtime)",
                "(busy GPU time only)",
            ),
            id="batch-is-marked-in-the-math-and-the-alternatives",
        ),
    ],
)
def test_the_verdict_text_says(name, sentences, prices, assumptions):
    text = render.verdict_text(decision_for(name, prices, assumptions))
    for sentence in sentences:
        assert sentence in text


# -- warnings stand out, in every format ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("acme-retired-model", "Claude Sonnet 4.5 retired on 2026-11-30: priced as Claude Sonnet"),
        ("acme-ticket-routing", "below Claude Haiku 4.5's 4,096-token cache minimum"),
        ("voice-no-fast-serving", "No serving option in the price sheet is known to reach"),
    ],
)
def test_warnings_come_right_under_the_headline(name, warning, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    assert any(warning in w for w in verdict.Words(decision).warnings)

    lines = render.verdict_text(decision).splitlines()
    at = next(i for i, line in enumerate(lines) if warning in line)
    assert lines[at].startswith("⚠️ ") and at <= 4

    blocks = render.verdict_blocks(decision)
    at = next(i for i, b in enumerate(blocks) if warning in shown([b]))
    assert blocks[at]["type"] == "section" and at <= 2
    assert blocks[at]["text"]["text"].startswith("⚠️ ")


def test_a_retired_model_is_never_suggested_and_its_successor_is_labelled(prices, assumptions):
    text = render.verdict_text(decision_for("acme-retired-model", prices, assumptions))
    listed = text.split("Ways of prompting it")[1].split("Next step")[0]
    assert "- Claude Sonnet 4.5" not in listed
    # Sonnet 4.5's score is not its successor's: nobody has measured Sonnet 5.5
    assert (
        "Claude Sonnet 5.5 (replaces your Claude Sonnet 4.5): $34,500 a month · not measured"
    ) in listed
    assert "Mythos" not in text  # invitation-only, however cheap


def test_on_device_has_no_cloud_serving_and_no_claude_price(prices, assumptions):
    decision = decision_for("robot-on-device", prices, assumptions)
    text = render.verdict_text(decision) + shown(render.verdict_blocks(decision))
    assert "$37,500" in text
    for word in ("Ways of prompting", "Prompting Claude", "per 1,000 calls", "plan serving"):
        assert word not in text


# -- words for people ---------------------------------------------------------------------------

FIELD_NAMES = set(Facts.model_fields) | set(MATH_KEYS)


@pytest.mark.parametrize("name", sorted(ALL))
def test_no_field_names_or_engine_ids_reach_people(name, prices, assumptions):
    decision = decision_for(name, prices, assumptions)
    text = render.verdict_text(decision) + shown(render.verdict_blocks(decision))
    used = {w for w in re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text) if w in FIELD_NAMES}
    assert not used
    assert not re.search(r"\bclaude-[a-z]+-\d", text)  # model ids: "Claude Haiku 4.5"
    assert " pts" not in text
    for line in text.splitlines():
        assert line.count("(") == line.count(")"), line


def test_quality_keeps_its_decimal(prices, assumptions):
    facts = {**example("acme-ticket-routing"), "baseline_quality": 0.995, "target_quality": 0.999}
    text = render.verdict_text(decided(facts, prices, assumptions))
    assert "reaches 99.5%" in text and "99.5% vs 99.9% target (gap 0.4 points)" in text
    assert "100%" not in text


def test_a_long_price_sheet_source_is_shortened_at_a_clause(prices, assumptions):
    long = (
        "Claude models: LiteLLM model_prices_and_context_window_backup.json, litellm 1.110.2 "
        "wheel (PyPI), read 2026-12-06, cross-checked with stored copies of platform.claude.com "
        "pricing (read 2026-12-06); GPUs: Modal per-second rates (modal.com/pricing)"
    )
    sheet = prices.model_copy(update={"source": long})
    decision = decide(Facts.model_validate(example("acme-ticket-routing")), sheet, assumptions)
    last = render.verdict_text(decision).splitlines()[-1]
    assert last == (
        "Prices as of 2026-11-20 · source: Claude models: LiteLLM "
        "model_prices_and_context_window_backup.json, litellm 1.110.2 wheel (PyPI) …"
    )


@pytest.mark.parametrize(
    ("per_call", "shown_as"),
    [(0.00065, "$0.65"), (3.89333e-05, "$0.039"), (0.0028, "$2.80"), (0.2, "$200"), (0, "$0")],
)
def test_per_call_prices_read_per_thousand_calls(per_call, shown_as):
    assert verdict.per_thousand(per_call) == shown_as


@pytest.mark.parametrize(
    ("value", "direction", "shown_as"),
    [
        (53_017.33, "nearest", "$53,000"),
        (7_666.0, "nearest", "$7,670"),
        (975.4, "nearest", "$975"),
        (91_992.0, "down", "$91,900"),
        (1_701_936.0, "nearest", "$1.7M"),
    ],
)
def test_money_in_sentences_is_rounded(value, direction, shown_as):
    assert verdict.about(value, direction) == shown_as


def test_assumptions_read_as_sentences(prices, assumptions):
    lines = verdict.assumption_lines(
        [
            "input_tokens defaulted to 500 for classification",
            "output_tokens defaulted to 5 for classification",
            "cached_prefix_tokens assumed 0 (no stable prompt prefix to cache)",
            "frontier_model defaulted to claude-haiku-4-5",
            "ops overhead $1,500/month",
        ]
    )
    assert lines == [
        "500 input / 5 output tokens a call, typical for classification (give yours to sharpen it)",
        "no cached prompt prefix (no fixed instructions or examples given)",
        "priced on Claude Haiku 4.5: no model was named",
        "ops overhead $1,500/month",
    ]


def test_need_info_asks_the_bots_questions(prices, assumptions):
    blocks = render.verdict_blocks(decision_for("first-message", prices, assumptions))
    texts = "\n".join(section_texts(blocks))
    assert "*To decide I still need:*" in texts
    assert "• *How many calls a month in production?*" in texts
    assert "monthly_calls" not in shown(blocks)


# -- safety and limits --------------------------------------------------------------------------


def test_user_text_cannot_ping_or_break_json(prices, assumptions):
    hostile = 'Acme <!channel> "quoted" \\ back\nslash <https://evil|click> & more ' + "x" * 1500
    decision = decide(Facts(use_case=hostile, task_type="classification"), prices, assumptions)
    blocks = render.verdict_blocks(decision)
    workload = blocks[1]["elements"][0]["text"]

    assert "<!channel>" not in shown(blocks)
    assert "&lt;!channel&gt;" in workload
    assert "<https://evil" not in shown(blocks)
    assert len(workload) < 400


def test_infinite_math_renders_as_never(prices, assumptions):
    facts = {**example("acme-ticket-routing"), "frontier_model": "claude-haiku-5-5"}
    blocks = render.verdict_blocks(decided(facts, prices, assumptions))
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]

    assert "*Payback*\nnever: the savings don't cover the ops" in fields
    assert "∞" not in shown(blocks) and "inf" not in shown(blocks)


def test_the_verdict_renders_without_jinja_slack_sdk_or_a_database():
    """`ftscope decide --format text` imports bot.render: it must stay cheap (issue 11)."""
    code = (
        "import sys, datetime as dt\n"
        "from bot import render\n"
        "from knowledge import Facts, decide, load_price_sheet, load_assumptions\n"
        "d = decide(Facts(task_type='classification', monthly_calls=10**7), load_price_sheet(),"
        " load_assumptions(), dt.date(2026, 12, 6))\n"
        "render.verdict_text(d)\n"
        "print(sorted(m for m in ('jinja2', 'slack_sdk', 'sqlalchemy', 'bot.digest')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([{"type": "divider"}] * 51, "51 blocks"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3001 chars"),
        (
            [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "x"},
                    "fields": [{"type": "mrkdwn", "text": "y"}] * 11,
                }
            ],
            "11 fields",
        ),
        (
            [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "x"},
                    "fields": [{"type": "mrkdwn", "text": "y" * 2001}],
                }
            ],
            "2001 chars",
        ),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151 chars"),
        ([{"type": "nonsense"}], "unknown type"),
    ],
)
def test_blocks_beyond_slack_limits_are_refused(blocks, problem):
    with pytest.raises(render.RenderError, match=problem):
        render.validate_blocks(blocks)
