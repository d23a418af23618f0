"""The one settings class: defaults, parsing, and secrets that never print."""

import pytest

from bot.cli import main
from bot.settings import ConfigError, Settings, get_settings


def test_defaults(monkeypatch):
    for name in ("FTSCOPE_CLAUDE_MODEL", "DATABASE_URL", "FTSCOPE_PRICE_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.claude_model == "claude-haiku-4-5"
    assert settings.database_url == "sqlite:///ftscope.db"
    assert settings.digest_cron == "0 9 * * mon"
    assert settings.price_sources == []


def test_environment_is_read(monkeypatch):
    monkeypatch.setenv("FTSCOPE_PRICE_SOURCES", "team.yaml, https://example.test/prices.json")
    monkeypatch.setenv("FTSCOPE_CLAUDE_MODEL", "claude-haiku-5-5")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    settings = Settings(_env_file=None)
    assert settings.price_sources == ["team.yaml", "https://example.test/prices.json"]
    assert settings.claude_model == "claude-haiku-5-5"
    assert "xoxb-secret-value" not in repr(settings)
    assert settings.slack_bot_token.get_secret_value() == "xoxb-secret-value"


def test_a_bad_value_is_a_config_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FTSCOPE_WORKERS", "abc")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    (problem,) = caught.value.problems
    assert problem.startswith("FTSCOPE_WORKERS:") and "'abc'" in problem


def test_the_cli_reports_a_bad_setting_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("FTSCOPE_CLAUDE_TIMEOUT_S", "-3")
    get_settings.cache_clear()
    try:
        assert main(["chat"]) == 2
    finally:
        get_settings.cache_clear()
    assert "FTSCOPE_CLAUDE_TIMEOUT_S" in capsys.readouterr().err
