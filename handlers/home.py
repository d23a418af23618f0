"""The Home tab: drawn afresh each time the user opens it (`app_home_opened` → views.publish)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from handlers.deps import deps_of, needed, team_of


def on_home_opened(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab") != "home":  # the Messages tab opens the DM: nothing to draw
        return
    interactions = needed(deps_of(context).interactions, "interactions")
    interactions.publish_home(team_of(event, context), str(event["user"]))
