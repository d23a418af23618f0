"""What the Slack bridge adds around a verdict, with plain fakes: its buttons, the breakeven
chart after it, nothing posted in a workspace that uninstalled the app, and turns from the
assistant pane (a status instead of the 👀 reaction, the thread titled after the workload)."""

import dataclasses
import threading

import pytest
from slack_sdk.errors import SlackApiError

from bot.conversation import Turn
from bot.outcome import Outcome, OutcomeKind
from bot.slack import SlackTurns
from knowledge import Facts
from tests.bot.test_render import decision_for


class Conversation:
    turn_budget_s = 25.0

    def __init__(self, outcome: Outcome, assumptions) -> None:
        self.outcome = outcome
        self.assumptions = assumptions
        self.recorded: list[str] = []

    def admit(self, turn: Turn) -> Turn | None:
        return turn

    def answer(self, turn: Turn) -> Outcome:
        return self.outcome

    def busy(self, turn: Turn) -> Outcome:
        return Outcome(OutcomeKind.busy, 1, Facts(), Facts())

    def record_reply(self, outcome: Outcome, slack_ts: str, text: str) -> None:
        self.recorded.append(slack_ts)


class Poster:
    def __init__(self) -> None:
        self.replies: list[list[dict]] = []
        self.reactions: list[tuple[bool, str]] = []
        self._lock = threading.Lock()
        self.backoff = False

    def reply(self, channel, thread_ts, user, text, blocks):
        with self._lock:
            self.replies.append(blocks)
            return f"9.{len(self.replies)}"

    def react(self, add, channel, ts):
        with self._lock:
            self.reactions.append((add, ts))
        return True

    def backing_off(self):
        return self.backoff


class Charts:
    def __init__(self) -> None:
        self.submitted: list[tuple[str, str, str]] = []

    def submit(self, channel, thread_ts, decision):
        self.submitted.append((channel, thread_ts, decision.verdict.value))


class Revoked:
    def __init__(self, *teams: str) -> None:
        self.teams = set(teams)

    def is_revoked(self, team_id: str) -> bool:
        return team_id in self.teams


@pytest.fixture
def verdict_outcome(prices, assumptions):
    decision = decision_for("payments-fraud-tagging", prices, assumptions)
    return Outcome(
        OutcomeKind.verdict,
        1,
        Facts(),
        decision.facts.model_copy(update={"use_case": "Bank: tag fraud"}),
        decision=decision,
    )


def turns_for(outcome, assumptions, **kw):
    poster, charts = Poster(), Charts()
    turns = SlackTurns(
        Conversation(outcome, assumptions), poster, assumptions, 2, charts=charts, **kw
    )
    return turns, poster, charts


def turn(team="T1", text="200M a month"):
    return Turn(team, "C1", "1.0", "U1", text, "1.1")


def test_a_verdict_gets_its_buttons_and_then_its_chart(verdict_outcome, assumptions):
    turns, poster, charts = turns_for(verdict_outcome, assumptions)
    turns.run_turn(turn())
    [blocks] = poster.replies
    assert blocks[-1]["type"] == "actions"
    assert charts.submitted == [("C1", "1.0", "fine_tune")]


def test_a_verdict_that_stands_has_buttons_but_no_new_chart(verdict_outcome, assumptions):
    unchanged = Outcome(
        OutcomeKind.unchanged, 1, Facts(), Facts(), decision=verdict_outcome.decision
    )
    turns, poster, charts = turns_for(unchanged, assumptions)
    turns.run_turn(turn())
    assert poster.replies[0][-1]["type"] == "actions" and charts.submitted == []


def test_nothing_is_posted_in_a_workspace_that_uninstalled_the_app(verdict_outcome, assumptions):
    turns, poster, charts = turns_for(verdict_outcome, assumptions, workspaces=Revoked("T9"))
    turns.run_turn(turn(team="T9"))
    assert poster.replies == [] and charts.submitted == []
    turns.run_turn(turn(team="T1"))
    assert len(poster.replies) == 1


def test_an_assistant_turn_shows_a_status_and_titles_the_thread(verdict_outcome, assumptions):
    turns, poster, _ = turns_for(verdict_outcome, assumptions)
    statuses, titles = [], []
    done = threading.Event()

    def set_title(**kw):
        titles.append(kw["title"])
        done.set()

    turns.submit_assistant_turn(turn(), lambda **kw: statuses.append(kw), set_title)
    assert turns.wait_idle(5) and done.wait(5)
    assert statuses[0]["status"] == "is scoping…" and statuses[0]["loading_messages"]
    assert poster.reactions == []  # the status, not the 👀 reaction
    assert titles == ["Bank: tag fraud"]
    turns.submit_assistant_turn(turn(), lambda **kw: None, set_title)
    assert turns.wait_idle(5)
    assert titles == ["Bank: tag fraud"]  # the same workload: titled once
    turns.shutdown()


def test_an_edit_of_a_set_aside_workload_leaves_the_panes_title(verdict_outcome, assumptions):
    edited = dataclasses.replace(verdict_outcome, revised="edited", earlier_workload=1)
    turns, _, _ = turns_for(edited, assumptions)
    titles = []
    turns.submit_assistant_turn(turn(), lambda **kw: None, lambda **kw: titles.append(kw))
    assert turns.wait_idle(5)
    assert titles == []  # the pane is titled for the workload it scopes now
    turns.shutdown()


def test_in_a_dm_thread_that_isnt_the_pane_the_reaction_stands_in(verdict_outcome, assumptions):
    turns, poster, _ = turns_for(verdict_outcome, assumptions)

    def refused(**kw):
        raise SlackApiError("not an assistant thread", {"ok": False, "error": "invalid_thread"})

    turns.submit_assistant_turn(turn(), refused, lambda **kw: None)
    assert turns.wait_idle(5)
    assert poster.reactions == [(True, "1.1"), (False, "1.1")]  # put on, then taken off
    turns.shutdown()


def test_while_backing_off_a_rate_limit_there_is_no_status(verdict_outcome, assumptions):
    turns, poster, _ = turns_for(verdict_outcome, assumptions)
    poster.backoff = True
    statuses = []
    turns.submit_assistant_turn(turn(), lambda **kw: statuses.append(kw), lambda **kw: None)
    assert turns.wait_idle(5)
    assert statuses == [] and poster.reactions == [] and len(poster.replies) == 1
    turns.shutdown()
