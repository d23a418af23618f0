"""The golden files of tests/golden: what a message or a text looked like when a person last checked
it. A missing one is written and the test fails, so that a new one is always looked at;
`--update-golden` rewrites them all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

GOLDEN = Path(__file__).parent / "golden"


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"{path.name} was missing and has been written; check it and re-run")
    assert actual == path.read_text(encoding="utf-8")


def check_golden_blocks(name: str, blocks: list[dict[str, Any]], update: bool) -> None:
    """Blocks as the JSON a reviewer reads: indented, with the characters Slack shows."""
    check_golden(GOLDEN / name, json.dumps(blocks, indent=2, ensure_ascii=False) + "\n", update)


def valid(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks Slack would take as they are: each one parses back to itself, and no more than the
    50 a message may have."""
    assert [b.to_dict() for b in Block.parse_all(blocks)] == blocks
    assert len(blocks) <= 50
    return blocks
