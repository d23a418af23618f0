"""Digest runs: one row per weekly period, which is also the claim on running it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Literal

from sqlmodel import and_, or_, select, update

from bot.storage.database import Database, utcnow
from bot.storage.tables import DigestRun, DigestStatus

log = logging.getLogger(__name__)

# A digest still "running" after this was abandoned (its process died): it may be run again.
DIGEST_STALE_AFTER = timedelta(hours=1)


class DigestRuns:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self, period: str, claimed_by: str, *, stale_after: timedelta = DIGEST_STALE_AFTER
    ) -> bool:
        """True for exactly one caller per period, across processes and machines.

        A period whose run failed, or whose runner vanished mid-run (still "running" after
        `stale_after`), can be claimed again: the claim is one conditional UPDATE, so two
        retries still can't both win.
        """
        now = utcnow()
        stmt = self.db.insert_ignore(DigestRun).values(
            period=period, status=DigestStatus.running, claimed_by=claimed_by, claimed_at=now
        )
        with self.db.session() as session:
            if session.exec(stmt.returning(DigestRun.period)).first() is not None:
                return True
            retry = (
                update(DigestRun)
                .where(
                    DigestRun.period == period,
                    or_(
                        DigestRun.status == DigestStatus.failed,
                        and_(
                            DigestRun.status == DigestStatus.running,
                            DigestRun.claimed_at < now - stale_after,  # type: ignore[operator]
                        ),
                    ),
                )
                .values(
                    status=DigestStatus.running, claimed_by=claimed_by, claimed_at=now, error=None
                )
                .returning(DigestRun.period)
            )
            return session.exec(retry).first() is not None  # type: ignore[call-overload]

    def owed(self, period: str, *, stale_after: timedelta = DIGEST_STALE_AFTER) -> bool:
        """Nobody has posted this period, nor is anyone still working on it."""
        run = self.get(period)
        if run is None or run.status == DigestStatus.failed:
            return True
        return run.status == DigestStatus.running and run.claimed_at < utcnow() - stale_after

    def finish(
        self,
        period: str,
        *,
        status: Literal["posted", "failed"],
        price_sheet_id: int | None = None,
        text: str | None = None,
        error: str | None = None,
    ) -> None:
        with self.db.session() as session:
            run = session.get(DigestRun, period)
            if run is None:
                raise LookupError(f"no digest run for period {period}")
            if status == DigestStatus.failed and run.status == DigestStatus.posted:
                # a step after the post failed: the digest is out, so it must not be owed again
                log.warning("digest %s was posted; a later failure is not recorded", period)
                return
            run.status = DigestStatus(status)
            run.price_sheet_id = price_sheet_id
            run.text = text
            run.error = error
            run.finished_at = utcnow()
            session.add(run)

    def ever_run(self) -> bool:
        """Has a digest ever been attempted here (a fresh install has nothing to catch up)."""
        with self.db.session() as session:
            return session.exec(select(DigestRun.period).limit(1)).first() is not None

    def get(self, period: str) -> DigestRun | None:
        with self.db.session() as session:
            return session.get(DigestRun, period)

    def last_posted(self) -> DigestRun | None:
        with self.db.session() as session:
            return session.exec(
                select(DigestRun)
                .where(DigestRun.status == DigestStatus.posted)
                .order_by(DigestRun.finished_at.desc())  # type: ignore[union-attr]
            ).first()
