"""One scoping turn, from a user's message to the bot's reply; the same for Slack and a terminal.

The order of the steps is what keeps a thread's facts safe: the user's message is stored before
anything can fail, the facts are saved before the reply is posted, and an extractor outage
changes nothing but the reply. The next message then picks up the unanswered ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from bot import render
from bot.extraction import Extraction, Extractor, ExtractorUnavailable, Usage
from bot.offline import is_offline_read
from bot.prompt import Exchange
from bot.storage import MessageRead, ScopingThread, Store, ThreadMessage
from bot.wording import FIELD_LABELS, show_value
from knowledge import Assumptions, Decision, Facts, InputError, PriceSheet, Verdict, decide
from knowledge.crosscheck import unconfirmed
from knowledge.errors import problems_from
from knowledge.provenance import Accepted, Checked, Rejected, check_updates
from knowledge.reading_notes import reading_notes

log = logging.getLogger(__name__)

# Saving a turn's facts when another process keeps saving the same thread: retries.
SAVE_ATTEMPTS = 5
# Below this, a Claude call can't finish in what is left of the turn: say so instead.
MIN_EXTRACTION_S = 2.0

ReplyKind = Literal["question", "verdict", "unchanged", "outage", "busy", "problem"]


# NUL (PostgreSQL text can't hold it), invisible characters that split "20\u200bM", and the
# bidirectional overrides that would reorder the bot's own line around an echoed quote. The
# zero-width joiner stays: emoji sequences (a family) are built with it.
_INVISIBLE = dict.fromkeys(
    map(ord, "\x00\u200b\u200c\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def clean_text(text: str) -> str:
    """A message as the bot reads and stores it: Unicode-normalised, nothing invisible."""
    return unicodedata.normalize("NFC", text.translate(_INVISIBLE))


def ts_order(ts: str) -> tuple[int, ...]:
    """Slack timestamps in time order ("1700000000.000123"), whatever their digit counts."""
    return tuple(int(part) for part in ts.split(".") if part.isdigit())


@dataclass(frozen=True)
class Turn:
    """A user's message in a thread the bot scopes (or may start scoping)."""

    team: str
    channel: str
    thread_ts: str
    user: str
    text: str
    ts: str  # the message's own ts: with team and channel it names the message in Slack
    may_start: bool = True  # False: only answer in a thread the bot already scopes
    # When the bot received it: the time a turn waits for a worker counts against its budget.
    received_at: float = field(default_factory=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clean_text(self.text))

    @property
    def message_key(self) -> str:
        # One key for a message however it arrives: Slack's retries, and an @mention in a
        # thread delivered as both `app_mention` and `message`, all share it.
        return f"message:{self.team}:{self.channel}:{self.ts}"


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass
class Reply:
    kind: ReplyKind
    text: str  # the notification text (and the whole reply in a terminal)
    blocks: list[dict[str, Any]]
    thread_id: int
    decision: Decision | None = None
    learned: list[Accepted] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    context: render.TurnContext | None = None
    usage: Usage | None = None  # the extractor's call this turn, if it made one
    cost_usd: float | None = None

    def terminal_text(self) -> str:
        """The whole reply as plain text, for a terminal."""
        if self.context is None:
            return self.text
        return render.turn_text(self.kind, self.context)


@dataclass
class _Settled:
    """A turn's facts as saved, and what went into them."""

    thread: ScopingThread
    known: Facts  # the facts before this turn, as the save found them
    facts: Facts
    applied: list[Accepted]
    refused: list[Rejected]
    decision: Decision | None
    problems: list[str]
    dropped: list[tuple[str, Any]]  # offline-read facts the extractor didn't confirm


class ThreadLocks:
    """One lock per thread: two messages of a thread are merged one after the other."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


def merge(
    facts: Facts,
    accepted: list[Accepted],
    prices: PriceSheet,
    *,
    set_by: dict[str, str] | None = None,
    message_ts: str | None = None,
) -> tuple[Facts, list[Accepted], list[Rejected]]:
    """Lay the accepted updates over the facts one by one; an update that breaks them is refused.

    Later updates of a field win (a correction in the same message), and each is validated
    against everything known, so one bad number can't take the good ones down with it.
    `set_by` (field -> ts of the message that set it) and `message_ts`: a message read after a
    later one (Slack delivered them out of order) doesn't overwrite what the later one said.
    """
    applied: dict[str, Accepted] = {}
    refused: list[Rejected] = []
    current = facts
    for update in accepted:
        setter = (set_by or {}).get(update.field)
        if setter and message_ts and ts_order(setter) > ts_order(message_ts):
            refused.append(
                Rejected(update.field, str(update.value), "a later message of yours says otherwise")
            )
            continue
        models = _models_named(update)
        if any(model not in prices.models for model in models):
            refused.append(
                Rejected(update.field, str(update.value), "the price sheet has no such model")
            )
            continue
        try:
            # other_baselines accumulate model by model (Facts.merged); the rest are replaced
            current = current.merged(Facts.model_validate({update.field: update.value}))
        except ValidationError as exc:
            problems = "; ".join(problems_from(exc))
            refused.append(Rejected(update.field, str(update.value), problems))
            continue
        applied[":".join([update.field, *models])] = update
    return current, list(applied.values()), refused


def _models_named(update: Accepted) -> list[str]:
    """The price-sheet models an update names: the frontier model, or another model's score."""
    if update.field == "frontier_model":
        return [str(update.value)]
    if update.field == "other_baselines" and isinstance(update.value, dict):
        return [str(model) for model in update.value]
    return []


def changes_between(before: Facts, after: Facts) -> list[Change]:
    """Facts that had a value and now have another (corrections), in schema order. A score of
    one more model (other_baselines) is something learned, not a correction."""
    old, new = before.known(), after.known()
    return [
        Change(name, old[name], new[name])
        for name in Facts.model_fields
        if name in old and name in new and _corrected(name, old[name], new[name])
    ]


def _corrected(name: str, old: Any, new: Any) -> bool:
    if name == "other_baselines":
        return any(new.get(model) != score for model, score in old.items())
    return old != new


class Conversation:
    """Scoping threads: stores each message, extracts its facts, decides, and says so."""

    def __init__(
        self,
        store: Store,
        extractor: Extractor,
        prices: Callable[[], PriceSheet],
        assumptions: Assumptions,
        turn_budget_s: float = 30.0,
        *,
        fallback: Extractor | None = None,
        cross_check: bool = False,
        today: dt.date | None = None,
    ) -> None:
        """`fallback`: reads a turn the extractor can't (reduced mode); once the extractor is
        back, it reads those messages again. `cross_check`: flag each number the extractor
        reports that the offline reader doesn't find for the same fact."""
        self.turn_budget_s = turn_budget_s
        self.store = store
        self.extractor = extractor
        self.fallback = fallback
        self.cross_check = cross_check
        # The offline extractor itself has nothing to re-read; any other reads those messages
        # again, whether or not it has a fallback now (a restart may have turned it off).
        self._rereads_offline = not getattr(extractor, "offline", False)
        self.prices = prices
        self.assumptions = assumptions
        self.today = today  # decide as on this date (FTSCOPE_TODAY); None: the system date
        self._locks = ThreadLocks()

    def take(self, turn: Turn) -> Reply | None:
        """The reply to a turn, or None when there is nothing to answer (see `admit`)."""
        return self.answer(turn) if self.admit(turn) else None

    def admit(self, turn: Turn) -> bool:
        """Whether to answer this turn: the first call for a message claims and stores it.

        False: a message in a thread the bot doesn't scope (not claimed, so an @mention of the
        same message can still start one), or one already claimed (a retry or a second
        delivery of the same message).
        """
        thread_id = self.store.threads.admit_message(
            key=turn.message_key,
            team_id=turn.team,
            channel_id=turn.channel,
            thread_ts=turn.thread_ts,
            user_id=turn.user,
            slack_ts=turn.ts,
            text=turn.text,
            may_start=turn.may_start,
        )
        return thread_id is not None

    def answer(self, turn: Turn) -> Reply:
        """Answer an admitted turn; turns of one thread are answered one at a time."""
        with self._locks.hold(f"{turn.team}:{turn.channel}:{turn.thread_ts}"):
            return self._answer(turn)

    def record_reply(self, reply: Reply, slack_ts: str) -> None:
        """Keep a reply Slack accepted, and the verdict the user has now seen."""
        shown = reply.decision.verdict.value if reply.decision is not None else None
        self.store.threads.record_bot_reply(reply.thread_id, slack_ts, reply.text, shown)

    def _answer(self, turn: Turn) -> Reply:
        thread = self.store.threads.find(turn.team, turn.channel, turn.thread_ts)
        if thread is None or thread.id is None:
            raise LookupError(f"turn {turn.message_key} was not admitted")
        messages = self.store.threads.messages(thread.id)
        known = Facts.model_validate(thread.facts)
        prices = self.prices()
        before = self._decide(known, prices)
        budget_s = self.turn_budget_s - (time.monotonic() - turn.received_at)
        if budget_s < MIN_EXTRACTION_S:
            log.warning("thread %s: %.1f s left of the turn after queueing", thread.id, budget_s)
            return self._outage(thread, known, busy=True)
        started = time.perf_counter()
        still_needed = before.missing if before else []
        # Messages the offline reader read in reduced mode, which the extractor now reads again:
        # what only they established is not shown to it as settled.
        pending = _unread(messages, turn.ts, reread_offline=self._rereads_offline)
        offline_read = {m.slack_ts for m in pending if m.extraction is not None}
        provisional = {f for f, ts in thread.fact_ts.items() if ts in offline_read}
        outcome = self._extract(
            messages,
            pending,
            thread_id=thread.id,
            known=Facts.model_validate(
                {k: v for k, v in known.known().items() if k not in provisional}
            ),
            needed=still_needed,
            budget_s=budget_s,
        )
        if outcome is None:
            return self._outage(thread, known)
        sent_text, extraction = outcome
        reread = offline_read if extraction.reduced is None else set()
        read = MessageRead(turn.ts, sent_text, extraction.raw_text)
        cost = self._record_usage(thread.id, extraction, prices)
        user_messages = [m.text for m in _up_to(messages, turn.ts)]
        checked = check_updates(extraction.updates, "\n".join(user_messages), sent_text)
        flagged = self._unconfirmed(extraction, checked.accepted, user_messages, still_needed)
        settled = self._settle(turn, thread, checked, prices, read, rereading=reread)
        thread, known, facts, applied = (
            settled.thread,
            settled.known,
            settled.facts,
            settled.applied,
        )
        decision, problems = settled.decision, settled.problems
        rejected = checked.rejected + settled.refused
        if decision is None:
            text, blocks = render.problem_reply(problems)
            return Reply(
                "problem",
                text,
                blocks,
                thread.id,
                None,
                applied,
                [],
                rejected,
                usage=extraction.usage,
                cost_usd=cost,
            )
        changes = changes_between(known, facts)
        new_facts = [a for a in applied if a.field not in {c.field for c in changes}]
        log.info(
            "thread %s: %d facts (+%d, %d corrected, %d refused), verdict %s in %.0f ms",
            thread.id,
            len(facts.known()),
            len(new_facts),
            len(changes),
            len(rejected),
            decision.verdict.value,
            (time.perf_counter() - started) * 1000,
        )
        # Against the verdict the user saw: a verdict whose post failed was never seen.
        shown = Verdict(thread.shown_verdict) if thread.shown_verdict else None
        context = render.TurnContext(
            decision=decision,
            learned=[(a.field, a.value, a.quote) for a in new_facts],
            changes=[(c.field, *_shown(c)) for c in changes],
            rejected=[(r.field, r.value, r.why) for r in rejected],
            previous_verdict=shown,
            assumptions=self.assumptions,
            notes=reading_notes(applied) + [_dropped_note(f, v) for f, v in settled.dropped],
            unconfirmed=[
                (a.field, show_value(a.field, a.value), a.quote)
                for a in applied
                if a.field in flagged
            ],
            reduced=extraction.reduced,
        )
        if decision.verdict is Verdict.need_info:
            kind: ReplyKind = "question"
        elif shown is decision.verdict and not applied and not changes:
            kind = "unchanged"
        else:
            kind = "verdict"
        text, blocks = render.turn_reply(kind, context)
        return Reply(
            kind,
            text,
            blocks,
            thread.id,
            decision,
            new_facts,
            changes,
            rejected,
            context,
            usage=extraction.usage,
            cost_usd=cost,
        )

    def _settle(
        self,
        turn: Turn,
        thread: ScopingThread,
        checked: Checked,
        prices: PriceSheet,
        read: MessageRead,
        *,
        rereading: set[str],
    ) -> _Settled:
        """Merge the turn's facts, decide and save, retrying over a fresher state when another
        process saved the thread meanwhile. Facts only the offline reader had read from the
        messages in `rereading` (slack ts) are dropped unless the extractor read them again."""
        for _attempt in range(SAVE_ATTEMPTS):
            known = Facts.model_validate(thread.facts)
            values = known.known()
            provisional = {f for f, ts in thread.fact_ts.items() if ts in rereading}
            base = Facts.model_validate({k: v for k, v in values.items() if k not in provisional})
            facts, applied, refused = merge(
                base, checked.accepted, prices, set_by=thread.fact_ts, message_ts=turn.ts
            )
            dropped = [
                (f, values[f])
                for f in sorted(provisional - {a.field for a in applied})
                if f in values
            ]
            kept = {f for f in thread.fact_ts if f not in {d for d, _ in dropped}}
            quotes = {f: q for f, q in thread.fact_quotes.items() if f in kept}
            quotes |= {a.field: a.quote for a in applied}
            set_by = {f: ts for f, ts in thread.fact_ts.items() if f in kept}
            set_by |= {a.field: turn.ts for a in applied}
            try:
                decision: Decision | None = decide(
                    facts, prices, self.assumptions, today=self.today
                )
                problems: list[str] = []
            except InputError as exc:
                decision, problems = None, exc.problems
            saved = self.store.threads.save_state(
                thread.id,
                facts.known(),
                decision.to_json() if decision else thread.last_decision,
                decision.verdict.value if decision else thread.last_verdict,
                "decided" if decision and decision.verdict is not Verdict.need_info else "open",
                fact_quotes=quotes,
                fact_ts=set_by,
                read=read,
                expect_updated_at=thread.updated_at,
            )
            if saved is not None:
                return _Settled(thread, known, facts, applied, refused, decision, problems, dropped)
            # Another process answered a message of this thread meanwhile: lay this turn's
            # facts over what it saved, not over what this one read before Claude's call.
            fresh = self.store.threads.find(turn.team, turn.channel, turn.thread_ts)
            assert fresh is not None and fresh.id is not None
            thread = fresh
        raise RuntimeError(f"thread {thread.id}: kept changing while this turn saved")

    def _extract(
        self,
        messages: list[ThreadMessage],
        pending: list[ThreadMessage],
        *,
        thread_id: int,
        known: Facts,
        needed: list[str],
        budget_s: float,
    ) -> tuple[str, Extraction] | None:
        """The text this turn reads and what the extractor (or in reduced mode the fallback)
        made of it; None when neither could read it. `pending`: the messages the extractor
        hasn't read, this turn's last (see `_unread`)."""
        sent_text = _joined(pending)
        try:
            return sent_text, self.extractor.extract(
                _history(messages, skip_offline=self._rereads_offline),
                sent_text,
                known,
                needed,
                budget_s=budget_s,
            )
        except ExtractorUnavailable as exc:
            log.warning("thread %s: extractor unavailable: %s", thread_id, exc)
            if self.fallback is None:
                return None
        # Reduced mode: only what nobody has read, so Claude's re-reads stay Claude's to do.
        sent_text = _joined(_unread(messages, pending[-1].slack_ts))
        try:
            extraction = self.fallback.extract([], sent_text, known, needed)
        except Exception:  # the outage reply then, with the facts kept
            log.exception("thread %s: the offline reader failed too", thread_id)
            return None
        return sent_text, dataclasses.replace(extraction, reduced="outage")

    def _unconfirmed(
        self,
        extraction: Extraction,
        accepted: list[Accepted],
        user_messages: list[str],
        asked: list[str],
    ) -> set[str]:
        """The facts whose number the offline reader doesn't find in the user's words."""
        if not self.cross_check or extraction.reduced is not None:
            return set()
        try:
            flagged = {a.field for a in unconfirmed(accepted, user_messages, asked)}
        except Exception:  # a check that fails must not cost the turn its facts
            log.exception("the offline check failed; the numbers go unchecked this turn")
            return set()
        if flagged:
            log.warning("the offline check can't confirm %s", ", ".join(sorted(flagged)))
        return flagged

    def _decide(self, facts: Facts, prices: PriceSheet) -> Decision | None:
        try:
            return decide(facts, prices, self.assumptions, today=self.today)
        except InputError:
            return None

    def _record_usage(
        self, thread_id: int, extraction: Extraction, prices: PriceSheet
    ) -> float | None:
        usage = extraction.usage
        if usage is None:
            return None
        cost = usage.cost_usd(prices)
        if cost is None:
            log.warning(
                "thread %s: no price for %s; its cost is recorded as 0", thread_id, usage.model
            )
        self.store.usage.record(
            thread_id=thread_id,
            model=usage.model,
            input_tokens=usage.input_tokens,
            cache_creation_input_tokens=usage.cache_creation_input_tokens,
            cache_read_input_tokens=usage.cache_read_input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=cost or 0.0,
            latency_ms=usage.latency_ms,
        )
        if usage.input_tokens + usage.cache_read_input_tokens > 0 and not (
            usage.cache_read_input_tokens or usage.cache_creation_input_tokens
        ):
            # Caching fails silently below a model's minimum prefix: this is the only sign.
            log.warning("thread %s: nothing cached on a %s call", thread_id, usage.model)
        return cost

    def busy(self, turn: Turn) -> Reply:
        """The reply to an admitted turn the bot can't get to in time: its facts are kept, and
        the next message reads this one too."""
        thread = self.store.threads.find(turn.team, turn.channel, turn.thread_ts)
        if thread is None or thread.id is None:
            raise LookupError(f"turn {turn.message_key} was not admitted")
        return self._outage(thread, Facts.model_validate(thread.facts), busy=True)

    def _outage(self, thread: ScopingThread, known: Facts, busy: bool = False) -> Reply:
        assert thread.id is not None
        text, blocks = render.outage_reply(len(known.known()), busy)
        return Reply("busy" if busy else "outage", text, blocks, thread.id)


def _shown(change: Change) -> tuple[str, str]:
    return show_value(change.field, change.old), show_value(change.field, change.new)


def _history(messages: list[ThreadMessage], *, skip_offline: bool = False) -> list[Exchange]:
    return [
        Exchange(m.extracted_text, m.extraction)
        for m in messages
        if m.role == "user"
        and m.extracted_text is not None
        and m.extraction is not None
        and not (skip_offline and is_offline_read(m.extraction))
    ]


def _unread(
    messages: list[ThreadMessage], newest_ts: str, *, reread_offline: bool = False
) -> list[ThreadMessage]:
    """The newest message and the earlier ones the extractor hasn't read (an outage's, or
    with `reread_offline` those the offline reader read in reduced mode)."""
    unread: list[ThreadMessage] = []
    for message in _up_to(messages, newest_ts):
        if message.extraction is not None and not (
            reread_offline and is_offline_read(message.extraction)
        ):
            unread = []
        else:
            unread.append(message)
    return unread


def _joined(messages: list[ThreadMessage]) -> str:
    """Messages as one text for the extractor, oldest first."""
    return "\n\n".join(m.text for m in messages)


def _dropped_note(field: str, value: object) -> str:
    return (
        f"dropped {FIELD_LABELS.get(field, field)} {show_value(field, value)}, which only my "
        "patterns had read: Claude, reading that message again, didn't find it"
    )


def _up_to(messages: list[ThreadMessage], newest_ts: str) -> list[ThreadMessage]:
    """The user's messages up to this turn's: later ones, already stored, wait their turn."""
    users = [m for m in messages if m.role == "user"]
    end = next(i for i, m in enumerate(users) if m.slack_ts == newest_ts)
    return users[: end + 1]
