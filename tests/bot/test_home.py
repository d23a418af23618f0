"""The Home tab: the user's recent scopings, the prices and the spend, on SQLite and PostgreSQL;
its layout golden and validated with slack_sdk's View and Slack's limits."""

import datetime as dt
import json

from bot.blocks import validate_view
from bot.buttons import NEW_SCOPING
from bot.home import HomeFacts, HomeThread, home_facts, home_view, recent_threads, week_start
from bot.storage import DigestStatus, UsageTotals
from tests.bot.test_render import GOLDEN, check_golden
from tests.fakes.threads import start_thread

NOW = dt.datetime(2026, 12, 9, 10, 30, tzinfo=dt.UTC)  # a Wednesday


def facts(**changes):
    base = HomeFacts(
        user="U0SAM",
        threads=[
            HomeThread(
                "Acme: support ticket routing",
                "Measure Claude Haiku 5.5 first",
                "C0SALES",
                dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC),
                "https://fake.slack.test/archives/C0SALES/p1700000000000001",
            ),
            HomeThread(
                "Bank | fraud <tagging> *fast*",
                "Collecting facts: 2 still needed",
                "C0OTHER",
                dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC),
                None,
            ),
        ],
        sheet_as_of="2026-12-06",
        sheet_source="LiteLLM's price map, and the team's GPU sheet",
        sheet_stored_at=dt.datetime(2026, 12, 7, 9, 0, 4, tzinfo=dt.UTC),
        last_refresh="Mon 7 Dec, 09:00 UTC: prices refreshed and the digest posted",
        next_digest=dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC),
        spend=UsageTotals(42, 6300, 9000, 180000, 3300, 1.234),
        now=NOW,
        sources=[("litellm", True, None), ("team-gpus.yaml", False, "moved 12× (max 5×)")],
    )
    return HomeFacts(**{**base.__dict__, **changes})


def test_the_home_tab_matches_golden(update_golden):
    view = home_view(facts())
    assert validate_view(view) is view and view["type"] == "home"
    check_golden(
        GOLDEN / "home.view.json",
        json.dumps(view, indent=2, ensure_ascii=False) + "\n",
        update_golden,
    )


def test_it_offers_a_new_scoping_and_links_each_thread():
    view = home_view(facts())
    assert view["blocks"][1]["accessory"]["action_id"] == NEW_SCOPING
    shown = json.dumps(view, ensure_ascii=False)
    assert "*<https://fake.slack.test/archives/C0SALES/p1700000000000001|Acme: support" in shown
    # a thread's own words can't break the link or the markup
    assert "*Bank / fraud &lt;tagging&gt; fast*" in shown
    assert "$1.23 (42 calls, 92% of input read from cache)" in shown
    assert "Sources: 1 ✅, 1 ❌\\n❌ team-gpus.yaml: moved 12× (max 5×)" in shown
    assert "Mon 14 Dec, 09:00 UTC" in shown


def test_a_new_user_and_a_bot_without_a_digest_channel():
    shown = json.dumps(
        home_view(facts(threads=[], next_digest=None, sheet_stored_at=None, sources=[])),
        ensure_ascii=False,
    )
    assert "None yet. Start one with *New scoping*." in shown
    assert "No weekly digest (FTSCOPE_DIGEST_CHANNEL is not set)" in shown
    assert "the sheet shipped with the bot" in shown


def test_ten_threads_fit_a_home_tab():
    many = [facts().threads[0]] * 10
    assert len(home_view(facts(threads=many))["blocks"]) < 100


def test_the_week_starts_on_monday_in_the_bots_time_zone():
    assert week_start(NOW, "UTC") == dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    sunday_night = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)  # Monday 00:30 in Berlin
    start = week_start(sunday_night, "Europe/Berlin")
    assert start.isoformat() == "2026-12-07T00:00:00+01:00"


def test_recent_threads_are_those_the_user_started_or_wrote_in(store):
    mine = start_thread(store, "T1", "C1", "1.0", "U1")
    joined = start_thread(store, "T1", "C1", "2.0", "U2")
    start_thread(store, "T1", "C1", "2.0", "U1", text="40k labeled", slack_ts="2.1")
    start_thread(store, "T1", "C1", "3.0", "U2")  # someone else's
    start_thread(store, "T9", "C1", "4.0", "U1")  # another workspace
    found = {t.thread_ts for t in recent_threads(store, "T1", "U1")}
    assert found == {mine.thread_ts, joined.thread_ts}


def test_home_facts_read_the_store(store, prices):
    thread = start_thread(store, "T1", "C1", "1.0", "U1")
    store.threads.save_state(
        thread.id,
        {"use_case": "Acme: routing", "monthly_calls": 5},
        {"verdict": "measure_baseline", "measure_models": ["claude-haiku-5-5"], "missing": []},
        "measure_baseline",
        "decided",
    )
    store.usage.record(model="claude-haiku-4-5", input_tokens=10, output_tokens=5, cost_usd=0.5)
    store.digest_runs.claim("2026-12-07T09:00:00+00:00", "test")
    store.digest_runs.finish("2026-12-07T09:00:00+00:00", status=DigestStatus.failed, error="boom")
    got = home_facts(
        store,
        "T1",
        "U1",
        prices,
        permalink=lambda channel, ts: f"https://x/{channel}/{ts}",
        next_digest=None,
        now=dt.datetime.now(dt.UTC),
    )
    [shown] = got.threads
    assert (shown.label, shown.verdict, shown.link) == (
        "Acme: routing",
        "Measure Claude Haiku 5.5 first",
        "https://x/C1/1.0",
    )
    assert got.spend.calls == 1 and got.spend.cost_usd == 0.5
    assert got.last_refresh.endswith(": failed (boom)")
    assert got.sheet_as_of == prices.as_of.isoformat() and got.sheet_stored_at is None
