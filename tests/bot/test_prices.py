"""Refreshing the price sheet from its sources, over HTTP (mocked) and files."""

import datetime as dt
import json
from pathlib import Path

import httpcore2
import httpx
import pytest
import yaml

from bot.prices import LITELLM_URL, PriceBook, current_sheet, refresh_prices, stored_sheet
from knowledge import load_price_sheet

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
    assert sheet.models["claude-haiku-4-5"].source.startswith(f"{URL} (read 2026-11-30)")
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
    assert current_sheet(store).finetune_serving[0].source.startswith(str(team_sheet))


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
