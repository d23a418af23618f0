"""The weekly pricing digest: what moved, what it flips, what retires, what the bot spent.

Built from data the database already holds: the price sheet the last digest used, the one in use
now, every scoping thread's facts and last decision, and the week's Claude usage. Every thread
is re-decided on both sheets, by this engine, with the same facts and the run's date, so only
the prices differ: a thread whose verdict changes, or whose payback crosses the horizon, is a
flip (an engine upgrade, or a verdict stored on another date, is not). Posting the digest
stores the new decisions as the threads' last ones.

`dry_run_text` is `ftscope digest --dry-run`: the digest `--post` would post now, from a refresh
read but not stored, so its sources are the ones just read, not those of the stored version.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.storage import ScopingThread, Store, UsageTotals
from knowledge import Assumptions, Decision, Facts, PriceSheet, Verdict
from knowledge.clashes import decide_setting_aside
from knowledge.refresh import PriceChange, SourceOutcome, price_changes

if TYPE_CHECKING:
    from bot.weekly import DigestJob

log = logging.getLogger(__name__)

RETIREMENT_NOTICE = dt.timedelta(days=90)  # say so this long before a model retires
# A model of the sheet that no thread names is told once, in the first digest after it retired
# (the digest is weekly): kept in the sheet, it is priced as its successor from then on.
RETIRED_NEWS = dt.timedelta(days=7)
KEY_MODELS = ("claude-haiku-4-5", "claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5")


@dataclass(frozen=True)
class Flip:
    thread_id: int
    channel: str
    thread_ts: str
    title: str
    old_verdict: Verdict | None
    new_verdict: Verdict
    old_payback: float | None  # months; None for unknown, inf for never
    new_payback: float | None
    old_breakeven: float | None
    new_breakeven: float | None
    decision: Decision
    permalink: str | None = None

    @property
    def verdict_changed(self) -> bool:
        return self.old_verdict is not self.new_verdict


@dataclass(frozen=True)
class Retirement:
    model: str
    retires: dt.date | None  # None: the sheet no longer lists it
    threads: int
    is_bot_model: bool
    retired: bool = False  # its date is before the run's: decisions price it as its successor


@dataclass
class Digest:
    week: str  # "week 48"
    as_of: dt.date
    changes: list[PriceChange]
    sources: list[SourceOutcome]
    sheet: PriceSheet
    flips: list[Flip]
    retirements: list[Retirement]
    usage: UsageTotals
    redecided: int
    unchanged_threads: int = 0
    # thread id -> (its updated_at when re-decided, the new decision): only changed ones
    decisions: dict[int, tuple[dt.datetime, Decision]] = field(default_factory=dict)
    bot_model: str | None = None

    @property
    def quiet(self) -> bool:
        problems = [s for s in self.sources if not s.applied]
        return not (self.changes or problems or self.flips or self.retirements)

    @property
    def cache_read_share(self) -> float | None:
        u = self.usage
        total = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
        return u.cache_read_input_tokens / total if total else None

    def key_prices(self) -> list[tuple[str, Any]]:
        names = list(KEY_MODELS)
        if self.bot_model and self.bot_model not in names:
            names.append(self.bot_model)
        return [(m, self.sheet.models[m]) for m in names if m in self.sheet.models]


def _payback(decision: Decision) -> float | None:
    """Months to pay back (inf: never); None without the math."""
    return decision.breakeven.payback_months if decision.breakeven is not None else None


def _breakeven(decision: Decision) -> float | None:
    """Calls to pay back, ops included; None without the math or when it never pays back."""
    if decision.breakeven is None or not math.isfinite(decision.breakeven.breakeven_calls):
        return None
    return decision.breakeven.breakeven_calls


def _crosses(old: float | None, new: float | None, horizon: float) -> bool:
    if old is None or new is None:
        return False
    return (old <= horizon) != (new <= horizon)


def redecide(
    thread: ScopingThread,
    sheet: PriceSheet,
    assumptions: Assumptions,
    *,
    previous: PriceSheet | None = None,
    today: dt.date | None = None,
) -> tuple[Decision | None, Flip | None]:
    """The thread's decision with `sheet`, and the flip that moving from `previous` to it
    makes (if any): both decided now, by this engine, on the thread's facts and `today`.

    No `previous` (or the same sheet): nothing moved, no flip. A thread `previous` can't
    decide (a model it didn't list yet) has nothing to compare: no flip either.
    """
    try:
        facts = Facts.model_validate(thread.facts)
    except ValueError as exc:
        log.info("thread %s can't be re-decided: %s", thread.id, exc)
        return None, None
    # As the conversation decides: facts that clash (or a model the sheet doesn't list) are
    # left out and the rest decides, so the stored verdict is the one the thread would show.
    now = decide_setting_aside(facts, sheet, assumptions, today=today)
    decision = now.decision
    if decision is None:
        log.info("thread %s can't be re-decided: %s", thread.id, "; ".join(now.problems))
        return None, None
    if previous is None or previous is sheet:
        return decision, None
    then = decide_setting_aside(facts, previous, assumptions, today=today)
    before = then.decision
    if before is None or then.set_aside != now.set_aside:  # not the same facts decided
        log.info("thread %s can't be compared with the previous sheet", thread.id)
        return decision, None
    old_payback, new_payback = _payback(before), _payback(decision)
    flipped = (
        before.verdict is not decision.verdict
        and Verdict.need_info not in (before.verdict, decision.verdict)
    ) or _crosses(old_payback, new_payback, assumptions.payback_horizon_months)
    if not flipped:
        return decision, None
    assert thread.id is not None
    return decision, Flip(
        thread_id=thread.id,
        channel=thread.channel_id,
        thread_ts=thread.thread_ts,
        title=str(thread.facts.get("use_case") or f"thread {thread.thread_ts}"),
        old_verdict=before.verdict,
        new_verdict=decision.verdict,
        old_payback=old_payback,
        new_payback=new_payback,
        old_breakeven=_breakeven(before),
        new_breakeven=_breakeven(decision),
        decision=decision,
    )


def retirements(
    named: Counter[str],
    sheet: PriceSheet,
    bot_model: str,
    today: dt.date,
    since: dt.date | None = None,
) -> list[Retirement]:
    """Models named by stored threads (`named`: how many open threads name each), or the bot's
    own, that retire soon or left the sheet; and any model of the sheet that retired since the
    last digest (`since`, else a week ago), which the sheet keeps, priced as its successor,
    though no thread names it yet."""
    found = []
    for model in sorted(set(named) | {bot_model}):
        # a pinned snapshot ("claude-haiku-4-5-20251001") is priced as its alias
        price = sheet.price_of(model)
        if price is None:
            found.append(Retirement(model, None, named[model], model == bot_model))
        elif price.deprecation_date is not None and price.deprecation_date <= today + (
            RETIREMENT_NOTICE
        ):
            found.append(
                Retirement(
                    model,
                    price.deprecation_date,
                    named[model],
                    model == bot_model,
                    retired=price.retired_by(today),  # "before today" (ModelPrice.retired_by)
                )
            )
    told = {sheet.resolve(r.model) for r in found}
    start = since if since is not None else today - RETIRED_NEWS
    found += [
        Retirement(model, price.deprecation_date, 0, False, retired=True)
        for model, price in sorted(sheet.models.items())
        if model not in told
        and price.deprecation_date is not None
        and start <= price.deprecation_date < today  # retired since, as retired_by counts it
    ]
    return found


def build_digest(
    store: Store,
    sheet: PriceSheet,
    previous: PriceSheet,
    assumptions: Assumptions,
    *,
    sources: list[SourceOutcome],
    bot_model: str,
    now: dt.datetime,
    today: dt.date | None = None,
    permalink: Callable[[str, str], str | None] | None = None,
    since: dt.date | None = None,
) -> Digest:
    """The digest of the week ending `now`, comparing `sheet` with `previous`; every decision
    is made as on `today` (FTSCOPE_TODAY), else on the run's date. `since`: the date of the
    last digest, which a model's retirement is news after (default: a week before)."""
    day = today or now.date()
    moved = None if previous == sheet else previous  # the same prices flip nothing
    flips: list[Flip] = []
    decisions: dict[int, tuple[dt.datetime, Decision]] = {}
    redecided = 0
    named: Counter[str] = Counter()  # the models open threads name (`retirements`)
    for thread in store.threads.with_facts():  # read once: every thread with facts
        if thread.frontier_model and thread.status != "closed":
            named[thread.frontier_model] += 1
        try:
            decision, flip = redecide(thread, sheet, assumptions, previous=moved, today=day)
        except Exception:  # one broken row must not take the week's digest down
            log.exception("thread %s skipped in the digest", thread.id)
            continue
        if decision is None or thread.id is None:
            continue
        redecided += 1
        if decision.to_json() != thread.last_decision:
            decisions[thread.id] = (thread.updated_at, decision)
        if flip is not None:
            link = permalink(flip.channel, flip.thread_ts) if permalink else None
            flips.append(_with_link(flip, link))
    usage = store.usage.between(now - dt.timedelta(days=7), now)
    return Digest(
        week=f"week {now.isocalendar().week}",
        as_of=sheet.as_of,
        changes=price_changes(previous, sheet),
        sources=sources,
        sheet=sheet,
        flips=flips,
        retirements=retirements(named, sheet, bot_model, day, since),
        usage=usage,
        redecided=redecided,
        decisions=decisions,
        bot_model=bot_model,
    )


def _with_link(flip: Flip, link: str | None) -> Flip:
    return Flip(**{**flip.__dict__, "permalink": link})


def store_decisions(store: Store, digest: Digest) -> None:
    """After posting: the re-decided verdicts become the threads' last decisions (only the
    ones that changed), so next week's flips are told against this week's prices."""
    store.threads.update_decisions(
        [(tid, seen, d.to_json(), d.verdict.value) for tid, (seen, d) in digest.decisions.items()]
    )


def dry_run_text(job: DigestJob, now: dt.datetime) -> str:
    """`ftscope digest --dry-run`: the digest `ftscope digest --post` would post at `now`.

    The sources are read as the post would read them, and nothing is stored or posted: so the
    Sources section tells this run's failures (a source that broke since the last stored
    version shows as broken), and a database that never refreshed doesn't claim that every
    source read fine without reading one.
    """
    from bot import render  # noqa: PLC0415 - Jinja loads only to render
    from bot.prices import refresh_prices  # noqa: PLC0415

    refresh = refresh_prices(
        job.store, job.sources, max_factor=job.max_factor, save=False, log_failures=False
    )
    digest = job.digest(now, refresh.merged.outcomes, refresh.merged.sheet)
    version = refresh.version
    stored = (
        f"the newest stored prices are version #{version.id} "
        f"({version.created_at:%Y-%m-%d %H:%M} UTC)"
        if version is not None
        else "no refresh has been stored yet (the shipped price sheet is in use)"
    )
    head = (
        f"Dry run: what `ftscope digest --post` would post now, with the sources read just "
        f"now; nothing is stored or posted. Before this run, {stored}."
    )
    return f"{head}\n\n{render.digest_text(digest)}"
