"""Quantities in a salesperson's words, and the check that a claimed number is one of them."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.quantities import PERIODS, Quantity, find_quantities, monthly, supports


def values(text: str) -> list[float]:
    return [q.value for q in find_quantities(text)]


def only(text: str) -> Quantity:
    found = find_quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("20M", 20e6),
        ("20 m", 20e6),
        ("20 M", 20e6),
        ("20 million", 20e6),
        ("20 Million", 20e6),
        ("20 millions", 20e6),
        ("20mm", 20e6),
        ("$20MM", 20e6),
        ("20 mn", 20e6),
        ("20 mil", 20e6),
        ("20 mio", 20e6),
        ("5k", 5e3),
        ("5K", 5e3),
        ("5 k", 5e3),
        ("5 thousand", 5e3),
        ("5 grand", 5e3),
        ("2.5B", 2.5e9),
        ("2.5 billion", 2.5e9),
        ("1.2bn", 1.2e9),
        ("1.2 BN", 1.2e9),
        ("2T", 2e12),
        ("3 lakh", 3e5),
        ("2 crore", 2e7),
        ("15 hundred", 1500),
        ("15,000,000", 15e6),
        ("15,000", 15e3),
        ("15.000.000", 15e6),
        ("15\u00a0000\u00a0000", 15e6),
        ("15\u202f000", 15e3),
        ("1e6", 1e6),
        ("1.5E6", 1.5e6),
        ("0.91", 0.91),
        (".91", 0.91),
        ("1,000+", 1000),
        ("5k+", 5000),
        ("~15M", 15e6),
        ("≈15M", 15e6),
        ("$3.49", 3.49),
        ("€40k", 40e3),
        ("a million", 1e6),
        ("one million", 1e6),
        ("half a million", 5e5),
        ("a hundred thousand", 1e5),
        ("two hundred", 200),
        ("forty", 40),
        ("forty-two", 42),
        ("fifteen million", 15e6),
        ("a thousand", 1e3),
    ],
)
def test_numbers_and_multipliers(text: str, value: float) -> None:
    q = only(text)
    assert q.value == pytest.approx(value)
    assert (q.start, q.end, q.text) == (0, len(text), text)
    assert q.period is None
    assert not q.is_percent


@pytest.mark.parametrize(
    ("text", "value", "period", "span"),
    [
        ("~15M tickets/mo", 15e6, "month", "~15M tickets/mo"),
        ("~15M/mo.", 15e6, "month", "~15M/mo"),
        ("15M/mo", 15e6, "month", "15M/mo"),
        ("15M / month", 15e6, "month", "15M / month"),
        ("15M/m", 15e6, "month", "15M/m"),
        ("15M per month", 15e6, "month", "15M per month"),
        ("15M per mo.", 15e6, "month", "15M per mo"),
        ("15M a month", 15e6, "month", "15M a month"),
        ("15M each month", 15e6, "month", "15M each month"),
        ("15M monthly", 15e6, "month", "15M monthly"),
        ("15 million classification calls per month", 15e6, "month", None),
        ("15 million support tickets a month!", 15e6, "month", None),
        ("500k/day", 5e5, "day", "500k/day"),
        ("500k/d", 5e5, "day", "500k/d"),
        ("500k per day", 5e5, "day", "500k per day"),
        ("500k a day", 5e5, "day", "500k a day"),
        ("500k every day", 5e5, "day", "500k every day"),
        ("500k daily", 5e5, "day", "500k daily"),
        ("500K requests daily", 5e5, "day", "500K requests daily"),
        ("100k weekly", 1e5, "week", "100k weekly"),
        ("100k/wk", 1e5, "week", "100k/wk"),
        ("100k per week", 1e5, "week", "100k per week"),
        ("6M a year", 6e6, "year", "6M a year"),
        ("6M per year", 6e6, "year", "6M per year"),
        ("6M/yr", 6e6, "year", "6M/yr"),
        ("6M annually", 6e6, "year", "6M annually"),
        ("6M yearly", 6e6, "year", "6M yearly"),
        ("6M per annum", 6e6, "year", "6M per annum"),
        ("6M p.a.", 6e6, "year", "6M p.a."),
        ("$3.49/h", 3.49, "hour", "$3.49/h"),
        ("$3.49/hr", 3.49, "hour", "$3.49/hr"),
        ("2k requests an hour", 2e3, "hour", "2k requests an hour"),
        ("300 QPS", 300, "second", "300 QPS"),
        ("300 requests per second", 300, "second", None),
        ("50 per minute", 50, "minute", "50 per minute"),
        ("daily volume ~500k", 5e5, "day", "daily volume ~500k"),
        ("per day we see 500k", 5e5, "day", "per day we see 500k"),
        ("monthly volume: 15M", 15e6, "month", "monthly volume: 15M"),
        ("annual volume of 6M", 6e6, "year", "annual volume of 6M"),
        ("half a million a month", 5e5, "month", "half a million a month"),
    ],
)
def test_rates(text: str, value: float, period: str, span: str | None) -> None:
    q = only(text)
    assert q.value == pytest.approx(value)
    assert q.period == period
    assert q.text == (span if span is not None else text.rstrip("!"))
    assert text[q.start : q.end] == q.text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("80ms", 80),
        ("80 ms", 80),
        ("80 msec", 80),
        ("80 milliseconds", 80),
        ("15 Mbps", 15),
        ("15MB", 15),
        ("5 min", 5),
        ("5 mins", 5),
        ("5 months", 5),
        ("2 weeks", 2),
        ("40k labeled", 40e3),
        ("40k labeled examples", 40e3),
    ],
)
def test_not_a_multiplier_nor_a_rate(text: str, value: float) -> None:
    q = only(text)
    assert q.value == value
    assert q.period is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("91%", 91), ("91 %", 91), ("91 percent", 91), ("91 per cent", 91), ("7.5 pct", 7.5)],
)
def test_percent(text: str, value: float) -> None:
    q = only(text)
    assert (q.value, q.is_percent, q.text) == (value, True, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10–20M", [10e6, 20e6]),
        ("10-20M", [10e6, 20e6]),
        ("10 - 20M", [10e6, 20e6]),
        ("10—20 million", [10e6, 20e6]),
        ("10 to 20 million", [10e6, 20e6]),
        ("10M-20M", [10e6, 20e6]),
        ("500k–1M", [5e5, 1e6]),
        ("between 10 and 20 million", [10, 10e6, 20e6]),  # "10" alone too: "and" is ambiguous
        ("10-20k/day", [10e3, 20e3]),
    ],
)
def test_ranges(text: str, expected: list[float]) -> None:
    assert values(text) == pytest.approx(expected)


def test_range_shares_its_period_and_percent() -> None:
    low, high = find_quantities("10-20k/day")
    assert low.period == high.period == "day"
    assert low.text == high.text == "10-20k/day"
    low, high = find_quantities("10–20%")
    assert low.is_percent and high.is_percent
    assert (low.value, high.value) == (10, 20)


def test_and_keeps_each_number_on_its_own() -> None:
    found = find_quantities("15M and 500k/day")
    assert any(q.value == 15e6 and q.period is None for q in found)
    assert any(q.value == 5e5 and q.period == "day" for q in found)


def test_a_full_message() -> None:
    text = (
        "Acme routes ~15M tickets/mo into 40 queues. Frontier (Haiku 4.5) gets 91% vs a 93% "
        "target; they have 40k labeled examples, ~800 input tokens and need 80ms to first token."
    )
    found = {(q.value, q.period, q.is_percent) for q in find_quantities(text)}
    for expected in [
        (15e6, "month", False),
        (40, None, False),
        (91, None, True),
        (93, None, True),
        (40e3, None, False),
        (800, None, False),
        (80, None, False),
    ]:
        assert expected in found


@pytest.mark.parametrize(
    "text",
    [
        "by 2026-11-30",
        "deadline 2026-11-30T09:00",
        "on 11/30/2026",
        "see https://example.com/a/15M?page=3",
        "www.acme.io/15k",
        "ask <@U024BE7LH> or <#C0123|sales>",
        "mail ops15@acme.io",
        "claude-haiku-4-5-20251001",
        "v1.2.3",
        "Q3",
        "p95",
        "A100 GPUs",
        "",
        "%",
        "$",
        "a",
        "...",
        "1e999",
        "9" * 400,
        "—–-/",
    ],
)
def test_no_crash_and_no_numbers_from_dates_urls_ids(text: str) -> None:
    for q in find_quantities(text):
        assert math.isfinite(q.value)
        assert text[q.start : q.end] == q.text
    if text.startswith(("by ", "deadline", "on 1", "see ", "www", "ask ", "mail", "v1", "Q3")):
        assert find_quantities(text) == []


def test_versions_and_model_ids_are_harmless_quantities() -> None:
    assert values("Haiku 4.5") == []  # a model's version is part of its name
    assert values("v1.2.3") == []
    assert values("1.2.3") == [1.2]


def test_plain_space_grouping_is_read_both_ways() -> None:
    assert 15e6 in values("15 000 000")
    assert set(values("10 200 users")) == {10, 200, 10200}


@pytest.mark.parametrize(
    ("period", "factor"),
    [(None, 1), ("month", 1), ("day", 30), ("week", 30 / 7), ("year", 1 / 12), ("hour", 720)],
)
def test_monthly(period: str | None, factor: float) -> None:
    q = Quantity(700.0, "700", 0, 3, period, False)
    assert monthly(q) == pytest.approx(700 * factor)


@pytest.mark.parametrize(
    ("text", "value", "kwargs", "span"),
    [
        ("we see ~15M tickets/mo.", 15e6, {"monthly_rate": True}, "~15M tickets/mo"),
        ("we see ~15M tickets/mo.", 15e6, {}, "~15M tickets/mo"),
        ("500k per day", 15e6, {"monthly_rate": True}, "500k per day"),
        ("500k per day", 5e5, {}, "500k per day"),
        ("100k weekly", 428_571, {"monthly_rate": True}, "100k weekly"),
        ("6M a year", 5e5, {"monthly_rate": True}, "6M a year"),
        ("15M calls", 15e6, {"monthly_rate": True}, "15M"),
        ("baseline 91% on 500 tickets", 0.91, {"share": True}, "91%"),
        ("baseline 0.91", 0.91, {"share": True}, "0.91"),
        ("baseline 91%", 91, {}, "91%"),
        ("10-20M a month", 20e6, {"monthly_rate": True}, "10-20M a month"),
        ("10 to 20 million", 10e6, {}, "10 to 20 million"),
        ("0 labeled examples", 0, {}, "0"),
        ("~15.04M", 15e6, {}, "~15.04M"),  # within 0.5%
    ],
)
def test_supports(text: str, value: float, kwargs: dict[str, bool], span: str) -> None:
    q = supports(text, value, **kwargs)
    assert q is not None
    assert q.text == span


@pytest.mark.parametrize(
    ("text", "value", "kwargs"),
    [
        ("500k per day", 5e5, {"monthly_rate": True}),  # 500k a day is 15M a month
        ("500k per day", 15e6, {}),
        ("15M", 16e6, {}),
        ("~15.1M", 15e6, {}),  # beyond 0.5%
        ("91%", 0.91, {}),  # a percent is a share only when asked
        ("91%", 91, {"monthly_rate": True}),  # never a rate
        ("91 on our eval", 0.91, {"share": True}),
        ("no numbers here", 1, {}),
        ("15M", math.nan, {}),
        ("15M", math.inf, {}),
    ],
)
def test_does_not_support(text: str, value: float, kwargs: dict[str, bool]) -> None:
    assert supports(text, value, **kwargs) is None


def test_supports_picks_the_closest() -> None:
    q = supports("15.02M last month, 15.00M this month", 15e6)
    assert q is not None
    assert q.text == "15.00M"


def test_supports_rejects_both_modes() -> None:
    with pytest.raises(ValueError, match="exclusive"):
        supports("91%", 0.91, monthly_rate=True, share=True)


# --- properties ---------------------------------------------------------------------------------

MULTIPLIED = [
    ("{n}", 1),
    ("{n:,}", 1),
    ("{n}k", 1e3),
    ("{n}K", 1e3),
    ("{n} k", 1e3),
    ("{n} thousand", 1e3),
    ("{n}M", 1e6),
    ("{n} m", 1e6),
    ("{n}mm", 1e6),
    ("{n} million", 1e6),
    ("{n}B", 1e9),
    ("{n}bn", 1e9),
    ("{n} billion", 1e9),
    ("{n:,}k", 1e3),
    ("~{n}M", 1e6),
    ("${n}k", 1e3),
]
RATES = [
    ("", None),
    ("/mo", "month"),
    (" per month", "month"),
    (" a month", "month"),
    (" monthly", "month"),
    (" calls/month", "month"),
    ("/day", "day"),
    (" per day", "day"),
    (" daily", "day"),
    (" tickets a day", "day"),
    (" weekly", "week"),
    ("/wk", "week"),
    (" a year", "year"),
    (" annually", "year"),
    ("/yr", "year"),
]
CONTEXTS = ["{q}", "we see {q}.", "Acme: {q}, 40 queues", "roughly {q} (Haiku 4.5)", "{q}!"]

numbers = st.integers(min_value=0, max_value=10**6)


@settings(max_examples=150, deadline=None)
@given(
    n=numbers,
    fmt=st.sampled_from(MULTIPLIED),
    rate=st.sampled_from(RATES),
    context=st.sampled_from(CONTEXTS),
)
def test_rendered_quantities_are_found_and_supported(
    n: int, fmt: tuple[str, float], rate: tuple[str, str | None], context: str
) -> None:
    template, multiplier = fmt
    suffix, period = rate
    text = context.format(q=template.format(n=n) + suffix)
    value = n * multiplier
    assert any(
        math.isclose(q.value, value, rel_tol=1e-9, abs_tol=1e-9) and q.period == period
        for q in find_quantities(text)
    ), (text, find_quantities(text))
    expected_monthly = (
        value * {None: 1, "month": 1, "day": 30, "week": 30 / 7, "year": 1 / 12}[period]
    )
    assert supports(text, value) is not None
    assert supports(text, expected_monthly, monthly_rate=True) is not None


@settings(max_examples=100, deadline=None)
@given(whole=st.integers(min_value=0, max_value=999), tenths=st.integers(min_value=0, max_value=9))
def test_decimals_and_percents(whole: int, tenths: int) -> None:
    number = f"{whole}.{tenths}"
    value = whole + tenths / 10
    assert supports(f"about {number}M calls", value * 1e6) is not None
    if value <= 100:
        q = supports(f"baseline {number}% on our eval", value / 100, share=True)
        assert q is not None
        assert q.is_percent


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from("0123456789 .,-–/%$~kKmMbB per day month a"), max_size=40
    ),
    value=st.floats(min_value=0, max_value=1e13, allow_nan=False),
    rel_tol=st.sampled_from([0.0, 0.001, 0.005, 0.05]),
    mode=st.sampled_from(["plain", "monthly_rate", "share"]),
)
def test_supports_never_strays_beyond_tolerance(
    text: str, value: float, rel_tol: float, mode: str
) -> None:
    for q in find_quantities(text):
        assert text[q.start : q.end] == q.text
        assert q.period in (None, *PERIODS)
        assert math.isfinite(q.value)
        # the value supported by a quantity of the text is always found
        assert supports(text, q.value) is not None
    q = supports(
        text,
        value,
        monthly_rate=mode == "monthly_rate",
        share=mode == "share",
        rel_tol=rel_tol,
    )
    if q is not None:
        if mode == "monthly_rate":
            got = monthly(q)
        elif mode == "share" and q.is_percent:
            got = q.value / 100
        else:
            got = q.value
        assert math.isclose(got, value, rel_tol=rel_tol)


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_does_not_crash(text: str) -> None:
    for q in find_quantities(text):
        assert text[q.start : q.end] == q.text
        assert q.start < q.end


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("we'll do 10^20 calls a month", [1e20]),  # not 10 and 20
        ("2 ** 10 tokens", [1024.0]),
        ("-5M calls a month", [-5_000_000.0]),  # minus five million supports no count
        ("−500 labeled", [-500.0]),
        ("10-20M calls", [10_000_000.0, 20_000_000.0]),  # a range's dash is no minus
    ],
)
def test_powers_and_minus_signs(text, values):
    assert [q.value for q in find_quantities(text)] == values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("about a million and a half messages a month", 1_500_000),
        ("two and a half million calls", 2_500_000),
        ("a couple of million calls", 2_000_000),
        ("a couple hundred labeled tickets", 200),
        ("a couple of seconds", 2),
    ],
)
def test_numbers_said_in_words(text, value):
    assert value in [q.value for q in find_quantities(text)]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("they tried haiku 4.5 - 94% vs 95% target", [94, 95]),
        ("claude-haiku-4-5 at 90%", [90]),
        ("opus 4.5 was 92-94%", [92, 94]),
        ("haiku 5.5 got 91%, sonnet 94%", [91, 94]),
        ("gpt-4.1 got 88%", [88]),
        ("Sonnet 4.5 retired on the 30th, we use 2M calls", [30, 2e6]),
    ],
)
def test_a_model_version_is_a_name_not_a_number(text: str, numbers: list[float]) -> None:
    """ "haiku 4.5 - 94%" is no range from 4.5 to 94%: the version belongs to the model."""
    assert [q.value for q in find_quantities(text)] == numbers
