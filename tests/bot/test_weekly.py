"""The digest job end to end: refresh from files, digest posted to a fake Slack, once a period."""

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.scheduler import PeriodRunner, PeriodScheduler, digest_trigger, period_key
from bot.settings import get_settings
from bot.slack_poster import make_web_client
from bot.storage import Store, create_schema, make_engine
from bot.weekly import DigestJob
from knowledge import Facts, decide, load_assumptions, load_price_sheet
from tests.bot.test_digest import digest_job
from tests.fakes.slack_api import FakeSlack
from tests.fakes.threads import start_thread

FIXTURE = Path(__file__).parents[1] / "fixtures" / "litellm_prices.json"
MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ACME = json.loads((Path(__file__).parents[2] / "examples" / "acme-ticket-routing.json").read_text())
# Haiku 5.5 measured below Haiku 4.5's 91%: no competitor, nothing to measure first. So fine-tune
# at today's Haiku 4.5 price (pays back in about 5 months), prompt at half of it (about 18).
ACME["monthly_calls"] = 12_000_000
ACME["other_baselines"] = {"claude-haiku-5-5": 0.85}


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def litellm_file(tmp_path) -> Path:
    """LiteLLM's file (trimmed) with Haiku 4.5 at half price: the week's news."""
    data = json.loads(FIXTURE.read_text())
    for key in ("claude-haiku-4-5", "claude-haiku-4-5-20251001"):
        data[key]["input_cost_per_token"] = 0.5e-6
        data[key]["cache_read_input_token_cost"] = 0.05e-6
    path = tmp_path / "litellm.json"
    path.write_text(json.dumps(data))
    return path


def job_for(store, slack, sources) -> DigestJob:
    return digest_job(
        store, sources, client=make_web_client("xoxb-test", slack.url), channel="C0SALES"
    )


def scoped_thread(store, ts="1.0"):
    thread = start_thread(store, "T1", "C0SALES", ts, "U1")
    decision = decide(Facts.model_validate(ACME), load_price_sheet(), load_assumptions())
    assert decision.verdict == "fine_tune"
    store.threads.save_state(thread.id, ACME, decision.to_json(), "fine_tune", "decided")
    return thread


def test_the_digest_job_refreshes_posts_the_flip_and_records_the_period(store, slack, litellm_file):
    scoped_thread(store)
    runner = PeriodRunner(store, job_for(store, slack, [litellm_file]), name="test")
    assert runner.run(period_key(MONDAY), MONDAY).claimed

    (post,) = slack.posts()
    assert post["channel"] == "C0SALES" and post["text"].startswith("Pricing digest · week 49")
    shown = json.dumps(post["blocks"], ensure_ascii=False)
    assert "`claude-haiku-4-5` input $1.00/Mtok → $0.50/Mtok (-50%)" in shown
    assert "Fine-tune → Prompt the frontier model" in shown
    assert "<https://fake.slack.test/archives/C0SALES/p10|Acme" in shown
    (link,) = slack.calls_to("chat.getPermalink")
    assert link.params == {"channel": "C0SALES", "message_ts": "1.0"}
    run = store.digest_runs.get(period_key(MONDAY))
    assert run.status == "posted" and run.price_sheet_id == store.price_sheets.latest().id
    assert store.threads.find("T1", "C0SALES", "1.0").last_verdict == "prompt"

    # a week later, only Sonnet 4.5's retirement (2026-11-30, in the shipped sheet) is news
    week = MONDAY + dt.timedelta(days=7)
    assert runner.run(period_key(week), week).claimed
    shown = json.dumps(slack.posts()[-1]["blocks"], ensure_ascii=False)
    assert "`claude-sonnet-4-5` retired on 2026-11-30 (priced as its successor)" in shown
    assert "Verdicts that flip with today's prices (0)" in shown  # the flip is not told twice

    # the week after, nothing new: one quiet line
    week = MONDAY + dt.timedelta(days=14)
    assert runner.run(period_key(week), week).claimed
    quiet = slack.posts()[-1]
    assert len(quiet["blocks"]) == 1 and "a quiet week" in quiet["blocks"][0]["text"]["text"]


def test_a_failing_source_is_reported_in_the_digest(store, slack, litellm_file, tmp_path):
    job = job_for(store, slack, [litellm_file, tmp_path / "missing-team-sheet.yaml"])
    assert PeriodRunner(store, job, name="test").run(period_key(MONDAY), MONDAY).claimed
    shown = json.dumps(slack.posts()[-1]["blocks"], ensure_ascii=False)
    assert "missing-team-sheet.yaml ❌ can't read it" in shown


def test_two_bot_processes_on_one_database_post_one_digest(database_url, slack, litellm_file):
    engines = [make_engine(database_url) for _ in range(2)]
    create_schema(engines[0])
    stores = [Store(engine) for engine in engines]
    scoped_thread(stores[0])
    trigger = digest_trigger("0 9 * * mon", "UTC")
    schedulers = [
        PeriodScheduler(store, trigger, job_for(store, slack, [litellm_file]), name=f"machine-{n}")
        for n, store in enumerate(stores)
    ]
    barrier = threading.Barrier(2)
    ran: list[bool] = []

    def fire(scheduler):
        barrier.wait()
        ran.append(scheduler.run_period(MONDAY))

    threads = [threading.Thread(target=fire, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    try:
        assert sorted(ran) == [False, True]
        assert len(slack.posts()) == 1
        assert stores[1].digest_runs.get(period_key(MONDAY)).status == "posted"
    finally:
        for engine in engines:
            engine.dispose()


@pytest.fixture
def cli_env(monkeypatch, tmp_path, slack):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.url,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("FTSCOPE_PRICE_SOURCES", "FTSCOPE_DIGEST_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_refresh_history_and_dry_run(cli_env, litellm_file, capsys):
    assert main(["prices", "refresh", "--source", str(litellm_file)]) == 0
    out = capsys.readouterr().out
    assert f"ok      {litellm_file}:" in out
    assert "claude-haiku-4-5 input $1.00/Mtok → $0.50/Mtok (-50%)" in out
    assert "stored as version #1" in out

    assert main(["prices", "refresh", "--source", str(litellm_file), "--source", "nope.yaml"]) == 1
    out = capsys.readouterr().out
    assert "FAILED  nope.yaml: can't read it" in out and "no price changed" in out

    assert main(["prices", "history"]) == 0
    assert capsys.readouterr().out.startswith("#1  ")

    assert main(["prices", "show"]) == 0  # the refreshed sheet, not the shipped one
    assert "as of 2026" in capsys.readouterr().out

    assert main(["digest", "--dry-run"]) == 0
    assert "Pricing digest · week" in capsys.readouterr().out


def test_cli_digest_post_needs_a_channel(cli_env, capsys):
    assert main(["digest", "--post"]) == 2
    assert "FTSCOPE_DIGEST_CHANNEL is not set" in capsys.readouterr().err


def test_cli_digest_post_posts_now(cli_env, monkeypatch, slack, litellm_file, capsys):
    monkeypatch.setenv("FTSCOPE_DIGEST_CHANNEL", "C0SALES")
    monkeypatch.setenv("FTSCOPE_PRICE_SOURCES", str(litellm_file))
    get_settings.cache_clear()
    assert main(["digest", "--post"]) == 0
    assert "digest posted to C0SALES" in capsys.readouterr().out
    assert slack.posts()[-1]["channel"] == "C0SALES"
    # through the same runner as the schedule: claimed, then recorded posted with its text
    engine = make_engine(f"sqlite:///{cli_env / 'cli.db'}")
    try:
        run = Store(engine).digest_runs.last_posted()
        assert run.period.startswith("manual ") and run.claimed_by == "ftscope digest --post"
        assert run.text.startswith("Pricing digest") and run.price_sheet_id is not None
    finally:
        engine.dispose()


def test_a_failure_after_the_post_does_not_post_the_digest_again(
    store, slack, litellm_file, monkeypatch
):
    scoped_thread(store)
    job = job_for(store, slack, [litellm_file])
    digest = PeriodScheduler(store, digest_trigger("0 9 * * mon", "UTC"), job)

    def broken(*args):
        raise RuntimeError("database went away")

    monkeypatch.setattr(store.threads, "update_decisions", broken)
    assert digest.run_period(MONDAY)
    assert store.digest_runs.get(period_key(MONDAY)).status == "posted"
    assert not store.digest_runs.owed(period_key(MONDAY))
    assert len(slack.posts()) == 1
