"""Structured logs: JSON lines, a line per turn, secrets never written."""

import json
import logging

from bot.logs import JsonFormatter, configure_logging, mask


def record(message, *args, **extra):
    rec = logging.LogRecord("bot.slack", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_line_is_one_json_object_with_the_extra_fields():
    line = JsonFormatter().format(record("turn %s", "C1/1.0", thread_ts="1.0", cost_usd=0.0012))
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "turn C1/1.0" and entry["level"] == "info"
    assert entry["logger"] == "bot.slack"
    assert (entry["thread_ts"], entry["cost_usd"]) == ("1.0", 0.0012)


def test_secrets_are_masked_in_messages_fields_and_tracebacks():
    token = "xoxb-1234-5678-abcdefABCDEF"
    key = "sk-ant-api03-SECRETSECRET_SECRET-xyz"
    try:
        raise RuntimeError(f"auth failed for {token}")
    except RuntimeError:
        rec = record("calling with %s", key, headers={"Authorization": f"Bearer {token}"})
        rec.exc_info = __import__("sys").exc_info()
    line = JsonFormatter().format(rec)
    assert token not in line and key not in line
    assert "xoxb-***" in line and "sk-ant-***" in line
    assert mask("xapp-1-A0-123-abc and xoxp-9") == "xapp-*** and xoxp-***"


def test_configure_logging_replaces_the_handlers(capsys):
    configure_logging(json_lines=True)
    try:
        logging.getLogger("bot.test").info("hello %s", "xoxb-secret-token-1")
        err = capsys.readouterr().err
        assert json.loads(err)["message"] == "hello xoxb-***"
    finally:
        logging.getLogger().handlers.clear()
