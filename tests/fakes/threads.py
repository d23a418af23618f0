"""Scoping threads started the way the bot starts them: a Slack message admitted to the store."""

from bot.storage import ScopingThread, Store


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

    `Store.admit_message` is the only way the bot creates a thread: it claims the message,
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
