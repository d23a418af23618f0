"""The price sheet in use: refreshed from its sources, versioned in the database.

The engine always decides with the newest stored version, or the shipped sheet before the first
refresh. A refresh reads every source (URLs over HTTP with a timeout, or files), lets
`knowledge.refresh` keep the bad ones out, and stores a new version only when something in the
sheet changed; a run where no source could be used stores nothing. `refresh_report` is what
`ftscope prices refresh` prints: every entry of every source accounted for.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bot.settings import normalize_database_url
from bot.storage import PriceSheetVersion, Store, make_engine
from knowledge import InputError, PriceSheet, load_price_sheet, price_sheet_from
from knowledge.price_sources import read_source_text
from knowledge.prices import ModelPrice
from knowledge.refresh import (
    DEFAULT_MAX_FACTOR,
    MODEL_PRICE_FIELDS,
    Merged,
    PriceChange,
    SourceOutcome,
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
MAX_SOURCE_BYTES = 20_000_000  # the LiteLLM file is ~3.5 MB; anything far bigger is not a sheet


def read_location(location: str, timeout_s: float = FETCH_TIMEOUT_S) -> SourceRead:
    """Fetch and parse one source; every failure becomes the read's `problem`."""
    try:
        if location.startswith(("http://", "https://")):
            text = _fetch(location, timeout_s)
        else:
            text = Path(location).expanduser().read_text(encoding="utf-8")
        data = read_source_text(text, location)
    except OSError as exc:
        return SourceRead(location, problem=f"can't read it ({exc.strerror or exc})")
    except UnicodeDecodeError:
        return SourceRead(location, problem="not UTF-8 text")
    except Unreadable as exc:
        return SourceRead(location, problem=str(exc))
    except InputError as exc:
        return SourceRead(location, problem="; ".join(exc.problems[:5]))
    return SourceRead(location, data=data)


class Unreadable(ValueError):
    """A source that gave no text to read; the message is the problem, as reported."""


class SourceTooBig(Unreadable):
    pass


def _fetch(url: str, timeout_s: float) -> str:
    """The body of `url`, within `timeout_s` in all and MAX_SOURCE_BYTES (httpx's own timeout
    is per read, so a server trickling bytes would otherwise hold the refresh open forever);
    else Unreadable, saying why. HTTP is imported here, for a URL source only: reading files,
    or the stored sheet (`ftscope decide`), doesn't load it."""
    import httpx2  # noqa: PLC0415

    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    size = 0
    try:
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
    except httpx2.TimeoutException:
        raise Unreadable(f"timed out after {timeout_s:g} s") from None
    except httpx2.HTTPStatusError as exc:
        raise Unreadable(f"HTTP {exc.response.status_code}") from None
    except httpx2.HTTPError as exc:
        raise Unreadable(f"unreachable ({type(exc).__name__})") from None
    return b"".join(chunks).decode(encoding)


@dataclass
class Refresh:
    merged: Merged
    version: PriceSheetVersion | None  # the stored version in use after the run (None: shipped)
    stored: bool  # a new version was stored (something in the sheet changed)
    previous: PriceSheetVersion | None = None  # the newest version before the run
    today: dt.date | None = None  # the run's date: what "retired" is judged on
    dry_run: bool = False  # read and merged, not stored (save=False)


def refresh_prices(
    store: Store,
    sources: list[str],
    *,
    today: dt.date | None = None,
    max_factor: float = DEFAULT_MAX_FACTOR,
    timeout_s: float = FETCH_TIMEOUT_S,
    save: bool = True,
    log_failures: bool = True,
) -> Refresh:
    """Read every source, merge the good ones over the last good sheet, store it if it moved.

    `save=False` reads and merges without storing (a dry run). `log_failures=False` for a
    caller that reports the failures itself (the CLI), so each is told once, not again on
    stderr.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    previous = store.price_sheets.latest()
    shipped = load_price_sheet()  # the base before the first refresh, and the models it knows
    base = _sheet_in_use(previous, shipped)
    reads = [read_location(location, timeout_s) for location in sources or DEFAULT_SOURCES]
    merged = merge_sources(base, reads, today, max_factor, known=shipped.models)
    if log_failures:
        for outcome in merged.failed:
            log.warning("price source %s skipped: %s", outcome.name, outcome.problem)
    if not save or not merged.applied:
        # Nothing read means nothing to store: the last good sheet (or the shipped one)
        # simply stays in use, and a fresh database stays empty.
        return Refresh(merged, previous, False, previous, today, dry_run=not save)
    record = [
        {
            "source": o.name,
            "ok": o.applied,
            "problem": o.problem,
            "models": o.models,
            "stored": len(o.stored_models),
            "entries": o.entries,
            "identity": o.identity,
        }
        for o in merged.outcomes
    ]
    # Stored when anything in the sheet changed (a retirement date, a GPU's throughput), not
    # only a price: the content hash decides.
    version, stored = store.price_sheets.save(
        sheet_document(merged.sheet), content_hash(merged.sheet), record
    )
    return Refresh(merged, version, stored, previous, today)


def refresh_report(refresh: Refresh) -> str:
    """What `ftscope prices refresh` prints: each source once (what it listed, what was
    stored, what was skipped and why), the restricted and retired models the sheet keeps, the
    changes, and what became of the stored sheet."""
    from bot import render  # noqa: PLC0415 - Jinja costs start-up time the rest doesn't need

    merged, today = refresh.merged, refresh.today or refresh.merged.sheet.as_of
    sheet = merged.sheet
    lines: list[str] = []
    for outcome in merged.outcomes:
        lines += _outcome_lines(outcome)
    refreshed = [m for o in merged.applied for m in o.stored_models]
    if merged.applied:
        notes = _sheet_notes(sheet, refreshed, today)
        if notes:
            lines += ["", *notes]
        lines += ["", _sheet_summary(sheet, refreshed)]
        if merged.changes:
            count = len(merged.changes)
            lines += ["", f"{count} price change{'s' if count != 1 else ''}:"]
            lines += [f"  {_change_line(c, sheet, render.change_text)}" for c in merged.changes]
        else:
            lines += ["", "no price changed"]
        other = _other_key_changes(merged.base, sheet) if merged.base is not None else []
        if other:
            lines.append(f"other keys changed: {', '.join(other)}")
    lines.append(_version_line(refresh))
    return "\n".join(lines) + "\n"


def _outcome_lines(outcome: SourceOutcome) -> list[str]:
    if not outcome.applied:
        return [f"FAILED  {outcome.name}: {outcome.problem}"]
    kind = "LiteLLM's price map" if outcome.identity == "litellm" else "a price sheet"
    stored = []
    if outcome.models or not outcome.serving:
        stored.append(f"{_count(len(outcome.stored_models), 'model')} stored")
    if outcome.serving:
        stored.append(f"{_count(outcome.serving, 'serving option')} stored")
    head = f"ok      {outcome.name}: {kind}, {_count(outcome.entries, 'entry', 'entries')} read"
    head += f"; {' and '.join(stored)}"
    if not outcome.skipped:
        return [head]
    lines = [f"{head}; {outcome.skipped_count:,} skipped:"]
    width = len(f"{max(s.count for s in outcome.skipped):,}")
    for skipped in outcome.skipped:
        line = f"          {skipped.count:>{width},}  {skipped.reason}"
        if skipped.names:
            line += f": {_listed(skipped.names)}"
        lines.append(line)
    return lines


def _sheet_notes(sheet: PriceSheet, refreshed: list[str], today: dt.date) -> list[str]:
    notes = []
    restricted = [m for m in refreshed if sheet.models[m].restricted]
    if restricted:
        notes.append(
            "restricted, kept restricted (invitation-only: priced when a thread names one, "
            f"never suggested): {_listed(restricted)}"
        )
    retired = [
        f"{m} (retired {p.deprecation_date}"
        + (f", priced as {p.successor})" if p.successor else ", no successor in the sheet)")
        for m, p in sheet.models.items()
        if p.retired_by(today)
    ]
    if retired:
        notes.append(
            "retired, kept so that a thread naming one is still priced: " + _listed(retired)
        )
    return notes


def _sheet_summary(sheet: PriceSheet, refreshed: list[str]) -> str:
    kept = [m for m in sheet.models if m not in set(refreshed)]
    models = f"{_count(len(sheet.models), 'model')} ({len(set(refreshed))} from this refresh"
    models += f"; {len(kept)} kept as they were: {_listed(kept)})" if kept else ")"
    return f"the sheet: {models}, {_count(len(sheet.finetune_serving), 'serving option')}"


def _change_line(change: PriceChange, sheet: PriceSheet, text: Callable[[PriceChange], str]) -> str:
    line = text(change)
    model = sheet.models.get(change.item)
    if change.old is None and model is not None and model.restricted:
        line += " (restricted: invitation-only, never suggested)"
    return line


def _other_key_changes(old: PriceSheet, new: PriceSheet) -> list[str]:
    """What else changed in models both sheets list: a new version is stored for that too, and
    the report says why. Keys the decision reads are named per model; LiteLLM's other keys
    (supports_*, provider_specific_entry, …), kept as they are, only counted."""
    ignored = {"source", *MODEL_PRICE_FIELDS}
    named, extra = [], 0
    for model_id, after_price in new.models.items():
        if model_id not in old.models:
            continue
        before = old.models[model_id].model_dump(exclude_none=True)
        after = after_price.model_dump(exclude_none=True)
        changed = {k for k in (set(before) | set(after)) - ignored if before.get(k) != after.get(k)}
        known = sorted(changed & set(ModelPrice.model_fields))
        if known:
            named.append(f"{model_id} ({', '.join(known)})")
        extra += bool(changed - set(ModelPrice.model_fields))
    if extra:
        named.append(f"LiteLLM's other keys (not used by the decision) in {_count(extra, 'model')}")
    return named


def _version_line(refresh: Refresh) -> str:
    version = refresh.version
    if version is None:
        where = f"the shipped price sheet (as of {load_price_sheet().as_of})"
    else:
        where = f"version #{version.id} ({version.created_at:%Y-%m-%d %H:%M} UTC)"
    if refresh.dry_run:
        return f"nothing stored (a dry run); {where} stays in use"
    if not refresh.merged.applied:
        return f"nothing stored: no source could be used; {where} stays in use"
    if not refresh.stored:
        return f"unchanged: {where} stays in use"
    if refresh.previous is None:
        return f"stored as {where}: the first refresh here (the shipped sheet was in use)"
    return f"stored as {where}"


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def _listed(names: list[str] | tuple[str, ...], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def sheet_of(version: PriceSheetVersion) -> PriceSheet:
    return price_sheet_from(version.sheet, f"stored price sheet #{version.id}")


def current_sheet(store: Store) -> PriceSheet:
    """The newest stored version, or the shipped sheet before the first refresh (or when the
    stored one no longer validates: a newer code version may be stricter)."""
    return _sheet_in_use(store.price_sheets.latest())


def _sheet_in_use(
    latest: PriceSheetVersion | None, shipped: PriceSheet | None = None
) -> PriceSheet:
    """`current_sheet` given the newest version, and the shipped sheet if already loaded."""
    if latest is not None:
        try:
            return sheet_of(latest)
        except InputError:
            log.exception("stored price sheet #%s is invalid; using the shipped sheet", latest.id)
    return shipped if shipped is not None else load_price_sheet()


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
