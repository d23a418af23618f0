"""The listeners of buttons, forms, the Home tab, the assistant pane and Slack's lifecycle
events, called directly as Bolt calls them, with recording fakes in place of the bot."""

import datetime as dt
import time
import uuid
from typing import Any

import pytest
from slack_bolt import BoltContext, BoltResponse

from bot.buttons import ADJUST, FLIP, NEW_SCOPING, SUMMARY
from bot.conversation import Turn
from bot.views import ADJUST_FORM, new_scoping_view
from handlers.actions import on_action
from handlers.assistant import on_thread_started, on_user_message
from handlers.deps import CONTEXT_KEY, Deps
from handlers.home import on_home_opened
from handlers.lifecycle import guard, log_once, on_lifecycle, on_unhandled, on_unhandled_options
from handlers.views import on_view_submission
from tests.fakes.harness import filled
from tests.handlers.test_listeners import RecordingAck, RecordingTurns


class RecordingInteractions:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.form_errors: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, *args, *(f"{k}={v}" for k, v in kwargs.items())))

        return record

    def submit_form(self, view, user):
        self.calls.append(("submit_form", view["callback_id"], user))
        return self.form_errors


class RecordingPane:
    def __init__(self) -> None:
        self.turns: list[tuple[Turn, Any, Any]] = []

    def submit_assistant_turn(self, turn, set_status, set_title):
        self.turns.append((turn, set_status, set_title))


class Workspaces:
    def __init__(self, revoked_at: dt.datetime | None = None) -> None:
        self.at = revoked_at
        self.revoked: list[tuple[str, str]] = []
        self.restored: list[str] = []

    def revoke(self, team_id, event):
        self.revoked.append((team_id, event))
        return True

    def restore(self, team_id):
        self.restored.append(team_id)
        self.at = None
        return True

    def revoked_at(self, team_id):
        return self.at


@pytest.fixture
def interactions():
    return RecordingInteractions()


@pytest.fixture
def turns():
    return RecordingTurns()


@pytest.fixture
def pane():
    return RecordingPane()


@pytest.fixture
def workspaces():
    return Workspaces()


@pytest.fixture
def backoffs():
    return []


@pytest.fixture
def context(turns, interactions, pane, workspaces, backoffs, prices):
    deps = Deps(
        turns=turns,
        prices=lambda: prices,
        interactions=interactions,
        assistant=pane,
        workspaces=workspaces,
        back_off=backoffs.append,
    )
    return BoltContext({"bot_user_id": "UBOT", "team_id": "T1", CONTEXT_KEY: deps})


def click(action_id: str, value: str = "v", thread_ts: str | None = "1.0") -> tuple[dict, dict]:
    container = {"type": "message", "message_ts": "1.5", "channel_id": "C1"}
    if thread_ts:
        container["thread_ts"] = thread_ts
    body = {"type": "block_actions", "trigger_id": "trig.1", "user": {"id": "U1"}}
    return body | {"container": container}, {"action_id": action_id, "value": value}


# -- buttons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action_id", "expected"),
    [
        (ADJUST, ("open_adjust", "trig.1", "v", "U1", "1.5", "threaded=True")),
        (FLIP, ("post_flip", "v", "U1", "1.5", "threaded=True")),
        (SUMMARY, ("post_summary", "v", "U1", "1.5", "threaded=True")),
        (NEW_SCOPING, ("open_new_scoping", "trig.1")),
    ],
)
def test_each_button_is_acked_then_handed_off(action_id, expected, context, interactions):
    ack = RecordingAck()
    on_action(ack, *click(action_id), context)
    assert ack.calls == [{}] and interactions.calls == [expected]


def test_a_verdict_at_the_top_of_a_dm_is_answered_there(context, interactions):
    on_action(RecordingAck(), *click(FLIP, thread_ts=None), context)
    assert interactions.calls == [("post_flip", "v", "U1", "1.5", "threaded=False")]


def test_a_click_without_the_interactions_dependency_says_what_is_missing(turns, prices):
    bare = BoltContext({CONTEXT_KEY: Deps(turns=turns, prices=lambda: prices)})
    with pytest.raises(LookupError, match=r"Deps\.interactions"):
        on_action(RecordingAck(), *click(ADJUST), bare)


# -- modal submissions --------------------------------------------------------------------------


def adjust_form() -> dict:
    return {"callback_id": ADJUST_FORM, "state": {"values": {}}}


def test_a_good_form_is_acked_empty(context, interactions):
    ack = RecordingAck()
    on_view_submission(ack, {"user": {"id": "U1"}}, adjust_form(), context)
    assert ack.calls == [{}] and interactions.calls == [("submit_form", ADJUST_FORM, "U1")]


def test_a_bad_form_gets_slacks_inline_errors(context, interactions):
    interactions.form_errors = {"monthly_calls": "Enter a whole number"}
    ack = RecordingAck()
    on_view_submission(ack, {"user": {"id": "U1"}}, adjust_form(), context)
    assert ack.calls == [
        {"response_action": "errors", "errors": {"monthly_calls": "Enter a whole number"}}
    ]


def test_new_scoping_starts_a_thread_in_the_channel_picked(context, turns):
    view = new_scoping_view()
    submitted = {**view, "state": {"values": filled(view, channel="C9", description="Acme x")}}
    body = {
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "response_urls": [{"block_id": "channel", "response_url": "https://hooks/1"}],
    }
    ack = RecordingAck()
    on_view_submission(ack, body, submitted, context)
    assert ack.calls == [{}]
    [command] = turns.commands
    assert (command.team, command.channel, command.user, command.text) == (
        "T1",
        "C9",
        "U1",
        "Acme x",
    )
    assert command.response_url == "https://hooks/1"


def test_new_scoping_without_a_description_is_refused_inline(context, turns):
    view = new_scoping_view()
    submitted = {**view, "state": {"values": filled(view, channel="C9", description="")}}
    ack = RecordingAck()
    on_view_submission(ack, {"user": {"id": "U1"}}, submitted, context)
    assert ack.calls[0]["response_action"] == "errors"
    assert list(ack.calls[0]["errors"]) == ["description"] and turns.commands == []


# -- the Home tab -------------------------------------------------------------------------------


def test_the_home_tab_is_published_when_opened(context, interactions):
    on_home_opened({"type": "app_home_opened", "user": "U1", "tab": "home"}, context)
    on_home_opened({"type": "app_home_opened", "user": "U1", "tab": "messages"}, context)
    assert interactions.calls == [("publish_home", "T1", "U1")]


# -- the assistant pane -------------------------------------------------------------------------


def test_a_new_assistant_thread_is_greeted(context, interactions):
    def say(**kw):
        return None

    def suggest(**kw):
        return None

    on_thread_started(say, suggest, context)
    assert interactions.calls == [("greet_assistant", say, suggest)]


def pane_message(text: str) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": text,
        "ts": "5.2",
        "thread_ts": "5.0",
    }


def test_a_message_in_the_pane_is_a_turn_with_a_status(context, pane, turns):
    def status(**kw):
        return None

    def title(**kw):
        return None

    on_user_message(pane_message("Acme wants ticket routing, 15M a month"), context, status, title)
    [(turn, set_status, set_title)] = pane.turns
    assert (turn.channel, turn.thread_ts, turn.ts, turn.may_start) == ("D1", "5.0", "5.2", True)
    assert turn.text == "Acme wants ticket routing, 15M a month"
    assert (set_status, set_title) == (status, title)
    assert turns.turns == []  # not as a plain turn (with the 👀 reaction)


@pytest.mark.parametrize("text", ["Show the price sheet", "prices", "show prices?"])
def test_the_price_sheet_prompt_shows_it(text, context, interactions, pane):
    on_user_message(pane_message(text), context, lambda **kw: None, lambda **kw: None)
    assert interactions.calls == [("post_prices", "D1", "5.0")] and pane.turns == []


# -- lifecycle ------------------------------------------------------------------------------------


def test_an_uninstall_is_recorded(context, workspaces, caplog):
    on_lifecycle({"type": "app_uninstalled"}, {"team_id": "T1"}, context)
    assert workspaces.revoked == [("T1", "app_uninstalled")]
    assert "app_uninstalled in workspace T1: no more posts there" in caplog.text


def test_revoked_bot_tokens_stop_posting_but_user_tokens_dont_matter(context, workspaces):
    on_lifecycle({"type": "tokens_revoked", "tokens": {"oauth": ["U1"]}}, {}, context)
    assert workspaces.revoked == []
    on_lifecycle({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, {}, context)
    assert workspaces.revoked == [("T1", "tokens_revoked")]


def run_guard(body, context, started_at=None):
    nexts = []
    result = guard(
        body, context, lambda: nexts.append(1), started_at=started_at or dt.datetime.now(dt.UTC)
    )
    return result, bool(nexts)


def test_rate_limited_is_answered_and_backs_off(context, backoffs, caplog):
    minute = int(time.time()) // 60 * 60
    body = {"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": minute}
    result, passed = run_guard(body, context)
    assert isinstance(result, BoltResponse) and result.status == 200 and not passed
    assert len(backoffs) == 1 and 0 <= backoffs[0] <= 60
    assert "rate-limited this app's events" in caplog.text


def test_an_unknown_payload_type_is_acknowledged(context):
    result, passed = run_guard({"type": "something_new"}, context)
    assert result.status == 200 and not passed


def test_a_revoked_workspace_is_ignored(context, workspaces):
    workspaces.at = dt.datetime.now(dt.UTC)
    event = {"type": "event_callback", "event": {"type": "app_mention"}, "event_time": time.time()}
    result, passed = run_guard(event, context, started_at=workspaces.at - dt.timedelta(hours=1))
    assert result.status == 200 and not passed and workspaces.restored == []


def test_a_new_process_that_hears_from_a_revoked_workspace_restores_it(context, workspaces):
    workspaces.at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    event = {"type": "event_callback", "event": {"type": "app_mention"}, "event_time": time.time()}
    stale = {**event, "event_time": time.time() - 2 * 3600}  # a retry from before: still ignored
    _, passed = run_guard(stale, context)
    assert not passed and workspaces.restored == []
    _, passed = run_guard(event, context)
    assert passed and workspaces.restored == ["T1"]


def test_lifecycle_events_of_a_revoked_workspace_still_reach_their_listener(context, workspaces):
    workspaces.at = dt.datetime.now(dt.UTC)
    uninstalled = {"type": "event_callback", "event": {"type": "app_uninstalled"}}
    _, passed = run_guard(uninstalled, context)
    assert passed


def test_anything_unhandled_is_acked_and_logged_once(caplog):
    action_id = f"someone_elses_{uuid.uuid4().hex}"  # once per process: a kind not seen yet
    body = {"type": "block_actions", "actions": [{"action_id": action_id}]}
    for _ in range(3):
        ack = RecordingAck()
        on_unhandled(ack, body)
        assert ack.calls == [{}]
    assert caplog.text.count(f"no listener for block_actions {action_id}") == 1
    options = RecordingAck()
    on_unhandled_options(options, {"type": "block_suggestion", "action_id": "menu"})
    assert options.calls == [{"options": []}]


def test_log_once_is_once_per_kind(caplog):
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    log_once(a, "first %s", "a")
    log_once(a, "first %s", "a")
    log_once(b, "first %s", "b")
    assert caplog.text.count("first a") == 1 and caplog.text.count("first b") == 1
