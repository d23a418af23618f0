"""Workspaces the bot may not post in, on SQLite and PostgreSQL: kept across a restart."""

import datetime as dt

from bot.storage import Store


def test_a_revoked_workspace_stays_revoked_after_a_restart(store, engine):
    assert store.workspaces.revoke("T1", "app_uninstalled") is True
    assert store.workspaces.revoke("T1", "tokens_revoked") is False  # recorded once
    assert store.workspaces.is_revoked("T1") and not store.workspaces.is_revoked("T2")
    restarted = Store(engine)  # a new process: nothing in memory
    assert restarted.workspaces.is_revoked("T1")
    [row] = restarted.workspaces.revoked()
    assert (row.team_id, row.revoked_by) == ("T1", "app_uninstalled")


def test_a_reinstalled_workspace_is_restored(store, engine):
    at = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    store.workspaces.revoke("T1", "app_uninstalled", at=at)
    assert store.workspaces.revoked_at("T1") == at
    assert store.workspaces.restore("T1") is True
    assert store.workspaces.restore("T1") is False
    assert not Store(engine).workspaces.is_revoked("T1")
    assert store.workspaces.revoke("T1", "tokens_revoked") is True  # and can go again


def test_another_process_sees_a_revocation_within_the_cache_time(store, engine):
    other = Store(engine)
    other.workspaces.cache_s = 0.0  # no caching: reads the database each time
    assert not other.workspaces.is_revoked("T1")
    store.workspaces.revoke("T1", "app_uninstalled")
    assert other.workspaces.is_revoked("T1")


def test_no_team_is_never_revoked(store):
    assert not store.workspaces.is_revoked("")
