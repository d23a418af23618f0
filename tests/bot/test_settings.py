"""The one settings class: defaults, parsing, and secrets that never print."""

from bot.settings import Settings


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
