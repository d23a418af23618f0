"""The tables, one per record kind, and the statuses their rows can be in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.database import UTCDateTime, utcnow


class ThreadStatus(StrEnum):
    open = "open"  # still collecting facts
    decided = "decided"  # the last turn reached a verdict
    closed = "closed"  # set aside: the Slack thread went on to a new workload


class MessageRole(StrEnum):
    user = "user"
    bot = "bot"


class DigestStatus(StrEnum):
    running = "running"
    posted = "posted"
    failed = "failed"


def one_of(column: str, values: type[StrEnum], name: str) -> CheckConstraint:
    """The database's own check that a column holds one of an enum's values."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


# none_as_null: a Python None must be SQL NULL (so "IS NULL" finds it), not the JSON text 'null'.
_JSON = JSON(none_as_null=True)


class ScopingThread(SQLModel, table=True):
    __tablename__ = "scoping_threads"
    __table_args__ = (
        # A Slack thread may scope several workloads, one after another ("new workload").
        UniqueConstraint(
            "team_id", "channel_id", "thread_ts", "workload", name="uq_scoping_threads_workload"
        ),
        one_of("status", ThreadStatus, "ck_thread_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str
    channel_id: str
    thread_ts: str
    # 1 for the thread's first workload; the highest is the one its messages now go to.
    workload: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    started_by: str
    status: str = ThreadStatus.open
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
    # The facts (with their quotes and message ts) before their last change: what "undo" puts
    # back. {"facts", "fact_quotes", "fact_ts"}, or None when nothing changed yet.
    previous_state: dict[str, Any] | None = Field(default=None, sa_type=_JSON)
    # Copied out of facts so the weekly digest can find verdicts per model without parsing JSON.
    frontier_model: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThreadMessage(SQLModel, table=True):
    __tablename__ = "thread_messages"
    __table_args__ = (
        # A bot reply and the user message it answers may share a ts; role keeps both.
        UniqueConstraint("thread_id", "slack_ts", "role"),
        one_of("role", MessageRole, "ck_message_role"),
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
    # Indexed because the weekly totals scan by time.
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
    __table_args__ = (one_of("status", DigestStatus, "ck_digest_status"),)

    # The scheduled time of the run, ISO 8601 in UTC: unique per period by construction.
    period: str = Field(primary_key=True, max_length=64)
    status: str = DigestStatus.running
    claimed_by: str | None = None
    price_sheet_id: int | None = Field(default=None, foreign_key="price_sheets.id")
    text: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
