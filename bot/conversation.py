"""One scoping turn, from a user's message to the bot's reply; the same for Slack and a terminal.

The order of the steps is what keeps a thread's facts safe: the user's message is stored before
anything can fail, the facts are saved before the reply is posted, and an extractor outage
changes nothing but the reply. The next message then picks up the unanswered ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from bot import render
from bot.extraction import Extraction, Extractor, ExtractorUnavailable
from bot.prompt import Exchange
from bot.storage import ScopingThread, Store, ThreadMessage
from bot.wording import show_value
from knowledge import Assumptions, Decision, Facts, InputError, PriceSheet, Verdict, decide
from knowledge.errors import problems_from
from knowledge.provenance import Accepted, Rejected, check_updates

log = logging.getLogger(__name__)

ReplyKind = Literal["question", "verdict", "unchanged", "outage", "problem"]


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

    def terminal_text(self) -> str:
        """The whole reply as plain text, for a terminal."""
        if self.context is None:
            return self.text
        return render.turn_text(self.kind, self.context)


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
    facts: Facts, accepted: list[Accepted], prices: PriceSheet
) -> tuple[Facts, list[Accepted], list[Rejected]]:
    """Lay the accepted updates over the facts one by one; an update that breaks them is refused.

    Later updates of a field win (a correction in the same message), and each is validated
    against everything known, so one bad number can't take the good ones down with it.
    """
    applied: dict[str, Accepted] = {}
    refused: list[Rejected] = []
    current = facts
    for update in accepted:
        if update.field == "frontier_model" and update.value not in prices.models:
            refused.append(
                Rejected(update.field, str(update.value), "the price sheet has no such model")
            )
            continue
        try:
            current = Facts.model_validate({**current.known(), update.field: update.value})
        except ValidationError as exc:
            problems = "; ".join(problems_from(exc))
            refused.append(Rejected(update.field, str(update.value), problems))
            continue
        applied[update.field] = update
    return current, list(applied.values()), refused


def changes_between(before: Facts, after: Facts) -> list[Change]:
    """Facts that had a value and now have another (corrections), in schema order."""
    old, new = before.known(), after.known()
    return [
        Change(name, old[name], new[name])
        for name in Facts.model_fields
        if name in old and name in new and old[name] != new[name]
    ]


class Conversation:
    """Scoping threads: stores each message, extracts its facts, decides, and says so."""

    def __init__(
        self,
        store: Store,
        extractor: Extractor,
        prices: Callable[[], PriceSheet],
        assumptions: Assumptions,
    ) -> None:
        self.store = store
        self.extractor = extractor
        self.prices = prices
        self.assumptions = assumptions
        self._locks = ThreadLocks()

    def take(self, turn: Turn) -> Reply | None:
        """The reply to a turn, or None when there is nothing to answer (see `admit`)."""
        return self.answer(turn) if self.admit(turn) else None

    def admit(self, turn: Turn) -> bool:
        """Whether to answer this turn; the first call for a message claims it for good.

        False: a message in a thread the bot doesn't scope (not claimed, so an @mention of the
        same message can still start one), or one already claimed (a retry or a second
        delivery of the same message).
        """
        if (
            not turn.may_start
            and self.store.find_thread(turn.team, turn.channel, turn.thread_ts) is None
        ):
            return False
        if not self.store.claim_event(turn.message_key):
            log.info("duplicate delivery of %s ignored", turn.message_key)
            return False
        return True

    def answer(self, turn: Turn) -> Reply:
        """Answer an admitted turn; turns of one thread are answered one at a time."""
        with self._locks.hold(f"{turn.team}:{turn.channel}:{turn.thread_ts}"):
            return self._answer(turn)

    def record_reply(self, reply: Reply, slack_ts: str, channel_user: str | None = None) -> None:
        """Keep the posted reply next to the message it answered."""
        self.store.add_message(reply.thread_id, "bot", reply.text, slack_ts, channel_user)

    def _answer(self, turn: Turn) -> Reply:
        thread = self.store.get_or_create_thread(turn.team, turn.channel, turn.thread_ts, turn.user)
        assert thread.id is not None
        self.store.add_message(thread.id, "user", turn.text, turn.ts, turn.user)
        messages = self.store.thread_messages(thread.id)
        known = Facts.model_validate(thread.facts)
        prices = self.prices()
        before = self._decide(known, prices)
        sent_text = _text_to_extract(messages, turn.ts)
        started = time.perf_counter()
        try:
            extraction = self.extractor.extract(
                _history(messages), sent_text, known, before.missing if before else []
            )
        except ExtractorUnavailable as exc:
            log.warning("thread %s: extractor unavailable: %s", thread.id, exc)
            return self._outage(thread, known)
        self.store.record_extraction(thread.id, turn.ts, sent_text, extraction.raw_text)
        self._record_usage(thread.id, extraction, prices)
        words = "\n".join(m.text for m in messages if m.role == "user")
        checked = check_updates(extraction.updates, words, sent_text)
        facts, applied, refused = merge(known, checked.accepted, prices)
        rejected = checked.rejected + refused
        quotes = dict(thread.fact_quotes)
        quotes.update({a.field: a.quote for a in applied})
        try:
            decision = decide(facts, prices, self.assumptions)
        except InputError as exc:
            return self._problem(
                thread,
                facts=facts,
                quotes=quotes,
                applied=applied,
                rejected=rejected,
                problems=exc.problems,
            )
        changes = changes_between(known, facts)
        new_facts = [a for a in applied if a.field not in {c.field for c in changes}]
        previous_verdict = thread.last_verdict
        self.store.save_thread_state(
            thread.id,
            facts.known(),
            decision.to_json(),
            decision.verdict.value,
            "open" if decision.verdict is Verdict.need_info else "decided",
            fact_quotes=quotes,
        )
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
        context = render.TurnContext(
            decision=decision,
            learned=[(a.field, a.value, a.quote) for a in new_facts],
            changes=[(c.field, *_shown(c)) for c in changes],
            rejected=[(r.field, r.value, r.why) for r in rejected],
            previous_verdict=Verdict(previous_verdict) if previous_verdict else None,
            assumptions=self.assumptions,
        )
        if decision.verdict is Verdict.need_info:
            kind: ReplyKind = "question"
        elif previous_verdict is not None and not applied and not changes:
            kind = "unchanged"
        else:
            kind = "verdict"
        text, blocks = render.turn_reply(kind, context)
        return Reply(kind, text, blocks, thread.id, decision, new_facts, changes, rejected, context)

    def _decide(self, facts: Facts, prices: PriceSheet) -> Decision | None:
        try:
            return decide(facts, prices, self.assumptions)
        except InputError:
            return None

    def _record_usage(self, thread_id: int, extraction: Extraction, prices: PriceSheet) -> None:
        usage = extraction.usage
        if usage is None:
            return
        cost = usage.cost_usd(prices)
        if cost is None:
            log.warning(
                "thread %s: no price for %s; its cost is recorded as 0", thread_id, usage.model
            )
        self.store.record_usage(
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

    def _outage(self, thread: ScopingThread, known: Facts) -> Reply:
        assert thread.id is not None
        text, blocks = render.outage_reply(len(known.known()))
        return Reply("outage", text, blocks, thread.id)

    def _problem(
        self,
        thread: ScopingThread,
        *,
        facts: Facts,
        quotes: dict[str, str],
        applied: list[Accepted],
        rejected: list[Rejected],
        problems: list[str],
    ) -> Reply:
        """Facts that can't be decided on as they stand: keep them, and ask about the clash."""
        assert thread.id is not None
        self.store.save_thread_state(
            thread.id,
            facts.known(),
            thread.last_decision,
            thread.last_verdict,
            "open",
            fact_quotes=quotes,
        )
        text, blocks = render.problem_reply(problems)
        return Reply("problem", text, blocks, thread.id, None, applied, [], rejected)


def _shown(change: Change) -> tuple[str, str]:
    return show_value(change.field, change.old), show_value(change.field, change.new)


def _history(messages: list[ThreadMessage]) -> list[Exchange]:
    return [
        Exchange(m.extracted_text, m.extraction)
        for m in messages
        if m.role == "user" and m.extracted_text is not None and m.extraction is not None
    ]


def _text_to_extract(messages: list[ThreadMessage], newest_ts: str) -> str:
    """The newest message, preceded by earlier ones no extractor has read (an outage's)."""
    unread: list[str] = []
    for message in messages:
        if message.role != "user":
            continue
        if message.extraction is not None:
            unread = []
        elif message.slack_ts != newest_ts:
            unread.append(message.text)
    newest = next(m.text for m in messages if m.role == "user" and m.slack_ts == newest_ts)
    return "\n\n".join([*unread, newest])
