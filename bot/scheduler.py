"""When the weekly digest runs, and the guarantee that it runs once per period.

`PeriodRunner` owns the protocol: claim the period, run the job, record success or failure.
`PeriodScheduler` decides when (the cron trigger, and the catch-up at start) and hands each
period to a `PeriodRunner`; `ftscope digest --post` uses a `PeriodRunner` directly.

APScheduler 3.x decides *when*: every bot process runs its own `BackgroundScheduler` with an
in-memory job store. It cannot decide *who*: several processes sharing a job store run jobs twice
(its FAQ: "You can't"), and an in-memory store forgets a run missed while the process was down.
So the database decides: a period is the scheduled fire time in UTC, and `DigestRuns.claim`
inserts one row per period under a unique key; only the process whose insert wins runs the job.
A run missed while every process was down is caught up at start from the same row.
"""

from __future__ import annotations

import logging
import math
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.settings import ConfigError
from bot.storage import Store

log = logging.getLogger(__name__)

CRON_VARIABLE = "FTSCOPE_DIGEST_CRON"
TIMEZONE_VARIABLE = "FTSCOPE_TIMEZONE"

JOB_ID = "weekly-digest"
# APScheduler's default grace is one second, which silently drops a run delayed by a busy
# executor or a brief suspend. An hour covers those without posting a digest hours late.
MISFIRE_GRACE_TIME = timedelta(hours=1)
# How far last_due looks back: a yearly cron still has a due time within 366 days.
LOOKBACK = timedelta(days=367)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_PART = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?", re.IGNORECASE)


@dataclass(frozen=True)
class Posted:
    """What a period's job posted: the runner records it as the period's outcome.

    `then` is work that must follow the record (storing the decisions the digest told): it runs
    once the period is recorded posted, so its failure can't make the period owed again.
    """

    price_sheet_id: int | None = None
    text: str | None = None
    then: Callable[[], None] | None = None


# `job(period, fire_time)` builds and posts; it returns what it posted (None: nothing to record).
PeriodJob = Callable[[str, datetime], Posted | None]


@dataclass(frozen=True)
class PeriodRun:
    """How one attempt at a period went."""

    claimed: bool  # this process claimed the period and ran the job
    error: BaseException | None = None  # the claim, the job, the record or `then` failed


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _require_aware(value: datetime, what: str) -> None:
    # A naive datetime is an instant only by guessing its zone; a wrong guess shifts the period
    # key and so defeats the once-per-period claim.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime for {what} ({value!r}): pass a timezone-aware one")


def _day_of_week_problem(field: str) -> str | None:
    """Why a crontab day-of-week field can't be trusted to APScheduler 3, or None.

    APScheduler 3 numbers weekdays from Monday = 0 where cron uses Sunday = 0, so "0 9 * * 1"
    would silently run on Tuesdays (apscheduler issue 286, fixed only in 4.x). It also matches
    names by prefix and drops the rest, so "mon-fri/2" runs every weekday. Only names, name
    ranges and lists of them mean the same thing to both; anything else is refused.
    """
    if field == "*":
        return None
    if "/" in field:
        return "steps (/) aren't supported in the day of week: list the days, like mon,wed,fri"
    if any(char.isdigit() for char in field):
        return (
            "write the day of week as names (mon, tue, ... sun): APScheduler 3 counts weekdays "
            "from Monday = 0, unlike cron's Sunday = 0"
        )
    for part in field.split(","):
        match = _WEEKDAY_PART.fullmatch(part)
        if match is None or any(
            name is not None and name.lower() not in _WEEKDAYS
            for name in (match["first"], match["last"])
        ):
            return (
                "the day of week must be *, or names, ranges and lists like mon, mon-fri, mon,thu"
            )
    return None


def digest_trigger(cron: str, timezone: str) -> CronTrigger:
    """The digest's schedule from a crontab line (minute hour day month weekday) and an IANA zone.

    Raises ConfigError naming FTSCOPE_DIGEST_CRON and/or FTSCOPE_TIMEZONE for each bad value.
    """
    problems: list[str] = []
    zone: ZoneInfo | None = None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        # ZoneInfoNotFoundError for an unknown name; ValueError for "", absolute or ".." keys.
        problems.append(
            f"{TIMEZONE_VARIABLE}: not an IANA time zone such as Europe/Berlin or UTC "
            f"(got {timezone!r}: {exc})"
        )

    trigger: CronTrigger | None = None
    fields = cron.split()
    day_of_week = _day_of_week_problem(fields[4]) if len(fields) == 5 else None
    if day_of_week is not None:
        problems.append(f"{CRON_VARIABLE}: {day_of_week} (got {cron!r})")
    else:
        try:
            # With a bad zone the fields are still checked (against UTC) so one run reports both.
            trigger = CronTrigger.from_crontab(cron, timezone=zone or UTC)
        except ValueError as exc:
            problems.append(
                f"{CRON_VARIABLE}: not a crontab line 'minute hour day month weekday' "
                f"such as '0 9 * * mon' (got {cron!r}: {exc})"
            )
    # A valid expression can still never match ("0 9 31 2 *"); the bot would wait forever.
    if trigger is not None and trigger.get_next_fire_time(None, _utcnow()) is None:
        problems.append(f"{CRON_VARIABLE}: never fires (got {cron!r})")

    if problems:
        raise ConfigError(problems)
    assert trigger is not None  # no problems means both parsed
    return trigger


def period_key(fire_time: datetime) -> str:
    """The period a scheduled fire time stands for: the instant in UTC, ISO 8601 to the second.

    UTC, so every process agrees on the key whatever its local zone and across DST changes.
    """
    _require_aware(fire_time, "fire_time")
    return fire_time.astimezone(UTC).isoformat(timespec="seconds")


def _first_fire_at_or_after(trigger: CronTrigger, instant: datetime) -> datetime | None:
    # previous_fire_time=None makes this a pure function of the instant: the first fire time
    # >= instant (APScheduler rounds a fractional second up).
    fire: datetime | None = trigger.get_next_fire_time(None, instant)
    return fire


def next_runs(trigger: CronTrigger, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after`, in the trigger's zone.

    Fewer if the schedule ends.
    """
    _require_aware(after, "after")
    runs: list[datetime] = []
    # Step in UTC: aware arithmetic in a local zone is wall-clock arithmetic and goes wrong
    # across a DST change.
    cursor = after.astimezone(UTC)
    while len(runs) < count:
        fire = _first_fire_at_or_after(trigger, cursor + timedelta(microseconds=1))
        if fire is None:
            break
        runs.append(fire)
        cursor = fire.astimezone(UTC)
    return runs


def last_due(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The most recent fire time <= now, or None if there was none in the last year.

    CronTrigger only computes forward, so this bisects on whole seconds: "some fire time lies
    in [t, now]" is true up to the last due time and false after it. About 25 forward
    computations, whatever the cron (stepping forward would take ~500,000 for a minutely one).
    Cron fire times fall on whole seconds, so second resolution finds it exactly.
    """
    _require_aware(now, "now")
    now_utc = now.astimezone(UTC)

    def fires_by_now(second: int) -> bool:
        fire = _first_fire_at_or_after(trigger, datetime.fromtimestamp(second, UTC))
        return fire is not None and fire <= now_utc

    low = math.floor((now_utc - LOOKBACK).timestamp())
    if not fires_by_now(low):
        return None
    # The first fire at or after floor(now) + 1 is after now, so this is false.
    high = math.floor(now_utc.timestamp()) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if fires_by_now(middle):
            low = middle
        else:
            high = middle
    return _first_fire_at_or_after(trigger, datetime.fromtimestamp(low, UTC))


class PeriodRunner:
    """Runs a job once per period across every process that shares the database.

    Claims the period (`DigestRuns.claim`), runs the job, and records the outcome itself:
    `posted` with what the job returned, or `failed` with the job's exception. The job only
    builds and posts.

    A period is claimed again only when it is owed: failed, or still `running` an hour after
    its claim (a process that died mid-job).
    """

    def __init__(self, store: Store, job: PeriodJob, *, name: str | None = None) -> None:
        self.store = store
        self.job = job
        # Recorded as claimed_by: which process or machine ran a period.
        self.name = name or _default_name()

    def run(self, period: str, fire_time: datetime) -> PeriodRun:
        """Claim `period`, run the job for `fire_time`, record how it went.

        Never raises an Exception (a scheduler would only log it): the outcome says whether
        this process claimed the period and what failed. A BaseException (KeyboardInterrupt) is
        recorded, then raised.
        """
        try:
            claimed = self.store.digest_runs.claim(period, self.name)
        except Exception as exc:
            # Database down: nothing is claimed, so a restart's catch_up can still run it.
            log.exception("could not claim digest period %s", period)
            return PeriodRun(claimed=False, error=exc)
        if not claimed:
            log.info("digest period %s already claimed by another process", period)
            return PeriodRun(claimed=False)

        log.info("running digest for period %s as %s", period, self.name)
        try:
            posted = self.job(period, fire_time)
        except BaseException as exc:
            # BaseException too: a KeyboardInterrupt mid-job would otherwise leave the row
            # `running` for an hour, and that period could not be told apart from a live run.
            log.exception("digest job for period %s failed", period)
            self._record_failure(period, exc)
            if not isinstance(exc, Exception):
                raise
            return PeriodRun(claimed=True, error=exc)

        posted = posted or Posted()
        try:
            self.store.digest_runs.finish(
                period, status="posted", price_sheet_id=posted.price_sheet_id, text=posted.text
            )
        except Exception as exc:
            log.exception("could not record digest period %s as posted", period)
            return PeriodRun(claimed=True, error=exc)

        if posted.then is not None:
            try:
                posted.then()
            except Exception as exc:
                # The digest is out and recorded posted: it must not be owed again.
                log.exception("digest %s was posted; a step after the post failed", period)
                return PeriodRun(claimed=True, error=exc)
        return PeriodRun(claimed=True)

    def _record_failure(self, period: str, exc: BaseException) -> None:
        try:
            self.store.digest_runs.finish(
                period, status="failed", error=f"{type(exc).__name__}: {exc}"
            )
        except Exception:
            log.exception("could not record the failure of digest period %s", period)


class PeriodScheduler:
    """Hands each period of a trigger to a `PeriodRunner`: on schedule, and caught up at start."""

    def __init__(
        self,
        store: Store,
        trigger: CronTrigger,
        job: PeriodJob,
        *,
        clock: Callable[[], datetime] = _utcnow,
        name: str | None = None,
    ) -> None:
        self.store = store
        self.trigger = trigger
        self.runner = PeriodRunner(store, job, name=name)
        self.clock = clock
        self._scheduler: BackgroundScheduler | None = None
        self._catch_up_thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.runner.name

    @property
    def scheduler(self) -> BackgroundScheduler | None:
        """The running APScheduler, between start() and shutdown()."""
        return self._scheduler

    def run_period(self, fire_time: datetime) -> bool:
        """Run the period of `fire_time` if this process claims it first.

        True if this process claimed the period and ran the job (whether or not the job
        succeeded); False if another process had it, or the claim itself failed.
        """
        return self.runner.run(period_key(fire_time), fire_time).claimed

    def catch_up(self) -> bool:
        """Run the latest due period now if it is owed: missed while the bot was down, failed,
        or abandoned by a process that died mid-run.

        Only the latest: periods before it are stale, and posting several digests at once would
        repeat the same price changes. True if this process ran it.
        """
        now = self.clock()
        due = last_due(self.trigger, now)
        if due is None:
            return False
        following = next_runs(self.trigger, due, 1)
        # last_due already makes `due` less than one period old (the next fire is after now);
        # a schedule that has ended has no next fire and no period length, so nothing is owed.
        if not following or now >= following[0]:
            return False
        period = period_key(due)
        if not self.store.digest_runs.owed(period):  # posted, or someone is on it
            return False
        if not self.store.digest_runs.ever_run():
            # A fresh install: nothing was missed, the first digest comes on schedule (not
            # Monday's, posted on a Wednesday afternoon's deploy).
            return False
        log.info("digest period %s was missed: catching up", period)
        return self.run_period(due)

    def _catch_up_logged(self) -> None:
        # A thread's exception would only reach the threading excepthook; log it like a job's.
        try:
            self.catch_up()
        except Exception:
            log.exception("digest catch-up failed")

    def _on_schedule(self) -> None:
        # APScheduler 3 passes no fire time to the job. It runs a job only at or after its
        # scheduled time, within the misfire grace and (coalesced) well before the next one, so
        # the last due time at run time *is* the scheduled time. Computed here, in the executor
        # thread, it needs no hand-off from an event listener, which runs in the scheduler
        # thread concurrently with the job.
        due = last_due(self.trigger, self.clock())
        if due is None:
            log.error("digest job fired with no due time; clock or trigger is off")
            return
        self.run_period(due)

    def _on_missed(self, event: JobExecutionEvent) -> None:
        # Beyond the grace time (the process was suspended or starved): the period stays
        # unclaimed and is caught up at the next start.
        log.warning(
            "digest run scheduled at %s was missed; it will be caught up at the next start",
            event.scheduled_run_time,
        )

    def start(self) -> None:
        """Schedule the job on the trigger, then catch up a missed period in the background."""
        if self._scheduler is not None:
            raise RuntimeError("the digest scheduler is already running")
        scheduler = BackgroundScheduler(timezone=self.trigger.timezone)
        scheduler.add_job(
            self._on_schedule,
            trigger=self.trigger,
            id=JOB_ID,
            name="weekly digest",
            misfire_grace_time=int(MISFIRE_GRACE_TIME.total_seconds()),
            # One run for a backlog, not a burst; and never two at once in this process.
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        scheduler.start()
        self._scheduler = scheduler
        # The catch-up job refreshes prices and posts to Slack: seconds, which start-up (and
        # Slack's 3-second ack window for the first events) must not wait for.
        self._catch_up_thread = threading.Thread(
            target=self._catch_up_logged, name="digest-catch-up", daemon=True
        )
        self._catch_up_thread.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; with wait, let a running job and the catch-up finish first."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
        thread, self._catch_up_thread = self._catch_up_thread, None
        if thread is not None and wait:
            thread.join()
