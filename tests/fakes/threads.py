"""Scoping threads started the way the bot starts them: a Slack message admitted to the store."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from bot import render
from bot.conversation import Conversation, Turn
from bot.outcome import Outcome
from bot.storage import ScopingThread, Store
from knowledge import Assumptions


def start_thread(
    store: Store,
    team_id: str = "T1",
    channel_id: str = "C1",
    thread_ts: str = "1.0",
    user_id: str = "U1",
    *,
    text: str = "we want a fine-tune",
    slack_ts: str | None = None,
) -> ScopingThread:
    """The thread `thread_ts` after a message in it (its opening one unless `slack_ts`).

    `Threads.admit_message` is the only way the bot creates a thread: it claims the message,
    creates the thread if it is new (a second message finds it) and stores the message.
    """
    slack_ts = slack_ts or thread_ts
    thread_id = store.threads.admit_message(
        key=f"message:{team_id}:{channel_id}:{slack_ts}",
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        user_id=user_id,
        slack_ts=slack_ts,
        text=text,
        may_start=True,
    )
    thread = store.threads.find(team_id, channel_id, thread_ts)
    assert thread is not None and (thread_id is None or thread_id == thread.id)
    return thread


@dataclass(frozen=True)
class Said:
    """A turn's outcome with its wording, as a user sees the reply: Slack's notification text
    and blocks, and the terminal's text. The outcome's fields read through (`said.decision`)."""

    outcome: Outcome
    text: str
    blocks: list[dict[str, Any]]
    terminal: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.outcome, name)


def worded(outcome: Outcome, assumptions: Assumptions) -> Said:
    text, blocks = render.turn_reply(outcome, assumptions)
    return Said(outcome, text, blocks, render.turn_text(outcome, assumptions))


def say(conversation: Conversation, turn: Turn, reply_ts: str | None = None) -> Said | None:
    """A turn taken as the Slack edge takes it: answered, worded, and (when `reply_ts`, as if
    Slack accepted the post) recorded."""
    outcome = conversation.take(turn)
    if outcome is None:
        return None
    said = worded(outcome, conversation.assumptions)
    if reply_ts is not None:
        conversation.record_reply(outcome, reply_ts, said.text)
    return said


def workloads(store: Store, team_id: str, channel_id: str, thread_ts: str) -> list[ScopingThread]:
    """Every workload a Slack thread scoped, the first first (the bot only ever needs the
    newest: `Threads.find`)."""
    with store.db.session() as session:
        return list(
            session.exec(
                select(ScopingThread)
                .where(
                    ScopingThread.team_id == team_id,
                    ScopingThread.channel_id == channel_id,
                    ScopingThread.thread_ts == thread_ts,
                )
                .order_by(ScopingThread.workload)  # type: ignore[arg-type]
            )
        )
