"""Price sheet versions: what each weekly refresh stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.storage.database import Database, utcnow
from bot.storage.tables import PriceSheetVersion


class PriceSheets:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(
        self, sheet: dict[str, Any], content_hash: str, sources: list[dict[str, Any]]
    ) -> tuple[PriceSheetVersion, bool]:
        """Store a sheet unless the newest version has the same prices; (version, whether new)."""
        latest = self.latest()
        if latest is not None and latest.content_hash == content_hash:
            return latest, False
        version = PriceSheetVersion(
            content_hash=content_hash, sheet=sheet, sources=sources, created_at=utcnow()
        )
        with self.db.session() as session:
            session.add(version)
        return version, True

    def latest(self) -> PriceSheetVersion | None:
        with self.db.session() as session:
            return session.exec(
                select(PriceSheetVersion).order_by(PriceSheetVersion.id.desc())  # type: ignore[union-attr]
            ).first()

    def version(self, version_id: int) -> PriceSheetVersion | None:
        with self.db.session() as session:
            return session.get(PriceSheetVersion, version_id)

    def history(self, limit: int = 20) -> list[PriceSheetVersion]:
        with self.db.session() as session:
            return list(
                session.exec(
                    select(PriceSheetVersion)
                    .order_by(PriceSheetVersion.id.desc())  # type: ignore[union-attr]
                    .limit(limit)
                ).all()
            )
