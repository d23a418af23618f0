"""`ftscope chat`: the scoping conversation in a terminal, one thread per session."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import TextIO

from bot import render
from bot.conversation import Turn
from bot.extraction import Extractor
from bot.offline import OfflineExtractor
from bot.runtime import build_conversation, open_store
from bot.settings import Settings, get_settings, normalize_database_url

INTRO = (
    "ftscope chat: describe the buyer's request as you would in Slack; I'll ask for what I "
    "need and give a verdict. Corrections work. Ctrl-D or 'quit' ends."
)
OFFLINE = (
    "ANTHROPIC_API_KEY is not set, so I read your messages offline, with patterns and keywords "
    '(reduced mode): the usual phrasings work ("~15M tickets/mo", "40k labeled", "under '
    '80ms"), Claude reads more. Set the key for the full bot.'
)
QUIT_WORDS = frozenset({"quit", "exit", ":q"})
PROMPT = "you> "
HISTORY_LINES = 1000


def chat(
    stdin: TextIO,
    stdout: TextIO,
    *,
    database_url: str = "sqlite://",
    settings: Settings | None = None,
    extractor: Extractor | None = None,
) -> int:
    # Outages and refused facts are in the replies; the log only needs real trouble.
    logging.basicConfig(level=logging.ERROR, format="ftscope: %(levelname)s %(message)s")
    settings = settings or get_settings()
    database_url = normalize_database_url(database_url)
    store = open_store(settings.model_copy(update={"database_url": database_url}))
    conversation = build_conversation(settings, store, extractor)
    session = uuid.uuid4().hex[:12]
    print(INTRO, file=stdout)
    if isinstance(conversation.extractor, OfflineExtractor):
        print(OFFLINE, file=stdout)
    with closing(_lines(stdin, stdout)) as lines:  # closed on "quit": the history is saved
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            if text.casefold() in QUIT_WORDS:
                break
            turn = Turn("terminal", "chat", session, "you", text, f"{number}.000000")
            outcome = conversation.take(turn)
            if outcome is not None:
                reply = render.turn_text(outcome, conversation.assumptions).rstrip()
                if reply:  # talk that isn't for the bot gets no answer
                    print(f"\n{reply}\n", file=stdout)
                    conversation.record_reply(outcome, turn.ts, reply)
    return 0


def _lines(stdin: TextIO, stdout: TextIO) -> Iterator[str]:
    """Lines typed at a prompt, or piped in (a script of messages) without one."""
    if not stdin.isatty():
        yield from stdin
        return
    if stdin is sys.stdin and stdout is sys.stdout:
        yield from _edited_lines()
        return
    while True:
        print(PROMPT, end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(file=stdout)
            return
        yield line


def _edited_lines() -> Iterator[str]:
    """Lines typed at the terminal with line editing: arrow keys move and recall earlier
    messages (from earlier sessions too) instead of typing ^[[A."""
    with _line_editing():
        while True:
            try:
                yield input(PROMPT)
            except EOFError:  # Ctrl-D
                print()
                return


@contextmanager
def _line_editing() -> Iterator[None]:
    """input() edits lines with readline once it is imported; the history is kept across
    sessions in the user's state folder, readable by them only (it holds client details)."""
    try:
        import readline  # noqa: PLC0415 - only at a terminal: it can write escapes to stdout
    except ImportError:  # a Python built without it: plain input()
        yield
        return
    history = history_file()
    try:
        history.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        history.touch(mode=0o600)  # before readline writes it with the umask's mode
        readline.read_history_file(history)
        keep = True
    except OSError:  # a read-only home: edit lines, keep no history
        keep = False
    readline.set_history_length(HISTORY_LINES)
    try:
        yield
    finally:
        if keep:
            with suppress(OSError):
                readline.write_history_file(history)


def history_file() -> Path:
    """Where `ftscope chat` keeps its history: $XDG_STATE_HOME, else ~/.local/state."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ftscope" / "chat_history"
