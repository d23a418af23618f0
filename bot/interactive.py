"""The work behind a verdict's buttons, its form, the Home tab, the assistant pane's greeting
and the breakeven chart, off Slack's request thread and off the turn workers.

A click must never wait behind a Claude turn: a `trigger_id` expires 3 s after the click, and
the turn workers can all be waiting on Claude for much longer. So modals are opened from a pool
of their own (`ftscope-view`) that does nothing else, and the rest (posting a reply, applying a
form, the Home tab) runs on another (`ftscope-click`). Charts are drawn one at a time on a third
(`ftscope-chart`): matplotlib is imported there, on first use, never on a request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_sdk.errors import SlackClientError

from bot import render
from bot.buttons import VerdictRef, fingerprint, with_buttons
from bot.click_replies import (
    Reply,
    flip_reply,
    form_reply,
    no_thread_text,
    stale_note,
    summary_reply,
)
from bot.conversation import Conversation, Loaded
from bot.home import home_facts, home_view
from bot.slack_poster import SlackPoster
from bot.storage import Store
from bot.views import (
    FormRead,
    errors_by_block,
    facts_digest,
    facts_errors,
    new_scoping_view,
    notice_view,
    read_form,
)
from bot.views import adjust_view as build_adjust_view
from knowledge import Assumptions, Decision, Facts, PriceSheet
from knowledge.decision import Verdict

log = logging.getLogger(__name__)

VIEW_WORKERS = 8  # views.open only: each call takes one Slack round trip
CLICK_WORKERS = 4
NO_DECISION = "none"  # the fingerprint of a thread whose facts give no decision
FORM_NOT_OPENED = (
    "Slack didn't let me open the form in time. Click *Adjust numbers* again, or tell me the "
    "new numbers here."
)

ASSISTANT_GREETING = (
    "Hi! Tell me what a client wants fine-tuned: the task, how many calls a month, the model "
    "they prompt today and how well it scores. I'll ask for anything missing, then work out "
    "whether a fine-tune pays for itself or prompting is the better deal."
)
SUGGESTED_PROMPTS = [
    {
        "title": "Scope a fine-tune request",
        "message": "A client wants to fine-tune a model. What do you need to know to scope it?",
    },
    {"title": "Show the price sheet", "message": "Show the price sheet"},
]


class WorkPool:
    """A thread pool that knows how much of its work is not done yet, so a shutdown or a test
    can wait for it; a failure is logged, never lost silently."""

    def __init__(self, workers: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, work: Callable[..., Any], *args: Any) -> bool:
        with self._idle:
            self._pending += 1
        try:
            self._pool.submit(self._run, work, *args)
        except RuntimeError:  # shutting down
            self._finished()
            log.warning("shutting down: %s not run", getattr(work, "__name__", work))
            return False
        return True

    def _run(self, work: Callable[..., Any], *args: Any) -> None:
        try:
            work(*args)
        except Exception:
            log.exception("%s failed", getattr(work, "__name__", work))
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


# Charts are cosmetic: they get the CPU the turns leave. A chart takes ~110 ms of CPU, seven
# turns' worth, so under a stream of verdicts an always-busy chart thread would take the core
# the turns need (measured: 35 turns a second without charts, 21 with). After each chart the
# pool rests CHART_REST_FACTOR times the CPU it took (charts get at most a quarter of a core,
# ~2 a second); a chart superseded by a newer verdict of its thread, or still waiting after
# CHART_STALE_S, is skipped (logged): the thread has moved on.
CHART_REST_FACTOR = 3.0
CHART_STALE_S = 60.0


class ChartUploads:
    """The breakeven chart of a verdict, drawn and shared in its thread after the verdict."""

    def __init__(
        self, poster: SlackPoster, prices: Callable[[], PriceSheet], assumptions: Assumptions
    ) -> None:
        self.poster = poster
        self.prices = prices
        self.assumptions = assumptions
        # One at a time: a chart takes ~100 ms of CPU, and a burst of them must not starve the
        # threads that answer Slack.
        self._pool = WorkPool(1, "ftscope-chart")
        self._lock = threading.Lock()
        self._newest: dict[tuple[str, str | None], int] = {}  # each thread's newest chart
        self._numbers = itertools.count()
        self._rest_until = 0.0  # time.monotonic() before which the next chart waits
        self._stopping = False  # shutting down: the charts left are drawn without resting

    def submit(self, channel: str, thread_ts: str | None, decision: Decision) -> None:
        if decision.verdict is Verdict.need_info or decision.breakeven is None:
            return  # nothing to chart: don't wake the pool
        with self._lock:
            number = next(self._numbers)
            self._newest[(channel, thread_ts)] = number
        self._pool.submit(self._paced, channel, thread_ts, decision, number, time.monotonic())

    def _paced(
        self,
        channel: str,
        thread_ts: str | None,
        decision: Decision,
        number: int,
        submitted: float,
    ) -> None:
        with self._lock:
            newest = self._newest.get((channel, thread_ts))
            if newest == number:
                del self._newest[(channel, thread_ts)]
        if newest != number:
            log.info("breakeven chart for %s/%s skipped: a newer one follows", channel, thread_ts)
            return
        if not self._stopping:
            time.sleep(max(0.0, self._rest_until - time.monotonic()))
        waited = time.monotonic() - submitted
        if waited > CHART_STALE_S:
            log.info("breakeven chart for %s/%s skipped: %.0f s late", channel, thread_ts, waited)
            return
        cpu = time.thread_time()
        try:
            self.upload(channel, thread_ts, decision)
        finally:
            spent = time.thread_time() - cpu
            self._rest_until = time.monotonic() + CHART_REST_FACTOR * spent

    def upload(self, channel: str, thread_ts: str | None, decision: Decision) -> bool:
        from bot.chart import breakeven_chart  # noqa: PLC0415 - the chart pool pays for it

        started = time.perf_counter()
        chart = breakeven_chart(decision, self.prices(), self.assumptions)
        if chart is None:
            return False
        drawn_ms = (time.perf_counter() - started) * 1000
        posted = self.poster.upload_png(
            channel,
            thread_ts,
            chart.png,
            filename=chart.filename,
            title=chart.title,
            alt_text=chart.alt_text,
        )
        log.info(
            "breakeven chart for %s/%s: drawn in %.0f ms, %s",
            channel,
            thread_ts,
            drawn_ms,
            "shared" if posted else "not shared",
        )
        return posted

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._pool.wait_idle(timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._stopping = True  # nothing is left for the turns to need the CPU for
        self._pool.shutdown(wait)


class SlackInteractions:
    """What the bot does when someone clicks, submits a form, opens the Home tab or starts an
    assistant thread. Every public method returns at once (`submit_form` after a quick check
    of the values, so a bad one is shown under its input)."""

    def __init__(
        self,
        conversation: Conversation,
        poster: SlackPoster,
        assumptions: Assumptions,
        store: Store,
        charts: ChartUploads,
        *,
        next_digest: Callable[[], dt.datetime | None] = lambda: None,
        timezone: str = "UTC",
    ) -> None:
        self.conversation = conversation
        self.poster = poster
        self.assumptions = assumptions
        self.store = store
        self.charts = charts
        self.next_digest = next_digest
        self.timezone = timezone
        self._views = WorkPool(VIEW_WORKERS, "ftscope-view")
        self._work = WorkPool(CLICK_WORKERS, "ftscope-click")
        self._permalinks: dict[tuple[str, str], str] = {}  # a message's link never changes

    # -- entry points for the listeners ----------------------------------------------------

    # `threaded`: the clicked verdict is in its thread; False for one at the top of a DM,
    # where the answer goes too.

    def open_adjust(
        self,
        trigger_id: str,
        value: str,
        user: str,
        clicked_ts: str | None,
        *,
        threaded: bool = True,
    ) -> None:
        self._on_verdict(
            self._views, self._open_adjust, value, trigger_id, user, clicked_ts, threaded
        )

    def post_flip(
        self, value: str, user: str, clicked_ts: str | None, *, threaded: bool = True
    ) -> None:
        self._on_verdict(self._work, self._post_flip, value, user, clicked_ts, threaded)

    def post_summary(
        self, value: str, user: str, clicked_ts: str | None, *, threaded: bool = True
    ) -> None:
        self._on_verdict(self._work, self._post_summary, value, user, clicked_ts, threaded)

    @staticmethod
    def _on_verdict(pool: WorkPool, work: Callable[..., Any], value: str, *args: Any) -> None:
        """`work(ref, *args)` on `pool` for the verdict a button's value names; a value this
        bot didn't write is logged and dropped."""
        ref = _ref(value)
        if ref is not None:
            pool.submit(work, ref, *args)

    def submit_form(self, view: dict[str, Any], user: str) -> dict[str, str]:
        """Check a submitted *Adjust numbers* form: the inline errors to show (by block_id),
        or {} when it is good, and then the thread is re-decided and the reply posted."""
        try:
            read = read_form(view)
        except (ValueError, KeyError, TypeError) as exc:  # not a form this code opened
            log.warning("adjust form with unreadable metadata: %s", exc)
            return {}
        ref = read.state.ref
        if not read.values and not read.errors:
            self._work.submit(
                self.poster.tell_user,
                ref.channel,
                ref.thread_ts,
                user,
                "You didn't change anything in the form, so the verdict stands.",
            )
            return {}
        loaded = self._load(ref)
        if loaded is None:
            return {next(iter(read.values or read.errors)): no_thread_text()}
        # Every problem at once: a value that isn't a number, and those that don't fit the
        # thread's other facts (a box that can't be read names its own problem first).
        errors = facts_errors(loaded.known, read.values)
        if not errors and not read.errors:
            candidate = _with_values(loaded.known, read.values)
            decided = self.conversation.decide(candidate, loaded.prices)
            if decided.problems:  # the form's facts must fit: nobody is there to ask
                errors = errors_by_block(decided.problems, read.values)
        errors |= read.errors
        if errors:
            return errors
        self._work.submit(self._apply_form, read, user)
        return {}

    def publish_home(self, team: str, user: str) -> None:
        self._work.submit(self._publish_home, team, user)

    def open_new_scoping(self, trigger_id: str) -> None:
        self._views.submit(self.poster.open_view, trigger_id, new_scoping_view())

    def greet_assistant(self, say: Callable[..., Any], suggest: Callable[..., Any]) -> None:
        """A new assistant thread: a greeting, and the prompts a user can start from."""
        self._work.submit(self._greet, say, suggest)

    def post_prices(self, channel: str, thread_ts: str) -> None:
        self._work.submit(self._post_prices, channel, thread_ts)

    def wait_idle(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for waitable in (self._views, self._work, self.charts):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not waitable.wait_idle(left):
                return False
        return True

    def shutdown(self, wait: bool = True) -> None:
        for pool in (self._views, self._work):
            pool.shutdown(wait)
        self.charts.shutdown(wait)

    # -- the work --------------------------------------------------------------------------

    def _load(self, ref: VerdictRef) -> Loaded | None:
        return self.conversation.load_thread(ref.team, ref.channel, ref.thread_ts, ref.workload_id)

    def _open_adjust(
        self,
        ref: VerdictRef,
        trigger_id: str,
        user: str,
        clicked_ts: str | None,
        threaded: bool = True,
    ) -> None:
        started = time.perf_counter()
        loaded = self._load(ref)
        if loaded is None:
            self.poster.open_view(trigger_id, notice_view("Adjust numbers", no_thread_text()))
            return
        stale = stale_note(loaded, ref.is_current(loaded.decision), clicked_ts)
        # The form's own reference is to the thread as it is now: a change made while the form
        # is open is told apart from one made before the click.
        now = fingerprint(loaded.decision) if loaded.decision is not None else NO_DECISION
        view = build_adjust_view(
            dataclasses.replace(ref, decision=now),
            loaded.known,
            loaded.decision,
            loaded.prices,
            self.assumptions,
            quotes=loaded.thread.fact_quotes,
            today=self.conversation.today,
            stale=stale or None,
            threaded=threaded,
        )
        opened = self.poster.open_view(trigger_id, view)
        log.info(
            "adjust form for %s in %s/%s %s in %.0f ms",
            user,
            ref.channel,
            ref.thread_ts,
            "opened" if opened else "not opened",
            (time.perf_counter() - started) * 1000,
        )
        if not opened:  # Slack refused the trigger (expired, say): a click again will do
            where = ref.thread_ts if threaded else None
            self.poster.tell_user(ref.channel, where, user, FORM_NOT_OPENED)

    def _post_flip(
        self, ref: VerdictRef, user: str, clicked_ts: str | None, threaded: bool = True
    ) -> None:
        def compose(decision: Decision, stale: str) -> Reply:
            return flip_reply(decision, user, stale)

        self._answer_click(ref, user, clicked_ts, threaded, post=self.poster.reply, compose=compose)

    def _post_summary(
        self, ref: VerdictRef, user: str, clicked_ts: str | None, threaded: bool = True
    ) -> None:
        post = self.poster.ephemeral  # a summary to copy: only `user` sees it
        self._answer_click(ref, user, clicked_ts, threaded, post=post, compose=summary_reply)

    def _answer_click(
        self,
        ref: VerdictRef,
        user: str,
        clicked_ts: str | None,
        threaded: bool,
        *,
        post: Callable[..., Any],
        compose: Callable[[Decision, str], Reply],
    ) -> None:
        """The reply `compose(decision, stale)` makes of the thread's verdict as it is now,
        sent by `post` (a reply in the thread, or one only `user` sees) where the click was."""
        answered = self._current_verdict(ref, user, clicked_ts, threaded)
        if answered is not None:
            text, blocks = compose(*answered)
            post(ref.channel, ref.thread_ts if threaded else None, user, text, blocks)

    def _current_verdict(
        self, ref: VerdictRef, user: str, clicked_ts: str | None, threaded: bool
    ) -> tuple[Decision, str] | None:
        """The thread's verdict as it is now, and a note if the clicked one is out of date;
        None (and the clicker told why) when the thread has no verdict."""
        loaded = self._load(ref)
        if loaded is None or loaded.decision is None:
            where = ref.thread_ts if threaded else None
            self.poster.tell_user(ref.channel, where, user, _no_verdict(loaded))
            return None
        return loaded.decision, stale_note(loaded, ref.is_current(loaded.decision), clicked_ts)

    def _apply_form(self, read: FormRead, user: str) -> None:
        ref = read.state.ref
        try:
            outcome = self.conversation.amend(
                ref.team,
                ref.channel,
                ref.thread_ts,
                read.values,
                said=f"in the form, by <@{user}>",
                workload_id=ref.workload_id,
            )
        except LookupError:
            self.poster.tell_user(ref.channel, ref.thread_ts, user, no_thread_text())
            return
        moved = facts_digest(outcome.before) != read.state.facts
        text, blocks = form_reply(outcome, read.changes, user, moved)
        blocks = with_buttons(blocks, ref.team, ref.channel, ref.thread_ts, outcome)
        where = ref.thread_ts if read.state.threaded else None
        ts = self.poster.reply(ref.channel, where, user, text, blocks)
        if ts is None:
            return
        self.conversation.record_reply(outcome, ts, text)
        if outcome.decision is not None:
            self.charts.submit(ref.channel, where, outcome.decision)
        log.info(
            "form by %s in %s/%s: %s",
            user,
            ref.channel,
            ref.thread_ts,
            ", ".join(f"{c.field} {c.before} → {c.after}" for c in read.changes),
        )

    def _publish_home(self, team: str, user: str) -> None:
        facts = home_facts(
            self.store,
            team,
            user,
            self.conversation.prices(),
            permalink=self._permalink,
            next_digest=self.next_digest(),
            timezone=self.timezone,
        )
        self.poster.publish_home(user, home_view(facts))

    def _permalink(self, channel: str, ts: str) -> str | None:
        key = (channel, ts)
        if key not in self._permalinks:
            link = self.poster.permalink(channel, ts)
            if link is None:
                return None
            self._permalinks[key] = link
        return self._permalinks[key]

    def _greet(self, say: Callable[..., Any], suggest: Callable[..., Any]) -> None:
        try:
            say(text=ASSISTANT_GREETING)
            suggest(prompts=SUGGESTED_PROMPTS, title="Start with one of these")
        except SlackClientError as exc:
            log.warning("assistant thread greeting not posted: %s", exc)

    def _post_prices(self, channel: str, thread_ts: str) -> None:
        self.poster.text(channel, thread_ts, render.prices_reply(self.conversation.prices()))


def _ref(value: str) -> VerdictRef | None:
    try:
        return VerdictRef.parse(value)
    except ValueError:
        log.warning("a button with a value this bot didn't write: %s", json.dumps(value)[:120])
        return None


def _with_values(known: Facts, values: dict[str, Any]) -> Facts:
    kept = {k: v for k, v in known.known().items() if k not in values}
    return Facts.model_validate(kept | {k: v for k, v in values.items() if v is not None})


def _no_verdict(loaded: Loaded | None) -> str:
    if loaded is None:
        return no_thread_text()
    return (
        "This thread has no verdict right now: its facts don't fit together. Fix the numbers "
        "I flagged, or use *Adjust numbers*."
    )
