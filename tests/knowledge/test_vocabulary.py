"""Each vocabulary lives once: a fact's kind, label and question on its field; cases, gates and
verdicts as enums that carry their titles, with the public JSON values unchanged."""

import datetime as dt
import json

from knowledge.decision import Case, Gate, GateName, Verdict
from knowledge.facts import FACT_FIELDS, About, Facts, Kind, about, fields_of
from knowledge.prices import load_price_sheet, snapshot_alias


def test_every_fact_has_one_about_and_it_stays_out_of_the_json_schema():
    for name in FACT_FIELDS:
        assert [m for m in Facts.model_fields[name].metadata if isinstance(m, About)] == [
            about(name)
        ]
    schema = json.dumps(Facts.model_json_schema())
    assert "About" not in schema
    assert about("batch_ok").label not in schema


def test_questions_name_facts_that_exist_and_a_fact_asked_with_another_is_not_asked_alone():
    for name in FACT_FIELDS:
        fact = about(name)
        if fact.asked_with is not None:
            assert fact.ask is None
            assert about(fact.asked_with).ask is not None
    orders = [a.ask.order for n in FACT_FIELDS if (a := about(n)).ask]
    assert len(orders) == len(set(orders))


def test_kinds_partition_the_facts():
    by_kind = [fields_of(kind) for kind in Kind]
    assert sum(len(f) for f in by_kind) == len(FACT_FIELDS)
    assert frozenset().union(*by_kind) == frozenset(FACT_FIELDS)


def test_enums_keep_their_json_values_and_carry_their_titles():
    assert " ".join(Verdict) == "fine_tune prompt rag measure_baseline build_dataset need_info"
    assert " ".join(Gate) == "pass fail skipped unknown not_reached"
    assert " ".join(GateName) == "q1_baseline q2_data q3_volume"
    assert " ".join(Case) == "C1 C2 C3 C4"
    assert Verdict("fine_tune").label == "Fine-tune"
    assert GateName.q2_data.label == "Q2 labeled data"
    assert Case.C3.label == "C3 latency"
    assert Gate.passed.icon == "✅"
    assert json.dumps({GateName.q1_baseline: [Case.C1]}) == '{"q1_baseline": ["C1"]}'


def test_one_resolver_reads_a_dated_snapshot_as_its_alias():
    sheet = load_price_sheet()
    alias = next(iter(sheet.models))
    assert snapshot_alias(f"{alias}-20251001") == alias
    assert sheet.resolve(f"{alias}-20251001") == alias
    assert sheet.price_of(f"{alias}-20251001") is sheet.models[alias]
    assert sheet.price_of("no-such-model") is None


def test_one_resolver_prices_a_retired_model_as_its_successor(prices):
    retired = next(name for name, m in prices.models.items() if m.successor and m.deprecation_date)
    model = prices.models[retired]
    day = dt.date.fromisoformat(str(model.deprecation_date))
    before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    assert prices.priced_as(retired, before, fallback="x") == retired
    assert prices.priced_as(f"{retired}-20250101", after, fallback="x") == model.successor
    assert prices.priced_as("no-such-model", after, fallback="x") is None
