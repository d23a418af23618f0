"""`ftscope doctor`: every check says what it saw and what to fix, and no secret is printed."""

import datetime as dt

from bot.cli import main
from bot.doctor import report, run_checks
from bot.settings import Settings, get_settings
from bot.storage import create_schema, make_engine
from tests.fakes import harness

TOKEN = "xoxb-1-2-doctorsecret"
SECRET = "0123456789abcdef0123456789abcdef"
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


slack = harness.fake_slack  # the fixture: the fake Slack Web API, running


def settings_for(slack, database_url, **overrides) -> Settings:
    values = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.url,
        "anthropic_api_key": "sk-ant-doctor-key",
        "database_url": database_url,
        "digest_channel": "C0SALES",
    } | overrides
    return Settings(_env_file=None, **values)


def migrated(database_url):
    engine = make_engine(database_url)
    create_schema(engine)
    engine.dispose()
    return database_url


def by_name(checks):
    return {c.name: c for c in checks}


def test_a_good_configuration_is_ready(slack, database_url):
    checks = run_checks(settings_for(slack, migrated(database_url)), now=NOW)
    assert {c.name: c.status for c in checks} == {
        "Slack bot token": "ok",
        "Slack signing secret": "ok",
        "Anthropic API key": "ok",
        "Database": "ok",
        "Price sheet": "ok",
        "Claude model": "ok",
        "Weekly digest": "ok",
    }
    assert "workspace Fake as @ftscope" in by_name(checks)["Slack bot token"].detail
    assert "next Mon 2026-11-30 09:00 UTC" in by_name(checks)["Weekly digest"].detail
    assert report(checks).endswith("Ready.")


def test_each_problem_is_named_with_its_fix(slack, database_url):
    settings = settings_for(
        slack,
        database_url,  # not migrated
        slack_bot_token="xoxp-user-token",
        slack_signing_secret=None,
        anthropic_api_key=None,
        claude_model="claude-haiku-9-9",
        digest_cron="0 9 * * 1",
    )
    checks = by_name(run_checks(settings, now=NOW))
    assert checks["Slack bot token"].status == "fail"
    assert "Bot User OAuth Token" in checks["Slack bot token"].fix
    assert "SLACK_SIGNING_SECRET" in checks["Slack signing secret"].fix
    assert "ANTHROPIC_API_KEY" in checks["Anthropic API key"].fix
    if database_url.startswith("postgresql"):  # SQLite is upgraded at start (below)
        assert checks["Database"].fix == "run `ftscope db upgrade`"
    assert "claude-haiku-4-5" in checks["Claude model"].fix
    assert (
        checks["Weekly digest"].status == "fail"
        and "FTSCOPE_DIGEST_CRON" in checks["Weekly digest"].detail
    )


def test_a_revoked_token_and_stale_prices_are_reported(slack, database_url):
    slack.fail("auth.test", "invalid_auth")
    checks = by_name(
        run_checks(
            settings_for(slack, migrated(database_url)),
            now=NOW + dt.timedelta(days=60),
        )
    )
    assert checks["Slack bot token"].detail == "Slack refused it (invalid_auth)"
    assert checks["Price sheet"].status == "warn" and "days old" in checks["Price sheet"].detail
    assert "ftscope prices refresh" in checks["Price sheet"].fix


def test_the_command_exits_1_on_problems_and_never_prints_a_secret(
    slack, database_url, monkeypatch, capsys
):
    for name, value in {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "ANTHROPIC_API_KEY": "sk-ant-doctor-key",
        "DATABASE_URL": database_url,  # not migrated: a problem on PostgreSQL
        "FTSCOPE_CLAUDE_MODEL": "claude-haiku-9-9",  # a problem on both
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert main(["doctor"]) == 1
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "❌ Claude model" in out and "problem" in out
    assert ("❌ Database" in out) == database_url.startswith("postgresql")
    assert TOKEN not in out and SECRET not in out and "sk-ant-doctor-key" not in out


def test_an_old_schema_is_upgraded_by_serve_on_sqlite_and_by_hand_on_postgresql(
    slack, database_url
):
    """`ftscope serve` upgrades a SQLite file when it starts (bot.runtime.open_store) but
    refuses a PostgreSQL schema behind its own: only there is `ftscope db upgrade` the fix."""
    database = by_name(run_checks(settings_for(slack, database_url), now=NOW))["Database"]
    if database_url.startswith("sqlite"):
        assert database.status == "ok"
        assert database.fix is None
        assert "schema at nothing; `ftscope serve` upgrades it to " in database.detail
        assert "db upgrade" not in report([database])
    else:
        assert database.status == "fail"
        assert database.fix == "run `ftscope db upgrade`"
