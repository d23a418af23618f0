"""Workspaces the bot may no longer post in: Slack said the app was uninstalled there, or its
token revoked (`app_uninstalled`, `tokens_revoked`). Kept in the database so a restart, or
another machine, doesn't start posting there again; cleared when the workspace talks to the bot
again after the revocation (a reinstall).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select

from bot.storage.database import Database, UTCDateTime, utcnow

# How long a process trusts what it last read: another machine's revocation reaches this one
# within this many seconds, without a query for every message posted.
CACHE_S = 30.0


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    team_id: str = Field(primary_key=True)
    # Set while the bot must not post there; None once it was reinstalled.
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = None  # the event that said so: app_uninstalled, tokens_revoked
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Workspaces:
    def __init__(self, db: Database, cache_s: float = CACHE_S) -> None:
        self.db = db
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[datetime | None, float]] = {}  # team -> (revoked_at, read at)

    def revoke(self, team_id: str, event: str, at: datetime | None = None) -> bool:
        """Stop posting in a workspace; False if it was revoked already."""
        at = at or utcnow()
        try:
            with self.db.session() as session:
                row = session.get(Workspace, team_id)
                if row is not None and row.revoked_at is not None:
                    self._remember(team_id, row.revoked_at)
                    return False
                row = row or Workspace(team_id=team_id)
                row.revoked_at, row.revoked_by, row.updated_at = at, event, utcnow()
                session.add(row)
        except IntegrityError:  # another process recorded the same revocation first
            self._remember(team_id, at)
            return False
        self._remember(team_id, at)
        return True

    def restore(self, team_id: str) -> bool:
        """Post in a workspace again (it reinstalled the app); False if it wasn't revoked."""
        with self.db.session() as session:
            row = session.get(Workspace, team_id)
            if row is None or row.revoked_at is None:
                self._remember(team_id, None)
                return False
            row.revoked_at, row.revoked_by, row.updated_at = None, None, utcnow()
            session.add(row)
        self._remember(team_id, None)
        return True

    def revoked_at(self, team_id: str) -> datetime | None:
        """When the workspace was revoked, or None if the bot may post there."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and now - cached[1] < self.cache_s:
            return cached[0]
        with self.db.session() as session:
            row = session.get(Workspace, team_id)
        at = row.revoked_at if row is not None else None
        self._remember(team_id, at)
        return at

    def is_revoked(self, team_id: str) -> bool:
        return bool(team_id) and self.revoked_at(team_id) is not None

    def revoked(self) -> list[Workspace]:
        with self.db.session() as session:
            return list(
                session.exec(
                    select(Workspace).where(Workspace.revoked_at.is_not(None))  # type: ignore[union-attr]
                ).all()
            )

    def _remember(self, team_id: str, at: datetime | None) -> None:
        with self._lock:
            self._cache[team_id] = (at, time.monotonic())
