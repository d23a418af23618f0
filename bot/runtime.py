"""Assembles the running bot from the settings: store, extractor, conversation, Slack app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.conversation import Conversation
from bot.extraction import Extractor
from bot.migrate import current_revision, head_revision
from bot.offline import OfflineExtractor
from bot.prices import PriceBook
from bot.scheduler import PeriodScheduler, digest_trigger
from bot.settings import ConfigError, Settings
from bot.slack import SlackTurns
from bot.slack_poster import SlackPoster, make_web_client
from bot.storage import Store, create_schema, make_engine
from bot.weekly import DigestJob
from knowledge import Assumptions, InputError, load_assumptions

if TYPE_CHECKING:  # Bolt and the Anthropic SDK load only for what uses them
    from slack_bolt import App

    from bot.claude import ClaudeClient

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


def open_store(settings: Settings) -> Store:
    """The store, its schema current: SQLite is upgraded in place (one machine, one file);
    PostgreSQL must have been upgraded by `ftscope db upgrade` (Fly's release command), so
    several machines starting together never race on a migration."""
    engine = make_engine(settings.database_url)
    if engine.dialect.name == "sqlite":
        create_schema(engine)
    else:
        try:
            current = current_revision(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise ConfigError(
                [f"DATABASE_URL: can't connect ({type(exc).__name__}: {exc})"]
            ) from exc
        if current != head_revision():
            engine.dispose()
            raise ConfigError(
                [
                    f"the database schema is at {current or 'nothing'}, this version needs "
                    f"{head_revision()}: run `ftscope db upgrade`"
                ]
            )
    return Store(engine)


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

    def start_background(self) -> None:
        if self.digest is not None:
            self.digest.start()

    def stop(self) -> None:
        """Stop taking work, finish in-flight turns, stop the weekly job."""
        if self.digest is not None:
            self.digest.shutdown(wait=True)
        self.turns.shutdown(wait=True)


def bot_assumptions(settings: Settings) -> Assumptions:
    """The shipped assumptions with FTSCOPE_ASSUMPTIONS laid over them; a file that can't be
    used stops the start with every problem named, not a traceback."""
    try:
        return load_assumptions(settings.assumptions_file)
    except InputError as exc:
        raise ConfigError([f"FTSCOPE_ASSUMPTIONS: {problem}" for problem in exc.problems]) from exc


def digest_job(
    settings: Settings,
    store: Store,
    client: WebClient | None,
    price_book: PriceBook | None = None,
) -> DigestJob:
    """The price refresh and digest as the settings configure them (`serve` and the CLI)."""
    return DigestJob(
        store=store,
        assumptions=bot_assumptions(settings),
        sources=settings.price_sources,
        bot_model=settings.claude_model,
        max_factor=settings.price_max_factor,
        client=client,
        channel=settings.digest_channel,
        price_book=price_book,
        today=settings.today,
    )


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
    turns = SlackTurns(
        conversation, SlackPoster(client), conversation.assumptions, settings.workers
    )
    secret = settings.slack_signing_secret
    deps = Deps(turns=turns, prices=conversation.prices)
    app = create_app(deps, client, secret.get_secret_value() if secret else None)
    book = conversation.prices if isinstance(conversation.prices, PriceBook) else None
    digest = digest_scheduler(settings, store, client, book)
    return SlackRuntime(settings, store, conversation, client, turns, app, digest)
