"""What a message in a scoping thread asks of the bot: the vocabulary, once.

A salesperson's message gives facts (or corrects one), asks about the verdict, asks what the
verdict would be if something were different, gives the bot a command, or is talk the bot has no
part in. The offline reader of it is `knowledge.reader.intent`; Claude's answers use the same
values.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.labels import Labelled

__all__ = ["Command", "Intent", "MessageIntent", "Topic"]


class Intent(Labelled):
    """What a message is for."""

    facts = "facts", "Facts"  # facts about the workload, or a correction of one
    question = "question", "Question about the verdict"
    what_if = "what_if", "What if"  # the verdict under a hypothetical change
    command = "command", "Command"
    chatter = "chatter", "Chatter"  # thanks, talk between people, a word for someone else


class Command(Labelled):
    """What a command message tells the bot to do."""

    start_over = "start_over", "Start over"
    show_facts = "show_facts", "Show the facts"
    undo = "undo", "Undo the last change"
    new_workload = "new_workload", "New workload"
    client_summary = "client_summary", "Summary for the client"
    help = "help", "Help"


class Topic(Labelled):
    """What a question about the verdict wants to know."""

    why = "why", "Why"  # the rule or gate that decided it, the reason
    math = "math", "The math"  # the numbers behind it ("how did you get $27,500?")
    talking_points = "talking_points", "Talking points"  # what to tell the client
    flip = "flip", "What would flip it"


@dataclass(frozen=True)
class MessageIntent:
    """A message's intent; `command` is set for a command, `topic` for a question."""

    intent: Intent
    command: Command | None = None
    topic: Topic | None = None

    def __post_init__(self) -> None:
        if (self.command is not None) != (self.intent is Intent.command):
            raise ValueError("a command names its command, and only a command does")
        if (self.topic is not None) != (self.intent is Intent.question):
            raise ValueError("a question names its topic, and only a question does")
