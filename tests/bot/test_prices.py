"""Refreshing the price sheet from its sources, over HTTP (mocked) and files."""

import copy
import datetime as dt
import json
import logging
from pathlib import Path

import httpcore2
import httpx
import pytest
import yaml

from bot.prices import (
    LITELLM_URL,
    PriceBook,
    current_sheet,
    refresh_prices,
    refresh_report,
    stored_sheet,
)
from knowledge import load_price_sheet
from knowledge.prices import TEAM_MODEL_KEYS, ModelPrice
from knowledge.refresh import content_hash, sheet_document
from tests.fakes.litellm_map import CLAUDE_CHAT, REAL_ENTRIES, litellm_map

FIXTURE = Path(__file__).parents[1] / "fixtures" / "litellm_prices.json"
TODAY = dt.date(2026, 11, 30)
URL = "https://prices.example.test/model_prices_and_context_window.json"

pytestmark = pytest.mark.httpx2(assert_all_called=False)


def serve(httpx2_mock, url: str, data: dict):
    """Answer `url` with `data` as it is at each request (tests change it between refreshes)."""
    return httpx2_mock.get(url).mock(side_effect=lambda request: httpx.Response(200, json=data))


@pytest.fixture
def litellm() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture
def team_sheet(tmp_path) -> Path:
    path = tmp_path / "team-gpus.yaml"
    shipped = load_price_sheet()
    option = shipped.finetune_serving[0].model_dump(mode="json", exclude_none=True)
    option["source"] = "team quote 2026-11-27"
    path.write_text(yaml.safe_dump({"finetune_serving": [option]}))
    return path


def test_a_refresh_reads_litellm_and_stores_a_version_only_when_a_price_moved(
    httpx2_mock, store, litellm
):
    route = serve(httpx2_mock, URL, litellm)
    first = refresh_prices(store, [URL], today=TODAY)
    assert first.merged.failed == [] and first.stored
    sheet = current_sheet(store)
    assert sheet.as_of == TODAY
    assert sheet.models["claude-haiku-4-5"].source.startswith(f"[litellm] {URL} (read 2026-11-30)")
    again = refresh_prices(store, [URL], today=TODAY + dt.timedelta(days=7))
    assert not again.stored and again.version.id == first.version.id
    litellm["claude-haiku-4-5"]["input_cost_per_token"] = 0.8e-6
    moved = refresh_prices(store, [URL], today=TODAY + dt.timedelta(days=14))
    assert moved.stored and moved.version.id != first.version.id
    assert [(c.item, c.old, c.new) for c in moved.merged.changes] == [
        ("claude-haiku-4-5", 1e-6, 0.8e-6)
    ]
    assert route.call_count == 3
    assert [v.id for v in store.price_sheets.history()] == [moved.version.id, first.version.id]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"status_code": 503}, "HTTP 503"),
        ({"status_code": 404}, "HTTP 404"),
        ({"status_code": 200, "content": b"<html>rate limited</html>"}, "expected an object"),
        ({"status_code": 200, "json": {"models": "none"}}, "models"),
    ],
    ids=["503", "404", "html", "malformed"],
)
def test_a_bad_source_is_skipped_and_reported(httpx2_mock, store, team_sheet, answer, problem):
    httpx2_mock.get(URL).respond(**answer)
    refresh = refresh_prices(store, [URL, str(team_sheet)], today=TODAY)
    failed, applied = refresh.merged.outcomes
    assert (failed.name, failed.applied) == (URL, False) and problem in failed.problem
    assert applied.applied  # the team sheet still applies
    served = current_sheet(store).finetune_serving[0].source
    assert served.startswith(f"[sheet:team-gpus] {team_sheet} (read 2026-11-30)")


def test_a_timeout_is_a_bad_source(httpx2_mock, store):
    def slow(request):
        raise httpcore2.ReadTimeout("slow")

    httpx2_mock.get(URL).mock(side_effect=slow)
    refresh = refresh_prices(store, [URL], today=TODAY, timeout_s=0.5)
    assert refresh.merged.failed[0].problem == "timed out after 0.5 s"
    assert current_sheet(store).models == load_price_sheet().models  # nothing replaced


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["claude-haiku-4-5"].update(input_cost_per_token=0), "claude-haiku-4-5"),
        (lambda d: d["claude-haiku-4-5"].update(input_cost_per_token=-1e-6), "claude-haiku-4-5"),
        (lambda d: d["claude-haiku-4-5"].update(input_cost_per_token=1e-4), "moved more than 5×"),
        (lambda d: d.pop("claude-opus-4-5"), "claude-opus-4-5 vanished"),
    ],
    ids=["zero", "negative", "100x", "vanished"],
)
def test_bad_data_never_replaces_good_data(httpx2_mock, store, litellm, change, problem):
    serve(httpx2_mock, URL, litellm)
    good = refresh_prices(store, [URL], today=TODAY)
    change(litellm)
    bad = refresh_prices(store, [URL], today=TODAY + dt.timedelta(days=7))
    (failed,) = bad.merged.failed
    assert problem in failed.problem
    assert not bad.stored and store.price_sheets.latest().id == good.version.id


def test_the_default_source_is_litellms_file(httpx2_mock, store, litellm):
    route = httpx2_mock.get(LITELLM_URL).respond(200, json=litellm)
    refresh_prices(store, [], today=TODAY)
    assert route.called


def test_the_price_book_follows_the_newest_version(httpx2_mock, store, litellm):
    book = PriceBook(store, ttl_s=0)
    assert book().models == load_price_sheet().models  # the shipped sheet before a refresh
    litellm["claude-haiku-4-5"]["input_cost_per_token"] = 0.9e-6
    serve(httpx2_mock, URL, litellm)
    refresh_prices(store, [URL], today=TODAY)
    assert book().models["claude-haiku-4-5"].input_cost_per_token == 0.9e-6


def test_commands_without_a_database_use_the_shipped_sheet(tmp_path):
    assert stored_sheet(f"sqlite:///{tmp_path / 'none.db'}") is None
    assert not (tmp_path / "none.db").exists()  # nothing created by looking


def test_a_retirement_date_alone_is_a_new_version(httpx2_mock, store, litellm):
    serve(httpx2_mock, URL, litellm)
    first = refresh_prices(store, [URL], today=TODAY)
    litellm["claude-haiku-4-5"]["deprecation_date"] = "2027-06-01"
    later = refresh_prices(store, [URL], today=TODAY)
    assert later.stored and later.version.id != first.version.id
    assert current_sheet(store).models["claude-haiku-4-5"].deprecation_date == dt.date(2027, 6, 1)


def test_a_retired_model_may_leave_its_source(httpx2_mock, store, litellm):
    litellm["claude-opus-4-5"]["deprecation_date"] = "2026-12-01"
    serve(httpx2_mock, URL, litellm)
    refresh_prices(store, [URL], today=TODAY)
    del litellm["claude-opus-4-5"]
    still_listed = refresh_prices(store, [URL], today=TODAY)
    assert "vanished" in still_listed.merged.failed[0].problem  # not retired yet
    retired = refresh_prices(store, [URL], today=dt.date(2026, 12, 2))
    assert retired.merged.failed == []


def test_a_file_that_is_not_text_is_a_bad_source(store, tmp_path):
    path = tmp_path / "prices.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    refresh = refresh_prices(store, [str(path)], today=TODAY)
    assert refresh.merged.failed[0].problem == "not UTF-8 text"


def test_a_stored_sheet_that_no_longer_validates_falls_back_to_the_shipped_one(store):
    store.price_sheets.save({"as_of": "2026-11-30", "models": "broken"}, "c" * 64, [])
    assert current_sheet(store).models == load_price_sheet().models
    assert PriceBook(store)().models == load_price_sheet().models


# ------------------------------------------------ a refresh from LiteLLM's map at full size
#
# tests/fakes/litellm_map.py generates the map as litellm 1.110.2 ships it (4,878 entries,
# 3.4 MB): the cases below only show at that size and shape.

LATER = dt.date(2026, 12, 7)  # a week after Sonnet 4.5 retired (2026-11-30)
SKIPS = """\
          4,371  other providers' models (OpenAI, Gemini, Mistral, …)
            385  Claude on other platforms (Bedrock, Vertex AI, Azure, …): \
not Anthropic's own prices
             98  aliases of other entries (alias_of, no prices of their own)
              5  dated snapshot ids, priced as their alias: claude-haiku-4-5-20251001, \
claude-sonnet-4-5-20250929, claude-opus-4-5-20251101, claude-opus-4-6-20260205, \
claude-opus-4-7-20260416
              1  LiteLLM's sample_spec (the format's template, not a model)
              1  not model entries (no litellm_provider)
              1  retired before the sheet listed them: claude-mythos-preview (retired 2026-06-09)
"""
# what the decision reads from a model, besides its four prices
DECISION_KEYS = tuple(
    key
    for key in ModelPrice.model_fields
    if key.endswith(("_batches", "_above_100k_tokens"))
    or key
    in (
        "thinking_always_on",
        "max_input_tokens",
        "supports_native_structured_output",
        "prompt_cache_min_tokens",
        "deprecation_date",
    )
)


@pytest.fixture(scope="module")
def full_map() -> dict:
    return litellm_map()


@pytest.fixture
def full(full_map) -> dict:
    """A fresh copy of the generated map, safe to spoil."""
    return copy.deepcopy(full_map)


def written(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return path


def shown(version) -> str:
    return f"version #{version.id} ({version.created_at:%Y-%m-%d %H:%M} UTC)"


def test_the_report_accounts_for_every_entry_of_the_map(store, tmp_path, full):
    path = written(tmp_path / "model_prices_and_context_window.json", full)
    refresh = refresh_prices(store, [str(path)], today=LATER, log_failures=False)
    (outcome,) = refresh.merged.outcomes
    assert outcome.entries == len(full) == REAL_ENTRIES
    assert len(outcome.stored_models) + outcome.skipped_count == outcome.entries
    assert refresh_report(refresh) == (
        f"ok      {path}: LiteLLM's price map, 4,878 entries read; 16 models stored; "
        "4,862 skipped:\n"
        f"{SKIPS}"
        "\n"
        "restricted, kept restricted (invitation-only: priced when a thread names one, never "
        "suggested): claude-mythos-5, claude-mythos-5-1\n"
        "retired, kept so that a thread naming one is still priced: claude-sonnet-4-5 (retired "
        "2026-11-30, priced as claude-sonnet-5-5)\n"
        "\n"
        "the sheet: 18 models (16 from this refresh; 2 kept as they were: claude-fable-5-2, "
        "claude-mythos-5-2), 9 serving options\n"
        "\n"
        "no price changed\n"
        "other keys changed: LiteLLM's other keys (not used by the decision) in 16 models\n"
        f"stored as {shown(refresh.version)}: the first refresh here (the shipped sheet was in "
        "use)\n"
    )
    sheet = current_sheet(store)
    assert len(sheet.models) == 18 and set(outcome.stored_models) < set(sheet.models)
    again = refresh_prices(store, [str(path)], today=LATER, log_failures=False)
    assert refresh_report(again).endswith(
        f"no price changed\nunchanged: {shown(again.version)} stays in use\n"
    )


def test_a_price_change_in_the_map_is_reported_and_stored(store, tmp_path, full):
    path = written(tmp_path / "prices.json", full)
    refresh_prices(store, [str(path)], today=LATER)
    full["claude-haiku-4-5"]["input_cost_per_token"] = 0.8e-6
    moved = refresh_prices(store, [str(written(path, full))], today=LATER, log_failures=False)
    report = refresh_report(moved)
    assert "\n1 price change:\n  claude-haiku-4-5 input $1.00/Mtok → $0.80/Mtok (-20%)\n" in report
    assert report.endswith(f"stored as {shown(moved.version)}\n")


def test_a_fresh_database_where_every_source_failed_stores_nothing(store, tmp_path):
    (tmp_path / "empty.json").write_text("")
    sources = [str(tmp_path / "missing.json"), str(tmp_path / "empty.json")]
    refresh = refresh_prices(store, sources, today=LATER, log_failures=False)
    assert not refresh.stored and refresh.version is None
    assert store.price_sheets.latest() is None  # still the shipped sheet, and says so
    assert refresh_report(refresh) == (
        f"FAILED  {sources[0]}: can't read it (No such file or directory)\n"
        f"FAILED  {sources[1]}: empty: the source has no text at all\n"
        "nothing stored: no source could be used; the shipped price sheet (as of "
        f"{load_price_sheet().as_of}) stays in use\n"
    )


def test_when_every_source_failed_the_stored_version_stays_in_use(store, tmp_path, full):
    good = refresh_prices(store, [str(written(tmp_path / "p.json", full))], today=LATER)
    failed = refresh_prices(store, [str(tmp_path / "gone.json")], today=LATER)
    assert failed.version.id == good.version.id and not failed.stored
    assert refresh_report(failed).endswith(
        f"nothing stored: no source could be used; {shown(good.version)} stays in use\n"
    )


def test_a_cut_short_file_is_named_once_with_the_whole_reason(store, tmp_path, full):
    text = json.dumps(full, indent=4)
    cut = text.index('"claude-mythos-5-1"') + 8  # inside a key, as a dropped download ends
    path = tmp_path / "x.json"
    path.write_text(text[:cut])
    refresh = refresh_prices(store, [str(path)], today=LATER, log_failures=False)
    line = text[:cut].count("\n") + 1
    column = cut - text[:cut].rfind("\n") - 8
    assert refresh.merged.failed[0].problem == (
        f"not valid JSON: unterminated string starting at line {line:,}, column {column}; "
        f"the text stops there, after {cut:,} characters (cut short?)"
    )
    assert refresh_report(refresh).count(str(path)) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty: the source has no text at all"),
        ("\n  \n", "empty: the source has no text at all"),
        ("# nothing but a comment\n", "got nothing (the document holds no data)"),
        ("[1, 2]", "got a list of 2 items"),
        ('{"claude-haiku-4-5": {"input_cost_per_token": 1e-06,}}', "not valid JSON: expecting"),
    ],
    ids=["empty", "blank", "comment", "list", "trailing-comma"],
)
def test_an_unusable_file_says_what_it_holds(store, tmp_path, text, problem):
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    (failed,) = refresh_prices(store, [str(path)], today=LATER).merged.failed
    assert problem in failed.problem and str(path) not in failed.problem


def test_a_failed_source_is_told_once(store, tmp_path, caplog):
    missing = str(tmp_path / "missing.json")
    with caplog.at_level(logging.WARNING, logger="bot.prices"):
        refresh = refresh_prices(store, [missing], today=LATER, log_failures=False)
    assert caplog.records == []  # the report says it; stderr doesn't repeat it
    assert refresh_report(refresh).count(missing) == 1
    with caplog.at_level(logging.WARNING, logger="bot.prices"):
        refresh_prices(store, [missing], today=LATER)  # the bot has only its log to tell
    assert [r.getMessage().count(missing) for r in caplog.records] == [1]


def test_vanished_is_checked_by_source_not_by_where_it_was_read(httpx2_mock, store, tmp_path, full):
    serve(httpx2_mock, URL, full)
    first = refresh_prices(store, [URL], today=LATER)
    assert first.stored
    del full["claude-opus-4-8"]
    local = str(written(tmp_path / "litellm-copy.json", full))  # the same map, read locally
    moved = refresh_prices(store, [local], today=LATER + dt.timedelta(days=7))
    (failed,) = moved.merged.failed
    assert failed.problem.startswith("claude-opus-4-8 vanished from it")
    assert not moved.stored and current_sheet(store).models["claude-opus-4-8"].source.startswith(
        f"[litellm] {URL} "
    )


def test_a_team_sheet_moved_elsewhere_is_still_checked(store, tmp_path):
    shipped = load_price_sheet()
    options = [o.model_dump(mode="json", exclude_none=True) for o in shipped.finetune_serving[:2]]
    first = tmp_path / "a" / "team-gpus.yaml"
    first.parent.mkdir()
    first.write_text(yaml.safe_dump({"finetune_serving": options}))
    assert refresh_prices(store, [str(first)], today=LATER).stored
    moved = tmp_path / "b" / "team-gpus.yaml"
    moved.parent.mkdir()
    moved.write_text(yaml.safe_dump({"finetune_serving": options[:1]}))
    (failed,) = refresh_prices(store, [str(moved)], today=LATER).merged.failed
    assert failed.problem.startswith(f"{options[1]['id']} vanished from it")


def test_invitation_only_models_stay_restricted(store, tmp_path, full):
    refresh_prices(store, [str(written(tmp_path / "p.json", full))], today=LATER)
    sheet = current_sheet(store)
    for model in ("claude-mythos-5", "claude-mythos-5-1", "claude-mythos-5-2"):
        assert sheet.models[model].restricted, model
        assert sheet.models[model].token_count_factor == 1.3
    assert "claude-mythos-preview" not in sheet.models  # retired before the sheet listed it


def test_invitation_only_models_new_to_the_stored_sheet_come_in_restricted(store, tmp_path, full):
    # a sheet stored before the shipped one listed the Mythos models
    older = load_price_sheet()
    older = older.model_copy(
        update={
            "models": {
                k: v
                for k, v in older.models.items()
                if k not in ("claude-mythos-5", "claude-mythos-5-1")
            }
        }
    )
    store.price_sheets.save(sheet_document(older), content_hash(older), [])
    refresh = refresh_prices(
        store, [str(written(tmp_path / "p.json", full))], today=LATER, log_failures=False
    )
    report = refresh_report(refresh)
    assert (
        "claude-mythos-5 input new at $10.00/Mtok (restricted: invitation-only, never suggested)"
        in report
    )
    assert (
        "restricted, kept restricted (invitation-only: priced when a thread names one, " in report
    )
    assert current_sheet(store).models["claude-mythos-5-1"].restricted


@pytest.mark.parametrize("litellm_has_them", [True, False], ids=["given", "missing"])
def test_keys_the_decision_uses_survive_a_refresh_from_litellm(
    store, tmp_path, full, litellm_has_them
):
    if not litellm_has_them:
        for name in CLAUDE_CHAT:
            for key in DECISION_KEYS:
                full[name].pop(key, None)
    before = load_price_sheet()
    refresh = refresh_prices(store, [str(written(tmp_path / "p.json", full))], today=LATER)
    assert refresh.merged.failed == []
    after = current_sheet(store)
    for name, model in before.models.items():
        for key in (*DECISION_KEYS, *TEAM_MODEL_KEYS):
            assert getattr(after.models[name], key) == getattr(model, key), (name, key)
    assert after.models["claude-haiku-5-5"].rates(batch=True, long_context=True) == (
        before.models["claude-haiku-5-5"].rates(batch=True, long_context=True)
    )


def test_team_keys_survive_a_source_that_lacks_them(store, tmp_path):
    shipped = load_price_sheet()
    option = shipped.finetune_serving[0]
    assert option.first_token_ms is not None and option.scale_to_zero
    bare = option.model_dump(mode="json", exclude_none=True)
    del bare["first_token_ms"], bare["scale_to_zero"]

    def priced(input_cost):  # a tenth off: prices only, none of the team's keys
        return {
            "input_cost_per_token": input_cost,
            "output_cost_per_token": input_cost * 5,
            "cache_read_input_token_cost": input_cost / 10,
        }

    models = {"claude-sonnet-4-5": priced(2.7e-6), "claude-mythos-5": priced(9e-6)}
    team = tmp_path / "team.yaml"
    team.write_text(yaml.safe_dump({"models": models, "finetune_serving": [bare]}))
    refresh = refresh_prices(store, [str(team)], today=LATER)
    assert refresh.merged.failed == []
    sheet = current_sheet(store)
    kept = next(o for o in sheet.finetune_serving if o.id == option.id)
    assert (kept.first_token_ms, kept.scale_to_zero) == (option.first_token_ms, True)
    assert sheet.models["claude-sonnet-4-5"].successor == "claude-sonnet-5-5"
    assert sheet.models["claude-mythos-5"].restricted
    assert sheet.models["claude-mythos-5"].token_count_factor == 1.3
    assert sheet.models["claude-mythos-5"].input_cost_per_token == 9e-6


def test_a_team_sheet_may_still_change_the_team_keys(store, tmp_path):
    option = load_price_sheet().finetune_serving[0].model_dump(mode="json", exclude_none=True)
    option["scale_to_zero"] = False
    team = tmp_path / "team.yaml"
    team.write_text(yaml.safe_dump({"finetune_serving": [option]}))
    refresh_prices(store, [str(team)], today=LATER)
    assert not current_sheet(store).finetune_serving[0].scale_to_zero


def test_a_team_sheet_is_reported_by_what_it_prices(store, team_sheet):
    refresh = refresh_prices(store, [str(team_sheet)], today=LATER, log_failures=False)
    report = refresh_report(refresh)
    assert report.startswith(
        f"ok      {team_sheet}: a price sheet, 1 entry read; 1 serving option stored\n"
    )


def test_a_dry_run_stores_nothing_and_says_so(store, tmp_path, full):
    path = written(tmp_path / "p.json", full)
    refresh = refresh_prices(store, [str(path)], today=LATER, save=False, log_failures=False)
    assert store.price_sheets.latest() is None and not refresh.stored
    assert refresh_report(refresh).endswith(
        "nothing stored (a dry run); the shipped price sheet (as of "
        f"{load_price_sheet().as_of}) stays in use\n"
    )
