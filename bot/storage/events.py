"""Processed events: the keys of Slack messages the bot has claimed, so each is answered once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.storage.database import Database
from bot.storage.tables import ProcessedEvent


class ProcessedEvents:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, session: Session, key: str, now: datetime) -> bool:
        """Whether this caller is the first to claim `key`, inside the caller's transaction
        (the claim lands, or not, with whatever the caller stores alongside it)."""
        statement = (
            self.db.insert_ignore(ProcessedEvent)
            .values(key=key, created_at=now)
            .returning(ProcessedEvent.key)
        )
        return session.exec(statement).first() is not None
