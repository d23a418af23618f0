"""Assembles the running bot from the settings: store, extractor, conversation, Slack app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.conversation import Conversation
from bot.extraction import Extractor
from bot.offline import OfflineExtractor
from bot.prices import PriceBook
from bot.scheduler import PeriodScheduler, digest_trigger, next_runs
from bot.settings import ConfigError, Settings
from bot.slack import SlackTurns
from bot.slack_poster import SlackPoster, make_web_client
from bot.storage import Store
from bot.store_setup import bot_assumptions, digest_job, open_store  # shared with the CLI

if TYPE_CHECKING:  # Bolt and the Anthropic SDK load only for what uses them
    from slack_bolt import App

    from bot.claude import ClaudeClient
    from bot.interactive import SlackInteractions

log = logging.getLogger(__name__)


def claude_extractor(settings: Settings) -> ClaudeClient:
    # The Anthropic SDK takes ~1 s to import: only what talks to Claude pays for it.
    from bot.claude import ClaudeClient  # noqa: PLC0415

    if settings.anthropic_api_key is None:
        raise ConfigError(["ANTHROPIC_API_KEY is not set: this needs Claude to read messages"])
    return ClaudeClient(
        settings.anthropic_api_key.get_secret_value(),
        settings.claude_model,
        timeout_s=settings.claude_timeout_s,
        max_retries=settings.claude_max_retries,
        base_url=settings.anthropic_base_url,
    )


def build_conversation(
    settings: Settings, store: Store, extractor: Extractor | None = None
) -> Conversation:
    """Claude reads messages when a key is set, checked by the offline reader and replaced by
    it for a turn Claude can't answer; without a key the offline reader reads them all."""
    if extractor is None and settings.anthropic_api_key is None:
        log.warning("ANTHROPIC_API_KEY is not set: reading messages offline (reduced mode)")
        extractor = OfflineExtractor("no_key")
    elif extractor is None:
        extractor = claude_extractor(settings)
    with_claude = not isinstance(extractor, OfflineExtractor)
    return Conversation(
        store,
        extractor,
        PriceBook(store),
        bot_assumptions(settings),
        # The whole turn, queueing included, fits in the Claude budget (Slack users wait ≤ 30 s).
        turn_budget_s=settings.claude_timeout_s,
        fallback=OfflineExtractor("outage") if with_claude and settings.offline_fallback else None,
        cross_check=with_claude,
        today=settings.today,
    )


@dataclass
class SlackRuntime:
    settings: Settings
    store: Store
    conversation: Conversation
    client: WebClient
    turns: SlackTurns
    app: App
    # The weekly refresh and digest; None when FTSCOPE_DIGEST_CHANNEL is not set.
    digest: PeriodScheduler | None = None
    # Buttons, forms, the Home tab, the assistant pane's greeting and the breakeven charts.
    interactions: SlackInteractions | None = None

    def start_background(self) -> None:
        if self.digest is not None:
            self.digest.start()

    def stop(self) -> None:
        """Stop taking work, finish in-flight turns, stop the weekly job."""
        if self.digest is not None:
            self.digest.shutdown(wait=True)
        self.turns.shutdown(wait=True)
        if self.interactions is not None:  # after the turns: their charts are queued there
            self.interactions.shutdown(wait=True)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Every submitted turn, click, form and chart done; False if the timeout came first."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        # Twice: the last turn of a queue may hand work to the I/O threads (an assistant
        # thread's title) or to the chart pool as it finishes.
        for _ in range(2):
            if not self.turns.wait_idle(left()):
                return False
            if self.interactions is not None and not self.interactions.wait_idle(left()):
                return False
        return True


def digest_scheduler(
    settings: Settings, store: Store, client: WebClient, price_book: PriceBook | None
) -> PeriodScheduler | None:
    """The digest on its schedule for `ftscope serve`, if a digest channel is configured."""
    if not settings.digest_channel:
        return None
    job = digest_job(settings, store, client, price_book)
    return PeriodScheduler(store, digest_trigger(settings.digest_cron, settings.timezone), job)


def build_slack_runtime(
    settings: Settings, *, socket_mode: bool, extractor: Extractor | None = None
) -> SlackRuntime:
    """Everything `ftscope serve` runs; every missing setting is named at once."""
    from bot.app import create_app  # noqa: PLC0415 - handlers import bot: keep bot importable
    from bot.interactive import ChartUploads, SlackInteractions  # noqa: PLC0415 - serve only
    from handlers.deps import Deps  # noqa: PLC0415

    problems = []
    if settings.slack_bot_token is None:
        problems.append("SLACK_BOT_TOKEN is not set (the app's xoxb- bot token)")
    if not socket_mode and settings.slack_signing_secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET is not set (Basic Information → App Credentials): HTTP mode "
            "verifies every request with it"
        )
    if settings.digest_channel:
        try:  # a bad schedule is named now, with the rest, not at the first Monday
            digest_trigger(settings.digest_cron, settings.timezone)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    assert settings.slack_bot_token is not None
    store = open_store(settings)
    conversation = build_conversation(settings, store, extractor)
    client = make_web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    poster = SlackPoster(client)
    charts = ChartUploads(poster, conversation.prices, conversation.assumptions)
    turns = SlackTurns(
        conversation,
        poster,
        conversation.assumptions,
        settings.workers,
        charts=charts,
        workspaces=store.workspaces,
    )
    book = conversation.prices if isinstance(conversation.prices, PriceBook) else None
    digest = digest_scheduler(settings, store, client, book)
    interactions = SlackInteractions(
        conversation,
        poster,
        conversation.assumptions,
        store,
        charts,
        next_digest=next_digest_of(digest),
        timezone=settings.timezone,
    )
    secret = settings.slack_signing_secret
    deps = Deps(
        turns=turns,
        prices=conversation.prices,
        interactions=interactions,
        assistant=turns,
        workspaces=store.workspaces,
        back_off=poster.back_off,
    )
    app = create_app(deps, client, secret.get_secret_value() if secret else None)
    return SlackRuntime(settings, store, conversation, client, turns, app, digest, interactions)


def next_digest_of(digest: PeriodScheduler | None) -> Callable[[], datetime | None]:
    """When the weekly digest runs next (for the Home tab); None without a digest channel."""

    def next_run() -> datetime | None:
        if digest is None:
            return None
        runs = next_runs(digest.trigger, datetime.now(UTC), 1)
        return runs[0] if runs else None

    return next_run
