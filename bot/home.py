"""The app's Home tab: the user's recent scoping threads with their verdicts, the price sheet in
use and how the last refresh went, when the next digest runs, and the bot's Claude spend this
week; with a *New scoping* button.

`home_facts` reads what the tab shows (the database, and a permalink per thread from Slack);
`home_view` lays it out, a pure function of that, so its golden file pins the layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import or_, select

from bot.blocks import mrkdwn_escape, truncate, validate_view
from bot.buttons import NEW_SCOPING
from bot.storage import DigestRun, ScopingThread, Store, ThreadMessage, UsageTotals
from bot.verdict import short_source, title
from knowledge.decision import Verdict
from knowledge.prices import PriceSheet

RECENT_THREADS = 10
USE_CASE_CHARS = 90


@dataclass(frozen=True)
class HomeThread:
    label: str  # the workload, as the thread's facts put it
    verdict: str  # "Measure Claude Haiku 5.5 first", "Collecting facts: 2 still needed"
    channel: str
    updated_at: dt.datetime
    link: str | None  # its permalink, when Slack gave one


@dataclass(frozen=True)
class HomeFacts:
    user: str
    threads: list[HomeThread]
    sheet_as_of: str
    sheet_source: str
    sheet_stored_at: dt.datetime | None  # None: the shipped sheet (no refresh stored one yet)
    last_refresh: str  # how the last weekly run went, in a sentence
    next_digest: dt.datetime | None
    spend: UsageTotals
    now: dt.datetime
    timezone: str = "UTC"
    sources: list[tuple[str, bool, str | None]] = field(default_factory=list)


def recent_threads(
    store: Store, team: str, user: str, limit: int = RECENT_THREADS
) -> list[ScopingThread]:
    """The threads a user started or wrote in, most recently changed first."""
    wrote = select(ThreadMessage.thread_id).where(ThreadMessage.user_id == user)
    with store.db.session() as session:
        return list(
            session.exec(
                select(ScopingThread)
                .where(
                    ScopingThread.team_id == team,
                    or_(ScopingThread.started_by == user, ScopingThread.id.in_(wrote)),  # type: ignore[union-attr]
                )
                .order_by(ScopingThread.updated_at.desc())  # type: ignore[attr-defined]
                .limit(limit)
            ).all()
        )


def last_digest_run(store: Store) -> DigestRun | None:
    with store.db.session() as session:
        return session.exec(
            select(DigestRun).order_by(DigestRun.claimed_at.desc())  # type: ignore[attr-defined]
        ).first()


def verdict_label(thread: ScopingThread) -> str:
    """A thread's verdict in a few words, from the decision it stored."""
    decision = thread.last_decision or {}
    value = thread.last_verdict or decision.get("verdict")
    if not value:
        return "Just started"
    verdict = Verdict(value)
    if verdict is Verdict.need_info:
        missing = len(decision.get("missing") or [])
        return f"Collecting facts: {missing} still needed" if missing else "Collecting facts"
    models = decision.get("measure_models") or []
    if verdict is Verdict.measure_baseline and models:
        names = " and ".join(title(m) for m in models)
        return f"Measure {names} first"
    return verdict.label


def thread_label(thread: ScopingThread) -> str:
    use_case = (thread.facts or {}).get("use_case")
    if use_case:
        return truncate(" ".join(str(use_case).split()), USE_CASE_CHARS)
    return "A scoping without a description yet"


def week_start(now: dt.datetime, timezone: str) -> dt.datetime:
    """Monday 00:00 of this week, in the bot's time zone (FTSCOPE_TIMEZONE)."""
    local = now.astimezone(ZoneInfo(timezone))
    monday = (local - dt.timedelta(days=local.weekday())).date()
    return dt.datetime.combine(monday, dt.time(), tzinfo=ZoneInfo(timezone))


def refresh_sentence(run: DigestRun | None, timezone: str) -> str:
    if run is None:
        return "No weekly refresh has run yet"
    at = run.finished_at or run.claimed_at
    when = when_text(at, timezone)
    if run.status == "posted":
        return f"{when}: prices refreshed and the digest posted"
    if run.status == "failed":
        why = " ".join((run.error or "").split())
        return truncate(f"{when}: failed ({why})" if why else f"{when}: failed", 300)
    return f"{when}: running"


def when_text(at: dt.datetime, timezone: str) -> str:
    """ "Mon 7 Dec, 09:00 UTC": a date a salesperson reads at a glance."""
    local = at.astimezone(ZoneInfo(timezone))
    zone = "UTC" if timezone == "UTC" else timezone
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {zone}"


def home_facts(
    store: Store,
    team: str,
    user: str,
    prices: PriceSheet,
    *,
    permalink: Callable[[str, str], str | None],
    next_digest: dt.datetime | None,
    timezone: str = "UTC",
    now: dt.datetime | None = None,
) -> HomeFacts:
    now = now or dt.datetime.now(dt.UTC)
    threads = [
        HomeThread(
            thread_label(t),
            verdict_label(t),
            t.channel_id,
            t.updated_at,
            permalink(t.channel_id, t.thread_ts),
        )
        for t in recent_threads(store, team, user)
    ]
    latest = store.price_sheets.latest()
    sources = [
        (str(s.get("source")), bool(s.get("ok")), s.get("problem"))
        for s in (latest.sources if latest is not None else [])
    ]
    return HomeFacts(
        user=user,
        threads=threads,
        sheet_as_of=prices.as_of.isoformat(),
        sheet_source=prices.source,
        sheet_stored_at=latest.created_at if latest is not None else None,
        last_refresh=refresh_sentence(last_digest_run(store), timezone),
        next_digest=next_digest,
        spend=store.usage.between(week_start(now, timezone), now),
        now=now,
        timezone=timezone,
        sources=sources,
    )


def _link_text(text: str) -> str:
    """User text inside <url|text>: no `|` or `>` to end the link early, no markup."""
    cleaned = mrkdwn_escape(text).replace("|", "/")
    return " ".join(cleaned.translate(str.maketrans("*_~`", "    ")).split())


def _section(markdown: str, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": markdown}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def home_view(facts: HomeFacts) -> dict[str, Any]:
    """The Home tab for one user."""
    new_scoping = {
        "type": "button",
        "action_id": NEW_SCOPING,
        "text": {"type": "plain_text", "text": "New scoping"},
        "style": "primary",
    }
    blocks: list[dict[str, Any]] = [
        _header("ftscope: fine-tune or keep prompting?"),
        _section(
            "Describe what a client wants fine-tuned and I'll collect the facts and decide: "
            "fine-tune a small model, or keep prompting a frontier one.",
            new_scoping,
        ),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Or type `/ftscope <what the client wants>` in a channel, or "
                    "mention @ftscope in one.",
                }
            ],
        },
        {"type": "divider"},
        _header("Your recent scopings"),
    ]
    if not facts.threads:
        blocks.append(_section("None yet. Start one with *New scoping*."))
    for thread in facts.threads:
        label = _link_text(thread.label)
        name = f"<{thread.link}|{label}>" if thread.link else label
        updated = f"{thread.updated_at.astimezone(ZoneInfo(facts.timezone)):%-d %b}"
        blocks.append(
            _section(
                f"*{name}*\n{mrkdwn_escape(thread.verdict)} · <#{thread.channel}> · updated "
                f"{updated}"
            )
        )
    blocks += [{"type": "divider"}, _header("Prices and spend")]
    stored = (
        f"refreshed {when_text(facts.sheet_stored_at, facts.timezone)}"
        if facts.sheet_stored_at is not None
        else "the sheet shipped with the bot"
    )
    source = mrkdwn_escape(short_source(facts.sheet_source, 80))
    sheet = f"as of {facts.sheet_as_of} ({stored})\n{source}"
    refresh = mrkdwn_escape(facts.last_refresh)
    failed = [(name, why) for name, ok, why in facts.sources if not ok]
    if facts.sources:
        good = len(facts.sources) - len(failed)
        refresh += f"\nSources: {good} ✅" + (f", {len(failed)} ❌" if failed else "")
        for name, why in failed[:3]:
            refresh += f"\n❌ {mrkdwn_escape(truncate(name, 60))}: {mrkdwn_escape(why or '')}"
    digest = (
        when_text(facts.next_digest, facts.timezone)
        if facts.next_digest is not None
        else "No weekly digest (FTSCOPE_DIGEST_CHANNEL is not set)"
    )
    spend = facts.spend
    cached = spend.cache_read_input_tokens
    prompt = spend.input_tokens + spend.cache_creation_input_tokens + cached
    share = f", {cached / prompt:.0%} of input read from cache" if prompt else ""
    calls = f"{spend.calls:,} call{'s' if spend.calls != 1 else ''}"
    blocks.append(
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": truncate(f"*Price sheet*\n{sheet}", 2000)},
                {"type": "mrkdwn", "text": truncate(f"*Last refresh*\n{refresh}", 2000)},
                {"type": "mrkdwn", "text": f"*Next digest*\n{digest}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Claude spend this week*\n${spend.cost_usd:,.2f} ({calls}{share})",
                },
            ],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Updated {when_text(facts.now, facts.timezone)}"}
            ],
        }
    )
    return validate_view({"type": "home", "blocks": blocks})
