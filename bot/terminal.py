"""`ftscope chat`: the scoping conversation in a terminal, one thread per session."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import TextIO

from bot import render
from bot.conversation import Turn
from bot.extraction import Extractor
from bot.offline import OfflineExtractor
from bot.runtime import build_conversation, open_store
from bot.settings import Settings, get_settings

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
    store = open_store(settings.model_copy(update={"database_url": database_url}))
    conversation = build_conversation(settings, store, extractor)
    session = uuid.uuid4().hex[:12]
    print(INTRO, file=stdout)
    if isinstance(conversation.extractor, OfflineExtractor):
        print(OFFLINE, file=stdout)
    for number, line in enumerate(_lines(stdin, stdout), start=1):
        text = line.strip()
        if not text:
            continue
        if text.casefold() in QUIT_WORDS:
            break
        turn = Turn("terminal", "chat", session, "you", text, f"{number}.000000")
        outcome = conversation.take(turn)
        if outcome is not None:
            reply = render.turn_text(outcome, conversation.assumptions).rstrip()
            print(f"\n{reply}\n", file=stdout)
            conversation.record_reply(outcome, turn.ts, reply)
    return 0


def _lines(stdin: TextIO, stdout: TextIO) -> Iterator[str]:
    """Lines typed at a prompt, or piped in (a script of messages) without one."""
    if not stdin.isatty():
        yield from stdin
        return
    while True:
        print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(file=stdout)
            return
        yield line
