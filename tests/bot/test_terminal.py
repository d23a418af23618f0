"""`ftscope chat`: the Slack conversation in a terminal."""

import io
import json

import httpx

from bot.cli import main
from bot.settings import Settings, get_settings
from bot.terminal import chat
from tests.fakes import claude_api

API = "https://api.anthropic.test"


def claude_reply(request: httpx.Request) -> httpx.Response:
    newest = json.loads(request.content)["messages"][-1]["content"][0]["text"]
    updates = []
    if "brand" in newest:
        updates = [{"field": "request", "value": "brand_voice", "quote": "sound like our brand"}]
    return claude_api.extraction(updates, usage={"input_tokens": 10, "output_tokens": 10})


def test_chat_runs_the_conversation_with_claude(httpx2_mock, tmp_path):
    route = httpx2_mock.post(f"{API}/v1/messages").mock(side_effect=claude_reply)
    settings = Settings(_env_file=None, anthropic_api_key="sk-ant-test", anthropic_base_url=API)
    out = io.StringIO()
    script = io.StringIO("hello\n\nthey want it to sound like our brand\nquit\nnever read\n")
    assert chat(script, out, settings=settings, database_url=f"sqlite:///{tmp_path}/c.db") == 0
    text = out.getvalue()
    assert "ftscope chat:" in text
    assert "To decide I still need:" in text  # after "hello"
    assert "\nPrompt: brand voice is a prompt job" in text  # the verdict's headline
    assert route.call_count == 2  # the blank line is skipped, "quit" ends before the last


def test_chat_without_a_key_reads_offline_and_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(
            "Acme wants to fine-tune for support ticket routing, ~15M tickets/mo\n"
            "we ran haiku 4.5, 91% vs their 93% bar. they have ~40k labeled. ~600 tokens in, "
            "10 out, 450 of it is the instructions\n"
        ),
    )
    get_settings.cache_clear()
    try:
        assert main(["chat"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "ANTHROPIC_API_KEY is not set, so I read your messages offline" in out
    assert "classification (“Acme wants to fine-tune for support ticket routing”)" in out
    assert "15,000,000 calls/month (“~15M tickets/mo”)" in out
    assert "\nMeasure Claude Haiku 5.5 first · a fine-tune would save $" in out  # the headline
    assert "a month against Haiku 4.5, but not against Haiku 5.5\n" in out
    assert "Reduced mode (no Claude key is set)" in out
