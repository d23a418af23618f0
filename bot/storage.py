"""Persistence for scoping threads, their messages, processed Slack events and Claude usage.

SQLite (a file next to the bot) by default, PostgreSQL when `DATABASE_URL` says so. Every write
that two processes can race on (Slack retries, the double delivery of an @mention) goes through
INSERT ... ON CONFLICT DO NOTHING, so the database, not the process, decides who won.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, CheckConstraint, DateTime, Dialect, Text, UniqueConstraint, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, and_, create_engine, func, or_, select, update

log = logging.getLogger(__name__)

# A digest still "running" after this was abandoned (its process died): it may be run again.
DIGEST_STALE_AFTER = timedelta(hours=1)

ThreadStatus = Literal["open", "decided", "closed"]
MessageRole = Literal["user", "bot"]
THREAD_STATUSES: tuple[str, ...] = ("open", "decided", "closed")


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


# none_as_null: a Python None must be SQL NULL (so "IS NULL" finds it), not the JSON text 'null'.
_JSON = JSON(none_as_null=True)


class ScopingThread(SQLModel, table=True):
    __tablename__ = "scoping_threads"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "thread_ts"),
        CheckConstraint("status IN ('open', 'decided', 'closed')", name="ck_thread_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str
    channel_id: str
    thread_ts: str
    started_by: str
    status: str = "open"
    # JSON columns don't track in-place mutation: always assign a new dict.
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=_JSON)
    # field -> the user's words it came from, shown next to the fact in replies.
    fact_quotes: dict[str, str] = Field(default_factory=dict, sa_type=_JSON)
    # field -> the ts of the message that set it: a message read late (delivered out of
    # order) doesn't overwrite what a later message said.
    fact_ts: dict[str, str] = Field(default_factory=dict, sa_type=_JSON)
    last_verdict: str | None = None
    # The verdict of the last reply Slack accepted: "what changed" is told against what the
    # user saw, not against a verdict whose post failed.
    shown_verdict: str | None = None
    last_decision: dict[str, Any] | None = Field(default=None, sa_type=_JSON)
    # Copied out of facts so the weekly digest can find verdicts per model without parsing JSON.
    frontier_model: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThreadMessage(SQLModel, table=True):
    __tablename__ = "thread_messages"
    __table_args__ = (
        # A bot reply and the user message it answers may share a ts; role keeps both.
        UniqueConstraint("thread_id", "slack_ts", "role"),
        CheckConstraint("role IN ('user', 'bot')", name="ck_message_role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="scoping_threads.id", index=True)
    slack_ts: str
    user_id: str | None = None
    role: str
    # Text, not VARCHAR: a pasted spec can run to tens of kilobytes.
    text: str = Field(sa_type=Text)
    # For user messages the extractor has read: the exact text it was sent (earlier messages
    # of a failed turn are folded into the next one) and its raw reply. Replayed byte for byte
    # in later turns so the cached prompt prefix still matches.
    extracted_text: str | None = Field(default=None, sa_type=Text)
    extraction: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"

    key: str = Field(primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ClaudeUsage(SQLModel, table=True):
    __tablename__ = "claude_usage"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int | None = Field(default=None, foreign_key="scoping_threads.id", index=True)
    model: str
    input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: int | None = None
    # Indexed because usage_between scans by time.
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class PriceSheetVersion(SQLModel, table=True):
    """A price sheet as a refresh stored it; the newest is the one the engine uses."""

    __tablename__ = "price_sheets"

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of the sheet's prices: a refresh that changes nothing stores nothing. Not unique:
    # prices that go back to last month's are a new version, newer than the one in between.
    content_hash: str = Field(index=True, max_length=64)
    sheet: dict[str, Any] = Field(sa_type=_JSON)
    # Every source read for this version: {"source", "ok", "problem"}.
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=_JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class DigestRun(SQLModel, table=True):
    """One weekly digest period: the row is the claim, so one process in the fleet runs it."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'posted', 'failed')", name="ck_digest_status"),
    )

    # The scheduled time of the run, ISO 8601 in UTC: unique per period by construction.
    period: str = Field(primary_key=True, max_length=64)
    status: str = "running"
    claimed_by: str | None = None
    price_sheet_id: int | None = Field(default=None, foreign_key="price_sheets.id")
    text: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class MessageRead:
    """A user message as the extractor read it: the text it was sent and its raw reply."""

    slack_ts: str
    sent_text: str
    reply: str


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    output_tokens: int
    cost_usd: float


def normalize_database_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3.

    Fly hands out `postgres://`, which SQLAlchemy doesn't know, and plain `postgresql://`
    means psycopg2, which isn't installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


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


def make_engine(url: str) -> Engine:
    url = normalize_database_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        # The scheduler thread shares the engine with the Slack handlers.
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    # Managed Postgres drops idle connections: test before use, and recycle before it does.
    return create_engine(url, pool_pre_ping=True, pool_recycle=600)


def create_schema(engine: Engine) -> None:
    """Create or upgrade the schema through the migrations (`ftscope db upgrade` does the same)."""
    from bot.migrate import upgrade  # noqa: PLC0415 - the migrations import this module

    upgrade(engine)


class Store:
    """The repository: each method is one short transaction on its own session."""

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

    def _insert_ignore(self, model: type[SQLModel]) -> Any:
        # Both dialects spell it ON CONFLICT DO NOTHING; PostgreSQL waits for a concurrent
        # inserter of the same key to commit, so exactly one caller sees its row inserted.
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(model).on_conflict_do_nothing()

    def ping(self) -> bool:
        """The database answers (for /healthz)."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True

    # -- statements the methods below share -----------------------------------------------

    def _claim(self, key: str, now: datetime) -> Any:
        return (
            self._insert_ignore(ProcessedEvent)
            .values(key=key, created_at=now)
            .returning(ProcessedEvent.key)
        )

    def _new_thread(
        self, team_id: str, channel_id: str, thread_ts: str, started_by: str, now: datetime
    ) -> Any:
        return self._insert_ignore(ScopingThread).values(
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            started_by=started_by,
            status="open",
            facts={},
            fact_quotes={},
            fact_ts={},
            created_at=now,
            updated_at=now,
        )

    def _new_message(
        self,
        thread_id: int,
        role: MessageRole,
        text: str,
        slack_ts: str,
        user_id: str | None,
        *,
        now: datetime,
    ) -> Any:
        return self._insert_ignore(ThreadMessage).values(
            thread_id=thread_id,
            role=role,
            text=text,
            slack_ts=slack_ts,
            user_id=user_id,
            created_at=now,
        )

    @staticmethod
    def _thread_key(team_id: str, channel_id: str, thread_ts: str) -> tuple[Any, ...]:
        return (
            ScopingThread.team_id == team_id,
            ScopingThread.channel_id == channel_id,
            ScopingThread.thread_ts == thread_ts,
        )

    # -- threads and messages ----------------------------------------------------------------

    def find_thread(self, team_id: str, channel_id: str, thread_ts: str) -> ScopingThread | None:
        with self.session() as session:
            return session.exec(
                select(ScopingThread).where(*self._thread_key(team_id, channel_id, thread_ts))
            ).first()

    def save_thread_state(
        self,
        thread_id: int,
        facts: dict[str, Any],
        decision: dict[str, Any] | None,
        verdict: str | None,
        status: ThreadStatus,
        *,
        fact_quotes: dict[str, str] | None = None,
        fact_ts: dict[str, str] | None = None,
        read: MessageRead | None = None,
        expect_updated_at: datetime | None = None,
    ) -> ScopingThread | None:
        """Save a thread's facts and verdict, and (in the same transaction) what was read.

        `read` marks the user message the extractor answered; saving both at once means a
        message is never marked read without its facts, nor its facts saved twice.
        `expect_updated_at`: save only if nobody saved the thread since it was read (another
        process answering the same thread); None, with nothing written, if somebody did.
        """
        if status not in THREAD_STATUSES:
            raise ValueError(f"status must be one of {THREAD_STATUSES}, got {status!r}")
        frontier_model = facts.get("frontier_model")
        values: dict[str, Any] = {
            # New dict objects: the caller's stay theirs to mutate.
            "facts": dict(facts),
            "last_decision": dict(decision) if decision is not None else None,
            "last_verdict": verdict,
            "frontier_model": str(frontier_model) if frontier_model is not None else None,
            "status": status,
            "updated_at": utcnow(),
        }
        if fact_quotes is not None:
            values["fact_quotes"] = dict(fact_quotes)
        if fact_ts is not None:
            values["fact_ts"] = dict(fact_ts)
        condition = [ScopingThread.id == thread_id]
        if expect_updated_at is not None:
            condition.append(ScopingThread.updated_at == expect_updated_at)
        with self.session() as session:
            # One conditional UPDATE: two processes can't both pass the check and both write.
            result = session.exec(
                update(ScopingThread).where(*condition).values(**values)  # type: ignore[arg-type]
            )  # type: ignore[call-overload]
            if result.rowcount == 0:
                if session.get(ScopingThread, thread_id) is None:
                    raise LookupError(f"no scoping thread with id {thread_id}")
                session.rollback()
                return None
            if read is not None:
                self._mark_read(session, thread_id, read)
        with self.session() as session:
            return session.get(ScopingThread, thread_id)

    def _mark_read(self, session: Session, thread_id: int, read: MessageRead) -> None:
        message = session.exec(
            select(ThreadMessage).where(
                ThreadMessage.thread_id == thread_id,
                ThreadMessage.slack_ts == read.slack_ts,
                ThreadMessage.role == "user",
            )
        ).first()
        if message is None:
            raise LookupError(f"no user message {read.slack_ts} in thread {thread_id}")
        message.extracted_text = read.sent_text
        message.extraction = read.reply
        session.add(message)

    def admit_message(
        self,
        *,
        key: str,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        user_id: str,
        slack_ts: str,
        text: str,
        may_start: bool,
    ) -> int | None:
        """Claim a user message and store it with its thread, in one transaction.

        Returns the thread's id, or None: the message was claimed before (a retry, a second
        delivery), or it is in a thread nobody scopes and `may_start` is False (then nothing
        is claimed, so an @mention of the same message can still start a thread). Claim and
        message land together: once a message is claimed, it is stored, so a crash before its
        turn runs leaves it for the next turn to read.
        """
        now = utcnow()
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                # The write comes first: SQLite then takes its write lock at once (waiting
                # out busy_timeout) instead of failing to upgrade a read snapshot later.
                if session.exec(self._claim(key, now)).first() is None:
                    session.rollback()
                    return None
                if may_start:
                    session.exec(self._new_thread(team_id, channel_id, thread_ts, user_id, now))
                thread_id = session.exec(
                    select(ScopingThread.id).where(
                        *self._thread_key(team_id, channel_id, thread_ts)
                    )
                ).first()
                if thread_id is None:
                    session.rollback()
                    return None
                session.exec(self._new_message(thread_id, "user", text, slack_ts, user_id, now=now))
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return thread_id

    def record_bot_reply(
        self, thread_id: int, slack_ts: str, text: str, shown_verdict: str | None
    ) -> None:
        """Store a reply Slack accepted, and the verdict the user has now seen."""
        with self.session() as session:
            session.exec(self._new_message(thread_id, "bot", text, slack_ts, None, now=utcnow()))
            if shown_verdict is not None:
                thread = session.get(ScopingThread, thread_id)
                if thread is not None:
                    thread.shown_verdict = shown_verdict
                    session.add(thread)

    def thread_messages(self, thread_id: int) -> list[ThreadMessage]:
        # Insertion order is the order the bot read and answered the thread; Slack ts strings
        # would also sort, but only while every ts has the same number of digits.
        with self.session() as session:
            return list(
                session.exec(
                    select(ThreadMessage)
                    .where(ThreadMessage.thread_id == thread_id)
                    .order_by(ThreadMessage.id)  # type: ignore[arg-type]
                ).all()
            )

    def record_usage(
        self,
        *,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_creation_input_tokens: int = 0,
        cache_read_input_tokens: int = 0,
        cost_usd: float,
        latency_ms: int | None = None,
        thread_id: int | None = None,
        created_at: datetime | None = None,
    ) -> ClaudeUsage:
        usage = ClaudeUsage(
            thread_id=thread_id,
            model=model,
            input_tokens=input_tokens,
            cache_creation_input_tokens=cache_creation_input_tokens,
            cache_read_input_tokens=cache_read_input_tokens,
            output_tokens=output_tokens,
            cost_usd=cost_usd,
            latency_ms=latency_ms,
            created_at=created_at or utcnow(),
        )
        with self.session() as session:
            session.add(usage)
        return usage

    def usage_between(self, start: datetime, end: datetime) -> UsageTotals:
        """Totals of the calls made in [start, end)."""
        with self.session() as session:
            row = session.exec(
                select(
                    func.count(ClaudeUsage.id),  # type: ignore[arg-type]
                    func.coalesce(func.sum(ClaudeUsage.input_tokens), 0),
                    func.coalesce(func.sum(ClaudeUsage.cache_creation_input_tokens), 0),
                    func.coalesce(func.sum(ClaudeUsage.cache_read_input_tokens), 0),
                    func.coalesce(func.sum(ClaudeUsage.output_tokens), 0),
                    func.coalesce(func.sum(ClaudeUsage.cost_usd), 0.0),
                ).where(ClaudeUsage.created_at >= start, ClaudeUsage.created_at < end)
            ).one()
        return UsageTotals(
            calls=int(row[0]),
            input_tokens=int(row[1]),
            cache_creation_input_tokens=int(row[2]),
            cache_read_input_tokens=int(row[3]),
            output_tokens=int(row[4]),
            cost_usd=float(row[5]),
        )

    # -- price sheet versions ----------------------------------------------------------------

    def save_price_sheet(
        self, sheet: dict[str, Any], content_hash: str, sources: list[dict[str, Any]]
    ) -> tuple[PriceSheetVersion, bool]:
        """Store a sheet unless the newest version has the same prices; (version, whether new)."""
        latest = self.latest_price_sheet()
        if latest is not None and latest.content_hash == content_hash:
            return latest, False
        version = PriceSheetVersion(
            content_hash=content_hash, sheet=sheet, sources=sources, created_at=utcnow()
        )
        with self.session() as session:
            session.add(version)
        return version, True

    def latest_price_sheet(self) -> PriceSheetVersion | None:
        with self.session() as session:
            return session.exec(
                select(PriceSheetVersion).order_by(PriceSheetVersion.id.desc())  # type: ignore[union-attr]
            ).first()

    def price_sheet_version(self, version_id: int) -> PriceSheetVersion | None:
        with self.session() as session:
            return session.get(PriceSheetVersion, version_id)

    def price_sheet_history(self, limit: int = 20) -> list[PriceSheetVersion]:
        with self.session() as session:
            return list(
                session.exec(
                    select(PriceSheetVersion)
                    .order_by(PriceSheetVersion.id.desc())  # type: ignore[union-attr]
                    .limit(limit)
                ).all()
            )

    # -- the weekly digest -------------------------------------------------------------------

    def claim_digest(
        self, period: str, claimed_by: str, *, stale_after: timedelta = DIGEST_STALE_AFTER
    ) -> bool:
        """True for exactly one caller per period, across processes and machines.

        A period whose run failed, or whose runner vanished mid-run (still "running" after
        `stale_after`), can be claimed again: the claim is one conditional UPDATE, so two
        retries still can't both win.
        """
        now = utcnow()
        stmt = self._insert_ignore(DigestRun).values(
            period=period, status="running", claimed_by=claimed_by, claimed_at=now
        )
        with self.session() as session:
            if session.exec(stmt.returning(DigestRun.period)).first() is not None:
                return True
            retry = (
                update(DigestRun)
                .where(
                    DigestRun.period == period,
                    or_(
                        DigestRun.status == "failed",
                        and_(
                            DigestRun.status == "running",
                            DigestRun.claimed_at < now - stale_after,  # type: ignore[operator]
                        ),
                    ),
                )
                .values(status="running", claimed_by=claimed_by, claimed_at=now, error=None)
                .returning(DigestRun.period)
            )
            return session.exec(retry).first() is not None  # type: ignore[call-overload]

    def digest_owed(self, period: str, *, stale_after: timedelta = DIGEST_STALE_AFTER) -> bool:
        """Nobody has posted this period, nor is anyone still working on it."""
        run = self.digest_run(period)
        if run is None or run.status == "failed":
            return True
        return run.status == "running" and run.claimed_at < utcnow() - stale_after

    def finish_digest(
        self,
        period: str,
        *,
        status: Literal["posted", "failed"],
        price_sheet_id: int | None = None,
        text: str | None = None,
        error: str | None = None,
    ) -> None:
        with self.session() as session:
            run = session.get(DigestRun, period)
            if run is None:
                raise LookupError(f"no digest run for period {period}")
            if status == "failed" and run.status == "posted":
                # a step after the post failed: the digest is out, so it must not be owed again
                log.warning("digest %s was posted; a later failure is not recorded", period)
                return
            run.status = status
            run.price_sheet_id = price_sheet_id
            run.text = text
            run.error = error
            run.finished_at = utcnow()
            session.add(run)

    def any_digest_run(self) -> bool:
        """Has a digest ever been attempted here (a fresh install has nothing to catch up)."""
        with self.session() as session:
            return session.exec(select(DigestRun.period).limit(1)).first() is not None

    def digest_run(self, period: str) -> DigestRun | None:
        with self.session() as session:
            return session.get(DigestRun, period)

    def last_posted_digest(self) -> DigestRun | None:
        with self.session() as session:
            return session.exec(
                select(DigestRun)
                .where(DigestRun.status == "posted")
                .order_by(DigestRun.finished_at.desc())  # type: ignore[union-attr]
            ).first()

    # -- re-deciding stored threads ----------------------------------------------------------

    def threads_with_facts(self, batch: int = 1000) -> Iterator[ScopingThread]:
        """Every thread that has facts, oldest first, read in batches (constant memory)."""
        last_id = 0
        while True:
            with self.session() as session:
                rows = list(
                    session.exec(
                        select(ScopingThread)
                        .where(ScopingThread.id > last_id)  # type: ignore[operator]
                        .order_by(ScopingThread.id)  # type: ignore[arg-type]
                        .limit(batch)
                    ).all()
                )
            if not rows:
                return
            for row in rows:
                if row.facts:
                    yield row
            last_id = rows[-1].id or last_id

    def update_decisions(self, decisions: list[tuple[int, datetime, dict[str, Any], str]]) -> int:
        """Re-decisions under new prices, in one transaction: (thread id, the `updated_at` the
        decision was made from, decision JSON, verdict) each. A thread a user turn changed
        since is left alone: its own decision is newer. Returns how many were stored."""
        now = utcnow()
        stored = 0
        with self.session() as session:
            for thread_id, seen_at, decision, verdict in decisions:
                result = session.exec(
                    update(ScopingThread)
                    .where(
                        ScopingThread.id == thread_id,  # type: ignore[arg-type]
                        ScopingThread.updated_at == seen_at,  # type: ignore[arg-type]
                    )
                    .values(last_decision=dict(decision), last_verdict=verdict, updated_at=now)
                )  # type: ignore[call-overload]
                stored += result.rowcount
        return stored
