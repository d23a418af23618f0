"""The price sheet in use: refreshed from its sources, versioned in the database.

The engine always decides with the newest stored version, or the shipped sheet before the first
refresh. A refresh reads every source (URLs over HTTP with a timeout, or files), lets
`knowledge.refresh` keep the bad ones out, and stores a new version only when a price changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bot.storage import PriceSheetVersion, Store, make_engine, normalize_database_url
from knowledge import InputError, PriceSheet, load_price_sheet, price_sheet_from
from knowledge.documents import parse_document
from knowledge.price_sources import read_source
from knowledge.refresh import (
    DEFAULT_MAX_FACTOR,
    Merged,
    SourceRead,
    content_hash,
    merge_sources,
    sheet_document,
)

log = logging.getLogger(__name__)

LITELLM_URL = (
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
)
DEFAULT_SOURCES = (LITELLM_URL,)
FETCH_TIMEOUT_S = 20.0
MAX_SOURCE_BYTES = 20_000_000  # the LiteLLM file is ~1.6 MB; anything far bigger is not a sheet


def read_location(location: str, timeout_s: float = FETCH_TIMEOUT_S) -> SourceRead:
    """Fetch and parse one source; every failure becomes the read's `problem`."""
    try:
        if location.startswith(("http://", "https://")):
            text = _fetch(location, timeout_s)
        else:
            text = Path(location).expanduser().read_text(encoding="utf-8")
        data = read_source(parse_document(text, location), location)
    except httpx2.TimeoutException:
        return SourceRead(location, problem=f"timed out after {timeout_s:g} s")
    except httpx2.HTTPStatusError as exc:
        return SourceRead(location, problem=f"HTTP {exc.response.status_code}")
    except httpx2.HTTPError as exc:
        return SourceRead(location, problem=f"unreachable ({type(exc).__name__})")
    except OSError as exc:
        return SourceRead(location, problem=f"can't read it ({exc.strerror or exc})")
    except UnicodeDecodeError:
        return SourceRead(location, problem="not UTF-8 text")
    except SourceTooBig as exc:
        return SourceRead(location, problem=str(exc))
    except InputError as exc:
        return SourceRead(location, problem="; ".join(exc.problems[:5]))
    return SourceRead(location, data=data)


class SourceTooBig(ValueError):
    pass


def _fetch(url: str, timeout_s: float) -> str:
    """The body of `url`, within `timeout_s` in all and MAX_SOURCE_BYTES: httpx's own timeout
    is per read, so a server trickling bytes would otherwise hold the refresh open forever."""
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    size = 0
    with httpx2.stream("GET", url, timeout=timeout_s, follow_redirects=True) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_SOURCE_BYTES:
                raise SourceTooBig(f"more than {MAX_SOURCE_BYTES:,} bytes: not a price sheet")
            if time.monotonic() > deadline:
                raise httpx2.ReadTimeout("the whole download took too long")
            chunks.append(chunk)
        encoding = response.encoding or "utf-8"
    return b"".join(chunks).decode(encoding)


@dataclass
class Refresh:
    merged: Merged
    version: PriceSheetVersion | None  # the stored version in use after the run
    stored: bool  # a new version was stored (some price changed)


def refresh_prices(
    store: Store,
    sources: list[str],
    *,
    today: dt.date | None = None,
    max_factor: float = DEFAULT_MAX_FACTOR,
    timeout_s: float = FETCH_TIMEOUT_S,
) -> Refresh:
    """Read every source, merge the good ones over the last good sheet, store it if it moved."""
    today = today or dt.datetime.now(dt.UTC).date()
    base = current_sheet(store)
    reads = [read_location(location, timeout_s) for location in sources or DEFAULT_SOURCES]
    merged = merge_sources(base, reads, today, max_factor)
    for outcome in merged.failed:
        log.warning("price source %s skipped: %s", outcome.name, outcome.problem)
    record = [
        {"source": o.name, "ok": o.applied, "problem": o.problem, "models": o.models}
        for o in merged.outcomes
    ]
    # Stored when anything in the sheet changed (a retirement date, a GPU's throughput), not
    # only a price: the content hash decides.
    version, stored = store.price_sheets.save(
        sheet_document(merged.sheet), content_hash(merged.sheet), record
    )
    return Refresh(merged, version, stored)


def sheet_of(version: PriceSheetVersion) -> PriceSheet:
    return price_sheet_from(version.sheet, f"stored price sheet #{version.id}")


def current_sheet(store: Store) -> PriceSheet:
    """The newest stored version, or the shipped sheet before the first refresh (or when the
    stored one no longer validates: a newer code version may be stricter)."""
    latest = store.price_sheets.latest()
    if latest is None:
        return load_price_sheet()
    try:
        return sheet_of(latest)
    except InputError:
        log.exception("stored price sheet #%s is invalid; using the shipped sheet", latest.id)
        return load_price_sheet()


def stored_sheet(database_url: str) -> PriceSheet | None:
    """The newest stored sheet of a database that exists, without creating anything.

    For the commands that work without the bot (`decide`, `prices show`): a missing SQLite file
    or an empty database means the shipped sheet, not a new empty database in the working folder.
    """
    url = make_url(normalize_database_url(database_url))
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or not Path(url.database).exists()
    ):
        return None
    engine = make_engine(str(url.render_as_string(hide_password=False)))
    try:
        if not inspect(engine).has_table(PriceSheetVersion.__tablename__):
            return None
        latest = Store(engine).price_sheets.latest()
        return sheet_of(latest) if latest is not None else None
    finally:
        engine.dispose()


class PriceBook:
    """The current sheet for every turn, re-read from the database at most every `ttl_s`.

    A refresh in another process (the weekly job runs in one of several machines) reaches
    this one within a minute, without a query per turn.
    """

    def __init__(self, store: Store, ttl_s: float = 60.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._sheet: PriceSheet | None = None
        self._version_id: int | None = None
        self._checked = -float("inf")

    def __call__(self) -> PriceSheet:
        with self._lock:
            now = time.monotonic()
            if self._sheet is None or now - self._checked >= self.ttl_s:
                self._reload()
                self._checked = now
            assert self._sheet is not None
            return self._sheet

    def invalidate(self) -> None:
        with self._lock:
            self._checked = -float("inf")

    def _reload(self) -> None:
        latest = self.store.price_sheets.latest()
        if latest is None:
            if self._sheet is None:
                self._sheet = load_price_sheet()
            return
        if latest.id != self._version_id:
            try:
                self._sheet = sheet_of(latest)
                self._version_id = latest.id
            except InputError:  # a stored sheet that no longer validates: keep the last good
                log.exception(
                    "stored price sheet #%s is invalid; keeping the one in use", latest.id
                )
                if self._sheet is None:
                    self._sheet = load_price_sheet()
