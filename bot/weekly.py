"""The digest job: refresh the price sheet, then post the pricing digest to the sales channel.

It builds and posts; `bot.scheduler.PeriodRunner` claims the period and records the outcome.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot import render
from bot.digest import Digest, build_digest, store_decisions
from bot.prices import PriceBook, current_sheet, refresh_prices, sheet_of
from bot.storage import Store
from knowledge import Assumptions, InputError, PriceSheet, load_price_sheet
from knowledge.refresh import SourceOutcome

# `ftscope digest --dry-run` builds a job that posts nothing: it loads neither the Slack SDK nor
# APScheduler.
if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.scheduler import Posted

log = logging.getLogger(__name__)


@dataclass
class DigestJob:
    """Refresh the prices, then build and post the digest: the job run once per period."""

    store: Store
    assumptions: Assumptions
    sources: list[str]
    bot_model: str
    max_factor: float
    client: WebClient | None = None
    channel: str | None = None
    price_book: PriceBook | None = None
    today: dt.date | None = None  # decide as on this date (FTSCOPE_TODAY); None: the run's date

    def previous_sheet(self) -> PriceSheet:
        """The sheet the last posted digest used: price changes are told since then."""
        last = self.store.digest_runs.last_posted()
        if last is not None and last.price_sheet_id is not None:
            version = self.store.price_sheets.version(last.price_sheet_id)
            if version is not None:
                try:
                    return sheet_of(version)
                except InputError:
                    log.warning("the last digest's sheet #%s no longer validates", version.id)
        return load_price_sheet()

    def digest(
        self, now: dt.datetime, sources: list[SourceOutcome], sheet: PriceSheet | None = None
    ) -> Digest:
        return build_digest(
            self.store,
            sheet if sheet is not None else current_sheet(self.store),
            self.previous_sheet(),
            self.assumptions,
            sources=sources,
            bot_model=self.bot_model,
            now=now,
            today=self.today,
            permalink=self._permalink if self.client is not None else None,
        )

    def __call__(self, period: str, fire_time: dt.datetime) -> Posted:
        """Refresh and post; the runner records what was posted, then stores the decisions.

        Everything that can fail before the post happens before it (refresh, digest, both
        renderings). Storing the new decisions comes after the period is recorded posted
        (`Posted.then`), so its failure can't make the period owed and the digest posted twice.
        """
        from bot.scheduler import Posted  # noqa: PLC0415 - posting runs under the scheduler

        refresh = refresh_prices(self.store, self.sources, max_factor=self.max_factor)
        if self.price_book is not None:
            self.price_book.invalidate()
        sheet = sheet_of(refresh.version) if refresh.version is not None else None
        digest = self.digest(fire_time, refresh.merged.outcomes, sheet)
        text = render.digest_text(digest)
        message = self.message(digest)
        self.post(message)

        def store_and_log() -> None:
            store_decisions(self.store, digest)
            log.info(
                "digest %s posted: %d price changes, %d flips, %d threads re-decided",
                period,
                len(digest.changes),
                len(digest.flips),
                digest.redecided,
            )

        return Posted(
            price_sheet_id=refresh.version.id if refresh.version is not None else None,
            text=text,
            then=store_and_log,
        )

    @staticmethod
    def message(digest: Digest) -> dict[str, Any]:
        return {"text": render.digest_fallback_text(digest), "blocks": render.digest_blocks(digest)}

    def post(self, message: dict[str, Any]) -> str:
        if self.client is None or not self.channel:
            raise RuntimeError("FTSCOPE_DIGEST_CHANNEL and SLACK_BOT_TOKEN are needed to post")
        posted = self.client.chat_postMessage(
            channel=self.channel, unfurl_links=False, unfurl_media=False, **message
        )
        return str(posted["ts"])

    def _permalink(self, channel: str, thread_ts: str) -> str | None:
        from slack_sdk.errors import SlackClientError  # noqa: PLC0415 - loaded with the client

        assert self.client is not None
        try:
            return str(
                self.client.chat_getPermalink(channel=channel, message_ts=thread_ts)["permalink"]
            )
        except SlackClientError as exc:  # the digest still lists the flip, without a link
            log.info("no permalink for %s/%s: %s", channel, thread_ts, exc)
            return None
