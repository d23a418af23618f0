"""One scoping turn, from a user's message to the bot's reply; the same for Slack and a terminal.

The order of the steps is what keeps a thread's facts safe: the user's message is stored before
anything can fail, the facts are saved before the reply is posted, and an extractor outage
changes nothing but the reply. The next message then picks up the unanswered ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.extraction import Extraction, Extractor, ExtractorUnavailable, ExtractRequest, Usage
from bot.offline import is_offline_read
from bot.outcome import Change, Outcome, OutcomeKind
from bot.prompt import Exchange
from bot.storage import MessageRead, ScopingThread, Store, ThreadMessage, ThreadStatus
from bot.storage.database import utcnow
from bot.storage.threads import ts_order
from bot.wording import show_value
from knowledge import Assumptions, Decision, Facts, PriceSheet, Verdict
from knowledge.clashes import Fitted, decide_setting_aside
from knowledge.crosscheck import unconfirmed
from knowledge.errors import problems_from
from knowledge.facts import facts_named
from knowledge.intents import Command, Intent
from knowledge.provenance import Accepted, Rejected, check_updates
from knowledge.reader.intent import read_intent, read_what_if, workload_described
from knowledge.reader.reading import read_message
from knowledge.reader.unknowns import check_unknowns, said_unknown
from knowledge.reading_notes import reading_notes

log = logging.getLogger(__name__)

# Saving a turn's facts when another process keeps saving the same thread: retries.
SAVE_ATTEMPTS = 5
# Below this, a Claude call can't finish in what is left of the turn: say so instead.
MIN_EXTRACTION_S = 2.0

# NUL (PostgreSQL text can't hold it), invisible characters that split "20\u200bM", and the
# bidirectional overrides that would reorder the bot's own line around an echoed quote. The
# zero-width joiner stays: emoji sequences (a family) are built with it.
_INVISIBLE = dict.fromkeys(
    map(ord, "\x00\u200b\u200c\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def clean_text(text: str) -> str:
    """A message as the bot reads and stores it: Unicode-normalised, nothing invisible."""
    return unicodedata.normalize("NFC", text.translate(_INVISIBLE))


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
    # Whether the bot was spoken to (a mention, a DM, a reply in its thread) rather than
    # overheard: only then does talk that isn't for it get a reaction.
    addressed: bool = True
    # An edit ("edited", `text` the new text) or deletion ("deleted") of the message `ts`.
    revision: str | None = None
    # A top-level message of a DM: it may continue the DM's open scoping (see `route_dm`),
    # and its reply is posted in the DM, not in a thread under it.
    in_dm: bool = False
    # How a DM message was routed: "continued" the open scoping, or "new" (its first message).
    routed: str | None = None
    # When the bot received it: the time a turn waits for a worker counts against its budget.
    received_at: float = field(default_factory=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clean_text(self.text))

    @property
    def thread_key(self) -> str:
        """The thread this turn belongs to: its lock, and its queue in the Slack edge."""
        return f"{self.team}:{self.channel}:{self.thread_ts}"

    @property
    def message_key(self) -> str:
        # One key for a message however it arrives: Slack's retries, and an @mention in a
        # thread delivered as both `app_mention` and `message`, all share it. An edit's key is
        # its new text's: a retry shares it, a second edit doesn't.
        if self.revision is not None:
            digest = hashlib.sha256(self.text.encode()).hexdigest()[:16]
            return f"{self.revision}:{self.team}:{self.channel}:{self.ts}:{digest}"
        return f"message:{self.team}:{self.channel}:{self.ts}"


@dataclass(frozen=True)
class Loaded:
    """A thread as a turn finds it: its messages, its facts, and the decision they give."""

    thread: ScopingThread
    messages: list[ThreadMessage]
    known: Facts
    prices: PriceSheet
    decision: Decision | None


@dataclass(frozen=True)
class Backed:
    """A turn's updates against the user's words."""

    accepted: list[Accepted]
    rejected: list[Rejected]  # with why
    unknown: dict[str, str]  # facts the words say nobody knows, and those words
    flagged: set[str]  # facts whose number the offline cross-check can't find in the words


@dataclass(frozen=True)
class Settled:
    """A turn's facts as saved, and what went into them."""

    thread: ScopingThread
    known: Facts  # the facts before this turn, as the save found them
    facts: Facts
    applied: list[Accepted]
    refused: list[Rejected]
    decided: Fitted
    dropped: list[tuple[str, Any]]  # offline-read facts the extractor didn't confirm
    cleared: list[tuple[str, Any]] = field(default_factory=list)  # made unknown: (field, was)
    displaced: list[Displaced] = field(default_factory=list)  # older facts a newer one clashed with


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
) -> tuple[Facts, list[Accepted], list[Rejected], list[Displaced]]:
    """Lay the accepted updates over the facts: first the message's own, one by one, then over
    the older facts. An update that breaks them is refused alone.

    Later updates of a field win (a correction in the same message), and each is validated,
    so one bad number can't take the good ones down with it. A value
    that breaks a rule between two facts ("the cached prefix is part of the input") is the
    newest word: the older fact it clashes with is displaced (made unknown, and the reply asks
    which is right). `set_by` (field -> ts of the message that set it) and `message_ts`: a
    message read after a later one (Slack delivered them out of order) doesn't overwrite what
    the later one said.
    """
    applied: dict[str, Accepted] = {}
    refused: list[Rejected] = []
    displaced: list[Displaced] = []

    def later(field: str) -> bool:
        setter = (set_by or {}).get(field)
        return bool(setter and message_ts and ts_order(setter) > ts_order(message_ts))

    # The message's own figures first, against each other: of two that clash, the first stands
    # (neither is newer) and the other is asked about.
    said = Facts()
    for update in accepted:
        if later(update.field):
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
            said = said.merged(Facts.model_validate({update.field: update.value}))
        except ValidationError as exc:
            problems = problems_from(exc)
            why = _clash(_clashing(update.field, problems, said), problems, said)
            refused.append(Rejected(update.field, str(update.value), why or "; ".join(problems)))
            continue
        applied[":".join([update.field, *models])] = update
    # Then over the older facts. An older fact they clash with is displaced: the message is
    # the newest word. One a later message gave stands, and the message's figure is refused.
    current = _without(facts, set(said.known()) - {"other_baselines"})
    for _attempt in range(len(Facts.model_fields)):  # each round settles one clash at least
        try:
            current = current.merged(said)
            break
        except ValidationError as exc:
            problems = problems_from(exc)
            named = set(facts_named(" ".join(problems)))
            mine = [f for f in said.known() if f in named]
            older = [f for f in current.known() if f in named and f not in mine]
            if older and not any(later(f) for f in older):
                known = current.known()
                displaced += [Displaced(f, known[f], problems[0]) for f in older]
                current = _without(current, set(older))
                continue
            mine = mine or list(said.known())  # no fact named: none of the message can stand
            why = _clash(older, problems, current) or "; ".join(problems)
            values = said.known()
            refused += [Rejected(f, show_value(f, values[f]), why) for f in mine]
            said = _without(said, set(mine))
            applied = {k: a for k, a in applied.items() if a.field not in mine}
    return current, list(applied.values()), refused, displaced


@dataclass(frozen=True)
class Displaced:
    """An older fact a newer one clashed with, made unknown: `problem` says how they clash."""

    field: str
    value: Any
    problem: str


def _clashing(field: str, problems: list[str], facts: Facts) -> list[str]:
    """The other known facts a value's problems name: the facts it clashes with."""
    known = facts.known()
    return [name for name in facts_named(" ".join(problems)) if name != field and name in known]


def _clash(others: list[str], problems: list[str], facts: Facts) -> str | None:
    """Why a value that clashes with facts the same or a later message gave is left out,
    asking which is right; None when it clashes with none."""
    if not others:
        return None
    known = facts.known()
    text = "; ".join(p.replace(": ", " ", 1) for p in problems)
    held = " and ".join(f"{name} = {show_value(name, known[name])}" for name in others)
    return (
        f"it doesn't fit the {held} I have ({text}). Which one is right? "
        "Correct the wrong one and I'll redo the math"
    )


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
    """Scoping threads: stores each message, extracts its facts, decides, and says what changed.

    A turn is five steps, each a method: `load` the thread, `extract` the facts of the
    messages nobody has read, `check` them against the user's words, `settle` them over the
    thread's facts (and `decide`) in one save, then the `Outcome` the edges word.
    """

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

    def take(self, turn: Turn) -> Outcome | None:
        """The outcome of a turn, or None when there is nothing to answer (see `admit`)."""
        admitted = self.admit(turn)
        return self.answer(admitted) if admitted is not None else None

    def route_dm(self, turn: Turn) -> Turn:
        """A top-level DM message continues the DM's open scoping when it answers, asks about
        or corrects it; a message that describes another workload starts a new one."""
        open_thread = self.store.threads.latest_open(turn.team, turn.channel)
        if open_thread is None or open_thread.thread_ts == turn.ts:
            return turn  # the DM's first scoping: nothing to tell apart
        stale = utcnow() - open_thread.updated_at > DM_SCOPING_GOES_STALE
        if stale or _new_request(turn.text, Facts.model_validate(open_thread.facts)):
            return dataclasses.replace(turn, routed="new")
        return dataclasses.replace(turn, thread_ts=open_thread.thread_ts, routed="continued")

    def admit(self, turn: Turn) -> Turn | None:
        """The turn to answer, as admitted (a DM message routed to its scoping), or None.

        The first call for a message claims and stores it. None: a message in a thread the
        bot doesn't scope (not claimed, so an @mention of the same message can still start
        one), or one already claimed (a retry or a second delivery of the same message).
        """
        if turn.revision is not None:  # the message is stored already, or was never read
            known = self.store.threads.find(turn.team, turn.channel, turn.thread_ts)
            claimed = known is not None and self.store.threads.claim(turn.message_key)
            return turn if claimed else None
        if turn.in_dm:
            turn = self.route_dm(turn)
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
        return turn if thread_id is not None else None

    def answer(self, turn: Turn) -> Outcome | None:
        """Answer an admitted turn; turns of one thread are answered one at a time. None: an
        edit or deletion with nothing to say (see `revise`)."""
        if turn.revision is not None:
            return self.revise(turn, deleted=turn.revision == "deleted")
        with self._locks.hold(turn.thread_key):
            outcome = self._answer(turn)
        return dataclasses.replace(outcome, routed=turn.routed) if turn.routed else outcome

    def revise(self, turn: Turn, *, deleted: bool = False) -> Outcome | None:
        """A message of a scoped thread edited (`turn.text` its new text) or deleted in Slack:
        read again as a correction of what it said. Facts it gave that it no longer states
        are withdrawn (unless a later message gave them too). None when the bot never read
        that message, or a deleted one had given no fact."""
        with self._locks.hold(turn.thread_key):
            # The workload the message was read into: an earlier one's, after "new workload".
            holding = self.store.threads.holding(turn.team, turn.channel, turn.thread_ts, turn.ts)
            loaded = self._loaded(holding)
            if loaded is None or loaded.thread.id is None:
                return None
            said = {f for f, ts in loaded.thread.fact_ts.items() if ts == turn.ts}
            if deleted and not said:
                return None
            text = "" if deleted else turn.text
            if not self.store.threads.revise_message(loaded.thread.id, turn.ts, text):
                return None
            loaded = self._loaded(self.store.threads.get(loaded.thread.id))
            assert loaded is not None
            if deleted:
                read = MessageRead(turn.ts, None, json.dumps({"handled": "deleted"}))
                settled = self.settle(loaded, turn.ts, [], read, cleared=frozenset(said))
                outcome = self._outcome(settled, [])
            else:
                outcome = self._read_facts(loaded, turn, withdrawn=frozenset(said))
                # What the edited text still says as before is no news: only what moved.
                before = outcome.before.known()
                learned = [a for a in outcome.learned if before.get(a.field) != a.value]
                outcome = dataclasses.replace(outcome, learned=learned)
            return dataclasses.replace(
                outcome,
                revised="deleted" if deleted else "edited",
                earlier_workload=set_aside_number(loaded.thread),
            )

    def record_reply(self, outcome: Outcome, slack_ts: str, text: str) -> None:
        """Keep a reply Slack accepted (`text`: what it said), and the verdict the user has
        now seen."""
        decision = outcome.decision
        # A what-if's verdict is a hypothesis: the thread's own verdict is the one still shown.
        hypothetical = outcome.kind is OutcomeKind.what_if
        shown = decision.verdict.value if decision is not None and not hypothetical else None
        self.store.threads.record_bot_reply(outcome.thread_id, slack_ts, text, shown)

    def busy(self, turn: Turn) -> Outcome:
        """The outcome of an admitted turn the bot can't get to in time: its facts are kept,
        and the next message reads this one too."""
        loaded = self.load(turn)
        return self._unread_outcome(loaded, OutcomeKind.busy)

    # -- the steps of a turn ------------------------------------------------------------

    def load(self, turn: Turn) -> Loaded:
        """The thread of an admitted turn, its messages and facts, and what they decide."""
        loaded = self.load_thread(turn.team, turn.channel, turn.thread_ts)
        if loaded is None:
            raise LookupError(f"turn {turn.message_key} was not admitted")
        return loaded

    def load_thread(
        self, team: str, channel: str, thread_ts: str, workload_id: int | None = None
    ) -> Loaded | None:
        """A scoping thread as it stands (`workload_id`: that workload of it, not its
        current one); None if the bot doesn't scope that thread (or has no such workload)."""
        return self._loaded(self.store.threads.find(team, channel, thread_ts, workload_id))

    def _loaded(self, thread: ScopingThread | None) -> Loaded | None:
        if thread is None or thread.id is None:
            return None
        known = Facts.model_validate(thread.facts)
        prices = self.prices()
        decision = self.decide(known, prices).decision
        return Loaded(thread, self.store.threads.messages(thread.id), known, prices, decision)

    def amend(
        self,
        team: str,
        channel: str,
        thread_ts: str,
        values: dict[str, Any],
        *,
        said: str,
        workload_id: int | None = None,
    ) -> Outcome:
        """Set facts without a message to read (a form's numbers, a what-if the user keeps):
        each value replaces the fact's, None makes it unknown. `said`: where the values came
        from, kept as their quote ("in the form, by <@U1>"). `workload_id`: that workload of
        the thread (a form opened from an earlier workload's verdict), not its current one.
        LookupError for a thread the bot doesn't scope."""
        with self._locks.hold(f"{team}:{channel}:{thread_ts}"):
            loaded = self.load_thread(team, channel, thread_ts, workload_id)
            if loaded is None:
                raise LookupError(f"no scoping thread {team}:{channel}:{thread_ts}")
            return self._amend(loaded, values, said=said)

    def _amend(self, loaded: Loaded, values: dict[str, Any], *, said: str) -> Outcome:
        accepted = [Accepted(f, v, said) for f, v in values.items() if v is not None]
        cleared = frozenset(f for f, v in values.items() if v is None)
        # A Slack-style ts after every message of the thread (a Slack ts may be ahead of this
        # machine's clock): later messages still win over these values, earlier ones don't.
        newest = max((float(m.slack_ts) for m in loaded.messages), default=0.0)
        now_ts = f"{max(time.time(), newest) + 0.000001:.6f}"
        settled = self.settle(loaded, now_ts, accepted, None, cleared=cleared)
        outcome = self._outcome(settled, settled.refused)
        return dataclasses.replace(outcome, earlier_workload=set_aside_number(loaded.thread))

    def extract(
        self, loaded: Loaded, turn: Turn, *, budget_s: float
    ) -> tuple[str, Extraction, set[str]] | None:
        """The text this turn reads, what the extractor (or in reduced mode the fallback) made
        of it, and the offline-read messages (slack ts) it read again; None when neither could
        read it."""
        # Messages the offline reader read in reduced mode, which the extractor now reads again:
        # what only they established is not shown to it as settled.
        pending = _unread(loaded.messages, turn.ts, reread_offline=self._rereads_offline)
        rereading = {m.slack_ts for m in pending if m.extraction is not None}
        settled = _without(loaded.known, _provisional(loaded.thread, rereading))
        needed = loaded.decision.missing if loaded.decision else []
        sent_text = _joined(pending)
        try:
            extraction = self.extractor.extract(
                ExtractRequest(
                    sent_text,
                    settled,
                    needed,
                    _history(loaded.messages, skip_offline=self._rereads_offline),
                    budget_s,
                )
            )
            return sent_text, extraction, rereading
        except ExtractorUnavailable as exc:
            log.warning("thread %s: extractor unavailable: %s", loaded.thread.id, exc)
            if self.fallback is None:
                return None
        # Reduced mode: only what nobody has read, so Claude's re-reads stay Claude's to do.
        sent_text = _joined(_unread(loaded.messages, pending[-1].slack_ts))
        try:
            extraction = self.fallback.extract(ExtractRequest(sent_text, settled, needed))
        except Exception:  # the outage reply then, with the facts kept
            log.exception("thread %s: the offline reader failed too", loaded.thread.id)
            return None
        return sent_text, dataclasses.replace(extraction, reduced="outage"), set()

    def check(self, loaded: Loaded, turn: Turn, sent_text: str, extraction: Extraction) -> Backed:
        """The updates the user's words back (the others refused, with why), the facts they
        say nobody knows, and the facts whose number the offline cross-check can't find."""
        user_messages = [m.text for m in _up_to(loaded.messages, turn.ts)]
        words = "\n".join(user_messages)
        values, unknown = said_unknown(extraction.updates)
        checked = check_updates(values, words, sent_text)
        unknowns = check_unknowns(unknown, sent_text)  # this turn's words: an old hedge is old
        asked = loaded.decision.missing if loaded.decision else []
        return Backed(
            checked.accepted,
            checked.rejected + unknowns.rejected,
            unknowns.cleared,
            self._unconfirmed(extraction, checked.accepted, user_messages, asked),
        )

    def settle(
        self,
        loaded: Loaded,
        ts: str,
        accepted: list[Accepted],
        read: MessageRead | None,
        *,
        rereading: set[str] = frozenset(),  # type: ignore[assignment]
        cleared: frozenset[str] = frozenset(),
    ) -> Settled:
        """Merge facts said at `ts` (a message's, or the time of a form's submission), decide
        and save, retrying over a fresher state when another process saved the thread
        meanwhile. Facts only the offline reader had read from the messages in `rereading`
        (slack ts) are dropped unless the extractor read them again; `cleared` facts become
        unknown."""
        thread = loaded.thread
        for _attempt in range(SAVE_ATTEMPTS):
            known = Facts.model_validate(thread.facts)
            values = known.known()
            provisional = _provisional(thread, rereading)
            # Taking a fact back is news only against what it was before: a figure a later
            # message gave (Slack delivered this one late) stands.
            cleared = frozenset(
                f for f in cleared if ts_order(thread.fact_ts.get(f, "0")) <= ts_order(ts)
            )
            base = _without(known, provisional | cleared)
            facts, applied, refused, displaced = merge(
                base, accepted, loaded.prices, set_by=thread.fact_ts, message_ts=ts
            )
            dropped = [
                (f, values[f])
                for f in sorted(provisional - {a.field for a in applied})
                if f in values
            ]
            gone = {d for d, _ in dropped} | (cleared - {a.field for a in applied})
            gone |= {d.field for d in displaced}
            kept = {f for f in thread.fact_ts if f not in gone}
            quotes = {f: q for f, q in thread.fact_quotes.items() if f in kept}
            quotes |= {a.field: a.quote for a in applied}
            set_by = {f: at for f, at in thread.fact_ts.items() if f in kept}
            set_by |= {a.field: ts for a in applied}
            decided = self.decide(facts, loaded.prices)
            decision = decided.decision
            saved = self.store.threads.save_state(
                thread.id,
                facts.known(),
                decision.to_json() if decision else thread.last_decision,
                decision.verdict.value if decision else thread.last_verdict,
                _status(thread, decision),
                fact_quotes=quotes,
                fact_ts=set_by,
                read=read,
                expect_updated_at=thread.updated_at,
                # what "undo" puts back: the facts as they were before this change
                previous_state=_state_of(thread) if facts.known() != values else None,
            )
            if saved is not None:
                unset = [(f, values[f]) for f in sorted(cleared) if f in values]
                unset += [(d.field, d.value) for d in displaced]
                return Settled(
                    thread, known, facts, applied, refused, decided, dropped, unset, displaced
                )
            # Another process answered a message of this thread meanwhile: lay this turn's
            # facts over what it saved, not over what this one read before Claude's call.
            fresh = self.store.threads.get(thread.id)  # this workload, even if closed since
            assert fresh is not None and fresh.id is not None
            thread = fresh
        raise RuntimeError(f"thread {thread.id}: kept changing while this turn saved")

    def decide(self, facts: Facts, prices: PriceSheet) -> Fitted:
        """The decision on the facts; facts that clash are set aside (and said), so one bad
        figure never blocks the rest of the thread."""
        return decide_setting_aside(facts, prices, self.assumptions, today=self.today)

    # -- a turn, step by step -----------------------------------------------------------

    def _answer(self, turn: Turn) -> Outcome:
        loaded = self.load(turn)
        # Earlier messages the extractor still has to read (an outage's, reduced mode's) go to
        # it with this one, whatever this one is.
        pending = _unread(loaded.messages, turn.ts, reread_offline=self._rereads_offline)
        if len(pending) == 1:
            handled = self._answer_without_extractor(loaded, turn)
            if handled is not None:
                return handled
        return self._read_facts(loaded, turn)

    def _answer_without_extractor(self, loaded: Loaded, turn: Turn) -> Outcome | None:
        """A message that asks rather than tells (a question, a what-if, a command, talk for
        someone else) is answered by code from the decision, with no extractor call; None
        for a message with facts to read."""
        if KEEP_WHAT_IF.match(turn.text):
            kept = self._keep_what_if(loaded, turn)
            if kept is not None:
                return kept
        intent = read_intent(turn.text, addressed=turn.addressed)
        if intent.intent is Intent.facts:
            return None
        thread_id = loaded.thread.id
        assert thread_id is not None
        base = _unchanged(loaded)
        handled: dict[str, Any] = {"handled": intent.intent.value}
        outcome: Outcome
        if intent.intent is Intent.chatter:
            outcome = self._quiet(loaded, base)
        elif intent.intent is Intent.question:
            assert intent.topic is not None
            outcome = Outcome(
                OutcomeKind.answer, decision=loaded.decision, topic=intent.topic, **base
            )
        elif intent.intent is Intent.what_if:
            values = read_what_if(turn.text, loaded.known)
            if not values:
                return None  # nothing code can suppose: let the extractor read it as facts
            handled["values"] = values
            outcome = self._what_if(loaded, values, base)
        elif intent.command is Command.new_workload:
            return self._new_workload(loaded, turn)  # the message moves to the new workload
        else:
            assert intent.command is not None
            handled["command"] = intent.command.value
            command = self._command(loaded, turn, intent.command, base)
            if command is None:
                return None
            outcome = command
        self.store.threads.mark_read(thread_id, MessageRead(turn.ts, None, json.dumps(handled)))
        log.info("thread %s: %s answered without the extractor", thread_id, outcome.kind.value)
        return outcome

    def _what_if(self, loaded: Loaded, values: dict[str, Any], base: dict[str, Any]) -> Outcome:
        changes = [
            Change(f, loaded.known.known().get(f), v)
            for f, v in values.items()
            if loaded.known.known().get(f) != v
        ]
        try:
            supposed = loaded.known.merged(Facts.model_validate(values))
        except ValidationError as exc:
            return Outcome(
                OutcomeKind.what_if, changes=changes, problems=problems_from(exc), **base
            )
        decided = self.decide(supposed, loaded.prices)
        return Outcome(
            OutcomeKind.what_if,
            decision=decided.decision,
            changes=changes,
            problems=decided.problems,
            **base,
        )

    def _command(
        self, loaded: Loaded, turn: Turn, command: Command, base: dict[str, Any]
    ) -> Outcome | None:
        if command is Command.help:
            return Outcome(OutcomeKind.help, **base)
        if command is Command.show_facts:
            return Outcome(OutcomeKind.facts_list, decision=loaded.decision, **base)
        if command is Command.client_summary:
            return Outcome(OutcomeKind.summary, decision=loaded.decision, **base)
        if command is Command.start_over:
            cleared = frozenset(loaded.known.known())
            settled = self.settle(loaded, turn.ts, [], None, cleared=cleared)
            return Outcome(
                OutcomeKind.started_over,
                base["thread_id"],
                settled.known,
                settled.facts,
                decision=settled.decided.decision,
            )
        if command is Command.undo:
            return self._undo(loaded, base)
        return None  # a new workload: `_new_workload`

    def _new_workload(self, loaded: Loaded, turn: Turn) -> Outcome:
        """Set the thread's workload aside as it is (its verdict kept, the digest still covers
        it) and scope the next one in the same Slack thread, from no facts; what the message
        says of it after "new workload:" is its first description."""
        thread_id = loaded.thread.id
        assert thread_id is not None
        fresh = self.store.threads.start_workload(thread_id, turn.ts, turn.user)
        started = self.load(turn)
        workload = {"workload": fresh.workload, "previous_decision": loaded.decision}
        unread = False  # Claude couldn't read the description: the next message reads it too
        if workload_described(turn.text):
            read = self._read_facts(started, turn)
            if read.kind in _READ_AS_FACTS:
                return dataclasses.replace(read, **workload)
            unread = read.kind in (OutcomeKind.outage, OutcomeKind.busy)
        assert fresh.id is not None
        if not unread:
            handled = {"handled": Intent.command.value, "command": Command.new_workload.value}
            self.store.threads.mark_read(fresh.id, MessageRead(turn.ts, None, json.dumps(handled)))
        return Outcome(
            OutcomeKind.new_workload, decision=started.decision, **_unchanged(started), **workload
        )

    def _undo(self, loaded: Loaded, base: dict[str, Any]) -> Outcome:
        """Put the facts back as they were before their last change (again: redo)."""
        thread = loaded.thread
        previous = thread.previous_state
        if not previous:
            return Outcome(OutcomeKind.nothing_to_undo, decision=loaded.decision, **base)
        facts = Facts.model_validate(previous.get("facts") or {})
        decided = self.decide(facts, loaded.prices)
        decision = decided.decision
        saved = self.store.threads.save_state(
            thread.id or 0,
            facts.known(),
            decision.to_json() if decision else thread.last_decision,
            decision.verdict.value if decision else thread.last_verdict,
            _status(thread, decision),
            fact_quotes=previous.get("fact_quotes") or {},
            fact_ts=previous.get("fact_ts") or {},
            expect_updated_at=thread.updated_at,
            previous_state=_state_of(thread),
        )
        if saved is None:
            raise RuntimeError(f"thread {thread.id}: changed while undoing")
        settled = Settled(saved, loaded.known, facts, [], [], decided, [])
        cleared = [(f, v) for f, v in loaded.known.known().items() if f not in facts.known()]
        settled = dataclasses.replace(settled, cleared=cleared)
        outcome = self._outcome(settled, [])
        back = [
            Change(f, None, v) for f, v in facts.known().items() if f not in loaded.known.known()
        ]
        return dataclasses.replace(outcome, changes=outcome.changes + back, revised="undone")

    def _keep_what_if(self, loaded: Loaded, turn: Turn) -> Outcome | None:
        """ "use that": the thread takes the values of the last what-if as its facts."""
        for message in reversed(_up_to(loaded.messages, turn.ts)[:-1]):
            handled = _handled(message.extraction)
            if handled is None:
                if message.extraction is not None:
                    return None  # facts came after the what-if: "that" is not it any more
                continue
            if handled.get("handled") != Intent.what_if.value:
                continue
            values = handled.get("values") or {}
            said = f"the what-if “{message.text}”"
            self.store.threads.mark_read(
                loaded.thread.id or 0, MessageRead(turn.ts, None, json.dumps({"handled": "keep"}))
            )
            return self._amend(loaded, values, said=said)  # the turn holds the thread's lock
        return None

    def _read_facts(
        self, loaded: Loaded, turn: Turn, *, withdrawn: frozenset[str] = frozenset()
    ) -> Outcome:
        """The extractor's reading of the turn, settled. `withdrawn`: facts the message gave
        before it was edited, made unknown unless the new text states them again."""
        budget_s = self.turn_budget_s - (time.monotonic() - turn.received_at)
        if budget_s < MIN_EXTRACTION_S:
            log.warning(
                "thread %s: %.1f s left of the turn after queueing", loaded.thread.id, budget_s
            )
            return self._unread_outcome(loaded, OutcomeKind.busy)
        started = time.perf_counter()
        extracted = self.extract(loaded, turn, budget_s=budget_s)
        if extracted is None:
            return self._unread_outcome(loaded, OutcomeKind.outage)
        sent_text, extraction, rereading = extracted
        cost = self._record_usage(loaded.thread.id, extraction, loaded.prices)
        checked = self.check(loaded, turn, sent_text, extraction)
        if sent_text == turn.text and not rereading and not withdrawn:  # it may only ask
            asked = self._asked(loaded, turn, extraction, checked)
            if asked is not None:
                return dataclasses.replace(asked, usage=extraction.usage, cost_usd=cost)
        read = MessageRead(turn.ts, sent_text, extraction.raw_text)
        restated = {a.field for a in checked.accepted}
        settled = self.settle(
            loaded,
            turn.ts,
            checked.accepted,
            read,
            rereading=rereading,
            cleared=(withdrawn | checked.unknown.keys()) - restated,
        )
        outcome = self._outcome(
            settled,
            checked.rejected + settled.refused,
            flagged=checked.flagged,
            reduced=extraction.reduced,
            reduced_before=_read_offline_last(loaded.messages, turn.ts),
            usage=extraction.usage,
            cost_usd=cost,
            started=started,
        )
        before = outcome.before.known()  # as saved over: another process may have moved it
        unknown = [f for f in checked.unknown if f not in restated and f not in before]
        return dataclasses.replace(outcome, unknown=unknown) if unknown else outcome

    def _asked(
        self, loaded: Loaded, turn: Turn, extraction: Extraction, checked: Backed
    ) -> Outcome | None:
        """A message the keywords read as facts but the extractor as a question, a what-if or
        chatter: answered as such (its updates, for a what-if, supposed and not kept)."""
        intent = extraction.intent
        if intent is None or intent.intent in (Intent.facts, Intent.command):
            return None
        thread_id = loaded.thread.id
        assert thread_id is not None
        base = _unchanged(loaded)
        handled: dict[str, Any] = {"handled": intent.intent.value, "by": "extractor"}
        if intent.intent is Intent.what_if:
            values = {a.field: a.value for a in checked.accepted}
            if not values:
                return None
            handled["values"] = values
            outcome = self._what_if(loaded, values, base)
        elif checked.accepted or checked.unknown:
            return None  # it asks, but it also tells: the facts are kept, as facts
        elif intent.intent is Intent.question:
            outcome = Outcome(
                OutcomeKind.answer, decision=loaded.decision, topic=intent.topic, **base
            )
        else:
            outcome = self._quiet(loaded, base)
        self.store.threads.mark_read(thread_id, MessageRead(turn.ts, None, json.dumps(handled)))
        return outcome

    @staticmethod
    def _quiet(loaded: Loaded, base: dict[str, Any]) -> Outcome:
        """Nothing to say to talk that isn't for the bot, unless the thread's verdict never
        reached the user (Slack refused its post): then it is shown now."""
        decision = loaded.decision
        if (
            decision is not None
            and decision.verdict is not Verdict.need_info
            and loaded.thread.shown_verdict != decision.verdict.value
        ):
            return Outcome(OutcomeKind.verdict, decision=decision, **base)
        return Outcome(OutcomeKind.quiet, **base)

    def _outcome(
        self,
        settled: Settled,
        rejected: list[Rejected],
        *,
        flagged: set[str] = frozenset(),  # type: ignore[assignment]
        reduced: str | None = None,
        reduced_before: bool = False,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        started: float | None = None,
    ) -> Outcome:
        """What a settled turn did, against what the user last saw."""
        thread_id = settled.thread.id
        assert thread_id is not None
        decision = settled.decided.decision
        common: dict[str, Any] = {
            "thread_id": thread_id,
            "before": settled.known,
            "after": settled.facts,
            "rejected": rejected,
            "usage": usage,
            "cost_usd": cost_usd,
        }
        if decision is None:
            return Outcome(
                OutcomeKind.problem,
                learned=settled.applied,
                problems=settled.decided.problems,
                **common,
            )
        changes = changes_between(settled.known, settled.facts)
        changes += [Change(f, was, None) for f, was in settled.cleared]
        corrected = {c.field for c in changes}
        learned = [a for a in settled.applied if a.field not in corrected]
        log.info(
            "thread %s: %d facts (+%d, %d corrected, %d refused), verdict %s in %.0f ms",
            thread_id,
            len(settled.facts.known()),
            len(learned),
            len(changes),
            len(rejected),
            decision.verdict.value,
            (time.perf_counter() - started) * 1000 if started is not None else 0.0,
        )
        # Against the verdict the user saw: a verdict whose post failed was never seen.
        shown = settled.thread.shown_verdict
        previous = Verdict(shown) if shown else None
        fitted_before = self.decide(settled.known, self.prices())
        before = fitted_before.decision
        # A clash is asked about when this turn made it or touched it, not on every turn after.
        clash = settled.decided
        touched = {a.field for a in settled.applied} | corrected
        asks = bool(clash.problems) and (
            clash.problems != fitted_before.problems or bool(touched & set(clash.set_aside))
        )
        if decision.verdict is Verdict.need_info:
            kind = OutcomeKind.question
        elif previous is decision.verdict and (
            (not settled.applied and not changes) or _same_verdict(before, decision)
        ):
            # Seen already, and nothing in it changed: one line, not the whole verdict again.
            kind = OutcomeKind.unchanged
        else:
            kind = OutcomeKind.verdict
        return Outcome(
            kind,
            decision=decision,
            learned=learned,
            changes=changes,
            notes=reading_notes(settled.applied),
            dropped=settled.dropped,
            unconfirmed=[a for a in settled.applied if a.field in flagged],
            previous_verdict=previous,
            reduced=reduced,
            reduced_before=reduced_before,
            # this turn's clashes first: the question asks about the first
            problems=[d.problem for d in settled.displaced] + (clash.problems if asks else []),
            set_aside=[d.field for d in settled.displaced] + (clash.set_aside if asks else []),
            **common,
        )

    def _unread_outcome(self, loaded: Loaded, kind: OutcomeKind) -> Outcome:
        """A turn the bot couldn't read (an outage, or no time left): the facts stay as they
        were, and the next message reads this one too."""
        assert loaded.thread.id is not None
        return Outcome(kind, loaded.thread.id, loaded.known, loaded.known)

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

    def _record_usage(
        self, thread_id: int | None, extraction: Extraction, prices: PriceSheet
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


KEEP_WHAT_IF = re.compile(
    r"^\W*(?:ok(?:ay)?\W+|yes\W+|great\W+)?(?:use|keep|take|go with)\s+(?:that|it|this|those)\b",
    re.IGNORECASE,
)


def _handled(raw: str | None) -> dict[str, Any] | None:
    """What a message answered without the extractor was (see `_answer_without_extractor`)."""
    if not raw or not raw.startswith('{"handled"'):
        return None
    data = json.loads(raw)
    return data if isinstance(data, dict) else None


# A DM's open scoping is continued by a message sent within this long of its last turn.
DM_SCOPING_GOES_STALE = dt.timedelta(days=14)


def _new_request(text: str, known: Facts) -> bool:
    """Whether a DM message describes another workload than the open scoping's: it states
    what the model does (a request or a task) and the open scoping already knows that."""
    if read_intent(text).intent is not Intent.facts:
        return False
    said = {u.field for u in read_message(text).updates}
    described = said & {"request", "task_type", "use_case"}
    return bool(described) and any(getattr(known, field) is not None for field in described)


# What reading a message as facts answers with; anything else (a question, talk) after "new
# workload:" is no description of it.
_READ_AS_FACTS = frozenset(
    {OutcomeKind.question, OutcomeKind.verdict, OutcomeKind.unchanged, OutcomeKind.problem}
)


def _unchanged(loaded: Loaded) -> dict[str, Any]:
    """The fields of an outcome that leaves the thread's facts as they were."""
    assert loaded.thread.id is not None
    return {
        "thread_id": loaded.thread.id,
        "before": loaded.known,
        "after": loaded.known,
        "quotes": dict(loaded.thread.fact_quotes),
    }


def _status(thread: ScopingThread, decision: Decision | None) -> ThreadStatus:
    """A workload's status once its facts are saved: one set aside ("new workload") stays
    closed when a form or an edit changes it, so it never becomes the thread's open one."""
    if thread.status == ThreadStatus.closed:
        return ThreadStatus.closed
    reached = decision is not None and decision.verdict is not Verdict.need_info
    return ThreadStatus.decided if reached else ThreadStatus.open


def set_aside_number(thread: ScopingThread) -> int | None:
    """The workload's number if the Slack thread has moved on from it ("new workload"), else
    None."""
    return thread.workload if thread.status == ThreadStatus.closed else None


def _state_of(thread: ScopingThread) -> dict[str, Any]:
    """A thread's facts with their quotes and message ts: what "undo" puts back."""
    return {
        "facts": dict(thread.facts),
        "fact_quotes": dict(thread.fact_quotes),
        "fact_ts": dict(thread.fact_ts),
    }


def _same_verdict(before: Decision | None, after: Decision) -> bool:
    """The decision says what it said: same verdict, same numbers, same reasons."""
    return before is not None and before.to_json() == after.to_json()


def _read_offline_last(messages: list[ThreadMessage], newest_ts: str) -> bool:
    """Whether the message read before this turn's was read offline (reduced mode): the
    reduced-mode notice is told once, and again only when the mode changes."""
    for message in reversed(_up_to(messages, newest_ts)[:-1]):
        if message.extraction is not None and _handled(message.extraction) is None:
            return is_offline_read(message.extraction)
    return False


def _provisional(thread: ScopingThread, rereading: set[str]) -> set[str]:
    """The facts only messages being read again (slack ts) established: not yet settled."""
    return {name for name, ts in thread.fact_ts.items() if ts in rereading}


def _without(facts: Facts, names: set[str]) -> Facts:
    return Facts.model_validate({k: v for k, v in facts.known().items() if k not in names})


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


def _up_to(messages: list[ThreadMessage], newest_ts: str) -> list[ThreadMessage]:
    """The user's messages up to this turn's: later ones, already stored, wait their turn."""
    users = [m for m in messages if m.role == "user"]
    at = (i for i, m in enumerate(users) if m.slack_ts == newest_ts)
    end = next(at, len(users) - 1)  # moved on to a new workload: all of this one's
    return users[: end + 1]
