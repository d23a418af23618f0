"""Structured logs: one JSON object a line, secrets masked, a line per scoping turn.

Fly (and most log pipelines) index JSON lines; a turn's line carries what an operator asks
about a slow or costly thread: which thread, how long, how many tokens, what it cost. Tokens
and keys never reach the log: anything shaped like a Slack or Anthropic secret is masked in
every message and field, whoever logged it (our code, Bolt, the SDKs).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# Slack bot/user/app tokens and Anthropic keys, by their documented prefixes.
SECRET = re.compile(r"\b(xox[abposr]-|xapp-|sk-ant-)[A-Za-z0-9-_]+")
# color_message: uvicorn's ANSI-coloured copy of the message
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def mask(text: str) -> str:
    return SECRET.sub(lambda m: f"{m.group(1)}***", text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...fields}`; `extra=` keys become fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _masked(value)
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    """The plain-text format, secrets masked too."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def configure_logging(level: int = logging.INFO, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
