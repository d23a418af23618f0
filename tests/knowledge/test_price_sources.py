"""Reading one price source: LiteLLM's file or a project sheet, kept whole or refused whole.

tests/fixtures/litellm_prices.json is 50 entries copied verbatim (same keys, values, order and
formatting) from BerriAI/litellm `model_prices_and_context_window.json` at commit 00035b69f416:
`sample_spec`, every `claude-…` entry of the file's Claude block, Bedrock and Vertex copies of
Claude, and OpenAI, Gemini, Cohere, DeepSeek, Cloudflare… chat, embedding, image, speech and
transcription entries. Some of those are real oddities the parser must live with: zero prices
(Cloudflare LoRA, Codestral), a model priced only in `tiered_pricing` (dashscope/qwen-flash),
and a `claude-…` key that is a Bedrock model (claude-sonnet-4-5-20250929-v1:0).
"""

import copy
import datetime as dt
import json
import pickle
from importlib import resources
from pathlib import Path

import pytest

from knowledge import InputError, load_price_sheet
from knowledge.documents import parse_document, read_document
from knowledge.price_sources import (
    LITELLM_LABEL,
    SKIP_ALIAS,
    SKIP_CLAUDE_ELSEWHERE,
    SKIP_NOT_CHAT,
    SKIP_NOT_MODEL,
    SKIP_OTHER_NAME,
    SKIP_OTHER_PROVIDER,
    SKIP_SAMPLE,
    SourceData,
    SourceError,
    read_source,
    read_source_text,
    skip_reason,
)
from knowledge.prices import DedicatedGpuServing, PerTokenServing
from tests.fakes.litellm_map import CLAUDE_CHAT, REAL_ENTRIES, litellm_map

FIXTURES = Path(__file__).parents[1] / "fixtures"
LITELLM_FILE = FIXTURES / "litellm_prices.json"

CLAUDE_MODELS = [
    "claude-haiku-4-5-20251001",
    "claude-haiku-4-5",
    "claude-3-7-sonnet-20250219",
    "claude-3-haiku-20240307",
    "claude-3-opus-20240229",
    "claude-4-opus-20250514",
    "claude-4-sonnet-20250514",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-5",
    "claude-sonnet-4-6",
    "claude-opus-4-1",
    "claude-opus-4-1-20250805",
    "claude-opus-4-20250514",
    "claude-opus-4-5-20251101",
    "claude-opus-4-5",
    "claude-opus-4-6",
    "claude-opus-4-6-20260205",
    "claude-opus-4-7",
    "claude-opus-4-7-20260416",
    "claude-fable-5",
    "claude-opus-4-8",
    "claude-sonnet-4-20250514",
]


@pytest.fixture
def litellm() -> dict:
    """A fresh copy of the real file's data, safe to spoil."""
    return json.loads(LITELLM_FILE.read_text(encoding="utf-8"))


def problems(data, name="src"):
    with pytest.raises(SourceError) as caught:
        read_source(data, name)
    return caught.value.problems


# ---------------------------------------------------------------- LiteLLM: the real file


def test_the_real_file_gives_its_claude_chat_models_in_order(litellm):
    source = read_source(litellm, "litellm.json")
    assert list(source.models) == CLAUDE_MODELS
    assert (source.kind, source.label, source.as_of, source.serving) == (
        "litellm",
        LITELLM_LABEL,
        None,
        [],
    )
    assert source.skipped == len(litellm) - len(CLAUDE_MODELS) == 27


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        ("claude-haiku-4-5", "input_cost_per_token", 1e-06),
        ("claude-haiku-4-5", "output_cost_per_token", 5e-06),
        ("claude-haiku-4-5", "cache_read_input_token_cost", 1e-07),
        ("claude-haiku-4-5", "cache_creation_input_token_cost", 1.25e-06),
        ("claude-haiku-4-5", "prompt_cache_min_tokens", 4096),
        ("claude-haiku-4-5", "max_output_tokens", 64000),
        ("claude-haiku-4-5-20251001", "input_cost_per_token", 1e-06),
        ("claude-sonnet-4-5", "input_cost_per_token", 3e-06),
        ("claude-sonnet-4-5", "output_cost_per_token", 1.5e-05),
        ("claude-sonnet-4-5-20250929", "cache_read_input_token_cost", 3e-07),
        ("claude-opus-4-5", "input_cost_per_token", 5e-06),
        ("claude-opus-4-5", "output_cost_per_token", 2.5e-05),
        ("claude-opus-4-5", "prompt_cache_min_tokens", 4096),
        ("claude-sonnet-5", "input_cost_per_token", 2e-06),
        ("claude-fable-5", "prompt_cache_min_tokens", 512),
        ("claude-3-7-sonnet-20250219", "deprecation_date", dt.date(2026, 2, 19)),
        ("claude-opus-4-1-20250805", "deprecation_date", dt.date(2026, 8, 5)),
        ("claude-opus-4-5", "deprecation_date", None),
    ],
)
def test_real_prices_come_through_exactly(litellm, model, field, value):
    assert getattr(read_source(litellm, "x").models[model], field) == value


def test_litellm_keys_the_sheet_doesnt_name_are_kept_as_they_are(litellm):
    sonnet = read_source(litellm, "x").models["claude-sonnet-4-5"]
    assert sonnet.model_extra["cache_creation_input_token_cost_above_1hr"] == 6e-06
    assert sonnet.model_extra["input_cost_per_token_above_200k_tokens"] == 6e-06
    assert sonnet.model_extra["supports_prompt_caching"] is True


@pytest.mark.parametrize(
    "key",
    [
        "sample_spec",
        "claude-sonnet-4-5-20250929-v1:0",  # a claude- key, but Bedrock's
        "anthropic.claude-fable-5",
        "us.anthropic.claude-opus-4-8",
        "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "vertex_ai/claude-haiku-4-5",
        "gpt-5.2",
        "gemini/gemini-2.5-pro",
        "cohere.embed-english-v3",
        "dall-e-3",
        "cloudflare/@cf/google/gemma-2b-it-lora",  # zero prices: skipped, not refused
        "dashscope/qwen-flash",  # no input_cost_per_token at all
    ],
)
def test_entries_the_bot_doesnt_need_are_skipped(litellm, key):
    assert key in litellm
    assert key not in read_source(litellm, "x").models


def test_anthropic_slash_copies_and_comments_are_skipped(litellm):
    litellm["anthropic/claude-haiku-4-5"] = copy.deepcopy(litellm["claude-haiku-4-5"])
    litellm["_comment"] = "notes a person left in the file"
    source = read_source(litellm, "x")
    assert "anthropic/claude-haiku-4-5" not in source.models
    assert source.skipped == 29


def test_skipped_entries_are_not_validated(litellm):
    litellm["gpt-5.2"]["input_cost_per_token"] = "a lot"
    litellm["dall-e-3"] = None
    litellm["claude-sonnet-4-5-20250929-v1:0"]["input_cost_per_token"] = -1
    assert len(read_source(litellm, "x").models) == len(CLAUDE_MODELS)


def test_the_format_is_known_without_sample_spec(litellm):
    del litellm["sample_spec"]
    assert read_source(litellm, "x").kind == "litellm"


# ---------------------------------------------------------------- LiteLLM: bad data refused


def spoil(**fields):
    return lambda entry: entry.update(fields)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            spoil(input_cost_per_token=0.0),
            "claude-haiku-4-5.input_cost_per_token: must be > 0.0, got 0.0",
        ),
        (
            spoil(output_cost_per_token=-5e-06),
            "claude-haiku-4-5.output_cost_per_token: must be > 0.0, got -5e-06",
        ),
        (
            spoil(cache_read_input_token_cost=-1e-07),
            "claude-haiku-4-5.cache_read_input_token_cost: must be > 0.0, got -1e-07",
        ),
        (
            spoil(input_cost_per_token="1e-06"),
            "claude-haiku-4-5.input_cost_per_token: must be a number, got '1e-06'",
        ),
        (
            spoil(output_cost_per_token="free"),
            "claude-haiku-4-5.output_cost_per_token: must be a number, got 'free'",
        ),
        (
            spoil(input_cost_per_token=True),
            "claude-haiku-4-5.input_cost_per_token: must be a number, got True",
        ),
        (
            spoil(input_cost_per_token=float("nan")),
            "claude-haiku-4-5.input_cost_per_token: must be a finite number",
        ),
        (
            spoil(cache_read_input_token_cost=2e-06),
            "claude-haiku-4-5.cache_read_input_token_cost: "
            "must be ≤ input_cost_per_token (1e-06), got 2e-06",
        ),
        (
            lambda entry: entry.pop("input_cost_per_token"),
            "claude-haiku-4-5.input_cost_per_token: is required",
        ),
        (
            spoil(max_input_tokens="lots"),
            "claude-haiku-4-5.max_input_tokens: must be a whole number, got 'lots'",
        ),
        (
            spoil(deprecation_date="soon"),
            "claude-haiku-4-5.deprecation_date: Input should be a valid date",
        ),
    ],
)
def test_one_bad_claude_entry_refuses_the_whole_file(litellm, change, expected):
    change(litellm["claude-haiku-4-5"])
    found = problems(litellm)
    assert len(found) == 1, found
    assert found[0].startswith(expected)


def test_every_problem_is_listed_at_once_in_file_order(litellm):
    litellm["claude-opus-4-5"]["output_cost_per_token"] = 0
    litellm["claude-haiku-4-5"]["input_cost_per_token"] = "1e-06"
    litellm["claude-haiku-4-5"]["cache_read_input_token_cost"] = -1e-07
    assert problems(litellm) == [
        "claude-haiku-4-5.input_cost_per_token: must be a number, got '1e-06'",
        "claude-haiku-4-5.cache_read_input_token_cost: must be > 0.0, got -1e-07",
        "claude-opus-4-5.output_cost_per_token: must be > 0.0, got 0",
    ]


def test_a_file_without_claude_chat_models_is_refused(litellm):
    for key in CLAUDE_MODELS:
        del litellm[key]
    (found,) = problems(litellm)
    assert found.startswith("no Claude chat models among its 27 entries")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([1, 2], "not a price source: expected an object (LiteLLM's model map or a price sheet), "),
        ("<html>rate limited</html>", "not a price source: expected an object"),
        (None, "not a price source: expected an object"),
        ({}, "not a price source: expected LiteLLM's model_prices_and_context_window.json"),
        ({"data": [1], "error": "nope"}, "not a price source: expected LiteLLM's"),
        ({"gpt-4o": {"input": 1}}, "not a price source: expected LiteLLM's"),
    ],
)
def test_what_is_not_a_price_source_is_refused(data, expected):
    (found,) = problems(data)
    assert found.startswith(expected)
    assert "finetune_serving" in found or "object" in found


def test_unknown_formats_name_the_keys_found():
    (found,) = problems({"data": [1], "error": "nope"})
    assert found.endswith("its keys: 'data', 'error'")


def test_the_error_is_an_input_error_naming_the_source():
    with pytest.raises(InputError) as caught:
        read_source([], "https://example.test/prices.json")
    error = caught.value
    assert isinstance(error, SourceError) and isinstance(error, ValueError)
    assert str(error).startswith("https://example.test/prices.json: not a price source")
    again = pickle.loads(pickle.dumps(error))
    assert (again.source, again.problems) == (error.source, error.problems)


# ---------------------------------------------------------------- the project's own format

TEAM_GPUS = """\
as_of: "2026-11-20"
source: "team rentals, Nov 2026"
finetune_serving:
  - id: together-llama-3.1-8b-lora
    kind: per_token
    input_cost_per_token: 1.8e-07
    output_cost_per_token: 1.8e-07
  - id: modal-h100-vllm-8b
    kind: dedicated_gpu
    gpu_hourly_usd: 3.95
    prefill_tokens_per_s: 20000
    decode_tokens_per_s: 2500
"""

MODELS_ONLY = {
    "models": {
        "claude-haiku-4-5": {
            "litellm_provider": "anthropic",
            "input_cost_per_token": 1.0e-06,
            "output_cost_per_token": 5.0e-06,
            "cache_read_input_token_cost": 1.0e-07,
        }
    }
}


def test_a_full_sheet_reads_as_the_sheet_does():
    path = FIXTURES / "prices.yaml"
    source = read_source(read_document(path), str(path))
    sheet = load_price_sheet(path)
    assert source.kind == "sheet" and source.skipped == 0
    assert (source.as_of, source.label) == (sheet.as_of, sheet.source)
    assert source.models == sheet.models
    assert source.serving == sheet.finetune_serving


def test_the_shipped_sheet_reads_as_a_source():
    text = resources.files("knowledge").joinpath("prices.yaml").read_text(encoding="utf-8")
    source = read_source(parse_document(text, "prices.yaml"), "prices.yaml")
    assert source.models == load_price_sheet().models
    assert source.serving == load_price_sheet().finetune_serving


def test_a_team_sheet_may_rent_gpus_only():
    source = read_source(parse_document(TEAM_GPUS, "team.yaml"), "team.yaml")
    assert source == SourceData(
        models={},
        serving=source.serving,
        as_of=dt.date(2026, 11, 20),
        label="team rentals, Nov 2026",
        kind="sheet",
        skipped=0,
        entries=2,
    )
    per_token, gpu = source.serving
    assert isinstance(per_token, PerTokenServing) and per_token.input_cost_per_token == 1.8e-07
    assert isinstance(gpu, DedicatedGpuServing) and gpu.gpu_hourly_usd == 3.95
    assert (gpu.min_replicas, gpu.max_utilization) == (1, 0.6)  # the defaults


def test_a_sheet_may_price_models_only():
    source = read_source(MODELS_ONLY, "ours.json")
    assert source.serving == [] and source.as_of is None and source.label is None
    assert source.models["claude-haiku-4-5"].cache_read_cost == 1e-07


def team_sheet() -> dict:
    return parse_document(TEAM_GPUS, "team.yaml")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["finetune_serving"].append(dict(s["finetune_serving"][1])),
            "finetune_serving: id 'modal-h100-vllm-8b' appears twice",
        ),
        (
            lambda s: s["finetune_serving"][1].update(gpu_hourly_usd=0),
            "finetune_serving[1].dedicated_gpu.gpu_hourly_usd: must be > 0.0, got 0",
        ),
        (
            lambda s: s["finetune_serving"][1].update(gpu_hourly_usd="3.95"),
            "finetune_serving[1].dedicated_gpu.gpu_hourly_usd: must be a number, got '3.95'",
        ),
        (
            lambda s: s["finetune_serving"][0].update(output_cost_per_token=-1e-07),
            "finetune_serving[0].per_token.output_cost_per_token: must be > 0.0, got -1e-07",
        ),
        (
            lambda s: s["finetune_serving"][0].update(kind="magic"),
            "finetune_serving[0]: ",
        ),
        (
            lambda s: s.update(finetune_servings=s.pop("finetune_serving")),
            "finetune_servings: is not a known field",
        ),
        (
            lambda s: s.update(as_of="last week"),
            "as_of: ",
        ),
        (
            lambda s: s.update(finetune_serving=[]),
            "models: the sheet prices nothing (no models, no finetune_serving)",
        ),
        (
            lambda s: s.update(models={"claude-haiku-4-5": {"input_cost_per_token": 1e-06}}),
            "models.claude-haiku-4-5.output_cost_per_token: is required",
        ),
        (
            lambda s: s.update(
                models={
                    "m": {
                        "input_cost_per_token": "1e-06",
                        "output_cost_per_token": 5e-06,
                    }
                }
            ),
            "models.m.input_cost_per_token: must be a number, got '1e-06'",
        ),
    ],
)
def test_a_bad_team_sheet_is_refused_naming_the_field(change, expected):
    sheet = team_sheet()
    change(sheet)
    found = problems(sheet, "team.yaml")
    assert len(found) == 1, found
    assert found[0].startswith(expected)


def test_every_sheet_problem_is_listed_at_once():
    sheet = team_sheet()
    sheet["finetune_serving"][0]["input_cost_per_token"] = 0
    sheet["finetune_serving"][1]["decode_tokens_per_s"] = True
    assert problems(sheet) == [
        "finetune_serving[1].dedicated_gpu.decode_tokens_per_s: must be a number, got True",
        "finetune_serving[0].per_token.input_cost_per_token: must be > 0.0, got 0",
    ]


# ---------------------------------------------------------------- LiteLLM's map at full size


def test_every_entry_of_the_full_map_is_kept_or_skipped_for_a_reason():
    data = litellm_map()
    source = read_source(data, "x")
    assert list(source.models) == list(CLAUDE_CHAT)
    assert source.entries == len(data) == REAL_ENTRIES
    assert len(source.models) + source.skipped == source.entries
    assert sum(s.count for s in source.skipped_why) == source.skipped
    assert [(s.reason, s.count) for s in source.skipped_why] == [
        (SKIP_OTHER_PROVIDER, 4_371),
        (SKIP_CLAUDE_ELSEWHERE, 385),
        (SKIP_ALIAS, 98),
        (SKIP_SAMPLE, 1),
        (SKIP_NOT_MODEL, 1),
    ]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("sample_spec", SKIP_SAMPLE),
        ("claude-sonnet-latest", SKIP_ALIAS),
        ("fallback_generalizations", SKIP_NOT_MODEL),
        ("claude-sonnet-4-5-20250929-v1:0", SKIP_CLAUDE_ELSEWHERE),
        ("claude-haiku-4-5", None),
    ],
)
def test_each_skip_has_its_reason(key, reason):
    assert skip_reason(key, litellm_map(600)[key]) == reason


def test_anthropic_entries_the_bot_cant_use_are_named(litellm):
    litellm["anthropic/claude-haiku-4-5"] = copy.deepcopy(litellm["claude-haiku-4-5"])
    litellm["claude-haiku-4-5-batch-api"] = dict(litellm["claude-haiku-4-5"], mode="batch")
    named = {s.reason: s.names for s in read_source(litellm, "x").skipped_why if s.names}
    assert named == {
        SKIP_OTHER_NAME: ("anthropic/claude-haiku-4-5",),
        SKIP_NOT_CHAT: ("claude-haiku-4-5-batch-api",),
    }


# ---------------------------------------------------------------- a source's text


def test_a_cut_short_map_says_where_and_that_it_stops_there():
    text = json.dumps(litellm_map(), indent=4)
    for cut in (len(text) // 3, len(text) // 2, len(text) - 3):
        with pytest.raises(SourceError) as caught:
            read_source_text(text[:cut], "/tmp/x.json")
        (problem,) = caught.value.problems
        assert problem.startswith("not valid JSON: ") and " at line " in problem
        assert problem.endswith(f"the text stops there, after {cut:,} characters (cut short?)")
        assert "/tmp/x.json" not in problem  # the caller names the source, once
        assert str(caught.value).startswith("/tmp/x.json: not valid JSON")


def test_json_that_is_wrong_but_whole_is_not_called_cut_short():
    with pytest.raises(SourceError) as caught:
        read_source_text('{"a": 1,, "b": 2}', "x")
    assert caught.value.problems == [
        "not valid JSON: expecting property name enclosed in double quotes at line 1, column 9"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty: the source has no text at all"),
        ("   \n\t\n", "empty: the source has no text at all"),
        ("~\n", "got nothing (the document holds no data)"),
        ("models: [1\n", "not valid YAML at line 2: did not find expected ',' or ']'"),
        ("<html>rate limited</html>", "got text ('<html>rate limited</html>')"),
        ("42", "got a number (42)"),
    ],
    ids=["empty", "blank", "null", "yaml", "html", "number"],
)
def test_text_that_isnt_a_source_says_what_it_is(text, expected):
    with pytest.raises(SourceError) as caught:
        read_source_text(text, "x")
    (problem,) = caught.value.problems
    assert problem.endswith(expected)
