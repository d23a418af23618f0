"""Who the bot is in Slack, for Bolt's `authorize`: learned from auth.test once, never on a
request's time.

Bolt's built-in single-workspace authorization calls auth.test on the first request (the bot
turns off the call at start, so a Slack outage can't stop it booting) and lets the error out
when Slack can't be reached: the request gets HTTP 500, and a `/ftscope` user sees
"dispatch_failed", though the request was signed and the bot could have answered it. Bolt's
intended way out is an `authorize` function returning an `AuthorizeResult`, which this is:

- the token is the one the bot was given (SLACK_BOT_TOKEN), so nothing per request needs Slack;
- the bot's user and bot ids, which Bolt uses to ignore the bot's own messages and the
  listeners to find @mentions, come from auth.test, asked in the background on the first
  request and again (at most every `RETRY_S`) until Slack answers; until then the bot user id
  is the one Slack sends with every event (`authorizations[0].user_id`);
- a token Slack refuses (revoked, uninstalled) gets Bolt's "installation no longer available"
  reply, as it did before, and is asked about again after `RETRY_S`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

RETRY_S = 30.0
AUTH_TEST_TIMEOUT_S = 5
# auth.test's answers that mean the token itself is no good (Slack's documented errors)
TOKEN_REFUSED = frozenset(
    {
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_expired",
        "token_revoked",
        "no_permission",
        "org_login_required",
        "ekm_access_denied",
    }
)
# Where `remember_event_bot_user` leaves the bot user id an event came with.
EVENT_BOT_USER = "ftscope_event_bot_user_id"


@dataclass(frozen=True)
class BotIdentity:
    """What auth.test says about the bot token."""

    team_id: str | None
    enterprise_id: str | None
    bot_user_id: str | None
    bot_id: str | None
    scopes: str | None


class SlackIdentity:
    """Bolt's `authorize` for one workspace's bot token, answering from memory."""

    def __init__(self, client: WebClient, *, retry_s: float | None = None) -> None:
        if client.token is None:
            raise ValueError("the Slack client has no token")
        self.token: str = client.token
        self.retry_s = RETRY_S if retry_s is None else retry_s
        # A client of its own: a short timeout, and no retries (the next request asks again).
        self._client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=AUTH_TEST_TIMEOUT_S,
            retry_handlers=[],
        )
        self._lock = threading.Lock()
        self._known: BotIdentity | None = None
        self._refused: str | None = None  # auth.test's error for a token Slack refuses
        self._asking = False
        self._next_ask = 0.0  # time.monotonic() before which auth.test isn't asked again

    @property
    def known(self) -> BotIdentity | None:
        with self._lock:
            return self._known

    def authorize(
        self,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
    ) -> AuthorizeResult | None:
        """Bolt calls this for every request (by keyword): never waits on Slack."""
        with self._lock:
            known, refused = self._known, self._refused
        if known is None or refused is not None:
            self.learn_soon()
        if refused is not None:
            return None  # Bolt tells the user the installation is no longer available
        if known is None:
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id,
                bot_user_id=context.get(EVENT_BOT_USER),
                bot_token=self.token,
                user_id=user_id,
            )
        return AuthorizeResult(
            enterprise_id=known.enterprise_id or enterprise_id,
            team_id=known.team_id or team_id,
            bot_user_id=known.bot_user_id,
            bot_id=known.bot_id,
            bot_token=self.token,
            bot_scopes=known.scopes,
            user_id=user_id,
        )

    def learn_soon(self) -> None:
        """Ask auth.test in the background, unless it is being asked or was just asked."""
        with self._lock:
            if self._asking or time.monotonic() < self._next_ask:
                return
            self._asking = True
        threading.Thread(target=self.learn, name="ftscope-auth-test", daemon=True).start()

    def learn(self) -> BotIdentity | None:
        """Ask auth.test now; what it said, or None if Slack couldn't be asked or refused."""
        try:
            answer = self._client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            refused = exc.response.status_code == 200 and error in TOKEN_REFUSED
            self._asked(None, error if refused else None)
            if refused:
                log.error("auth.test: Slack refuses the bot token (%s): check it", error)
            else:
                log.warning("auth.test: %s; asking again later", error)
            return None
        except (SlackClientError, OSError) as exc:  # Slack unreachable: ask again later
            self._asked(None, None)
            log.warning("auth.test: Slack unreachable (%s); asking again later", exc)
            return None
        except BaseException:
            self._asked(None, None)
            raise
        identity = BotIdentity(
            team_id=answer.get("team_id"),
            enterprise_id=answer.get("enterprise_id"),
            bot_user_id=answer.get("user_id"),
            bot_id=answer.get("bot_id"),
            scopes=answer.headers.get("x-oauth-scopes"),
        )
        self._asked(identity, None)
        log.info("Slack bot user %s (bot %s)", identity.bot_user_id, identity.bot_id)
        return identity

    def _asked(self, identity: BotIdentity | None, refused: str | None) -> None:
        with self._lock:
            self._asking = False
            if identity is not None:
                self._known, self._refused = identity, None
            else:
                self._refused = refused
                self._next_ask = time.monotonic() + self.retry_s

    # -- for Bolt, which passes arguments by the names a function declares -----------------

    def bolt_authorize(self) -> Callable[..., AuthorizeResult | None]:
        """`App(authorize=...)`."""

        def authorize(
            context: BoltContext,
            enterprise_id: str | None,
            team_id: str | None,
            user_id: str | None,
        ) -> AuthorizeResult | None:
            return self.authorize(context, enterprise_id, team_id, user_id)

        return authorize

    @staticmethod
    def remember_event_bot_user(
        body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> None:
        """`App(before_authorize=...)`: keep the bot user id an event came with, for a
        request authorized before auth.test has answered."""
        authorizations = body.get("authorizations") or []
        if authorizations and isinstance(authorizations[0], dict):
            first = authorizations[0]
            if first.get("is_bot", True) and first.get("user_id"):
                context[EVENT_BOT_USER] = first["user_id"]
        next()
