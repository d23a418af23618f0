"""Slack's listeners, one per module, and `register`, which wires them into a Bolt app.

Listeners are plain module-level functions: Bolt injects `event`, `ack`, `command` and
`context` by name, and `register` puts the listeners' dependencies (`handlers.deps.Deps`) into
the context, so a test calls a listener with a dict and a fake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import App, BoltContext

from handlers.actions import ACTIONS, on_action
from handlers.assistant import assistant
from handlers.commands import COMMAND, on_command
from handlers.deps import CONTEXT_KEY, Deps
from handlers.home import on_home_opened
from handlers.lifecycle import LIFECYCLE_EVENTS, guard_since, on_lifecycle, register_catch_alls
from handlers.mentions import on_mention
from handlers.messages import on_message
from handlers.views import VIEWS, on_view_submission


def register(app: App, deps: Deps) -> None:
    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context[CONTEXT_KEY] = deps
        next()

    app.use(provide_deps)
    # app_rate_limited, unknown payloads and uninstalled workspaces stop here
    app.use(guard_since(datetime.now(UTC)))
    app.use(assistant())  # the assistant pane's events, before the DM listener sees them
    app.command(COMMAND)(on_command)
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
    app.action(ACTIONS)(on_action)
    app.view(VIEWS)(on_view_submission)
    app.event("app_home_opened")(on_home_opened)
    for lifecycle in sorted(LIFECYCLE_EVENTS):
        app.event(lifecycle)(on_lifecycle)
    register_catch_alls(app)  # last: they answer only what nothing above did
