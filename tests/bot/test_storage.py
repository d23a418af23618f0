import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.settings import normalize_database_url
from bot.storage import (
    ClaudeUsage,
    Store,
    ThreadStatus,
    UsageTotals,
    create_schema,
    make_engine,
)
from tests.fakes.threads import start_thread

T = TypeVar("T")

FACTS = {
    "use_case": "Acme: route support tickets to one of 40 queues",
    "task_type": "classification",
    "monthly_calls": 15_000_000,
    "frontier_model": "claude-haiku-4-5",
    "baseline_quality": 0.91,
}


def race(n: int, fn: Callable[[], T]) -> list[T]:
    """Run fn in n threads released at the same instant, each on its own connection."""
    barrier = threading.Barrier(n)

    def go() -> T:
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(n) as pool:
        return [f.result() for f in [pool.submit(go) for _ in range(n)]]


def test_thread_state_survives_a_restart(database_url: str):
    first = make_engine(database_url)
    create_schema(first)
    store = Store(first)
    thread = start_thread(store, "T1", "C1", "1700000000.000100", "U1")
    decision = {"verdict": "prompt", "gates": {"q3_volume": "fail"}, "math": None}
    store.threads.save_state(thread.id, FACTS, decision, "prompt", "decided")
    first.dispose()

    reopened = Store(make_engine(database_url))
    try:
        again = reopened.threads.find("T1", "C1", "1700000000.000100")
        assert again is not None
        assert again.id == thread.id
        assert again.facts == FACTS
        assert again.last_decision == decision
        assert again.last_verdict == "prompt"
        assert again.status == "decided"
        assert again.frontier_model == "claude-haiku-4-5"
        assert again.updated_at >= again.created_at
    finally:
        reopened.engine.dispose()


def test_facts_can_be_replaced_and_decision_cleared(store: Store):
    thread = start_thread(store, "T1", "C1", "1.1", "U1")
    store.threads.save_state(thread.id, {"monthly_calls": 5}, {"verdict": "x"}, "x", "decided")
    facts = {"monthly_calls": 6}
    store.threads.save_state(thread.id, facts, None, None, "open")
    facts["monthly_calls"] = 7  # the caller's dict is not the stored one

    again = store.threads.find("T1", "C1", "1.1")
    assert again is not None
    assert again.facts == {"monthly_calls": 6}
    assert again.last_decision is None
    assert again.frontier_model is None
    assert again.status == "open"
    with store.db.session() as session:
        nulls = session.exec(
            text("SELECT count(*) FROM scoping_threads WHERE last_decision IS NULL")
        ).one()
    assert nulls[0] == 1  # SQL NULL, not the JSON text 'null'


def test_unknown_status_is_refused(store: Store):
    thread = start_thread(store, "T1", "C1", "1.1", "U1")
    with pytest.raises(ValueError, match="status"):
        store.threads.save_state(thread.id, {}, None, None, "done")  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        store.threads.save_state(thread.id + 1000, {}, None, None, "open")


@pytest.mark.parametrize("status", list(ThreadStatus))
def test_the_database_holds_every_thread_status_and_refuses_others(store: Store, status):
    """The CHECK constraint comes from the enum: a status added to one is allowed by the other."""
    thread = start_thread(store, "T1", "C1", "1.1", "U1")
    store.threads.save_state(thread.id, {}, None, None, status)
    assert store.threads.find("T1", "C1", "1.1").status == status
    with pytest.raises(IntegrityError), store.db.session() as session:
        session.exec(text("UPDATE scoping_threads SET status = 'archived'"))


def test_timestamps_come_back_as_the_same_utc_instant(store: Store):
    paris = timezone(timedelta(hours=2))
    at = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=paris)
    usage = store.usage.record(
        model="claude-haiku-4-5", input_tokens=1, output_tokens=1, cost_usd=0.0, created_at=at
    )
    thread = start_thread(store, "T1", "C1", "1.1", "U1")

    with store.db.session() as session:
        stored = session.get(ClaudeUsage, usage.id)
    assert stored is not None
    assert stored.created_at == at
    assert stored.created_at.tzinfo == UTC
    assert stored.created_at.hour == 7
    again = store.threads.find("T1", "C1", "1.1")
    assert again is not None
    assert again.created_at.tzinfo == UTC
    assert again.created_at == thread.created_at
    with pytest.raises(Exception, match="naive"):
        store.usage.between(datetime(2026, 1, 1), datetime(2027, 1, 1))


def test_an_event_key_is_claimed_exactly_once(store: Store):
    def deliver(key: str, ts: str) -> int | None:
        return store.threads.admit_message(
            key=key,
            team_id="T1",
            channel_id="C1",
            thread_ts="1700000000.000100",
            user_id="U1",
            slack_ts=ts,
            text="hi",
            may_start=True,
        )

    assert deliver("Ev123", "1700000000.000100") is not None
    assert deliver("Ev123", "1700000000.000100") is None  # a retry: claimed before
    assert deliver("msg:C1:1700000000.000200", "1700000000.000200") is not None


def test_concurrent_first_messages_of_a_thread_make_one_row(store: Store):
    # Eight messages racing to start the same thread: one thread, every message in it.
    ids = race(
        8,
        lambda: (
            start_thread(store, "T1", "C1", "9.9", "U1", slack_ts=f"9.{threading.get_ident()}").id
        ),
    )
    assert len(set(ids)) == 1
    with store.db.session() as session:
        rows = session.exec(text("SELECT count(*) FROM scoping_threads")).one()
    assert rows[0] == 1
    assert len(store.threads.messages(ids[0])) == 8


def test_threads_are_told_apart_by_team_channel_and_ts(store: Store):
    a = start_thread(store, "T1", "C1", "1.1", "U1")
    assert start_thread(store, "T1", "C1", "1.1", "U2", slack_ts="1.5").id == a.id
    others = {
        start_thread(store, "T2", "C1", "1.1", "U1").id,
        start_thread(store, "T1", "C2", "1.1", "U1").id,
        start_thread(store, "T1", "C1", "1.2", "U1").id,
    }
    assert a.id not in others and len(others) == 3
    assert store.threads.find("T1", "C1", "1.1").started_by == "U1"
    assert store.threads.find("T9", "C1", "1.1") is None


def test_messages_keep_order_and_long_text_and_are_stored_once(store: Store):
    thread = start_thread(store, "T1", "C1", "100.000001", "U1", text="we want a fine-tune")
    spec = "x" * 50_000 + " é ✅ 🙂"
    store.threads.record_bot_reply(thread.id, "100.000002", "How many calls a month?", None)
    start_thread(store, "T1", "C1", "100.000001", "U1", text=spec, slack_ts="100.000003")
    # Slack retries and the app_mention/message double delivery: same message, stored once.
    start_thread(store, "T1", "C1", "100.000001", "U1", text="we want a fine-tune")
    store.threads.record_bot_reply(thread.id, "100.000002", "How many calls a month?", None)
    # A bot reply may carry the ts of the message it answers: a different row.
    store.threads.record_bot_reply(thread.id, "100.000003", "Got it.", None)

    messages = store.threads.messages(thread.id)
    assert [(m.role, m.slack_ts) for m in messages] == [
        ("user", "100.000001"),
        ("bot", "100.000002"),
        ("user", "100.000003"),
        ("bot", "100.000003"),
    ]
    assert messages[2].text == spec
    assert messages[0].user_id == "U1" and messages[1].user_id is None
    other = start_thread(store, "T1", "C1", "200.000001", "U1", text="another")
    assert [m.text for m in store.threads.messages(other.id)] == ["another"]


def test_message_needs_an_existing_thread(store: Store):
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        store.threads.record_bot_reply(424242, "1.1", "orphan", None)


def test_usage_totals_between_two_instants(store: Store):
    day = datetime(2026, 11, 28, tzinfo=UTC)
    thread = start_thread(store, "T1", "C1", "1.1", "U1")
    for hours, cost in [(1, 0.25), (5, 0.5), (25, 4.0)]:
        store.usage.record(
            model="claude-haiku-4-5",
            input_tokens=1000,
            cache_creation_input_tokens=4096,
            cache_read_input_tokens=8192,
            output_tokens=200,
            cost_usd=cost,
            latency_ms=850,
            thread_id=thread.id,
            created_at=day + timedelta(hours=hours),
        )
    store.usage.record(
        model="claude-sonnet-4-5",
        input_tokens=10,
        output_tokens=5,
        cost_usd=0.125,
        created_at=day,  # start is inclusive
    )

    totals = store.usage.between(day, day + timedelta(days=1))
    assert totals == UsageTotals(
        calls=3,
        input_tokens=2010,
        cache_creation_input_tokens=8192,
        cache_read_input_tokens=16384,
        output_tokens=405,
        cost_usd=pytest.approx(0.875),
    )
    assert store.usage.between(day - timedelta(days=1), day) == UsageTotals(0, 0, 0, 0, 0, 0.0)


def test_sqlite_file_database_runs_in_wal_mode(tmp_path):
    path = tmp_path / "bot.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        create_schema(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()
    # WAL is a property of the file: a plain sqlite3 connection sees it too.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_fly_postgres_url_gives_a_psycopg_engine():
    engine = make_engine(normalize_database_url("postgres://u:p@db.internal:5432/app"))
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    # Managed Postgres drops idle connections: the pool must test and recycle them.
    assert engine.pool._pre_ping is True
    assert engine.pool._recycle == 600
    engine.dispose()


def admit(store: Store, ts: str, *, thread_ts: str = "1.1", may_start: bool = True, text="hi"):
    return store.threads.admit_message(
        key=f"message:T1:C1:{ts}",
        team_id="T1",
        channel_id="C1",
        thread_ts=thread_ts,
        user_id="U1",
        slack_ts=ts,
        text=text,
        may_start=may_start,
    )


def test_admitting_a_message_stores_it_with_its_thread_once(store: Store):
    thread_id = admit(store, "1.1", text="~15M tickets/mo")
    assert thread_id is not None
    assert admit(store, "1.1") is None  # a retry or a second delivery
    (message,) = store.threads.messages(thread_id)
    assert (message.role, message.text, message.extraction) == ("user", "~15M tickets/mo", None)
    assert store.threads.find("T1", "C1", "1.1").started_by == "U1"


def test_a_reply_in_an_unscoped_thread_is_not_claimed(store: Store):
    assert admit(store, "2.2", thread_ts="2.0", may_start=False) is None
    assert store.threads.find("T1", "C1", "2.0") is None
    # nothing was claimed: the same message, as an @mention, still starts the thread
    assert admit(store, "2.2", thread_ts="2.0", may_start=True) is not None


def test_admission_races_admit_each_message_once(store: Store):
    results = race(8, lambda: admit(store, "3.3", thread_ts="3.0"))
    assert len([r for r in results if r is not None]) == 1
    thread = store.threads.find("T1", "C1", "3.0")
    assert len(store.threads.messages(thread.id)) == 1


def test_replies_saved_with_the_verdict_shown(store: Store):
    thread_id = admit(store, "4.1", thread_ts="4.0")
    store.threads.record_bot_reply(thread_id, "4.2", "Verdict: Fine-tune", "fine_tune")
    store.threads.record_bot_reply(
        thread_id, "4.2", "Verdict: Fine-tune", "fine_tune"
    )  # idempotent
    assert store.threads.find("T1", "C1", "4.0").shown_verdict == "fine_tune"
    assert [m.role for m in store.threads.messages(thread_id)] == ["user", "bot"]


def test_price_sheets_are_stored_once_per_content(store: Store):
    first, new = store.price_sheets.save({"as_of": "2026-11-30"}, "a" * 64, [{"source": "x"}])
    again, new_again = store.price_sheets.save({"as_of": "2026-11-30"}, "a" * 64, [])
    second, _ = store.price_sheets.save({"as_of": "2026-12-07"}, "b" * 64, [])
    assert (new, new_again) == (True, False) and again.id == first.id
    assert store.price_sheets.latest().id == second.id
    assert [v.id for v in store.price_sheets.history()] == [second.id, first.id]
    back, stored = store.price_sheets.save({"as_of": "2026-12-14"}, "a" * 64, [])
    assert stored and store.price_sheets.latest().id == back.id  # prices went back: newest


def test_a_digest_period_is_claimed_once_across_racing_processes(store: Store):
    results = race(8, lambda: store.digest_runs.claim("2026-11-30T09:00:00+00:00", "host"))
    assert results.count(True) == 1
    store.digest_runs.finish("2026-11-30T09:00:00+00:00", status="posted", text="quiet week")
    assert store.digest_runs.last_posted().text == "quiet week"


def test_threads_with_facts_are_read_in_batches(store: Store):
    for n in range(5):
        thread = start_thread(store, "T1", "C1", f"9.{n}", "U1")
        if n != 2:
            store.threads.save_state(thread.id, {"monthly_calls": n}, None, None, "open")
    assert [t.facts["monthly_calls"] for t in store.threads.with_facts(batch=2)] == [0, 1, 3, 4]


def test_a_failed_or_abandoned_digest_period_can_be_claimed_again_once(store: Store):
    period = "2026-12-07T09:00:00+00:00"
    assert store.digest_runs.claim(period, "a")
    assert not store.digest_runs.owed(period)  # someone is on it
    store.digest_runs.finish(period, status="failed", error="Slack was down")
    assert store.digest_runs.owed(period)
    results = race(6, lambda: store.digest_runs.claim(period, "b"))
    assert results.count(True) == 1 and store.digest_runs.get(period).error is None
    # still "running" an hour later: its process died; it is owed again
    assert not store.digest_runs.claim(period, "c")
    assert store.digest_runs.claim(period, "c", stale_after=timedelta(0))
    store.digest_runs.finish(period, status="posted", text="ok")
    assert not store.digest_runs.owed(period) and not store.digest_runs.claim(period, "d")


def test_a_save_over_a_state_someone_else_changed_writes_nothing(store: Store):
    thread = start_thread(store, "T1", "C1", "5.0", "U1")
    read_at = thread.updated_at
    first = store.threads.save_state(
        thread.id, {"monthly_calls": 1}, None, None, "open", expect_updated_at=read_at
    )
    assert first is not None and first.facts == {"monthly_calls": 1}
    stale = store.threads.save_state(
        thread.id, {"monthly_calls": 2}, None, None, "open", expect_updated_at=read_at
    )
    assert stale is None
    assert store.threads.find("T1", "C1", "5.0").facts == {"monthly_calls": 1}
