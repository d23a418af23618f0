"""Claude usage: one row per call, summed for the weekly digest's spend line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import func, select

from bot.storage.database import Database, utcnow
from bot.storage.tables import ClaudeUsage


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    output_tokens: int
    cost_usd: float


class UsageLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
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
        with self.db.session() as session:
            session.add(usage)
        return usage

    def between(self, start: datetime, end: datetime) -> UsageTotals:
        """Totals of the calls made in [start, end)."""
        with self.db.session() as session:
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
