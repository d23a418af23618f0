"""The buttons under a verdict in Slack, and what each button carries.

A button's `value` names the thread (team, channel, thread ts), the workload of it the verdict
was for, and a fingerprint of the decision the verdict was rendered from, so a click on an old
verdict (a later reply superseded it, or the weekly digest re-decided the thread under new
prices) is recognised: the click then acts on that workload as it stands, and says so.

`ftscope decide --format blocks` has no thread and so no buttons: they are added by the Slack
edge when it posts a reply (`with_buttons`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from bot.blocks import MAX_BLOCKS
from bot.outcome import Outcome, OutcomeKind
from knowledge.decision import Decision, Verdict

log = logging.getLogger(__name__)

ADJUST = "ftscope_adjust"
FLIP = "ftscope_flip"
SUMMARY = "ftscope_summary"
NEW_SCOPING = "ftscope_new_scoping"  # on the Home tab
VERDICT_ACTIONS = (ADJUST, FLIP, SUMMARY)
ACTIONS_BLOCK_ID = "ftscope_verdict_actions"
VALUE_VERSION = 2
_READABLE_VERSIONS = (1, VALUE_VERSION)  # a version-1 button is still in old messages

# The replies that show a verdict, and so get its buttons.
_SHOWS_VERDICT = frozenset({OutcomeKind.verdict, OutcomeKind.unchanged})


def fingerprint(decision: Decision) -> str:
    """The decision in 16 hex digits: equal for the same figures, different when any moved."""
    canonical = json.dumps(
        decision.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VerdictRef:
    """A verdict as a button knows it: its thread, the workload of it the verdict was for, and
    the decision it showed."""

    team: str
    channel: str
    thread_ts: str
    decision: str  # `fingerprint` of the decision the verdict was rendered from
    # The workload's id: after "new workload", the thread's earlier verdicts keep acting on
    # their own workload. None in a version-1 value (written before workloads): the thread's
    # current workload, as then.
    workload_id: int | None = None

    @property
    def value(self) -> str:
        return json.dumps({"v": VALUE_VERSION, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def parse(cls, value: str) -> VerdictRef:
        """A button's value read back; ValueError for one this code didn't write."""
        try:
            data = json.loads(value)
            version = data.get("v") if isinstance(data, dict) else None
            if version not in _READABLE_VERSIONS:
                raise ValueError(f"not a verdict button's value: {value[:80]!r}")
            team, channel, thread_ts = data["team"], data["channel"], data["thread_ts"]
            decision = data["decision"]
            workload_id = data["workload_id"] if version == VALUE_VERSION else None
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a verdict button's value: {value[:80]!r}") from exc
        names = (channel, thread_ts, decision)
        if not (
            isinstance(team, str)
            and all(isinstance(p, str) and p for p in names)
            and (workload_id is None or _is_id(workload_id))
        ):
            raise ValueError(f"not a verdict button's value: {value[:80]!r}")
        return cls(team, channel, thread_ts, decision, workload_id)

    @property
    def thread_key(self) -> str:
        return f"{self.team}:{self.channel}:{self.thread_ts}"

    def is_current(self, decision: Decision | None) -> bool:
        return decision is not None and fingerprint(decision) == self.decision


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _button(action_id: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def actions_block(ref: VerdictRef) -> dict[str, Any]:
    """The three buttons under a verdict."""
    value = ref.value
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": [
            _button(ADJUST, "Adjust numbers", value, "primary"),
            _button(FLIP, "What would flip it?", value),
            _button(SUMMARY, "Client summary", value),
        ],
    }


def shows_verdict(outcome: Outcome) -> bool:
    """A reply that shows a verdict someone can act on (not a list of questions)."""
    decision = outcome.decision
    return (
        outcome.kind in _SHOWS_VERDICT
        and decision is not None
        and decision.verdict is not Verdict.need_info
    )


def with_buttons(
    blocks: list[dict[str, Any]], team: str, channel: str, thread_ts: str, outcome: Outcome
) -> list[dict[str, Any]]:
    """A reply's blocks with the verdict's buttons last, when the reply shows a verdict."""
    if not shows_verdict(outcome):
        return blocks
    assert outcome.decision is not None
    if len(blocks) >= MAX_BLOCKS:  # the verdict itself matters more than its buttons
        log.warning("verdict in %s/%s has no room for its buttons", channel, thread_ts)
        return blocks
    ref = VerdictRef(team, channel, thread_ts, fingerprint(outcome.decision), outcome.thread_id)
    return [*blocks, actions_block(ref)]
