"""Slack's lifecycle events, and every request the bot has no listener for.

- `app_uninstalled` and `tokens_revoked` (of the bot's token): the workspace is recorded
  revoked (bot/storage/workspaces.py) and nothing more is posted there, across restarts. It is
  restored when a process started after the revocation (so Bolt's auth.test passed with a
  working token: the app was reinstalled) gets an event from it that happened after it.
- `app_rate_limited` (no `event` inside, so no Bolt listener can match it): logged, and the
  bot's cosmetic calls (reactions, status, charts, the Home tab) pause for the rest of that
  minute.
- Anything else: acknowledged with 200 and logged once per kind, never Bolt's 404 (a 404 makes
  Slack retry an event, and shows the user an error for a click).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse

from handlers.deps import deps_of

log = logging.getLogger(__name__)

ANYTHING = re.compile(".*")
RATE_LIMIT_MINUTE_S = 60
# Payload types Bolt routes to listeners (or answers itself); any other gets a plain 200.
ROUTED_TYPES = frozenset(
    {
        "event_callback",
        "url_verification",
        "ssl_check",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_suggestion",
        "dialog_cancellation",
        "workflow_step_edit",
    }
)
LIFECYCLE_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})

_seen: set[str] = set()
_seen_lock = threading.Lock()


def log_once(kind: str, message: str, *args: Any) -> None:
    """One warning per kind of request per process: enough to notice, never a flood."""
    with _seen_lock:
        if kind in _seen:
            return
        _seen.add(kind)
    log.warning(message, *args)


def guard(
    body: dict[str, Any],
    context: BoltContext,
    next: Callable[[], None],
    *,
    started_at: datetime,
) -> Any:
    """Global middleware, before the listeners: `app_rate_limited`, unknown payload types, and
    requests from a workspace the app was uninstalled from. `started_at`: when this app was
    built; a revocation before it was followed by a restart with a token Bolt's auth.test
    accepted."""
    kind = body.get("type")
    if kind == "app_rate_limited":
        return on_rate_limited(body, context)
    if kind is not None and kind not in ROUTED_TYPES:
        log_once(f"type:{kind}", "unhandled Slack payload type %r: acknowledged", kind)
        return BoltResponse(status=200, body="")
    deps = deps_of(context)
    team = context.team_id or body.get("team_id")
    event = body.get("event") or {}
    if deps.workspaces is None or not team or event.get("type") in LIFECYCLE_EVENTS:
        return next()
    revoked_at = deps.workspaces.revoked_at(team)
    if revoked_at is None:
        return next()
    # event_time has whole seconds: an event of the revocation's own second counts as after
    happened = datetime.fromtimestamp(float(body.get("event_time") or 0) + 1, UTC)
    if kind == "event_callback" and started_at > revoked_at and happened > revoked_at:
        deps.workspaces.restore(team)
        log.warning("workspace %s is back (reinstalled): posting there again", team)
        return next()
    log.info("request from workspace %s ignored: the app was uninstalled there", team)
    return BoltResponse(status=200, body="")


def on_rate_limited(body: dict[str, Any], context: BoltContext) -> BoltResponse:
    minute = float(body.get("minute_rate_limited") or time.time())
    seconds = min(RATE_LIMIT_MINUTE_S, max(0.0, minute + RATE_LIMIT_MINUTE_S - time.time()))
    back_off = deps_of(context).back_off
    if back_off is not None:
        back_off(seconds)
    log.warning(
        "Slack rate-limited this app's events (team %s): skipping reactions, status, charts "
        "and Home tab updates for %.0f s",
        body.get("team_id"),
        seconds,
        extra={"event": "app_rate_limited", "team": body.get("team_id")},
    )
    return BoltResponse(status=200, body="")


def on_lifecycle(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """`app_uninstalled`, or `tokens_revoked` naming bot tokens: stop posting there."""
    team = str(context.team_id or body.get("team_id") or "")
    kind = str(event.get("type"))
    if kind == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        # only user tokens, which the bot never holds
        log.info("user tokens revoked in workspace %s: the bot uses none", team)
        return
    workspaces = deps_of(context).workspaces
    newly = workspaces.revoke(team, kind) if workspaces is not None else True
    log.warning(
        "%s in workspace %s: no more posts there%s",
        kind,
        team,
        "" if newly else " (already recorded)",
        extra={"event": kind, "team": team},
    )


def on_unhandled(ack: Ack, body: dict[str, Any]) -> None:
    """The last listener of each kind: ack, log once."""
    ack()
    log_once(f"unhandled:{_describe(body)}", "no listener for %s: acknowledged", _describe(body))


def on_unhandled_options(ack: Ack, body: dict[str, Any]) -> None:
    ack(options=[])  # a menu the bot doesn't fill shows "no options", not an error
    log_once(f"unhandled:{_describe(body)}", "no listener for %s: acknowledged", _describe(body))


def _describe(body: dict[str, Any]) -> str:
    if "command" in body:
        return f"command {body['command']}"
    kind = body.get("type")
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    actions = body.get("actions") or [{}]
    name = (
        actions[0].get("action_id")
        or body.get("callback_id")
        or (body.get("view") or {}).get("callback_id")
    )
    return f"{kind} {name}" if name else str(kind)


def guard_since(started_at: datetime) -> Callable[..., Any]:
    """`guard` as Bolt middleware, for an app built at `started_at`."""

    def lifecycle_guard(
        body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> Any:
        return guard(body, context, next, started_at=started_at)

    return lifecycle_guard


def register_catch_alls(app: App) -> None:
    """Listeners that match whatever the others didn't: registered last, they run only then."""
    app.event(ANYTHING)(on_unhandled)
    app.action(ANYTHING)(on_unhandled)
    app.view(ANYTHING)(on_unhandled)
    app.view_closed(ANYTHING)(on_unhandled)
    app.shortcut(ANYTHING)(on_unhandled)
    app.command(ANYTHING)(on_unhandled)
    app.options(ANYTHING)(on_unhandled_options)
