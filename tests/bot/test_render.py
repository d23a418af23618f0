"""Golden tests for the rendered verdicts: Block Kit parsed and validated with slack_sdk."""

import json
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block, HeaderBlock, SectionBlock

from bot import render
from knowledge import Facts, decide
from knowledge.documents import read_document

ROOT = Path(__file__).parents[2]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def decision_for(example: Path, prices, assumptions):
    return decide(Facts.model_validate(read_document(example)), prices, assumptions)


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"{path.name} was missing and has been written; check it and re-run")
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_verdict_blocks_match_golden(example, prices, assumptions, update_golden):
    blocks = render.verdict_blocks(decision_for(example, prices, assumptions))

    parsed = Block.parse_all(blocks)
    assert [b.to_dict() for b in parsed] == blocks
    assert isinstance(parsed[0], HeaderBlock)
    assert parsed[0].text.text.startswith("Verdict: ")
    assert len(blocks) <= 50
    check_golden(
        GOLDEN / f"{example.stem}.blocks.json",
        json.dumps(blocks, indent=2, ensure_ascii=False) + "\n",
        update_golden,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_verdict_text_matches_golden(example, prices, assumptions, update_golden):
    text = render.verdict_text(decision_for(example, prices, assumptions))
    check_golden(GOLDEN / f"{example.stem}.txt", text, update_golden)


def section_texts(blocks):
    return [b.text.text for b in Block.parse_all(blocks) if isinstance(b, SectionBlock) and b.text]


def test_verdict_shows_questions_math_and_sheet_date(prices, assumptions):
    blocks = render.verdict_blocks(
        decision_for(ROOT / "examples/acme-ticket-routing.json", prices, assumptions)
    )
    texts = "\n".join(section_texts(blocks))
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]

    assert "✅ Q1 baseline measured: 91% vs 93% target (gap 2 pts)" in texts
    assert "✅ Q2 labeled data: 40,000 ≥ 1,000" in texts
    assert "❌ Q3 volume: payback 17.3 months > 12" in texts
    assert "*Payback*\n17.3 months" in fields
    assert "*Build cost*\n$27,500" in fields
    assert "prices as of 2026-11-20" in blocks[-1]["elements"][0]["text"]


def test_user_text_cannot_ping_or_break_json(prices, assumptions):
    hostile = 'Acme <!channel> "quoted" \\ back\nslash <https://evil|click> & more ' + "x" * 1500
    decision = decide(Facts(use_case=hostile, task_type="classification"), prices, assumptions)
    blocks = render.verdict_blocks(decision)
    intro = blocks[1]["text"]["text"]

    assert "<!channel>" not in intro
    assert "&lt;!channel&gt;" in intro
    assert "<https://evil" not in intro
    assert len(intro) < 3000


def test_infinite_math_renders_as_never(prices, assumptions):
    facts = {
        **read_document(ROOT / "examples/acme-ticket-routing.json"),
        "frontier_model": "claude-haiku-5-5",
    }
    blocks = render.verdict_blocks(decide(Facts.model_validate(facts), prices, assumptions))
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]

    assert "*Payback*\nnever" in fields
    assert "*Breakeven*\nnever" in fields


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
