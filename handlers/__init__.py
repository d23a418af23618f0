"""Slack's listeners, one per module, and `register`, which wires them into a Bolt app.

Listeners are plain module-level functions: Bolt injects `event`, `ack`, `command` and
`context` by name, and `register` puts the listeners' dependencies (`handlers.deps.Deps`) into
the context, so a test calls a listener with a dict and a fake.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from handlers.commands import COMMAND, on_command
from handlers.deps import CONTEXT_KEY, Deps
from handlers.mentions import on_mention
from handlers.messages import on_message


def register(app: App, deps: Deps) -> None:
    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context[CONTEXT_KEY] = deps
        next()

    app.use(provide_deps)
    app.command(COMMAND)(on_command)
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
