"""The weekly digest's schedule, its catch-up at start, and its once-per-period claim.

Every time is frozen: the clock is passed in as `clock=`, and scheduled runs are triggered by
calling the job APScheduler holds, never by waiting for a fire time.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import OperationalError

from bot.scheduler import (
    JOB_ID,
    PeriodRunner,
    PeriodScheduler,
    Posted,
    digest_trigger,
    last_due,
    next_runs,
    period_key,
)
from bot.settings import ConfigError
from bot.storage import Store, create_schema, make_engine

BERLIN = ZoneInfo("Europe/Berlin")
# Europe moves to summer time on Sunday 2027-03-28: Monday 09:00 in Berlin is 08:00 UTC the
# week before and 07:00 UTC from then on.
MONDAY = datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def frozen(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def mondays(
    store: Store,
    job: Callable[[str, datetime], object],
    at: datetime,
    zone: str = "UTC",
    **options: str,
) -> PeriodScheduler:
    """The default schedule (Mondays at nine in `zone`) with its clock stopped at `at`."""
    trigger = digest_trigger("0 9 * * mon", zone)
    return PeriodScheduler(store, trigger, job, clock=frozen(at), **options)


class RecordingJob:
    """A digest job that records its calls and returns what it posted."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[tuple[str, datetime]] = []
        self._lock = threading.Lock()

    def __call__(self, period: str, fire_time: datetime) -> Posted:
        with self._lock:
            self.calls.append((period, fire_time))
        return Posted(text=f"digest for {period}")


# -- the schedule ------------------------------------------------------------------------------


def test_the_default_schedule_runs_every_monday_at_nine_utc():
    trigger = digest_trigger("0 9 * * mon", "UTC")

    runs = next_runs(trigger, utc(2027, 3, 20), 3)

    assert runs == [utc(2027, 3, 22, 9), utc(2027, 3, 29, 9), utc(2027, 4, 5, 9)]


def test_in_berlin_monday_nine_stays_nine_local_across_the_dst_change():
    trigger = digest_trigger("0 9 * * mon", "Europe/Berlin")

    runs = next_runs(trigger, utc(2027, 3, 20), 3)

    assert runs == [utc(2027, 3, 22, 8), utc(2027, 3, 29, 7), utc(2027, 4, 5, 7)]
    assert [run.astimezone(BERLIN).strftime("%a %H:%M") for run in runs] == ["Mon 09:00"] * 3


def test_next_runs_are_strictly_after_the_given_instant():
    trigger = digest_trigger("0 9 * * mon", "UTC")

    assert next_runs(trigger, MONDAY, 1) == [MONDAY + WEEK]
    assert next_runs(trigger, MONDAY - timedelta(microseconds=1), 1) == [MONDAY]
    assert next_runs(trigger, MONDAY, 0) == []


def test_the_period_key_is_the_fire_time_in_utc_to_the_second():
    berlin_monday = datetime(2027, 3, 29, 9, 0, tzinfo=BERLIN)

    assert period_key(berlin_monday) == "2027-03-29T07:00:00+00:00"
    assert period_key(berlin_monday) == period_key(utc(2027, 3, 29, 7))
    with pytest.raises(ValueError, match="naive"):
        period_key(datetime(2027, 3, 29, 9))


@pytest.mark.parametrize(
    "cron",
    [
        "0 9 * *",  # four fields
        "0 9 * * mon tue",  # six
        "",
        "61 9 * * mon",  # minute out of range
        "0 9 * * funday",
        "0 9 * * 1",  # cron's Monday; APScheduler 3 would read Tuesday
        "0 9 * * */2",  # steps start from a different weekday in cron and APScheduler 3
        "0 9 * * mon-fri/2",  # APScheduler 3 silently drops the step
        "0 9 * * mon;",  # APScheduler 3 silently drops the trailing text
        "0 9 31 2 *",  # valid fields, but February 31st never comes
    ],
)
def test_a_bad_cron_is_a_config_error_naming_the_variable(cron: str):
    with pytest.raises(ConfigError) as raised:
        digest_trigger(cron, "UTC")

    assert [problem.split(":")[0] for problem in raised.value.problems] == ["FTSCOPE_DIGEST_CRON"]
    assert repr(cron) in str(raised.value)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "utc", "", "../etc/passwd", "/etc/localtime"])
def test_a_bad_time_zone_is_a_config_error_naming_the_variable(zone: str):
    with pytest.raises(ConfigError) as raised:
        digest_trigger("0 9 * * mon", zone)

    assert [problem.split(":")[0] for problem in raised.value.problems] == ["FTSCOPE_TIMEZONE"]


def test_a_bad_cron_and_a_bad_zone_are_reported_together():
    with pytest.raises(ConfigError) as raised:
        digest_trigger("0 9 * *", "Mars/Olympus")

    assert [problem.split(":")[0] for problem in raised.value.problems] == [
        "FTSCOPE_TIMEZONE",
        "FTSCOPE_DIGEST_CRON",
    ]


def test_weekday_names_ranges_and_lists_are_accepted():
    assert next_runs(digest_trigger("30 8 * * MON-FRI", "UTC"), utc(2027, 3, 27), 1) == [
        utc(2027, 3, 29, 8, 30)
    ]
    assert next_runs(digest_trigger("0 9 * * tue,thu", "UTC"), MONDAY, 2) == [
        utc(2027, 3, 30, 9),
        utc(2027, 4, 1, 9),
    ]


# -- the last due time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (MONDAY, MONDAY),
        (MONDAY - timedelta(microseconds=1), MONDAY - WEEK),
        (MONDAY - timedelta(seconds=1), MONDAY - WEEK),
        (MONDAY + timedelta(microseconds=1), MONDAY),
        (MONDAY + timedelta(seconds=1), MONDAY),
        (MONDAY + WEEK - timedelta(seconds=1), MONDAY),
    ],
    ids=["at", "1us-before", "1s-before", "1us-after", "1s-after", "just-before-the-next"],
)
def test_last_due_is_the_latest_fire_time_at_or_before_now(now: datetime, expected: datetime):
    trigger = digest_trigger("0 9 * * mon", "UTC")

    assert last_due(trigger, now) == expected


def test_last_due_in_berlin_across_the_dst_change():
    trigger = digest_trigger("0 9 * * mon", "Europe/Berlin")

    assert last_due(trigger, utc(2027, 3, 29, 7)) == utc(2027, 3, 29, 7)
    assert last_due(trigger, utc(2027, 3, 29, 6, 59, 59)) == utc(2027, 3, 22, 8)


def test_last_due_is_exact_for_a_fine_grained_cron():
    # A minutely cron: the bisection must land on the second, not near it.
    trigger = digest_trigger("* * * * *", "UTC")

    assert last_due(trigger, utc(2027, 3, 30, 10, 0, 59) + timedelta(microseconds=5)) == utc(
        2027, 3, 30, 10
    )


def test_last_due_looks_back_about_a_year():
    leap_day = digest_trigger("0 9 29 2 *", "UTC")

    assert last_due(leap_day, utc(2028, 3, 1)) == utc(2028, 2, 29, 9)
    assert last_due(leap_day, utc(2027, 6, 1)) is None  # 2024-02-29 is over a year ago
    with pytest.raises(ValueError, match="naive"):
        last_due(leap_day, datetime(2027, 6, 1))


# -- catch-up at start -------------------------------------------------------------------------


def posted_the_week_before(store: Store) -> None:
    """The bot ran before: a digest was posted the Monday before MONDAY."""
    assert store.digest_runs.claim(period_key(MONDAY - WEEK), "web-0")
    store.digest_runs.finish(period_key(MONDAY - WEEK), status="posted")


def test_a_fresh_install_waits_for_its_first_scheduled_digest(store: Store):
    job = RecordingJob(store)
    digest = mondays(store, job, at=utc(2027, 3, 31, 15))
    assert digest.catch_up() is False and job.calls == []


def test_a_monday_missed_while_down_is_run_at_start_on_tuesday(store: Store):
    posted_the_week_before(store)
    job = RecordingJob(store)
    digest = mondays(store, job, at=utc(2027, 3, 30, 10), name="web-1")

    assert digest.catch_up() is True
    assert digest.catch_up() is False  # the second start finds the row

    assert job.calls == [("2027-03-29T09:00:00+00:00", MONDAY)]
    run = store.digest_runs.get("2027-03-29T09:00:00+00:00")
    assert (run.status, run.claimed_by) == ("posted", "web-1")


def test_catch_up_keeps_the_triggers_zone_in_the_fire_time(store: Store):
    posted_the_week_before(store)
    job = RecordingJob(store)
    digest = mondays(store, job, at=utc(2027, 3, 30, 10), zone="Europe/Berlin")

    digest.catch_up()

    [(period, fire_time)] = job.calls
    assert period == "2027-03-29T07:00:00+00:00"
    assert fire_time.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("status", ["posted", "running"])
def test_a_monday_with_a_row_is_not_run_again_at_start(store: Store, status: str):
    period = period_key(MONDAY)
    assert store.digest_runs.claim(period, "web-2")
    if status != "running":
        store.digest_runs.finish(period, status=status)  # type: ignore[arg-type]
    job = RecordingJob(store)
    digest = mondays(store, job, at=utc(2027, 3, 30, 10))

    assert digest.catch_up() is False
    assert job.calls == []
    assert store.digest_runs.get(period).claimed_by == "web-2"


def test_a_monday_whose_run_failed_is_retried_at_start(store: Store):
    period = period_key(MONDAY)
    assert store.digest_runs.claim(period, "web-2")
    store.digest_runs.finish(period, status="failed", error="Slack was down")
    job = RecordingJob(store)
    digest = mondays(store, job, at=utc(2027, 3, 30, 10))

    assert digest.catch_up() is True
    assert [period for period, _ in job.calls] == [period_key(MONDAY)]


def test_after_three_weeks_down_only_the_latest_monday_is_run(store: Store):
    # Posted on 2027-03-29, then down until three weeks later: three Mondays were missed.
    assert store.digest_runs.claim(period_key(MONDAY), "web-1")
    store.digest_runs.finish(period_key(MONDAY), status="posted")
    latest = MONDAY + 3 * WEEK
    job = RecordingJob(store)
    digest = mondays(store, job, at=latest + timedelta(hours=1))

    assert digest.catch_up() is True

    assert job.calls == [(period_key(latest), latest)]
    for stale in (MONDAY + WEEK, MONDAY + 2 * WEEK):
        assert store.digest_runs.get(period_key(stale)) is None


def test_older_missed_mondays_are_not_run_once_the_latest_has_a_row(store: Store):
    latest = MONDAY + 3 * WEEK
    assert store.digest_runs.claim(period_key(latest), "web-1")
    job = RecordingJob(store)
    digest = mondays(store, job, at=latest + timedelta(hours=1))

    assert digest.catch_up() is False
    assert job.calls == []


def test_a_period_more_than_a_week_old_is_not_run(store: Store):
    # A schedule that ended: its last due time stays the latest, and ages past a period.
    ended = CronTrigger(day_of_week="mon", hour=9, timezone=UTC, end_date=MONDAY)
    job = RecordingJob(store)
    digest = PeriodScheduler(store, ended, job, clock=frozen(MONDAY + 3 * WEEK))

    assert last_due(ended, MONDAY + 3 * WEEK) == MONDAY
    assert digest.catch_up() is False
    assert job.calls == []
    assert store.digest_runs.get(period_key(MONDAY)) is None


def test_nothing_is_caught_up_before_the_first_fire_time(store: Store):
    leap_day = digest_trigger("0 9 29 2 *", "UTC")
    job = RecordingJob(store)

    assert PeriodScheduler(store, leap_day, job, clock=frozen(utc(2027, 6, 1))).catch_up() is False
    assert job.calls == []


# -- once per period across processes ----------------------------------------------------------


def test_two_processes_on_one_database_run_each_period_exactly_once(database_url: str):
    # Two engines: two connection pools, as two bot processes (or machines) would have.
    engines = [make_engine(database_url), make_engine(database_url)]
    create_schema(engines[0])
    stores = [Store(engine) for engine in engines]
    trigger = digest_trigger("0 9 * * mon", "UTC")
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def job_for(name: str) -> Callable[[str, datetime], None]:
        def job(period: str, fire_time: datetime) -> None:
            with lock:
                calls.append((name, period))

        return job

    digests = [
        PeriodScheduler(store, trigger, job_for(name), name=name, clock=frozen(MONDAY))
        for name, store in zip(["web-1", "web-2"], stores, strict=True)
    ]
    # Several periods, each released to both at the same instant, so one lucky ordering can't
    # pass the test.
    fire_times = next_runs(trigger, MONDAY - timedelta(seconds=1), 10)
    barrier = threading.Barrier(len(digests))

    def run_all(digest: PeriodScheduler) -> list[bool]:
        results = []
        for fire_time in fire_times:
            barrier.wait()
            results.append(digest.run_period(fire_time))
        return results

    try:
        with ThreadPoolExecutor(len(digests)) as pool:
            results = list(pool.map(run_all, digests))
    finally:
        for engine in engines:
            engine.dispose()

    assert sorted(period for _, period in calls) == sorted(map(period_key, fire_times))
    for index in range(len(fire_times)):
        assert [result[index] for result in results].count(True) == 1
    assert [name for name, _ in calls].count("web-1") == results[0].count(True)


# -- failures ----------------------------------------------------------------------------------


def test_a_failing_job_records_the_period_failed_and_does_not_raise(
    store: Store, caplog: pytest.LogCaptureFixture
):
    def job(period: str, fire_time: datetime) -> None:
        raise RuntimeError("chat.postMessage: channel_not_found")

    digest = PeriodScheduler(store, digest_trigger("0 9 * * mon", "UTC"), job, name="web-1")

    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        assert digest.run_period(MONDAY) is True

    run = store.digest_runs.get(period_key(MONDAY))
    assert run.status == "failed"
    assert run.error == "RuntimeError: chat.postMessage: channel_not_found"
    assert run.finished_at is not None
    assert "digest job for period 2027-03-29T09:00:00+00:00 failed" in caplog.text
    assert "channel_not_found" in caplog.text  # the traceback is logged
    # A failed period is owed: the next attempt (a restart's catch-up) may claim it again.
    assert store.digest_runs.owed(period_key(MONDAY))


def test_the_runner_records_what_the_job_posted(store: Store):
    calls = []
    digest = PeriodScheduler(
        store, digest_trigger("0 9 * * mon", "UTC"), lambda period, _: calls.append(period)
    )

    assert digest.run_period(MONDAY) is True  # a job that returns nothing is still recorded

    assert calls == [period_key(MONDAY)]
    run = store.digest_runs.get(period_key(MONDAY))
    assert (run.status, run.text, run.price_sheet_id) == ("posted", None, None)
    assert run.finished_at is not None and not store.digest_runs.owed(period_key(MONDAY))

    version, _ = store.price_sheets.save({"as_of": "2027-03-29"}, "hash", [])
    then: list[str] = []
    runner = PeriodRunner(
        store,
        lambda period, _: Posted(version.id, f"digest for {period}", lambda: then.append(period)),
        name="web-1",
    )
    week = period_key(MONDAY + WEEK)
    assert runner.run(week, MONDAY + WEEK).claimed
    run = store.digest_runs.get(week)
    assert (run.status, run.text, run.price_sheet_id, run.claimed_by) == (
        "posted",
        f"digest for {week}",
        version.id,
        "web-1",
    )
    assert then == [week]  # after the record


def test_a_failure_after_the_post_leaves_the_period_posted(
    store: Store, caplog: pytest.LogCaptureFixture
):
    def store_decisions() -> None:
        assert store.digest_runs.get(period_key(MONDAY)).status == "posted"
        raise RuntimeError("database went away")

    runner = PeriodRunner(store, lambda period, _: Posted(then=store_decisions))

    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        run = runner.run(period_key(MONDAY), MONDAY)

    assert run.claimed and isinstance(run.error, RuntimeError)
    assert store.digest_runs.get(period_key(MONDAY)).status == "posted"
    assert not store.digest_runs.owed(period_key(MONDAY))
    assert "a step after the post failed" in caplog.text


class UnreachableStore:
    """A store whose database is down."""

    def claim_digest(self, period: str, claimed_by: str) -> bool:
        raise OperationalError("INSERT INTO digest_runs ...", {}, ConnectionRefusedError())


def test_a_claim_that_fails_skips_the_period_without_raising(caplog: pytest.LogCaptureFixture):
    calls = []
    digest = PeriodScheduler(
        UnreachableStore(),  # type: ignore[arg-type]
        digest_trigger("0 9 * * mon", "UTC"),
        lambda period, _: calls.append(period),
    )

    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        assert digest.run_period(MONDAY) is False

    assert calls == []
    assert "could not claim digest period" in caplog.text


# -- the APScheduler wiring --------------------------------------------------------------------


def test_start_schedules_one_job_on_the_trigger_and_catches_up(store: Store):
    posted_the_week_before(store)
    trigger = digest_trigger("0 9 * * mon", "Europe/Berlin")
    job = RecordingJob(store)
    digest = PeriodScheduler(store, trigger, job, clock=frozen(utc(2027, 3, 30, 10)))
    before = datetime.now(UTC)

    digest.start()
    try:
        scheduler = digest.scheduler
        assert scheduler is not None and scheduler.running
        [scheduled] = scheduler.get_jobs()
        # APScheduler schedules from the real time, not the frozen clock.
        next_run = scheduled.next_run_time
    finally:
        digest.shutdown(wait=True)  # also waits for the catch-up thread

    assert scheduled.id == JOB_ID
    assert scheduled.trigger is trigger
    assert (
        str(scheduled.trigger)
        == "cron[month='*', day='*', day_of_week='mon', hour='9', minute='0']"
    )
    assert scheduled.trigger.timezone == BERLIN
    assert (scheduled.misfire_grace_time, scheduled.coalesce, scheduled.max_instances) == (
        3600,
        True,
        1,
    )
    assert next_run == next_runs(trigger, before, 1)[0]
    assert scheduler.timezone == BERLIN
    assert digest.scheduler is None and not scheduler.running
    # The Monday missed before the (frozen) start was caught up in the background, once.
    assert job.calls == [("2027-03-29T07:00:00+00:00", utc(2027, 3, 29, 7))]


def test_a_scheduled_run_uses_the_time_it_was_scheduled_for(store: Store):
    # APScheduler passes the job no fire time: a run a few seconds (or, within the misfire
    # grace, up to an hour) late must still claim the period it was scheduled for.
    job = RecordingJob(store)
    now = [MONDAY - timedelta(minutes=5)]
    digest = PeriodScheduler(store, digest_trigger("0 9 * * mon", "UTC"), job, clock=lambda: now[0])
    # Monday's predecessor is posted, so the catch-up at start has nothing to do.
    assert store.digest_runs.claim(period_key(MONDAY - WEEK), "web-2")

    digest.start()
    try:
        [scheduled] = digest.scheduler.get_jobs()
        now[0] = MONDAY + timedelta(minutes=59)
        scheduled.func()  # what APScheduler's executor calls at the fire time
        scheduled.func()  # a duplicate run of the same period is a no-op
    finally:
        digest.shutdown(wait=True)

    assert job.calls == [(period_key(MONDAY), MONDAY)]


def test_start_twice_is_refused_and_shutdown_is_idempotent(store: Store):
    digest = mondays(store, RecordingJob(store), at=utc(2027, 3, 30, 10))
    digest.shutdown()  # before start: nothing to stop

    digest.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            digest.start()
    finally:
        digest.shutdown()
    digest.shutdown()
