"""Interactive verdicts through the HTTP endpoint, as Slack drives them: signed clicks and
form submissions in, views.open / views.publish / files uploads / assistant calls out, against
the local Slack fake. The Home tab, the assistant pane and Slack's lifecycle events too."""

from __future__ import annotations

import json
import logging
import time

import pytest
from slack_sdk.models.views import View

from bot.blocks import validate_blocks, validate_view
from bot.buttons import ADJUST, FLIP, NEW_SCOPING, SUMMARY
from knowledge import load_price_sheet
from knowledge.refresh import content_hash, sheet_document
from tests.fakes.acme import ANSWER, FIRST, script_acme
from tests.fakes.harness import CHANNEL, USER, button_of, filled, sign, stop
from tests.fakes.slack_api import TEAM_ID, trigger_id

pytestmark = pytest.mark.httpx2(assert_all_called=False)
PNG = b"\x89PNG\r\n\x1a\n"


def scoped(bot, claude) -> tuple[str, dict, str]:
    """The Acme thread to its verdict: (thread ts, the verdict's post, that post's ts)."""
    script_acme(claude)
    assert bot.command(FIRST).status == 200
    bot.wait()
    thread_ts = next(p for p in bot.slack.posts() if p.get("thread_ts"))["thread_ts"]
    bot.say(ANSWER, thread_ts)
    return thread_ts, *last_reply(bot, thread_ts)


def last_reply(bot, thread_ts) -> tuple[dict, str]:
    calls = [c for c in bot.slack.calls_to("chat.postMessage") if c.ok]
    call = [c for c in calls if c.params.get("thread_ts") == thread_ts][-1]
    return call.params, call.response["ts"]


def opened_form(bot, thread_ts, verdict, ts) -> dict:
    answer = bot.click(button_of(verdict, ADJUST), message_ts=ts, thread_ts=thread_ts)
    assert (answer.status, answer.body) == (200, "")
    bot.wait()
    return bot.slack.views_opened()[-1]


def shown(post) -> str:
    return json.dumps(post.get("blocks", []), ensure_ascii=False) + post.get("text", "")


# -- the verdict, its buttons, its chart ----------------------------------------------------------


def test_a_verdict_has_three_buttons_and_a_breakeven_chart_uploaded_after_it(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, _ = scoped(bot, claude)
    validate_blocks(verdict["blocks"])
    actions = verdict["blocks"][-1]
    assert [b["text"]["text"] for b in actions["elements"]] == [
        "Adjust numbers",
        "What would flip it?",
        "Client summary",
    ]
    # files_upload_v2: the upload URL, the bytes, then the share in the thread
    methods = [c.method for c in bot.slack.calls if c.method.startswith(("files.", "upload"))]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    [shared] = bot.slack.shared_files()
    assert (shared["channel_id"], shared["thread_ts"]) == (CHANNEL, thread_ts)
    [chart] = shared["files"]
    assert chart["uploaded"].startswith(PNG) and chart["title"].startswith("Fine-tune vs prompting")
    get_url = bot.slack.calls_to("files.getUploadURLExternal")[0].params
    assert get_url["filename"].endswith(".png") and int(get_url["length"]) == len(chart["uploaded"])
    # the alt text states the verdict's own numbers
    alt = chart["alt_txt"]
    assert len(alt) <= 1000 and "$9,750 a month" in alt and "$9,750 a month" in shown(verdict)
    upload_at = bot.slack.calls_to("files.completeUploadExternal")[0].at
    assert upload_at > [c for c in bot.slack.calls_to("chat.postMessage") if c.ok][-1].at


def test_a_question_has_no_buttons_and_no_chart(start_bot, claude):
    bot = start_bot()
    script_acme(claude)
    bot.command(FIRST)
    bot.wait()
    question = bot.slack.posts()[-1]
    assert all(b["type"] != "actions" for b in question["blocks"])
    assert bot.slack.calls_to("files.getUploadURLExternal") == []


# -- Adjust numbers -------------------------------------------------------------------------------


def test_adjust_numbers_opens_the_prefilled_form_with_the_clicks_trigger(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    trigger = bot.trigger()
    clicked = time.monotonic()
    answer = bot.click(
        button_of(verdict, ADJUST), message_ts=ts, thread_ts=thread_ts, trigger=trigger
    )
    assert (answer.status, answer.body) == (200, "")
    bot.wait()
    [call] = bot.slack.calls_to("views.open")
    assert call.ok and call.params["trigger_id"] == trigger
    assert call.at - clicked < 1.0  # well inside the trigger's 3 s
    view = call.params["view"]
    validate_view(view)
    View(**view).validate_json()
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["monthly_calls"]["initial_value"] == "15000000"
    assert inputs["baseline_quality"]["initial_value"] == "91"
    assert inputs["frontier_model"]["initial_option"]["value"] == "claude-haiku-4-5"
    assert inputs["build_cost_usd"]["initial_value"]  # the build cost in use, assumed


def test_a_click_whose_trigger_expired_is_told_to_click_again(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    expired = trigger_id(1, issued=time.time() - 4)  # Slack's limit is 3 s
    bot.click(button_of(verdict, ADJUST), message_ts=ts, thread_ts=thread_ts, trigger=expired)
    bot.wait()
    [call] = bot.slack.calls_to("views.open")
    assert call.response == {"ok": False, "error": "expired_trigger_id"}
    [hint] = bot.slack.ephemerals()
    assert hint["user"] == USER and "Click *Adjust numbers* again" in hint["text"]


def test_a_good_form_re_decides_and_says_who_changed_what_in_the_thread(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    view = opened_form(bot, thread_ts, verdict, ts)
    answer = bot.submit(view, filled(view, monthly_calls="30000000"))
    assert (answer.status, answer.body) == (200, "")  # the modal closes
    bot.wait()
    update, _ = last_reply(bot, thread_ts)
    validate_blocks(update["blocks"])
    assert update["blocks"][0]["text"]["text"] == (
        f"Updated by <@{USER}> in the form: *monthly calls 15,000,000 → 30,000,000*."
    )
    assert update["blocks"][1]["type"] == "header"  # then the new verdict, headline first
    assert update["blocks"][-1]["type"] == "actions"
    thread = bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts)
    assert thread.facts["monthly_calls"] == 30_000_000
    assert thread.fact_quotes["monthly_calls"] == f"in the form, by <@{USER}>"
    assert len(bot.slack.shared_files()) == 2  # a chart for the new numbers too
    assert len(claude.requests) == 2  # the form needs no Claude


def test_a_bad_value_is_named_under_its_input_and_changes_nothing(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    view = opened_form(bot, thread_ts, verdict, ts)
    posts = len(bot.slack.posts())
    answer = bot.submit(view, filled(view, cached_prefix_tokens="900"))
    assert answer.status == 200
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"cached_prefix_tokens": "Must be ≤ input tokens (600), got 900"},
    }
    answer = bot.submit(view, filled(view, monthly_calls="-5", target_quality="150"))
    assert set(answer.json()["errors"]) == {"monthly_calls", "target_quality"}
    bot.wait()
    assert len(bot.slack.posts()) == posts
    assert bot.store.threads.find(TEAM_ID, CHANNEL, thread_ts).facts["cached_prefix_tokens"] == 450


# -- What would flip it?, Client summary, old verdicts ------------------------------------------


def test_what_would_flip_it_posts_the_thresholds_in_the_thread(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    answer = bot.click(button_of(verdict, FLIP), message_ts=ts, thread_ts=thread_ts)
    assert (answer.status, answer.body) == (200, "")
    bot.wait()
    flip, _ = last_reply(bot, thread_ts)
    validate_blocks(flip["blocks"])
    text = flip["blocks"][0]["text"]["text"]
    assert text.startswith(f"*What would have to be true against Haiku 4.5* (asked by <@{USER}>)")
    assert "calls a month (today 15M)" in text and "price falls by" in text
    assert "out of date" not in shown(flip)


def test_client_summary_is_shown_only_to_the_clicker(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    posts = len(bot.slack.posts())
    bot.click(button_of(verdict, SUMMARY), message_ts=ts, thread_ts=thread_ts, user="U0ANA")
    bot.wait()
    assert len(bot.slack.posts()) == posts  # nothing public
    [summary] = bot.slack.ephemerals()
    assert (summary["user"], summary["thread_ts"]) == ("U0ANA", thread_ts)
    assert summary["text"].startswith("A fine-tune would save about $7,060 a month")
    assert summary["blocks"][-1]["text"] == {"type": "plain_text", "text": summary["text"]}


def test_a_click_on_a_superseded_verdict_acts_on_the_thread_as_it_is_and_says_so(start_bot, claude):
    bot = start_bot()
    thread_ts, old, old_ts = scoped(bot, claude)
    bot.say("actually 150M a month", thread_ts)
    bot.click(button_of(old, FLIP), message_ts=old_ts, thread_ts=thread_ts)
    bot.wait()
    flip, _ = last_reply(bot, thread_ts)
    note = flip["blocks"][0]["elements"][0]["text"]
    assert note.startswith("⚠️ The verdict you clicked is out of date: a later reply")
    assert "(today 150M)" in flip["blocks"][1]["text"]["text"]  # the current figures
    view = opened_form(bot, thread_ts, old, old_ts)
    assert view["blocks"][0]["elements"][0]["text"].startswith("⚠️ The verdict you clicked is out")
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["monthly_calls"]["initial_value"] == "150000000"


def test_a_click_after_new_prices_re_decided_the_thread_says_so(start_bot, claude):
    bot = start_bot()
    thread_ts, verdict, ts = scoped(bot, claude)
    sheet = load_price_sheet()
    haiku = sheet.models["claude-haiku-4-5"]
    cheaper = haiku.model_copy(update={"input_cost_per_token": haiku.input_cost_per_token / 2})
    moved = sheet.model_copy(update={"models": {**sheet.models, "claude-haiku-4-5": cheaper}})
    bot.store.price_sheets.save(sheet_document(moved), content_hash(moved), [])
    bot.runtime.conversation.prices.invalidate()  # as a minute's wait would
    bot.click(button_of(verdict, SUMMARY), message_ts=ts, thread_ts=thread_ts)
    bot.wait()
    [summary] = bot.slack.ephemerals()
    note = summary["blocks"][0]["elements"][0]["text"]
    assert "out of date: the thread was re-decided since it was posted" in note


# -- the Home tab and New scoping -----------------------------------------------------------------


def test_the_home_tab_lists_the_users_scopings_and_starts_a_new_one(start_bot, claude):
    bot = start_bot()
    thread_ts, _, _ = scoped(bot, claude)
    assert bot.home_opened().status == 200
    bot.wait()
    [published] = bot.slack.views_published()
    assert published["user_id"] == USER
    home = validate_view(published["view"])
    text = json.dumps(home, ensure_ascii=False)
    link = f"https://fake.slack.test/archives/{CHANNEL}/p{thread_ts.replace('.', '')}"
    assert f"<{link}|Acme: support ticket routing>" in text
    assert "Measure Claude Haiku 5.5 first" in text and "Claude spend this week" in text
    # New scoping: its modal, then a thread in the channel picked
    button = home["blocks"][1]["accessory"]
    assert button["action_id"] == NEW_SCOPING
    assert bot.click(button, message_ts="", thread_ts="").status == 200
    bot.wait()
    modal = bot.slack.views_opened()[-1]
    assert modal["callback_id"] == "ftscope_new_scoping_form"
    claude.says("Bank", ("monthly_calls", "200000000", "200M a month"))
    urls = [
        {
            "block_id": "channel",
            "action_id": "value",
            "channel_id": "C0OTHER",
            "response_url": bot.slack.response_url("modal"),
        }
    ]
    answer = bot.submit(
        modal,
        filled(modal, channel="C0OTHER", description="Bank: tag fraud, 200M a month"),
        response_urls=urls,
    )
    assert (answer.status, answer.body) == (200, "")
    bot.wait()
    parent = next(
        p for p in bot.slack.posts() if p["channel"] == "C0OTHER" and "thread_ts" not in p
    )
    assert "Bank: tag fraud, 200M a month" in parent["text"] and f"<@{USER}>" in parent["text"]
    [reply] = [p for p in bot.slack.posts() if p["channel"] == "C0OTHER" and p.get("thread_ts")]
    assert "200,000,000 calls/month" in shown(reply)


def test_a_new_scoping_in_a_channel_without_the_bot_is_explained_there(start_bot, claude):
    bot = start_bot()
    bot.home_opened()
    bot.wait()
    home = bot.slack.views_published()[-1]["view"]
    bot.click(home["blocks"][1]["accessory"], message_ts="", thread_ts="")
    bot.wait()
    modal = bot.slack.views_opened()[-1]
    bot.slack.fail("chat.postMessage", "not_in_channel")
    urls = [{"block_id": "channel", "response_url": bot.slack.response_url("modal")}]
    bot.submit(modal, filled(modal, channel="C0SECRET", description="Acme"), response_urls=urls)
    bot.wait()
    [hint] = bot.slack.calls_to("/response/modal")
    assert "/invite @ftscope" in hint.params["text"]


def test_opening_the_messages_tab_draws_no_home(start_bot, claude):
    bot = start_bot()
    assert bot.home_opened(tab="messages").status == 200
    bot.wait()
    assert bot.slack.views_published() == []


# -- the assistant pane ---------------------------------------------------------------------------


def test_the_assistant_pane_greets_scopes_with_a_status_and_titles_the_thread(start_bot, claude):
    bot = start_bot()
    script_acme(claude)
    pane = bot.next_ts()
    assert bot.assistant_thread_started(pane).status == 200
    bot.wait()
    [greeting] = bot.slack.posts()
    assert (greeting["channel"], greeting["thread_ts"]) == ("D0PANE", pane)
    [prompts] = bot.slack.calls_to("assistant.threads.setSuggestedPrompts")
    titles = [p["title"] for p in prompts.params["prompts"]]
    assert titles == ["Scope a fine-tune request", "Show the price sheet"]
    _, event = bot.message(FIRST, thread_ts=pane, channel="D0PANE", channel_type="im")
    assert bot.event(event).status == 200
    bot.wait()
    [status] = bot.slack.calls_to("assistant.threads.setStatus")
    assert status.params["status"] == "is scoping…" and status.params["thread_ts"] == pane
    reply = bot.slack.replies_in(pane)[-1]
    assert status.at < [c for c in bot.slack.calls_to("chat.postMessage")][-1].at
    assert "15,000,000 calls/month" in shown(reply)
    assert bot.slack.calls_to("reactions.add") == []  # the status instead of 👀
    [title] = bot.slack.calls_to("assistant.threads.setTitle")
    assert title.params["title"] == "Acme: support ticket routing"


def test_the_price_sheet_prompt_shows_the_sheet_in_the_pane(start_bot, claude):
    bot = start_bot()
    pane = bot.next_ts()
    _, event = bot.message(
        "Show the price sheet", thread_ts=pane, channel="D0PANE", channel_type="im"
    )
    bot.event(event)
    bot.wait()
    [sheet] = bot.slack.replies_in(pane)
    assert sheet["text"].startswith("```") and "claude-haiku-4-5" in sheet["text"]
    assert claude.requests == []


# -- lifecycle events ----------------------------------------------------------------------------


def uninstall(bot, kind="app_uninstalled"):
    event = {"type": kind, "event_ts": bot.next_ts()}
    if kind == "tokens_revoked":
        event["tokens"] = {"bot": ["UBOT"]}
    assert bot.event(event).status == 200


@pytest.mark.parametrize("kind", ["app_uninstalled", "tokens_revoked"])
def test_after_an_uninstall_the_bot_posts_nothing_there_even_after_a_restart(
    start_bot, claude, kind, caplog
):
    bot = start_bot()
    script_acme(claude)
    with caplog.at_level(logging.WARNING, logger="handlers.lifecycle"):
        uninstall(bot, kind)
    assert f"{kind} in workspace {TEAM_ID}: no more posts there" in caplog.text
    _, event = bot.mention(FIRST)
    assert bot.event(event).status == 200
    assert bot.command(FIRST).status == 200
    bot.wait()
    assert bot.slack.posts() == [] and claude.requests == []
    assert bot.slack.calls_to("reactions.add") == []
    stop(bot)
    restarted = start_bot()
    assert restarted.store.workspaces.is_revoked(TEAM_ID)  # remembered
    # Slack retrying that mention, from before the uninstall: still ignored
    retry = {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0FTSCOPE",
        "event": event,
        "type": "event_callback",
        "event_id": "Ev0OLD",
        "event_time": int(time.time()) - 3600,
    }
    answer = restarted.post(json.dumps(retry), "application/json")
    assert answer.status == 200
    restarted.wait()
    assert restarted.slack.posts() == [] and restarted.store.workspaces.is_revoked(TEAM_ID)


def test_a_reinstalled_workspace_is_answered_again_by_a_new_process(start_bot, claude):
    bot = start_bot()
    script_acme(claude)
    uninstall(bot)
    stop(bot)
    restarted = start_bot()  # started after the uninstall, with a token that works
    ts = restarted.open_thread(FIRST)
    assert [p["thread_ts"] for p in restarted.slack.posts()] == [ts]
    assert not restarted.store.workspaces.is_revoked(TEAM_ID)


def test_app_rate_limited_is_logged_and_the_bot_backs_off(start_bot, claude, caplog):
    bot = start_bot()
    script_acme(claude)
    body = json.dumps(
        {
            "token": "unused",
            "type": "app_rate_limited",
            "team_id": TEAM_ID,
            "minute_rate_limited": int(time.time()) // 60 * 60,
            "api_app_id": "A0FTSCOPE",
        }
    )
    with caplog.at_level(logging.WARNING, logger="handlers.lifecycle"):
        answer = bot.post(body, "application/json")
    assert answer.status == 200
    assert "rate-limited this app's events" in caplog.text
    ts = bot.open_thread(FIRST)
    assert [p["thread_ts"] for p in bot.slack.posts()] == [ts]  # answered
    assert bot.slack.calls_to("reactions.add") == []  # without the cosmetic calls


def from_sam(kind: str, **fields: object) -> dict:
    """An interactive payload of this type from USER in the fake workspace."""
    return {"type": kind, "team": {"id": TEAM_ID}, "user": {"id": USER}, **fields}


UNHANDLED = {
    "a-button-of-another-app": from_sam(
        "block_actions",
        trigger_id="t",
        actions=[{"type": "button", "action_id": "someone_elses", "value": "x"}],
    ),
    "a-closed-modal": from_sam(
        "view_closed", view={"id": "V1", "type": "modal", "callback_id": "ftscope_adjust_form"}
    ),
    "a-shortcut": from_sam("shortcut", callback_id="scope", trigger_id="t"),
    "a-message-shortcut": from_sam(
        "message_action",
        channel={"id": CHANNEL},
        callback_id="scope_message",
        trigger_id="t",
        message={"ts": "1.0", "text": "hi"},
    ),
    "a-menu's-options": from_sam("block_suggestion", action_id="menu", block_id="b", value="x"),
    "an-unknown-type": {"type": "something_new", "team": {"id": TEAM_ID}},
    "a-submission-of-another-modal": from_sam(
        "view_submission",
        view={"id": "V1", "type": "modal", "callback_id": "not_ours", "state": {"values": {}}},
    ),
}


@pytest.mark.parametrize("name", sorted(UNHANDLED))
def test_an_interactive_payload_nobody_handles_gets_200_never_404(start_bot, name, caplog):
    bot = start_bot()
    with caplog.at_level(logging.WARNING):
        first = bot.interactive(UNHANDLED[name])
        again = bot.interactive(UNHANDLED[name])
    assert (first.status, again.status) == (200, 200)
    assert "unhandled request" not in first.body
    logged = [r for r in caplog.records if r.name == "handlers.lifecycle"]
    assert len(logged) <= 1  # once per kind (and per process)


@pytest.mark.parametrize("event_type", ["reaction_added", "member_joined_channel", "team_join"])
def test_an_event_nobody_handles_gets_200(start_bot, event_type):
    bot = start_bot()
    answer = bot.event({"type": event_type, "user": USER, "event_ts": bot.next_ts()})
    assert (answer.status, answer.body) == (200, "")


def test_another_slash_command_gets_200(start_bot):
    bot = start_bot()
    form = {
        "team_id": TEAM_ID,
        "channel_id": CHANNEL,
        "user_id": USER,
        "command": "/other",
        "text": "",
        "trigger_id": "t",
    }
    import urllib.parse  # noqa: PLC0415

    answer = bot.post(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
    assert answer.status == 200


def test_a_forged_click_is_refused(start_bot, claude):
    bot = start_bot()
    body = "payload=" + json.dumps(UNHANDLED["a-button-of-another-app"])
    answer = bot.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert answer.status == 401
    stamp = int(time.time())
    assert (
        bot.post(
            body, "application/x-www-form-urlencoded", timestamp=stamp, signature=sign(body, stamp)
        ).status
        == 200
    )


def test_in_a_dm_a_verdict_at_the_top_is_answered_at_the_top(start_bot, claude):
    bot = start_bot()
    script_acme(claude)
    for text in (FIRST, ANSWER):
        _, event = bot.message(text, thread_ts=None, channel="D0DM", channel_type="im")
        assert bot.event(event).status == 200
        bot.wait()
    posted = [c for c in bot.slack.calls_to("chat.postMessage") if c.ok]
    verdict = posted[-1].params
    if verdict.get("thread_ts"):
        pytest.skip("this DM's verdict is in a thread: nothing at the top to answer")
    assert verdict["blocks"][-1]["type"] == "actions"
    [shared] = bot.slack.shared_files()
    assert shared["channel_id"] == "D0DM" and not shared.get("thread_ts")  # beside the verdict
    ts = posted[-1].response["ts"]
    bot.click(button_of(verdict, FLIP), message_ts=ts, thread_ts=None, channel="D0DM")
    bot.wait()
    flip = bot.slack.posts()[-1]
    assert flip["text"].startswith("What would have to be true") and not flip.get("thread_ts")
