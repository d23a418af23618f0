"""The one settings class: defaults, parsing, and secrets that never print."""

import datetime as dt

import pytest

from bot.cli import main
from bot.runtime import bot_assumptions
from bot.settings import (
    ConfigError,
    DecideSettings,
    Settings,
    decide_settings,
    get_settings,
    mask_password,
)
from knowledge import load_assumptions


def config_problems() -> list[str]:
    """What a fresh `get_settings()` refuses the environment for; the next test reads its own."""
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    return caught.value.problems


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
    (problem,) = config_problems()
    assert problem.startswith("FTSCOPE_WORKERS:") and "'abc'" in problem


def test_the_cli_reports_a_bad_setting_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("FTSCOPE_CLAUDE_TIMEOUT_S", "-3")
    get_settings.cache_clear()
    try:
        assert main(["chat"]) == 2
    finally:
        get_settings.cache_clear()
    assert "FTSCOPE_CLAUDE_TIMEOUT_S" in capsys.readouterr().err


def test_ftscope_today_pins_the_date(monkeypatch):
    monkeypatch.setenv("FTSCOPE_TODAY", "2026-12-06")
    assert Settings(_env_file=None).today == dt.date(2026, 12, 6)
    monkeypatch.delenv("FTSCOPE_TODAY")
    assert Settings(_env_file=None).today is None  # the system date of each decision


@pytest.mark.parametrize("value", ["20261206", "6/12/2026", "2026-02-30", "1764979200"])
def test_ftscope_today_is_a_date_written_yyyy_mm_dd(monkeypatch, value):
    monkeypatch.setenv("FTSCOPE_TODAY", value)
    assert config_problems() == [f"FTSCOPE_TODAY: not a date (YYYY-MM-DD) (got {value!r})"]


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"DATABASE_URL": "postgres://u@db/x", "FTSCOPE_TODAY": "2026-12-06"},
        {"database_url": "sqlite:///other.db", "ftscope_today": "2027-01-01"},  # any case
        {"DATABASE_URL": "", "FTSCOPE_TODAY": ""},  # empty means unset
    ],
)
def test_decide_reads_its_two_variables_as_settings_does(monkeypatch, tmp_path, environment):
    """`ftscope decide` reads them without loading pydantic-settings: the same values."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "FTSCOPE_TODAY", "database_url", "ftscope_today"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert decide_settings() == DecideSettings(settings.database_url, settings.today)


@pytest.mark.parametrize(
    ("environment", "dotenv"),
    [
        ({"DATABASE_URL": "sqlite:///env.db"}, "DATABASE_URL=sqlite:///dotenv.db\n"),  # env wins
        ({}, "export DATABASE_URL='sqlite:///dotenv.db'  # a comment\nftscope_today=2026-12-01\n"),
        ({"FTSCOPE_TODAY": ""}, "FTSCOPE_TODAY=2026-12-01\nDATABASE_URL=\n"),  # empty: unset
    ],
)
def test_decide_reads_a_dot_env_file_as_settings_does(monkeypatch, tmp_path, environment, dotenv):
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "FTSCOPE_TODAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".env").write_text(dotenv)
    settings = Settings()
    assert decide_settings() == DecideSettings(settings.database_url, settings.today)


def test_decide_reads_only_its_two_variables(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("FTSCOPE_TODAY", "2026-12-01")
    (tmp_path / ".env").write_text("FTSCOPE_WORKERS=abc\n")  # stops `serve`, not `decide`
    assert decide_settings() == DecideSettings("sqlite:///ftscope.db", dt.date(2026, 12, 1))


def test_the_bot_decides_on_ftscope_today(monkeypatch):
    """The conversation and the digest job get the pinned date from the settings."""
    from bot.runtime import build_conversation, digest_job  # noqa: PLC0415
    from bot.storage import Store, make_engine  # noqa: PLC0415

    settings = Settings(_env_file=None, FTSCOPE_TODAY="2026-12-01")
    store = Store(make_engine("sqlite://"))
    assert build_conversation(settings, store).today == dt.date(2026, 12, 1)
    assert digest_job(settings, store, None).today == dt.date(2026, 12, 1)


def test_ftscope_assumptions_lays_the_teams_keys_over_the_shipped_ones(monkeypatch, tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text("monthly_ops_usd: 500\nlabeling_cost_per_example_usd: {legal: 2.5}\n")
    monkeypatch.setenv("FTSCOPE_ASSUMPTIONS", str(team))
    ours = bot_assumptions(Settings(_env_file=None))
    shipped = load_assumptions()

    assert ours.monthly_ops_usd == 500
    assert ours.labeling_cost_per_example_usd["legal"] == 2.5
    assert (
        ours.labeling_cost_per_example_usd["medical"]
        == (shipped.labeling_cost_per_example_usd["medical"])
    )
    assert ours.engineering_weeks == shipped.engineering_weeks


def test_an_unusable_assumptions_file_stops_the_start_naming_the_key(monkeypatch, tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text("monthly_ops_usd: -5\n")
    monkeypatch.setenv("FTSCOPE_ASSUMPTIONS", str(team))
    with pytest.raises(ConfigError) as caught:
        bot_assumptions(Settings(_env_file=None))
    assert caught.value.problems == [
        f"FTSCOPE_ASSUMPTIONS: {team}: monthly_ops_usd: must be ≥ 0.0, got -5"
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.internal:5432/app", "postgresql+psycopg://u:p@db.internal:5432/app"),
        ("postgresql://u@db/app", "postgresql+psycopg://u@db/app"),
        ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
        ("sqlite:///ftscope.db", "sqlite:///ftscope.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_is_normalised_once_here(monkeypatch, tmp_path, given, expected):
    """Fly's `postgres://` and plain `postgresql://` mean psycopg 3; the rest of the bot gets
    the URL as SQLAlchemy needs it, from the settings (and `decide` the same)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", given)
    assert Settings(_env_file=None).database_url == expected
    assert decide_settings().database_url == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (
            "bogus://sales:hunter2@db/x",
            "DATABASE_URL: unsupported database 'bogus': use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB (got 'bogus://sales:***@db/x')",
        ),
        (
            "postgresql+psycopg2://sales:hunter2@db/x",  # psycopg2 isn't installed
            "DATABASE_URL: unsupported database 'postgresql+psycopg2': use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB (got 'postgresql+psycopg2://sales:***@db/x')",
        ),
        (
            "postgres//sales:hunter2@db",
            "DATABASE_URL: not a database URL: use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB (got 'postgres//sales:***@db')",
        ),
        (
            "postgres://sales:hunter2@db:port/x",
            "DATABASE_URL: not a database URL: use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB (got 'postgres://sales:***@db:port/x')",
        ),
    ],
)
def test_a_database_url_ftscope_cannot_use_is_named_with_its_password_masked(
    monkeypatch, given, problem
):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config_problems() == [problem]


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://u:s3cret@db/x", "postgresql+psycopg://u:***@db/x"),
        ("postgres://u:p@ss@db/x", "postgres://u:***@db/x"),  # an unescaped @ in it
        ("postgres//u:s3cret@db", "postgres//u:***@db"),  # not a URL: masked all the same
        ("postgresql://u@db:5432/x", "postgresql://u@db:5432/x"),  # no password
        ("sqlite:///data/ftscope.db", "sqlite:///data/ftscope.db"),
    ],
)
def test_a_password_never_reaches_a_message(url, masked):
    assert mask_password(url) == masked
