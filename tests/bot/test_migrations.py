"""The schema comes from the migrations, on SQLite and PostgreSQL, and matches the models."""

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from bot.cli import main
from bot.migrate import current_revision, downgrade, head_revision, upgrade
from bot.runtime import open_store
from bot.settings import ConfigError, Settings, get_settings
from bot.storage import ScopingThread, make_engine
from tests.fakes.threads import start_thread

TABLES = {
    "scoping_threads",
    "thread_messages",
    "processed_events",
    "claude_usage",
    "price_sheets",
    "digest_runs",
    "workspaces",
    "alembic_version",
}


def test_the_migrated_schema_is_exactly_the_models(engine):
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrations_go_down_to_nothing_and_up_again(engine, store):
    # A thread row without messages: on SQLite, 0002's downgrade rebuilds scoping_threads and
    # fails on the foreign key of a thread's messages (a known limit of going down to base).
    with store.db.session() as session:
        session.add(ScopingThread(team_id="T1", channel_id="C1", thread_ts="1.0", started_by="U1"))
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_upgrading_a_current_schema_changes_nothing(engine, store):
    start_thread(store, "T1", "C1", "1.0", "U1")
    upgrade(engine)
    assert store.threads.find("T1", "C1", "1.0") is not None


@pytest.fixture
def empty_database(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_db_upgrade_creates_the_schema_and_says_so(empty_database, capsys):
    assert main(["db", "upgrade"]) == 0
    assert f"upgraded: empty → {head_revision()}" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"already at {head_revision()}" in capsys.readouterr().out
    engine = make_engine(empty_database)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_bot_upgrades_sqlite_at_start_but_not_postgresql(database_url):
    settings = Settings(_env_file=None, database_url=database_url)
    if database_url.startswith("sqlite"):
        store = open_store(settings)
        assert current_revision(store.engine) == head_revision()
        store.engine.dispose()
    else:  # several machines start together: the release command migrates, once
        with pytest.raises(ConfigError, match=r"schema is at nothing.*run `ftscope db upgrade`"):
            open_store(settings)


def test_threads_with_messages_upgrade_to_workloads_and_keep_everything(engine, store):
    """0005 rebuilds scoping_threads on SQLite (a batch copy): threads keep their facts and
    messages, each becomes its Slack thread's first workload, and a second one fits beside it."""
    downgrade(engine, "0004")
    with engine.begin() as connection:  # rows as the 0004 schema holds them
        connection.execute(
            text(
                "INSERT INTO scoping_threads (team_id, channel_id, thread_ts, started_by, "
                "status, facts, fact_quotes, fact_ts, created_at, updated_at) VALUES ('T1', "
                "'C1', '1.0', 'U1', 'open', '{\"monthly_calls\": 15000000}', '{}', '{}', "
                ":now, :now)"
            ),
            {"now": datetime.now(UTC)},
        )
        thread_id = connection.execute(text("SELECT id FROM scoping_threads")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO thread_messages (thread_id, slack_ts, user_id, role, text, "
                "created_at) VALUES (:id, '1.0', 'U1', 'user', '15M tickets a month', :now)"
            ),
            {"id": thread_id, "now": datetime.now(UTC)},
        )
    upgrade(engine)
    thread = store.threads.find("T1", "C1", "1.0")
    assert thread.id == thread_id and thread.workload == 1
    assert thread.facts == {"monthly_calls": 15_000_000}
    assert [m.text for m in store.threads.messages(thread_id)] == ["15M tickets a month"]
    second = store.threads.start_workload(thread_id, "1.0", "U2")
    assert second.workload == 2 and store.threads.find("T1", "C1", "1.0").id == second.id
    assert [m.text for m in store.threads.messages(second.id)] == ["15M tickets a month"]
    assert store.threads.messages(thread_id) == []  # the message that asked for it moved


def test_processes_that_upgrade_one_sqlite_file_at_once_all_succeed(tmp_path):
    """Every command upgrades SQLite at start: two started together must not trip each other
    (the second waits for the first's write lock, then finds the schema current)."""
    url = f"sqlite:///{tmp_path / 'ftscope.db'}"
    code = (
        "from bot.migrate import upgrade; from bot.storage import make_engine; "
        f"upgrade(make_engine({url!r}))"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    failures = [err for run in runs if (err := run.communicate(timeout=60)[1]) and run.returncode]
    assert failures == []
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()
