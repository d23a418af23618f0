"""`ftscope doctor`: is this deployment configured to work, and if not, what to fix.

Each check names what it looked at and, when something is wrong, the one thing to do. It reads
the same settings the bot does, talks to Slack once (auth.test, to prove the token works) and
to the database, and never prints a secret.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.migrate import current_revision, head_revision
from bot.prices import sheet_of
from bot.scheduler import digest_trigger, next_runs
from bot.settings import ConfigError, Settings
from bot.storage import Store, make_engine
from knowledge import InputError, PriceSheet, load_price_sheet

Status = Literal["ok", "warn", "fail"]
ICONS = {"ok": "✅", "warn": "⚠️ ", "fail": "❌"}
STALE_PRICES = dt.timedelta(days=14)
RETIREMENT_WARNING = dt.timedelta(days=30)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None


def _slack_token(settings: Settings, auth: Callable[[str], dict[str, object]]) -> Check:
    name = "Slack bot token"
    if settings.slack_bot_token is None:
        return Check(
            name, "fail", "not set", "set SLACK_BOT_TOKEN to the xoxb- token (OAuth & Permissions)"
        )
    token = settings.slack_bot_token.get_secret_value()
    if not token.startswith("xoxb-"):
        return Check(
            name,
            "fail",
            "not a bot token (it doesn't start with xoxb-)",
            "use the Bot User OAuth Token",
        )
    try:
        who = auth(token)
    except SlackApiError as exc:
        error = exc.response.get("error")
        return Check(
            name, "fail", f"Slack refused it ({error})", "reinstall the app and copy the new token"
        )
    except SlackClientError as exc:
        return Check(
            name, "warn", f"couldn't reach Slack at {settings.slack_api_url} ({type(exc).__name__})"
        )
    except OSError as exc:
        return Check(name, "warn", f"couldn't reach Slack at {settings.slack_api_url} ({exc})")
    return Check(name, "ok", f"works: workspace {who.get('team')} as @{who.get('user')}")


def _signing(settings: Settings) -> list[Check]:
    checks = []
    if settings.slack_app_token is not None:
        app = settings.slack_app_token.get_secret_value()
        if app.startswith("xapp-"):
            checks.append(Check("Slack app token", "ok", "set: Socket Mode"))
        else:
            checks.append(
                Check(
                    "Slack app token",
                    "fail",
                    "doesn't start with xapp-",
                    "create an app-level token with connections:write",
                )
            )
        return checks
    secret = settings.slack_signing_secret
    if secret is None:
        checks.append(
            Check(
                "Slack signing secret",
                "fail",
                "not set (HTTP mode verifies every request with it)",
                "set SLACK_SIGNING_SECRET (Basic Information → App Credentials)",
            )
        )
    elif not re.fullmatch(r"[0-9a-f]{32}", secret.get_secret_value()):
        checks.append(
            Check("Slack signing secret", "warn", "set, but not the 32 hex characters Slack issues")
        )
    else:
        checks.append(Check("Slack signing secret", "ok", "set"))
    return checks


def _anthropic(settings: Settings) -> Check:
    name = "Anthropic API key"
    if settings.anthropic_api_key is None:
        return Check(
            name,
            "warn",
            "not set: messages are read offline, with patterns (reduced mode)",
            "set ANTHROPIC_API_KEY (console.anthropic.com → API keys) for Claude",
        )
    if not settings.anthropic_api_key.get_secret_value().startswith("sk-ant-"):
        return Check(name, "warn", "set, but it doesn't start with sk-ant-")
    return Check(name, "ok", "set")


def _database(settings: Settings) -> tuple[list[Check], Store | None]:
    name = "Database"
    engine = make_engine(settings.database_url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
        return [Check(name, "fail", f"{shown}: unreachable ({reason})", "check DATABASE_URL")], None
    head = head_revision()
    if revision == head:
        return [Check(name, "ok", f"{shown}: reachable, schema at {head}")], Store(engine)
    engine.dispose()
    if engine.dialect.name == "sqlite":
        # The bot upgrades a SQLite file itself when it starts (`bot.runtime.open_store`):
        # there is nothing to run by hand, and saying so would send people to a needless step.
        detail = (
            f"{shown}: reachable, schema at {revision or 'nothing'}; "
            f"`ftscope serve` upgrades it to {head} at start"
        )
        return [Check(name, "ok", detail)], None
    # PostgreSQL is never migrated at start (machines starting together would race on it):
    # Fly's release command runs the upgrade, and the bot refuses to start until it has.
    check = Check(
        name,
        "fail",
        f"{shown}: schema at {revision or 'nothing'}, needs {head}",
        "run `ftscope db upgrade`",
    )
    return [check], None


def _prices(store: Store | None, today: dt.date) -> tuple[Check, PriceSheet]:
    name = "Price sheet"
    latest = store.price_sheets.latest() if store is not None else None
    if latest is None:
        sheet = load_price_sheet()
        age = today - sheet.as_of
        detail = f"the shipped sheet of {sheet.as_of} (never refreshed)"
    else:
        try:
            sheet = sheet_of(latest)
        except InputError as exc:
            return Check(
                name,
                "fail",
                f"stored version #{latest.id} is invalid: {exc.problems[0]}",
                "run `ftscope prices refresh`",
            ), load_price_sheet()
        age = today - latest.created_at.date()
        detail = f"version #{latest.id}, refreshed {latest.created_at:%Y-%m-%d}"
        failed = [s["source"] for s in latest.sources if not s.get("ok")]
        if failed:
            detail += f"; skipped then: {', '.join(failed)}"
    if age > STALE_PRICES:
        return Check(
            name,
            "warn",
            f"{detail}: {age.days} days old",
            "run `ftscope prices refresh`, and set FTSCOPE_DIGEST_CHANNEL for a weekly one",
        ), sheet
    return Check(name, "ok", detail), sheet


def _model(settings: Settings, sheet: PriceSheet, today: dt.date) -> Check:
    name = "Claude model"
    model = settings.claude_model
    price = sheet.price_of(model)
    if price is None:
        known = ", ".join(m for m, p in sheet.models.items() if not p.retired_by(today))
        return Check(
            name,
            "fail",
            f"{model} is not in the price sheet",
            f"set FTSCOPE_CLAUDE_MODEL to one of: {known}",
        )
    retires = price.deprecation_date
    if retires is not None and retires <= today:
        return Check(
            name,
            "fail",
            f"{model} retired on {retires}",
            "set FTSCOPE_CLAUDE_MODEL to a current model",
        )
    if retires is not None and retires - today <= RETIREMENT_WARNING:
        return Check(
            name,
            "warn",
            f"{model} retires on {retires}",
            "move FTSCOPE_CLAUDE_MODEL to a current model",
        )
    minimum = price.prompt_cache_min_tokens
    extra = f"; caches prompts of {minimum:,}+ tokens" if minimum else ""
    return Check(name, "ok", f"{model}: priced{extra}")


def _digest(settings: Settings, now: dt.datetime) -> Check:
    name = "Weekly digest"
    try:
        trigger = digest_trigger(settings.digest_cron, settings.timezone)
    except ConfigError as exc:
        return Check(
            name, "fail", "; ".join(exc.problems), "fix FTSCOPE_DIGEST_CRON / FTSCOPE_TIMEZONE"
        )
    if not settings.digest_channel:
        return Check(
            name,
            "warn",
            "FTSCOPE_DIGEST_CHANNEL is not set: no weekly refresh or digest",
            "set it to the sales channel's id",
        )
    (next_run,) = next_runs(trigger, now, 1)
    return Check(name, "ok", f"to {settings.digest_channel}, next {next_run:%a %Y-%m-%d %H:%M %Z}")


def slack_auth(settings: Settings) -> Callable[[str], dict[str, object]]:
    def auth(token: str) -> dict[str, object]:
        client = WebClient(
            token=token, base_url=settings.slack_api_url, timeout=5, retry_handlers=[]
        )
        return dict(client.auth_test().data)  # type: ignore[arg-type]

    return auth


def run_checks(
    settings: Settings,
    *,
    auth: Callable[[str], dict[str, object]] | None = None,
    now: dt.datetime | None = None,
) -> list[Check]:
    now = now or dt.datetime.now(dt.UTC)
    checks = [_slack_token(settings, auth or slack_auth(settings)), *_signing(settings)]
    checks.append(_anthropic(settings))
    database, store = _database(settings)
    checks.extend(database)
    try:
        price_check, sheet = _prices(store, now.date())
        checks.append(price_check)
        checks.append(_model(settings, sheet, now.date()))
    finally:
        if store is not None:
            store.engine.dispose()
    checks.append(_digest(settings, now))
    return checks


def report(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{ICONS[check.status]} {check.name}: {check.detail}")
        if check.fix and check.status != "ok":
            lines.append(f"   → {check.fix}")
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    if failed:
        lines.append(
            f"\n{failed} problem{'s' if failed != 1 else ''} to fix before the bot can run."
        )
    elif warned:
        lines.append(f"\nReady, with {warned} warning{'s' if warned != 1 else ''}.")
    else:
        lines.append("\nReady.")
    return "\n".join(lines)
