"""Scoping threads and their messages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select, update

from bot.storage.database import Database, utcnow
from bot.storage.events import ProcessedEvents
from bot.storage.tables import MessageRole, ScopingThread, ThreadMessage, ThreadStatus


@dataclass(frozen=True)
class MessageRead:
    """A user message as the extractor read it: the text it was sent and its raw reply."""

    slack_ts: str
    sent_text: str | None  # None: answered without the extractor (a question, a command)
    reply: str


def _thread_key(team_id: str, channel_id: str, thread_ts: str) -> tuple[Any, ...]:
    return (
        ScopingThread.team_id == team_id,
        ScopingThread.channel_id == channel_id,
        ScopingThread.thread_ts == thread_ts,
    )


def ts_order(ts: str) -> tuple[int, ...]:
    """Slack timestamps in time order ("1700000000.000123"), whatever their digit counts."""
    return tuple(int(part) for part in ts.split(".") if part.isdigit())


def _newest(team_id: str, channel_id: str, thread_ts: str) -> Any:
    return (
        select(ScopingThread)
        .where(*_thread_key(team_id, channel_id, thread_ts))
        .order_by(ScopingThread.workload.desc())  # type: ignore[attr-defined]
        .limit(1)
    )


class Threads:
    """Each method is one short transaction on its own session."""

    def __init__(self, db: Database, events: ProcessedEvents) -> None:
        self.db = db
        self.events = events

    def get(self, thread_id: int) -> ScopingThread | None:
        with self.db.session() as session:
            return session.get(ScopingThread, thread_id)

    def find(
        self, team_id: str, channel_id: str, thread_ts: str, workload_id: int | None = None
    ) -> ScopingThread | None:
        """The Slack thread's current workload (its newest), or None if the bot scopes none.

        `workload_id`: that workload instead (a verdict's buttons name the one they were
        posted under); None if it isn't one of this Slack thread's.
        """
        with self.db.session() as session:
            if workload_id is None:
                return session.exec(_newest(team_id, channel_id, thread_ts)).first()
            return session.exec(
                select(ScopingThread).where(
                    ScopingThread.id == workload_id, *_thread_key(team_id, channel_id, thread_ts)
                )
            ).first()

    def holding(
        self, team_id: str, channel_id: str, thread_ts: str, slack_ts: str
    ) -> ScopingThread | None:
        """The workload of the Slack thread that holds the user message at `slack_ts` (an
        edited message may be an earlier workload's); None if no workload holds it."""
        with self.db.session() as session:
            return session.exec(
                select(ScopingThread)
                .join(ThreadMessage, ThreadMessage.thread_id == ScopingThread.id)  # type: ignore[arg-type]
                .where(
                    *_thread_key(team_id, channel_id, thread_ts),
                    ThreadMessage.slack_ts == slack_ts,
                    ThreadMessage.role == MessageRole.user,
                )
            ).first()

    def start_workload(self, thread_id: int, slack_ts: str, user_id: str) -> ScopingThread:
        """Close the workload and open the Slack thread's next one, with no facts, in one
        transaction; the user message at `slack_ts` (the one that asked for it) moves to the
        new workload. Again for a workload already closed: the thread's newest, unchanged."""
        now = utcnow()
        with Session(self.db.engine, expire_on_commit=False) as session:
            old = session.get(ScopingThread, thread_id)
            if old is None:
                raise LookupError(f"no scoping thread with id {thread_id}")
            newest = session.exec(_newest(old.team_id, old.channel_id, old.thread_ts)).one()
            if newest.id != old.id:
                return newest
            old.status = ThreadStatus.closed
            old.updated_at = now
            session.add(old)
            fresh = ScopingThread(
                team_id=old.team_id,
                channel_id=old.channel_id,
                thread_ts=old.thread_ts,
                workload=old.workload + 1,
                started_by=user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(fresh)
            session.flush()
            # The message that asked, and any the thread got after it before this ran.
            for message in session.exec(
                select(ThreadMessage).where(
                    ThreadMessage.thread_id == thread_id, ThreadMessage.role == MessageRole.user
                )
            ):
                if ts_order(message.slack_ts) >= ts_order(slack_ts):
                    message.thread_id = fresh.id  # type: ignore[assignment]
                    session.add(message)
            session.commit()
            return fresh

    def latest_open(self, team_id: str, channel_id: str) -> ScopingThread | None:
        """The channel's most recently active scoping that isn't closed (a DM's open one)."""
        with self.db.session() as session:
            return session.exec(
                select(ScopingThread)
                .where(
                    ScopingThread.team_id == team_id,
                    ScopingThread.channel_id == channel_id,
                    ScopingThread.status != ThreadStatus.closed,
                )
                .order_by(ScopingThread.updated_at.desc())  # type: ignore[attr-defined]
            ).first()

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
        with Session(self.db.engine, expire_on_commit=False) as session:
            try:
                # The write comes first: SQLite then takes its write lock at once (waiting
                # out busy_timeout) instead of failing to upgrade a read snapshot later.
                if not self.events.claim(session, key, now):
                    session.rollback()
                    return None
                if may_start:
                    session.exec(self._new_thread(team_id, channel_id, thread_ts, user_id, now))
                newest = session.exec(_newest(team_id, channel_id, thread_ts)).first()
                thread_id = newest.id if newest is not None else None
                if thread_id is None:
                    session.rollback()
                    return None
                session.exec(
                    self._new_message(thread_id, MessageRole.user, text, slack_ts, user_id, now=now)
                )
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return thread_id

    def save_state(
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
        previous_state: dict[str, Any] | None = None,
    ) -> ScopingThread | None:
        """Save a thread's facts and verdict, and (in the same transaction) what was read.

        `read` marks the user message the extractor answered; saving both at once means a
        message is never marked read without its facts, nor its facts saved twice.
        `expect_updated_at`: save only if nobody saved the thread since it was read (another
        process answering the same thread); None, with nothing written, if somebody did.
        """
        if status not in set(ThreadStatus):
            raise ValueError(f"status must be one of {', '.join(ThreadStatus)}, got {status!r}")
        frontier_model = facts.get("frontier_model")
        values: dict[str, Any] = {
            # New dict objects: the caller's stay theirs to mutate.
            "facts": dict(facts),
            "last_decision": dict(decision) if decision is not None else None,
            "last_verdict": verdict,
            "frontier_model": str(frontier_model) if frontier_model is not None else None,
            "status": ThreadStatus(status),
            "updated_at": utcnow(),
        }
        if fact_quotes is not None:
            values["fact_quotes"] = dict(fact_quotes)
        if fact_ts is not None:
            values["fact_ts"] = dict(fact_ts)
        if previous_state is not None:  # the state this save replaces, for "undo"
            values["previous_state"] = dict(previous_state)
        condition = [ScopingThread.id == thread_id]
        if expect_updated_at is not None:
            condition.append(ScopingThread.updated_at == expect_updated_at)
        with self.db.session() as session:
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
        with self.db.session() as session:
            return session.get(ScopingThread, thread_id)

    def claim(self, key: str) -> bool:
        """Whether this caller is the first to claim an event that stores no message of its
        own (an edit, a deletion): Slack's retries of it are answered once."""
        with self.db.session() as session:
            return self.events.claim(session, key, utcnow())

    def mark_read(self, thread_id: int, read: MessageRead) -> None:
        """Mark a user message answered without changing the facts (a question, a command),
        so the next turn doesn't send it to the extractor again."""
        with self.db.session() as session:
            self._mark_read(session, thread_id, read)

    def revise_message(self, thread_id: int, slack_ts: str, text: str) -> bool:
        """A user message edited (or, with "", deleted) in Slack: its new text, to be read
        again. False if the thread has no such message."""
        with self.db.session() as session:
            message = self._user_message(session, thread_id, slack_ts)
            if message is None:
                return False
            message.text = text
            message.extracted_text = None
            message.extraction = None
            session.add(message)
        return True

    def record_bot_reply(
        self, thread_id: int, slack_ts: str, text: str, shown_verdict: str | None
    ) -> None:
        """Store a reply Slack accepted, and the verdict the user has now seen."""
        with self.db.session() as session:
            session.exec(
                self._new_message(thread_id, MessageRole.bot, text, slack_ts, None, now=utcnow())
            )
            if shown_verdict is not None:
                thread = session.get(ScopingThread, thread_id)
                if thread is not None:
                    thread.shown_verdict = shown_verdict
                    session.add(thread)

    def messages(self, thread_id: int) -> list[ThreadMessage]:
        # Insertion order is the order the bot read and answered the thread; Slack ts strings
        # would also sort, but only while every ts has the same number of digits.
        with self.db.session() as session:
            return list(
                session.exec(
                    select(ThreadMessage)
                    .where(ThreadMessage.thread_id == thread_id)
                    .order_by(ThreadMessage.id)  # type: ignore[arg-type]
                ).all()
            )

    def with_facts(self, batch: int = 1000) -> Iterator[ScopingThread]:
        """Every thread that has facts, oldest first, read in batches (constant memory)."""
        last_id = 0
        while True:
            with self.db.session() as session:
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
        with self.db.session() as session:
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

    # -- statements the methods above share -------------------------------------------------

    def _new_thread(
        self, team_id: str, channel_id: str, thread_ts: str, started_by: str, now: datetime
    ) -> Any:
        return self.db.insert_ignore(ScopingThread).values(
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            started_by=started_by,
            status=ThreadStatus.open,
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
        return self.db.insert_ignore(ThreadMessage).values(
            thread_id=thread_id,
            role=role,
            text=text,
            slack_ts=slack_ts,
            user_id=user_id,
            created_at=now,
        )

    @staticmethod
    def _mark_read(session: Session, thread_id: int, read: MessageRead) -> None:
        message = Threads._user_message(session, thread_id, read.slack_ts)
        if message is None:
            raise LookupError(f"no user message {read.slack_ts} in thread {thread_id}")
        message.extracted_text = read.sent_text
        message.extraction = read.reply
        session.add(message)

    @staticmethod
    def _user_message(session: Session, thread_id: int, slack_ts: str) -> ThreadMessage | None:
        return session.exec(
            select(ThreadMessage).where(
                ThreadMessage.thread_id == thread_id,
                ThreadMessage.slack_ts == slack_ts,
                ThreadMessage.role == MessageRole.user,
            )
        ).first()
