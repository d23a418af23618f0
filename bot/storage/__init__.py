"""Persistence, one module per record kind: threads and their messages, processed Slack
events, Claude usage, price sheet versions and digest runs.

SQLite (a file next to the bot) by default, PostgreSQL when `DATABASE_URL` says so. Every write
that two processes can race on (Slack retries, the double delivery of an @mention) goes through
INSERT ... ON CONFLICT DO NOTHING, so the database, not the process, decides who won.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.storage.database import Database, create_schema, make_engine
from bot.storage.digest_runs import DIGEST_STALE_AFTER, DigestRuns
from bot.storage.events import ProcessedEvents
from bot.storage.price_sheets import PriceSheets
from bot.storage.tables import (
    ClaudeUsage,
    DigestRun,
    DigestStatus,
    MessageRole,
    PriceSheetVersion,
    ProcessedEvent,
    ScopingThread,
    ThreadMessage,
    ThreadStatus,
)
from bot.storage.threads import MessageRead, Threads
from bot.storage.usage import UsageLog, UsageTotals
from bot.storage.workspaces import Workspace, Workspaces

__all__ = [
    "DIGEST_STALE_AFTER",
    "ClaudeUsage",
    "Database",
    "DigestRun",
    "DigestStatus",
    "MessageRead",
    "MessageRole",
    "PriceSheetVersion",
    "ProcessedEvent",
    "ScopingThread",
    "Store",
    "ThreadMessage",
    "ThreadStatus",
    "UsageTotals",
    "Workspace",
    "create_schema",
    "make_engine",
]


class Store:
    """The bot's records, by kind: `store.threads`, `store.usage`, `store.price_sheets`,
    `store.digest_runs` (processed events are claimed inside `threads.admit_message`)."""

    def __init__(self, engine: Engine) -> None:
        self.db = Database(engine)
        self.threads = Threads(self.db, ProcessedEvents(self.db))
        self.usage = UsageLog(self.db)
        self.price_sheets = PriceSheets(self.db)
        self.digest_runs = DigestRuns(self.db)
        self.workspaces = Workspaces(self.db)  # where the app was uninstalled: post nothing

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def ping(self) -> bool:
        return self.db.ping()
