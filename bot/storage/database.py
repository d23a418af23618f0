"""The connection to SQLite or PostgreSQL, and what every record kind's statements share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on both databases.

    SQLite has no timezone type and silently drops tzinfo without converting, so a non-UTC
    datetime would be stored as the wrong instant. Converting to UTC before binding and
    re-attaching UTC on the way out makes SQLite and PostgreSQL (timestamptz) return the same
    value. Naive datetimes are refused: which zone they meant is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    # WAL lets the scheduler read while a Slack turn writes; busy_timeout makes a second
    # writer wait instead of failing with "database is locked"; SQLite ignores foreign keys
    # unless asked, per connection; NORMAL is durable enough under WAL and much faster.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


# Connections kept open once opened, and opened beyond them at a peak. A turn holds a
# connection only for its short transactions, never across its Claude call, so the pool is
# sized for the threads in a transaction at once, not for the turn workers: at 25-30 turns a
# second on two cores, up to 17 (PostgreSQL) and 22 (SQLite) at once (the turns, admission,
# the Slack I/O and click threads, /healthz). SQLAlchemy's default of 5 kept opened and closed
# a connection several times a second under that load, each a new PostgreSQL backend. 30 at
# most per process leaves PostgreSQL's default of 100 connections enough for three machines
# and the release command.
POOL_SIZE = 20
MAX_OVERFLOW = 10


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL: DATABASE_URL as the settings normalise it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # In memory, every connection is its own database: SQLAlchemy keeps one per thread.
        in_memory = parsed.database in (None, "", ":memory:")
        pool = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
        # The scheduler thread shares the engine with the Slack handlers.
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    # Managed Postgres drops idle connections: test before use, and recycle before it does.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=600,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
    )


def create_schema(engine: Engine) -> None:
    """Create or upgrade the schema through the migrations (`ftscope db upgrade` does the same)."""
    from bot.migrate import upgrade  # noqa: PLC0415 - the migrations import the tables

    upgrade(engine)


class Database:
    """An engine with the two things every record kind needs: a short transaction, and an
    insert that leaves the database to decide who won a race."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL"
            )
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        # expire_on_commit=False: callers read the returned rows after the session has closed.
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def insert_ignore(self, model: type[SQLModel]) -> Any:
        # Both dialects spell it ON CONFLICT DO NOTHING; PostgreSQL waits for a concurrent
        # inserter of the same key to commit, so exactly one caller sees its row inserted.
        # Imported here: the PostgreSQL dialect module costs a SQLite user ~40 ms of start-up.
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415
        else:
            from sqlalchemy.dialects.sqlite import insert  # noqa: PLC0415
        return insert(model).on_conflict_do_nothing()

    def ping(self) -> bool:
        """The database answers (for /healthz)."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True
