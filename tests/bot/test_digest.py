"""The weekly pricing digest: price changes, flipped verdicts, retirements, the bot's bill."""

import datetime as dt
import json

import pytest

from bot import render
from bot.digest import build_digest, dry_run_text, store_decisions
from bot.prices import current_sheet, refresh_prices
from bot.weekly import DigestJob
from knowledge import Facts, decide, load_assumptions
from knowledge.refresh import SourceOutcome
from tests.fakes import acme
from tests.fakes.litellm_map import litellm_map, write_litellm_map
from tests.fakes.threads import start_thread
from tests.golden_files import check_golden_blocks, valid

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # Monday of week 49
TODAY = NOW.date()
# Fine-tune against Haiku 4.5 (Haiku 5.5 was measured, below it): pays back in 4.8 months;
# with Haiku 4.5 at half price, in 13.0 (past the 12-month horizon): prompt.
ACME = {
    **acme.FACTS,
    "use_case": "Acme: route support tickets to one of 40 queues",
    "request": "cost",
    "monthly_calls": 12_000_000,
    "other_baselines": {"claude-haiku-5-5": 0.85},
}


def cheaper_haiku(prices, factor=0.5):
    # A new ModelPrice (model_copy), not one changed in place: a model priced once keeps its
    # rates (ModelPrice.rate_table), and a deep copy of the sheet copies them too.
    sheet = prices.model_copy(deep=True)
    haiku = sheet.models["claude-haiku-4-5"]
    sheet.models["claude-haiku-4-5"] = haiku.model_copy(
        update={
            "input_cost_per_token": haiku.input_cost_per_token * factor,
            "cache_read_input_token_cost": haiku.cache_read_input_token_cost * factor,
        }
    )
    return sheet


def stored_thread(store, prices, assumptions, facts, ts="1.0", model=None, today=TODAY):
    thread = start_thread(store, "T1", "C1", ts, "U1")
    facts = dict(facts, **({"frontier_model": model} if model else {}))
    decision = decide(Facts.model_validate(facts), prices, assumptions, today=today)
    store.threads.save_state(
        thread.id, facts, decision.to_json(), decision.verdict.value, "decided"
    )
    return thread


def digest_of(store, sheet, previous, assumptions, **kw):
    kw.setdefault("sources", [])
    kw.setdefault("bot_model", "claude-haiku-4-5")
    kw.setdefault("now", NOW)
    return build_digest(store, sheet, previous, assumptions, **kw)


def test_a_haiku_price_drop_flips_fine_tune_to_prompt(store, prices, assumptions, update_golden):
    thread = stored_thread(store, prices, assumptions, ACME)
    assert thread.last_verdict is None  # the stored object predates the save
    new = cheaper_haiku(prices)
    links = []

    def permalink(channel, ts):
        links.append((channel, ts))
        return f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"

    digest = digest_of(store, new, prices, assumptions, permalink=permalink)
    (flip,) = digest.flips
    assert (flip.old_verdict, flip.new_verdict) == ("fine_tune", "prompt")
    assert flip.old_payback == pytest.approx(4.8, abs=0.05)
    assert flip.new_payback == pytest.approx(13.0, abs=0.05)
    assert links == [("C1", "1.0")]
    blocks = valid(render.digest_blocks(digest))
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "<https://fake.slack.test/archives/C1/p10|Acme: route support tickets" in shown
    assert "(payback 4.8 → 13.0 months)" in shown
    assert "`claude-haiku-4-5` input $1.00/Mtok → $0.50/Mtok (-50%)" in shown
    check_golden_blocks("digest-flip.blocks.json", blocks, update_golden)
    text = render.digest_text(digest)
    assert "Acme: route support tickets to one of 40 queues: Fine-tune → " in text


def test_after_posting_a_flip_is_not_told_again(store, prices, assumptions):
    stored_thread(store, prices, assumptions, ACME)
    new = cheaper_haiku(prices)
    store_decisions(store, digest_of(store, new, prices, assumptions))
    again = digest_of(store, new, new, assumptions)
    assert again.flips == [] and again.quiet


def test_a_quiet_week_is_one_line(store, prices, assumptions):
    stored_thread(store, prices, assumptions, ACME)
    store.usage.record(
        model="claude-haiku-4-5",
        input_tokens=300,
        cache_read_input_tokens=9_000,
        cache_creation_input_tokens=700,
        output_tokens=200,
        cost_usd=0.41,
        created_at=NOW - dt.timedelta(days=1),
    )
    digest = digest_of(store, prices, prices, assumptions)
    assert digest.quiet
    (block,) = valid(render.digest_blocks(digest))
    text = block["text"]["text"]
    assert text.startswith("*Pricing digest · week 49*: a quiet week.")
    assert "$0.41 over 1 call, 90% of input tokens from cache" in text
    assert render.digest_text(digest).count("\n") == 1


def test_retiring_and_vanished_models_are_flagged(store, prices, assumptions):
    stored_thread(store, prices, assumptions, ACME, ts="1.0", model="claude-sonnet-4-5")
    stored_thread(store, prices, assumptions, ACME, ts="2.0", model="claude-sonnet-4-5")
    digest = digest_of(store, prices, prices, assumptions, bot_model="claude-haiku-9-9")
    by_model = {r.model: r for r in digest.retirements}
    assert by_model["claude-sonnet-4-5"].retires == dt.date(2026, 11, 30)
    assert by_model["claude-sonnet-4-5"].threads == 2
    assert not by_model["claude-sonnet-4-5"].retired  # retired when the date is before today
    assert (
        by_model["claude-haiku-9-9"].retires is None and by_model["claude-haiku-9-9"].is_bot_model
    )
    shown = json.dumps(valid(render.digest_blocks(digest)), ensure_ascii=False)
    assert "`claude-sonnet-4-5` retires 2026-11-30; 2 open threads name it" in shown
    assert "`claude-haiku-9-9` is no longer in the price sheet" in shown


def test_source_problems_are_reported(store, prices, assumptions):
    sources = [
        SourceOutcome("LiteLLM", True, None, 12),
        SourceOutcome("team-gpus.yaml", False, "timed out after 20 s"),
    ]
    digest = digest_of(store, prices, prices, assumptions, sources=sources)
    assert not digest.quiet
    text = render.digest_text(digest)
    assert "LiteLLM ✅" in text
    assert "team-gpus.yaml ❌ timed out after 20 s (the last good prices are kept)" in text


def test_hundreds_of_flips_stay_within_slacks_limits(store, prices, assumptions):
    for n in range(300):
        stored_thread(store, prices, assumptions, ACME, ts=f"{n}.0")
    digest = digest_of(store, cheaper_haiku(prices), prices, assumptions)
    assert len(digest.flips) == 300
    blocks = valid(render.digest_blocks(digest))
    flips = next(b for b in blocks if "Verdicts that flip" in b.get("text", {}).get("text", ""))
    assert len(flips["text"]["text"]) <= 3000 and "more" in flips["text"]["text"]


def test_thread_titles_cannot_break_the_link_or_ping(store, prices, assumptions):
    hostile = dict(ACME, use_case="<!channel> *Acme*|<https://evil.test|x>\n\nfake line")
    stored_thread(store, prices, assumptions, hostile)
    digest = digest_of(
        store, cheaper_haiku(prices), prices, assumptions, permalink=lambda c, t: "https://s/p1"
    )
    shown = json.dumps(valid(render.digest_blocks(digest)), ensure_ascii=False)
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "<https://s/p1|&lt;!channel&gt; Acme &lt;https://evil.test x&gt; fake line>" in shown


def test_a_thread_changed_by_a_user_meanwhile_keeps_its_own_decision(store, prices, assumptions):
    thread = stored_thread(store, prices, assumptions, ACME)
    digest = digest_of(store, cheaper_haiku(prices), prices, assumptions)
    newer = dict(ACME, monthly_calls=200_000_000)  # a turn lands between digest and store
    decision = decide(Facts.model_validate(newer), prices, assumptions)
    store.threads.save_state(thread.id, newer, decision.to_json(), "fine_tune", "decided")
    store_decisions(store, digest)
    kept = store.threads.find("T1", "C1", "1.0")
    assert kept.facts["monthly_calls"] == 200_000_000 and kept.last_verdict == "fine_tune"


# --- a flip is a price change: the same engine, facts and date on the previous and new sheet ----


def other_prices_moved(prices):
    """A week where only Sonnet 5.5 got dearer: nothing Acme's verdict depends on."""
    sheet = prices.model_copy(deep=True)
    sonnet = sheet.models["claude-sonnet-5-5"]
    sheet.models["claude-sonnet-5-5"] = sonnet.model_copy(
        update={"input_cost_per_token": sonnet.input_cost_per_token * 1.1}
    )
    return sheet


def test_an_engine_upgrade_is_not_a_flip(store, prices, assumptions):
    """A verdict stored by an older engine differs from today's; the prices didn't move it."""
    thread = stored_thread(store, prices, assumptions, ACME)
    old_engine = {"verdict": "prompt", "math": {"payback_months": 30.0, "breakeven_calls": 1e9}}
    store.threads.save_state(thread.id, ACME, old_engine, "prompt", "decided")

    for previous, sheet in ((prices, prices), (prices, other_prices_moved(prices))):
        digest = digest_of(store, sheet, previous, assumptions)
        assert digest.flips == []
        assert digest.redecided == 1
        assert thread.id in digest.decisions  # the stored decision is brought up to date
    store_decisions(store, digest)
    kept = store.threads.find("T1", "C1", "1.0")
    assert kept.last_verdict == "fine_tune" and kept.last_decision["thresholds"] is not None


def test_a_thread_whose_facts_clash_is_re_decided_as_the_thread_shows_it(
    store, prices, assumptions
):
    """The conversation decides such a thread with the clashing fact left out; so does the
    digest, instead of skipping it: its flips are still found."""
    clashing = {k: v for k, v in ACME.items() if k != "input_tokens"}
    clashing["cached_prefix_tokens"] = 5000  # above the input the task type assumes
    thread = start_thread(store, "T1", "C1", "1.0", "U1")
    store.threads.save_state(thread.id, clashing, None, None, "open")
    digest = digest_of(store, cheaper_haiku(prices), prices, assumptions)
    assert thread.id in digest.decisions and digest.redecided == 1


def test_a_decision_stored_on_another_date_is_not_a_flip(store, prices, assumptions):
    # decided while Sonnet 4.5 was on sale; re-decided after it retired (priced as Sonnet 5.5)
    sonnet = dict(ACME, other_baselines=None, baseline_measured=False)
    stored_thread(
        store, prices, assumptions, sonnet, model="claude-sonnet-4-5", today=dt.date(2026, 11, 1)
    )
    later = NOW + dt.timedelta(days=7)
    digest = digest_of(store, other_prices_moved(prices), prices, assumptions, now=later)
    assert digest.flips == []
    (_, decision) = digest.decisions[1]
    assert decision.breakeven.frontier_model != "claude-sonnet-4-5"


def test_a_price_that_moves_the_payback_across_the_horizon_is_a_flip(store, prices, assumptions):
    # a latency case stays `fine_tune` (the only path), but no longer pays back in 12 months
    latency = dict(ACME, request="latency", first_token_ms=80)
    stored_thread(store, prices, assumptions, latency)
    digest = digest_of(store, cheaper_haiku(prices), prices, assumptions)
    (flip,) = digest.flips
    assert (flip.old_verdict, flip.new_verdict) == ("fine_tune", "fine_tune")
    assert not flip.verdict_changed
    assert flip.old_payback < 12 < flip.new_payback
    assert flip.old_breakeven == pytest.approx(flip.old_payback * 12_000_000)


def test_the_digest_decides_on_its_own_date(store, prices, assumptions):
    """`today` (FTSCOPE_TODAY) wins over the run's date, for retirements as for verdicts."""
    stored_thread(store, prices, assumptions, ACME, model="claude-sonnet-4-5")
    on_the_day = digest_of(store, prices, prices, assumptions, today=dt.date(2026, 11, 30))
    after = digest_of(store, prices, prices, assumptions, today=dt.date(2026, 12, 1))
    (before_r,) = [r for r in on_the_day.retirements if r.model == "claude-sonnet-4-5"]
    (after_r,) = [r for r in after.retirements if r.model == "claude-sonnet-4-5"]
    assert (before_r.retired, after_r.retired) == (False, True)
    (_, decided) = after.decisions[1]
    assert decided.breakeven.frontier_model == "claude-sonnet-5-5"  # Sonnet 4.5's successor
    assert any("claude-sonnet-4-5 retired" in w for w in decided.to_json()["warnings"])
    retired = "claude-sonnet-4-5 retired on 2026-11-30 (priced as its successor)"
    assert retired in render.digest_text(after)
    assert f"`{retired.replace(' retired', '` retired')}" in json.dumps(
        valid(render.digest_blocks(after)), ensure_ascii=False
    )


# --- a model the sheet keeps after it retired is told once, though no thread names it -----


@pytest.mark.parametrize(
    ("today", "told"),
    [
        (dt.date(2026, 11, 30), False),  # its last day: not retired yet
        (dt.date(2026, 12, 1), True),
        (dt.date(2026, 12, 7), True),  # the first weekly digest after it
        (dt.date(2026, 12, 8), False),  # told last week
    ],
)
def test_a_model_that_retired_since_last_week_is_a_heads_up(
    store, prices, assumptions, today, told
):
    digest = digest_of(store, prices, prices, assumptions, today=today)
    retired = [r for r in digest.retirements if r.model == "claude-sonnet-4-5"]
    assert bool(retired) is told
    if told:
        (r,) = retired
        assert (r.retires, r.retired, r.threads, r.is_bot_model) == (
            dt.date(2026, 11, 30),
            True,
            0,
            False,
        )
        assert not digest.quiet
        line = "claude-sonnet-4-5 retired on 2026-11-30 (priced as its successor)"
        assert f"  - {line}\n" in render.digest_text(digest)


def test_the_retirement_window_starts_at_the_last_digest(store, prices, assumptions):
    late = dt.date(2026, 12, 20)
    assert not digest_of(store, prices, prices, assumptions, today=late).retirements
    since = digest_of(store, prices, prices, assumptions, today=late, since=dt.date(2026, 11, 23))
    assert [r.model for r in since.retirements] == ["claude-sonnet-4-5"]


def test_a_retired_model_a_thread_names_is_told_once(store, prices, assumptions):
    stored_thread(store, prices, assumptions, ACME, model="claude-sonnet-4-5-20250929")
    digest = digest_of(store, prices, prices, assumptions, today=dt.date(2026, 12, 7))
    assert [r.model for r in digest.retirements] == ["claude-sonnet-4-5-20250929"]


# --- ftscope digest --dry-run: the digest a post would post now ----------------------------


def digest_job(store, sources, **slack) -> DigestJob:
    """The digest job on the shipped assumptions; with no Slack `client` and `channel`, the one
    `--dry-run` runs."""
    return DigestJob(
        store=store,
        assumptions=load_assumptions(),
        sources=[str(s) for s in sources],
        bot_model="claude-haiku-4-5",
        max_factor=5.0,
        **slack,
    )


def test_a_dry_run_on_a_database_that_never_refreshed_reads_the_sources(store, tmp_path):
    missing = tmp_path / "missing.json"
    text = dry_run_text(digest_job(store, [missing]), NOW)
    assert text.startswith(
        "Dry run: what `ftscope digest --post` would post now, with the sources read just now; "
        "nothing is stored or posted. Before this run, no refresh has been stored yet (the "
        "shipped price sheet is in use).\n\nPricing digest · week 49\n"
    )
    assert "every source read fine" not in text
    assert f"  - {missing} ❌ can't read it (No such file or directory)" in text
    assert store.price_sheets.latest() is None


def test_a_dry_run_shows_this_runs_sources_not_the_stored_versions(store, tmp_path):
    path = tmp_path / "model_prices_and_context_window.json"
    write_litellm_map(path)
    good = refresh_prices(store, [str(path)])
    assert good.stored and good.version.sources[0]["ok"]
    path.write_text(path.read_text()[:100_000])  # the copy got cut short since
    text = dry_run_text(digest_job(store, [path]), NOW)
    assert f"Before this run, the newest stored prices are version #{good.version.id} " in text
    assert f"  - {path} ❌ not valid JSON: " in text and "(cut short?)" in text
    assert store.price_sheets.latest().id == good.version.id  # nothing stored


def test_a_dry_run_stores_no_price_change(store, tmp_path):
    path = tmp_path / "prices.json"
    data = litellm_map()
    write_litellm_map(path)
    refresh_prices(store, [str(path)])
    data["claude-haiku-4-5"]["input_cost_per_token"] = 0.5e-6
    path.write_text(json.dumps(data))
    text = dry_run_text(digest_job(store, [path]), NOW)
    assert "  - claude-haiku-4-5 input $1.00/Mtok → $0.50/Mtok (-50%)\n" in text
    assert current_sheet(store).models["claude-haiku-4-5"].input_cost_per_token == 1e-6
