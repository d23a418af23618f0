"""A generated LiteLLM `model_prices_and_context_window.json` at full size, for refresh tests.

The refresh reads LiteLLM's whole map (4,878 entries, 3.5 MB, in litellm 1.110.2) and keeps
about twenty of them, so the cases that matter (what is skipped and why, aliases, Claude on
Bedrock and Vertex, snapshot ids, a retired model, invitation-only models) only show at full
size and shape. The file itself is not shipped: this builds one like it.

Its shape is LiteLLM's, as litellm 1.110.2's `model_prices_and_context_window_backup.json` has
it: `sample_spec` first; Anthropic's own Claude chat models under their real ids, in the
file's order, with LiteLLM's field names (`*_batches`, `*_above_100k_tokens`, the cache
fields, `deprecation_date`, `successor_model`, the `supports_*` flags) and the prices of the
shipped price sheet (which matches that release; `claude-mythos-preview`, which the sheet leaves
out, as LiteLLM has it); about a hundred `alias_of` entries; Claude again under Bedrock,
Bedrock Converse, Vertex AI, Azure and gateway providers (`anthropic.claude-…-v1:0`,
`vertex_ai/claude-…@…`, with the `*_above_200k_tokens` band); and the rest other providers'
chat, responses, embedding, image, audio, video, rerank, search and OCR entries in the
proportions of the real file, with its oddities (zero prices, `tiered_pricing` only, no
`mode`). Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from knowledge import PriceSheet, load_price_sheet
from knowledge.prices import TEAM_MODEL_KEYS, snapshot_alias

REAL_ENTRIES = 4_878  # litellm 1.110.2
REAL_BYTES = 3_483_222  # its model_prices_and_context_window_backup.json

# Anthropic's own chat models in litellm 1.110.2, in the file's order.
CLAUDE_CHAT = (
    "claude-haiku-4-5-20251001",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-5",
    "claude-sonnet-5-5",
    "claude-sonnet-4-6",
    "claude-opus-4-5-20251101",
    "claude-opus-4-5",
    "claude-opus-4-6",
    "claude-opus-4-6-20260205",
    "claude-opus-4-7",
    "claude-opus-4-7-20260416",
    "claude-fable-5",
    "claude-fable-5-1",
    "claude-opus-5-5",
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-mythos-5",
    "claude-mythos-5-1",
    "claude-mythos-preview",
    "claude-haiku-5-5",
)
RETIRED = {"claude-mythos-preview": "2026-06-09"}  # in the file, not in the shipped sheet
SNAPSHOTS = tuple(m for m in CLAUDE_CHAT if snapshot_alias(m) != m)
# What the shipped sheet has and LiteLLM 1.110.2 doesn't yet (from Anthropic's own pages).
NOT_IN_LITELLM = {"claude-opus-4-5": ("deprecation_date",)}

PRICING_PAGE = "https://platform.claude.com/docs/en/about-claude/pricing"
SEARCH_COST = {
    "search_context_size_high": 0.01,
    "search_context_size_low": 0.01,
    "search_context_size_medium": 0.01,
}
CLAUDE_FLAGS = (
    "supports_assistant_prefill",
    "supports_computer_use",
    "supports_function_calling",
    "supports_pdf_input",
    "supports_prompt_caching",
    "supports_reasoning",
    "supports_response_schema",
    "supports_tool_choice",
    "supports_vision",
)
NEW_CLAUDE_FLAGS = (
    "supports_adaptive_thinking",
    "supports_anthropic_compaction",
    "supports_max_reasoning_effort",
    "supports_mid_conversation_system",
    "supports_output_config",
    "supports_web_search",
    "supports_xhigh_reasoning_effort",
)

# (provider, weight) for other providers, after the real file's counts.
PROVIDERS = (
    ("fireworks_ai", 348),
    ("bedrock", 240),
    ("azure", 322),
    ("bedrock_converse", 120),
    ("openai", 223),
    ("fal_ai", 215),
    ("deepinfra", 126),
    ("azure_ai", 119),
    ("novita", 135),
    ("gmi", 115),
    ("vercel_ai_gateway", 82),
    ("perplexity", 83),
    ("empiriolabs", 96),
    ("databricks", 69),
    ("gemini", 85),
    ("kyma", 73),
    ("together_ai", 82),
    ("mistral", 79),
    ("aihubmix", 67),
    ("nebius", 67),
    ("dashscope", 63),
    ("xai", 61),
    ("bedrock_mantle", 54),
    ("vertex_ai", 59),
    ("qwen_ai_platform", 58),
    ("qwencloud", 56),
    ("github_copilot", 39),
    ("oci", 50),
    ("deepgram", 45),
    ("vertex_ai-language-models", 45),
    ("cloudflare", 40),
    ("replicate", 34),
    ("snowflake", 30),
    ("baseten", 36),
    ("voyage", 31),
    ("watsonx", 31),
    ("ollama", 29),
    ("stability", 23),
    ("cohere", 16),
    ("deepseek", 17),
    ("groq", 30),
    ("openrouter", 60),
    ("sambanova", 15),
    ("cerebras", 10),
    ("elevenlabs", 12),
    ("ai21", 12),
    ("moonshot", 13),
    ("minimax", 12),
)
# (mode, weight) of the other providers' entries; None: the file has entries without a mode
MODES = (
    ("chat", 3100),
    ("image_generation", 414),
    ("responses", 205),
    ("embedding", 157),
    ("audio_transcription", 109),
    ("video_generation", 90),
    ("realtime", 59),
    ("audio_speech", 56),
    ("image_edit", 44),
    ("rerank", 41),
    ("evaluation", 35),
    ("completion", 32),
    ("search", 24),
    ("ocr", 20),
    (None, 11),
)
FAMILIES = (
    "llama-4",
    "qwen3",
    "gpt-5",
    "gemini-3",
    "mistral-large",
    "deepseek-v4",
    "kimi-k3",
    "glm-5",
    "grok-5",
    "command-a",
    "phi-5",
    "gemma-4",
    "minimax-m3",
)
SIZES = ("mini", "flash", "pro", "8b", "70b", "405b", "turbo", "instruct", "lite", "max")


def litellm_map(
    entries: int = REAL_ENTRIES, *, seed: int = 0, sheet: PriceSheet | None = None
) -> dict[str, Any]:
    """A LiteLLM map of `entries` entries (at least the Claude block and `sample_spec`),
    priced as `sheet` (default: the shipped sheet) for Anthropic's own Claude models."""
    sheet = sheet or load_price_sheet()
    rng = random.Random(seed)
    document: dict[str, Any] = {"sample_spec": _sample_spec()}
    claude = {name: claude_entry(name, sheet) for name in CLAUDE_CHAT}
    aliases = _aliases(rng, 98)
    elsewhere = _claude_elsewhere(rng, 385)
    fixed = 1 + len(claude) + len(aliases) + len(elsewhere) + 1
    others = _other_providers(rng, max(0, entries - fixed))
    # LiteLLM's file groups by provider loosely: the Claude block sits among other entries
    rest = list(others.items())
    cut = len(rest) // 3
    for key, entry in rest[:cut]:
        document[key] = entry
    document.update(elsewhere)
    document.update(claude)
    document.update(aliases)
    for key, entry in rest[cut:]:
        document[key] = entry
    document["fallback_generalizations"] = {
        "rules": [
            {
                "name": "bedrock-claude-ids",
                "pattern": "^(?:[a-z-]+\\.)?anthropic\\.claude-",
                "description": "A Bedrock-syntax Claude id, for every version.",
            }
        ]
    }
    return document


def write_litellm_map(path: Path, **options: Any) -> Path:
    """The generated map written as LiteLLM writes its file (indented by four)."""
    path.write_text(json.dumps(litellm_map(**options), indent=4), encoding="utf-8")
    return path


def claude_entry(name: str, sheet: PriceSheet | None = None) -> dict[str, Any]:
    """Anthropic's own entry for `name` as LiteLLM has it, priced as `sheet` has its alias."""
    sheet = sheet or load_price_sheet()
    alias = snapshot_alias(name)
    if name in RETIRED:
        model = sheet.models["claude-mythos-5"].model_copy(update={"deprecation_date": None})
    else:
        model = sheet.models[alias]
    dropped = {"source", *TEAM_MODEL_KEYS, *NOT_IN_LITELLM.get(alias, ())}
    entry: dict[str, Any] = {
        key: value
        for key, value in model.model_dump(mode="json", exclude_none=True).items()
        if key not in dropped
    }
    entry["litellm_provider"] = "anthropic"
    entry["mode"] = "chat"
    if name in RETIRED:
        entry["deprecation_date"] = RETIRED[name]
        entry["max_input_tokens"] = 1_000_000
    if "cache_creation_input_token_cost" in entry:
        entry["cache_creation_input_token_cost_batches"] = _sig(
            entry["cache_creation_input_token_cost"] / 2
        )
    if "input_cost_per_token_above_100k_tokens" in entry:
        write = entry["cache_creation_input_token_cost"] * 5
        entry["cache_creation_input_token_cost_above_100k_tokens"] = _sig(write)
        entry["cache_creation_input_token_cost_above_100k_tokens_batches"] = _sig(write / 2)
        entry["cache_creation_input_token_cost_above_1hr_above_100k_tokens"] = _sig(write * 1.6)
    if entry.get("deprecation_date") and model.successor:
        entry["deprecation_source"] = (
            "https://platform.claude.com/docs/en/about-claude/model-deprecations"
        )
        entry["successor_model"] = model.successor
    entry["search_context_cost_per_query"] = dict(SEARCH_COST)
    entry["source"] = PRICING_PAGE
    for flag in CLAUDE_FLAGS:
        entry[flag] = True
    if model.max_input_tokens and model.max_input_tokens > 200_000:
        for flag in NEW_CLAUDE_FLAGS:
            entry[flag] = True
        entry["supports_assistant_prefill"] = False
        entry["supports_sampling_params"] = False
        entry["provider_specific_entry"] = {"us": 1.1}
        entry["thinking_on_by_default"] = True
    return entry


def _sample_spec() -> dict[str, Any]:
    return {
        "code_interpreter_cost_per_session": 0.0,
        "deprecation_date": "date when the model becomes deprecated in the format YYYY-MM-DD",
        "input_cost_per_token": 0.0,
        "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
        "max_input_tokens": "max input tokens, if the provider specifies it",
        "max_output_tokens": "max output tokens, if the provider specifies it",
        "mode": "one of: chat, embedding, completion, image_generation, audio_transcription, "
        "audio_speech, image_generation, moderation, rerank, search",
        "output_cost_per_reasoning_token": 0.0,
        "output_cost_per_token": 0.0,
        "search_context_cost_per_query": {
            "search_context_size_high": 0.0,
            "search_context_size_low": 0.0,
            "search_context_size_medium": 0.0,
        },
        "supported_regions": ["global", "us-west-2", "eu-west-1"],
        "supports_function_calling": True,
        "supports_prompt_caching": True,
        "supports_reasoning": True,
        "supports_vision": True,
    }


def _aliases(rng: random.Random, count: int) -> dict[str, Any]:
    found = {
        "claude-sonnet-latest": {"alias_of": "claude-sonnet-5-5"},
        "claude-opus-latest": {"alias_of": "claude-opus-5-5"},
        "claude-haiku-latest": {"alias_of": "claude-haiku-5-5"},
        "claude-fable-latest": {"alias_of": "claude-fable-5-1"},
        "bedrock/claude-opus-latest": {"alias_of": "anthropic.claude-opus-5-5"},
        "azure_ai/claude-fable-latest": {"alias_of": "azure_ai/claude-fable-5-1"},
    }
    while len(found) < count:
        provider = rng.choice(("azure", "azure_ai", "openai", "gemini", "vertex_ai", "xai"))
        family = rng.choice(FAMILIES)
        key = f"{provider}/{family}-{rng.choice(SIZES)}-latest"
        found[key] = {"alias_of": f"{provider}/{family}-{rng.randint(1, 9)}"}
    return found


def _claude_elsewhere(rng: random.Random, count: int) -> dict[str, Any]:
    """Claude under other platforms' names and prices: skipped, not Anthropic's own."""
    versions = ("3-5-haiku", "3-7-sonnet", "sonnet-4", "opus-4-1", "sonnet-4-5", "haiku-4-5")
    versions += ("opus-4-5", "sonnet-4-6", "opus-4-6", "opus-4-7", "sonnet-5", "opus-5-5")
    dated = ("20241022", "20250219", "20250514", "20250805", "20250929", "20251001", "20251101")
    found: dict[str, Any] = {
        # a claude- key, but Bedrock's: the name alone doesn't make it Anthropic's
        "claude-sonnet-4-5-20250929-v1:0": _bedrock_claude(rng, "bedrock", "2027-04-08"),
    }
    while len(found) < count:
        version = rng.choice(versions)
        date = rng.choice(dated)
        shape = rng.randrange(9)
        if shape < 3:
            geo = rng.choice(("", "us.", "eu.", "apac.", "global.", "jp.", "au."))
            key = f"{geo}anthropic.claude-{version}-{date}-v1:0"
            provider = rng.choice(("bedrock", "bedrock_converse"))
        elif shape < 4:
            key = f"bedrock/{rng.choice(('us-east-1', 'eu-west-1', 'us-gov-west-1'))}/"
            key += f"anthropic.claude-{version}-v1:0"
            provider = "bedrock"
        elif shape < 6:
            key = f"vertex_ai/claude-{version}" + (f"@{date}" if rng.random() < 0.5 else "")
            provider = "vertex_ai-anthropic_models"
        elif shape < 7:
            key = f"azure_ai/claude-{version}"
            provider = "azure_ai"
        else:
            gateway = rng.choice(
                ("databricks", "vercel_ai_gateway", "snowflake", "perplexity", "deepinfra")
            )
            key = f"{gateway}/anthropic/claude-{version}-{rng.randint(1, 99)}"
            provider = gateway
        found[key] = _bedrock_claude(rng, provider, rng.choice((None, "2026-10-14", "2027-04-08")))
    return found


def _bedrock_claude(rng: random.Random, provider: str, retires: str | None) -> dict[str, Any]:
    base = rng.choice((8e-07, 1e-06, 3e-06, 5e-06, 1.5e-05))
    entry: dict[str, Any] = {
        "cache_creation_input_token_cost": _sig(base * 1.25),
        "cache_read_input_token_cost": _sig(base / 10),
        "input_cost_per_token": base,
        "input_cost_per_token_above_200k_tokens": _sig(base * 2),
        "output_cost_per_token_above_200k_tokens": _sig(base * 7.5),
        "cache_creation_input_token_cost_above_200k_tokens": _sig(base * 2.5),
        "cache_read_input_token_cost_above_200k_tokens": _sig(base / 5),
        "litellm_provider": provider,
        "max_input_tokens": 200_000,
        "max_output_tokens": 64_000,
        "mode": "chat",
        "output_cost_per_token": _sig(base * 5),
        "search_context_cost_per_query": dict(SEARCH_COST),
    }
    if retires:
        entry["deprecation_date"] = retires
        entry["deprecation_source"] = (
            "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html"
        )
        entry["successor_model"] = "anthropic.claude-sonnet-5-5"
    for flag in CLAUDE_FLAGS:
        entry[flag] = True
    return entry


def _other_providers(rng: random.Random, count: int) -> dict[str, Any]:
    providers, provider_weights = zip(*PROVIDERS, strict=True)
    modes, mode_weights = zip(*MODES, strict=True)
    found: dict[str, Any] = {}
    while len(found) < count:
        provider = rng.choices(providers, provider_weights)[0]
        mode = rng.choices(modes, mode_weights)[0]
        name = f"{rng.choice(FAMILIES)}-{rng.choice(SIZES)}-{len(found)}"
        if mode == "image_generation" and rng.random() < 0.3:
            key = f"{rng.choice(('1024-x-1024', '512-x-512'))}/50-steps/{provider}/{name}"
        elif provider == "openai":
            key = name
        else:
            key = f"{provider}/{name}"
        found[key] = _other_entry(rng, provider, mode)
    return found


def _sig(value: float) -> float:
    """A price as LiteLLM writes it (6.25e-07, not 6.249999999999999e-07)."""
    return float(f"{value:.6g}")


def _price(rng: random.Random, low: float = 5e-08, high: float = 2e-05) -> float:
    return float(f"{rng.uniform(low, high):.3g}")


def _other_entry(rng: random.Random, provider: str, mode: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"litellm_provider": provider}
    if mode is None:  # the file has a few bare price bands ("fireworks-ai-4.1b-to-16b")
        price = _price(rng)
        return {"input_cost_per_token": price, "litellm_provider": provider,
                "output_cost_per_token": price}  # fmt: skip
    entry["mode"] = mode
    if mode in ("chat", "responses", "completion", "realtime"):
        if rng.random() < 0.03:  # priced only by band
            entry["tiered_pricing"] = [
                {"input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07,
                 "range": [0, 256000.0]},
                {"input_cost_per_token": 2.5e-07, "output_cost_per_token": 2e-06,
                 "range": [256000.0, 1000000.0]},
            ]  # fmt: skip
        elif rng.random() < 0.05:  # free tiers and LoRA placeholders: zero prices
            entry["input_cost_per_token"] = 0.0
            entry["output_cost_per_token"] = 0.0
        else:
            price = _price(rng)
            entry["input_cost_per_token"] = price
            entry["output_cost_per_token"] = float(f"{price * rng.choice((2, 4, 5, 8)):.3g}")
            if rng.random() < 0.4:
                entry["cache_read_input_token_cost"] = float(f"{price / 10:.3g}")
            if rng.random() < 0.1:
                entry["input_cost_per_token_batches"] = float(f"{price / 2:.3g}")
                entry["output_cost_per_token_batches"] = _sig(entry["output_cost_per_token"] / 2)
        entry["max_input_tokens"] = rng.choice((8192, 32768, 128000, 200000, 1048576))
        entry["max_output_tokens"] = rng.choice((4096, 8192, 16384, 65536))
        entry["max_tokens"] = entry["max_output_tokens"]
        for flag in (
            "supports_function_calling",
            "supports_parallel_function_calling",
            "supports_response_schema",
            "supports_system_messages",
            "supports_tool_choice",
            "supports_vision",
            "supports_prompt_caching",
            "supports_reasoning",
            "supports_pdf_input",
            "supports_web_search",
        ):
            if rng.random() < 0.6:
                entry[flag] = rng.random() < 0.85
        if rng.random() < 0.6:
            entry["supported_modalities"] = ["text", "image"]
            entry["supported_output_modalities"] = ["text"]
            entry["supported_endpoints"] = ["/v1/chat/completions", "/v1/responses"]
        if rng.random() < 0.15:
            entry["deprecation_date"] = f"2027-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        if rng.random() < 0.7:
            entry["source"] = f"https://docs.example.test/{provider}/pricing"
    elif mode == "embedding":
        entry["input_cost_per_token"] = _price(rng, 1e-08, 2e-07)
        entry["output_cost_per_token"] = 0.0
        entry["max_input_tokens"] = rng.choice((512, 8191, 32000))
        entry["output_vector_size"] = rng.choice((768, 1024, 1536, 3072))
    elif mode in ("image_generation", "image_edit"):
        entry["output_cost_per_image"] = rng.choice((0.003, 0.02, 0.04, 0.06, 0.08))
        if rng.random() < 0.5:
            entry["supported_endpoints"] = ["/v1/images/generations", "/v1/images/edits"]
    elif mode == "audio_transcription":
        entry["input_cost_per_second"] = float(f"{rng.uniform(1e-05, 3e-04):.3g}")
        entry["output_cost_per_second"] = 0.0
    elif mode == "audio_speech":
        entry["input_cost_per_character"] = float(f"{rng.uniform(1e-06, 3e-05):.3g}")
    elif mode == "video_generation":
        entry["output_cost_per_second"] = rng.choice((0.05, 0.1, 0.165025, 0.4))
        entry["supported_output_modalities"] = ["video"]
        entry["metadata"] = {"comment": "price per second of generated video, 1080p"}
    elif mode == "rerank":
        entry["input_cost_per_query"] = rng.choice((0.001, 0.002))
        entry["input_cost_per_token"] = 0.0
        entry["output_cost_per_token"] = 0.0
    elif mode in ("search", "ocr", "evaluation"):
        entry["input_cost_per_query" if mode != "ocr" else "ocr_cost_per_page"] = 0.003
    return entry
