"""The Claude extraction call, against a mocked Messages API (pytest-httpx2)."""

import json
import time
from importlib import resources

import httpcore2
import httpx
import pytest
import yaml

from bot.claude import ClaudeClient, ClaudeUnavailable
from bot.extraction import ExtractRequest, ModelScore, reply_updates
from bot.prompt import Exchange, build_request, estimated_tokens, output_schema, system_prompt
from knowledge import Facts
from knowledge.provenance import Update, check_updates
from knowledge.reader.unknowns import check_unknowns, said_unknown

API = "https://api.anthropic.test"
REPLY = {
    "updates": [
        {"field": "task_type", "value": "classification", "quote": "ticket routing"},
        {"field": "monthly_calls", "value": "15000000", "quote": "~15M tickets/mo"},
    ],
    "question": "Has anyone measured a prompted frontier model on this?",
}


def message_body(text: str, *, read: int = 0, write: int = 0) -> dict:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 120,
            "output_tokens": 60,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        },
    }


@pytest.fixture
def client():
    return ClaudeClient("test-key", "claude-haiku-4-5", timeout_s=2, max_retries=1, base_url=API)


def sent(route, index=-1) -> dict:
    return json.loads(route.calls[index].request.content)


def test_extracts_updates_and_records_usage(httpx2_mock, client):
    route = httpx2_mock.post(f"{API}/v1/messages").respond(
        200, json=message_body(json.dumps(REPLY), write=4500)
    )
    result = client.extract(
        ExtractRequest("Acme: ticket routing, ~15M tickets/mo", Facts(), ["task_type"])
    )

    assert [u.field for u in result.updates] == ["task_type", "monthly_calls"]
    assert result.usage.cache_creation_input_tokens == 4500
    body = sent(route)
    assert body["model"] == "claude-haiku-4-5"
    assert "temperature" not in body and "top_p" not in body and "tool_choice" not in body
    assert body["output_config"]["format"]["type"] == "json_schema"


def test_cache_markers_and_stable_prefix_across_turns(httpx2_mock, client):
    route = httpx2_mock.post(f"{API}/v1/messages").respond(
        200, json=message_body(json.dumps(REPLY))
    )
    first = client.extract(ExtractRequest("first message"))
    client.extract(
        ExtractRequest(
            "second message",
            Facts(task_type="classification"),
            ["monthly_calls"],
            [Exchange("first message", first.raw_text)],
        )
    )
    turn1, turn2 = sent(route, 0), sent(route, 1)

    assert turn1["system"] == turn2["system"]
    assert turn1["system"][0]["cache_control"] == {"type": "ephemeral"}
    # the first turn's user message is replayed byte for byte, so turn 2 reads it from cache
    assert turn2["messages"][0]["content"][0]["text"] == turn1["messages"][0]["content"][0]["text"]
    assert turn2["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": first.raw_text}],
    }
    newest = turn2["messages"][-1]["content"]
    assert newest[0]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in newest[1]  # known facts change every turn: after the breakpoint
    markers = json.dumps(turn2).count('"cache_control"')
    assert markers <= 4


def test_system_prompt_is_long_enough_to_cache_on_haiku_4_5():
    """Below 4,096 tokens Haiku 4.5 silently caches nothing."""
    assert estimated_tokens(system_prompt()) >= 4096


def test_system_prompt_is_identical_across_threads():
    a = build_request("m", [], "thread A", Facts(monthly_calls=5), [])
    b = build_request("m", [], "thread B", Facts(), ["task_type"])
    assert a["system"] == b["system"]


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (429, "rate_limit_error", r"rate-limiting us \(429\)"),
        (529, "overloaded_error", "529"),
        (500, "api_error", "500"),
    ],
)
def test_errors_become_claude_unavailable(httpx2_mock, client, status, error_type, expected):
    route = httpx2_mock.post(f"{API}/v1/messages").respond(
        status,
        json={"type": "error", "error": {"type": error_type, "message": "no"}},
        headers={"retry-after-ms": "1"},
    )
    with pytest.raises(ClaudeUnavailable, match=expected):
        client.extract(ExtractRequest("hello"))
    assert route.call_count == 2  # one retry, then give up: a chat turn can't wait longer


def test_a_retry_that_succeeds_is_transparent(httpx2_mock, client):
    httpx2_mock.post(f"{API}/v1/messages").mock(
        side_effect=[
            httpx.Response(
                529,
                json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
                headers={"retry-after-ms": "1"},
            ),
            httpx.Response(200, json=message_body(json.dumps(REPLY))),
        ]
    )
    assert client.extract(ExtractRequest("hello")).question


def test_timeout_becomes_claude_unavailable(httpx2_mock, client):
    def timeout(request):
        raise httpcore2.ConnectTimeout("slow")

    httpx2_mock.post(f"{API}/v1/messages").mock(side_effect=timeout)
    with pytest.raises(ClaudeUnavailable, match="timed out"):
        client.extract(ExtractRequest("hello"))


def test_malformed_output_becomes_claude_unavailable(httpx2_mock, client):
    httpx2_mock.post(f"{API}/v1/messages").respond(200, json=message_body("Sure! fine-tune it."))
    with pytest.raises(ClaudeUnavailable, match="not the agreed JSON"):
        client.extract(ExtractRequest("hello"))


def test_usage_cost_comes_from_the_price_sheet(prices, httpx2_mock, client):
    httpx2_mock.post(f"{API}/v1/messages").respond(
        200, json=message_body(json.dumps(REPLY), read=4400)
    )
    usage = client.extract(ExtractRequest("hello")).usage
    expected = 120 * 1e-6 + 4400 * 1e-7 + 60 * 5e-6
    assert usage.cost_usd(prices) == pytest.approx(expected)


def test_a_retry_that_cannot_finish_within_the_turn_is_not_started(httpx2_mock):
    client = ClaudeClient("k", "claude-haiku-4-5", timeout_s=25, max_retries=3, base_url=API)
    route = httpx2_mock.post(f"{API}/v1/messages").respond(
        429,
        json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
        headers={"retry-after": "30"},
    )
    started = time.monotonic()
    with pytest.raises(ClaudeUnavailable, match="429"):
        client.extract(ExtractRequest("hello"))
    assert route.call_count == 1 and time.monotonic() - started < 1


def test_the_turn_budget_caps_the_call(httpx2_mock):
    client = ClaudeClient("k", "claude-haiku-4-5", timeout_s=25, max_retries=1, base_url=API)
    route = httpx2_mock.post(f"{API}/v1/messages").respond(
        529,
        json={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        headers={"retry-after": "2"},
    )
    with pytest.raises(ClaudeUnavailable):
        client.extract(ExtractRequest("hello", budget_s=2.5))  # a 2 s wait leaves too little
    assert route.call_count == 1


# --- the new facts in Claude's schema and reply -------------------------------------------------


def test_other_baselines_travels_in_claudes_schema_as_a_list():
    """Structured outputs need every object closed (additionalProperties: false), so the
    {model: quality} map is a list of items, and not an update field."""
    schema = output_schema()
    item = schema["properties"]["other_baselines"]
    assert item["type"] == "array"
    assert item["items"]["properties"].keys() == {"model", "quality", "quote"}
    assert item["items"]["required"] == ["model", "quality", "quote"]
    assert "other_baselines" in schema["required"]
    fields = schema["properties"]["updates"]["items"]["properties"]["field"]["enum"]
    assert "other_baselines" not in fields
    assert {"batch_ok", "format_schema"} <= set(fields)

    def closed(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, node
            for value in node.values():
                closed(value)
        elif isinstance(node, list):
            for value in node:
                closed(value)

    closed(schema)


def test_the_prompt_teaches_the_new_facts_and_suggests_no_retired_model():
    prompt = system_prompt()
    for words in ("batch_ok", "format_schema", "other_baselines", '"sonnet" -> claude-sonnet-5-5'):
        assert words in prompt
    # the worked examples reply in the schema's shape
    assert '"other_baselines": [{"model": "claude-haiku-5-5", "quality": 0.91' in prompt
    questions = [line for line in prompt.splitlines() if line.startswith("Reply:")]
    assert not any("Sonnet 4.5" in line for line in questions)


def test_every_worked_example_passes_provenance():
    """The examples teach Claude: each of their facts must be one provenance accepts."""
    examples = yaml.safe_load(
        resources.files("knowledge").joinpath("extraction_examples.yaml").read_text("utf-8")
    )
    for example in examples:
        known = Facts.model_validate(example.get("known") or {})
        updates = reply_updates(
            [Update(u["field"], u["value"], u["quote"]) for u in example["updates"]],
            [
                ModelScore(s["model"], str(s["quality"]), s["quote"])
                for s in example.get("other_baselines", [])
            ],
            known,
        )
        message = example["message"]
        values, unknown = said_unknown(updates)
        rejected = check_updates(values, message, message).rejected
        rejected += check_unknowns(unknown, message).rejected
        assert rejected == [], (message, rejected)


def test_claudes_scores_become_updates_model_by_model(httpx2_mock, client):
    reply = {
        "updates": [{"field": "batch_ok", "value": "true", "quote": "it runs nightly"}],
        "other_baselines": [
            {"model": "haiku 5.5", "quality": 0.91, "quote": "haiku 5.5 got 91%"},
            {"model": "claude-sonnet-5-5", "quality": 94, "quote": "sonnet 94%"},
            # the thread's own model: its score is the baseline, not another model's
            {"model": "claude-haiku-4-5", "quality": 0.88, "quote": "haiku 4.5 at 88%"},
        ],
        "question": "",
    }
    httpx2_mock.post(f"{API}/v1/messages").respond(200, json=message_body(json.dumps(reply)))
    known = Facts(frontier_model="claude-haiku-4-5")
    result = client.extract(ExtractRequest("...", known))
    assert [(u.field, u.value, u.model) for u in result.updates] == [
        ("batch_ok", "true", None),
        ("other_baselines", "0.91", "claude-haiku-5-5"),
        ("other_baselines", "94.0", "claude-sonnet-5-5"),  # a percent: provenance reads it
        ("baseline_quality", "0.88", None),
    ]


@pytest.mark.parametrize(
    ("frontier", "known", "expected"),
    [
        ("sonnet", None, "claude-sonnet-5-5"),  # bare, nothing known: the current Sonnet
        ("sonnet", "claude-sonnet-4-6", "claude-sonnet-4-6"),  # bare: the thread's Sonnet
        ("Sonnet 4.5", None, "claude-sonnet-4-5"),
        ("opus 4.5", None, "claude-opus-4-5"),
        ("gpt-4.1", None, "gpt-4.1"),  # not Claude: left for the sheet check to refuse
    ],
)
def test_claudes_model_names_are_read_as_sheet_ids(frontier, known, expected):
    updates = reply_updates(
        [Update("frontier_model", frontier, frontier)], [], Facts(frontier_model=known)
    )
    assert [u.value for u in updates] == [expected]


def test_a_score_of_the_model_named_in_the_same_reply_is_the_baseline():
    updates = reply_updates(
        [Update("frontier_model", "claude-opus-4-5", "opus 4.5")],
        [ModelScore("opus 4.5", "0.9", "opus 4.5 at 90%")],
        Facts(frontier_model="claude-haiku-4-5"),
    )
    assert [(u.field, u.value) for u in updates] == [
        ("frontier_model", "claude-opus-4-5"),
        ("baseline_quality", "0.9"),
    ]


def test_a_bare_name_in_the_users_words_is_the_threads_model_whatever_claude_wrote():
    """ "sonnet gets 87%" in a thread on Sonnet 4.6: the baseline, even if Claude wrote the
    current Sonnet's id."""
    updates = reply_updates(
        [Update("frontier_model", "claude-sonnet-5-5", "sonnet")],
        [ModelScore("claude-sonnet-5-5", "0.87", "sonnet gets 87%")],
        Facts(frontier_model="claude-sonnet-4-6"),
    )
    assert [(u.field, u.value) for u in updates] == [
        ("frontier_model", "claude-sonnet-4-6"),
        ("baseline_quality", "0.87"),
    ]
