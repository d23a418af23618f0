"""The breakeven chart: a PNG of the size Slack shows, and alt text stating the verdict's numbers.

Golden in what matters rather than pixel for pixel (a matplotlib upgrade moves anti-aliasing,
not meaning): the PNG's signature and size, and the figures in its alt text. Decided on the
fixture sheet on a fixed day, so the figures can be checked by hand:
- Acme, 15M calls (600 in / 10 out, 450-token prefix below Haiku 4.5's cache minimum): prompting
  Haiku 4.5 is 15M × (600 × $1/M + 10 × $5/M) = $9,750 a month; the fine-tune runs on one L4 at
  $0.80/h, 730 h = $584 a month, plus $1,500 of ops; the $27,500 build over 12 months is $2,292
  a month. It pays back within 12 months from 6.4M calls a month.
- The same at 150M calls: $97,500 against 5 L4s ($2,920); one L4 carries 30.2M calls a month.
"""

import datetime as dt
import math
import struct
import subprocess
import sys
import threading
from itertools import pairwise
from pathlib import Path

import pytest

from bot import verdict
from bot.chart import Chart, breakeven_chart, curves
from knowledge import Facts, decide
from knowledge.decision import Verdict
from knowledge.documents import read_document
from tests.fakes.acme import FACTS

ROOT = Path(__file__).parents[2]
TODAY = dt.date(2026, 12, 6)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Acme extracting with Haiku 5.5: one L4 carries only ~3M calls a month of 1,000 in / 150 out,
# and costs more per call than Haiku 5.5, so no volume pays the build back
NEVER = {
    **FACTS,
    "task_type": "extraction",
    "input_tokens": 1000,
    "output_tokens": 150,
    "cached_prefix_tokens": 0,
    "frontier_model": "claude-haiku-5-5",
    "monthly_calls": 20_000_000,
}


def decided(facts, prices, assumptions):
    return decide(Facts.model_validate(facts), prices, assumptions, today=TODAY)


def example(name: str) -> dict:
    return read_document(ROOT / "examples" / f"{name}.json")


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format puts first."""
    assert png[:8] == PNG_SIGNATURE
    _, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert kind == b"IHDR"
    return width, height


def chart_of(facts, prices, assumptions) -> Chart:
    chart = breakeven_chart(decided(facts, prices, assumptions), prices, assumptions)
    assert chart is not None
    return chart


def test_the_chart_is_a_png_the_size_slack_shows(prices, assumptions):
    chart = chart_of(FACTS, prices, assumptions)
    assert chart.png.startswith(PNG_SIGNATURE)
    assert png_size(chart.png) == (800, 450)
    assert chart.png.endswith(b"IEND\xaeB`\x82")  # whole, not cut short
    assert 10_000 < len(chart.png) < 150_000
    assert chart.filename == "breakeven-claude-haiku-4-5.png"
    assert chart.title == "Fine-tune vs prompting Claude Haiku 4.5: cost a month"


def test_the_alt_text_states_the_numbers_at_todays_volume(prices, assumptions):
    d = decided(FACTS, prices, assumptions)
    assert d.verdict is Verdict.measure_baseline  # measure Haiku 5.5 first: math all the same
    alt = breakeven_chart(d, prices, assumptions).alt_text
    for figure in (
        "today's 15M calls a month",
        "prompting costs $9,750 a month",
        "costs $584 to serve",
        "1 GPU",
        "$1,500 of ops",
        "$2,292 a month of build",
        "$4,376 in all",
        "from 6.4M calls a month (today 15M)",
        "$27,500 build spread over 12 months",
    ):
        assert figure in alt
    # the same figures as the decision's, worded as the verdict words them
    b = d.breakeven
    assert verdict.money(b.frontier_monthly) == "$9,750"
    assert verdict.money(b.serving.monthly) == "$584"
    assert verdict.money(b.monthly_ops) == "$1,500"
    assert verdict.money(b.build_cost) == "$27,500"
    assert d.thresholds.min_monthly_calls == 6_394_042
    # the sentence the verdict says, word for word (there after "What would have to be true…:")
    sentence = "ays back within 12 months from 6.4M calls a month (today 15M)."
    assert f"against Haiku 4.5: p{sentence}" in verdict.text(d)
    assert f"P{sentence}" in alt


def test_a_break_even_below_today_with_gpu_steps(prices, assumptions):
    facts = {**FACTS, "monthly_calls": 150_000_000}
    d = decided(facts, prices, assumptions)
    assert d.verdict is Verdict.fine_tune
    chart = breakeven_chart(d, prices, assumptions)
    assert png_size(chart.png) == (800, 450)
    for figure in (
        "today's 150M calls a month",
        "prompting costs $97,500 a month",
        "costs $2,920 to serve",
        "5 GPUs",
        "from 6.4M calls a month (today 150M)",
        "Each step in the fine-tune's line is one more GPU.",
    ):
        assert figure in chart.alt_text
    # the steps are drawn: one L4 more ($0.80 × 730 h) at each 30.2M calls
    lines = curves(d, prices, assumptions)
    jumps = [
        (calls, round(after - before, 2))
        for calls, (before, after) in zip(lines.calls[1:], pairwise(lines.fine_tune), strict=True)
        if after - before > 100
    ]
    assert jumps[:3] == [(30_194_043, 584.0), (60_388_086, 584.0), (90_582_128, 584.0)]


def test_no_break_even_in_range(prices, assumptions):
    d = decided(NEVER, prices, assumptions)
    assert d.verdict is Verdict.prompt
    assert d.thresholds.min_monthly_calls is None
    chart = breakeven_chart(d, prices, assumptions)
    assert png_size(chart.png) == (800, 450)
    alt = chart.alt_text
    assert "No volume up to 100B calls a month pays it back within 12 months." in alt
    assert "break-even" not in alt
    assert "today's 20M calls a month" in alt
    assert "prompting costs $3,500 a month" in alt
    assert "costs $4,088 to serve" in alt and "7 GPUs" in alt
    assert verdict.money(d.breakeven.frontier_monthly) == "$3,500"


def test_the_lines_are_the_decisions_figures(prices, assumptions):
    for facts in (FACTS, {**FACTS, "monthly_calls": 150_000_000}, {**FACTS, "batch_ok": True}):
        d = decided(facts, prices, assumptions)
        b, lines = d.breakeven, curves(d, prices, assumptions)
        today = lines.calls.index(b.monthly_calls)
        assert lines.competitor[today] == pytest.approx(b.frontier_monthly)
        assert lines.fine_tune[today] == pytest.approx(b.serving.monthly + b.monthly_ops)
        spread = b.build_cost / d.horizon_months
        assert lines.with_build[today] == pytest.approx(lines.fine_tune[today] + spread)
        # the competitor's line crosses the top of the band at the break-even volume
        start = d.thresholds.min_monthly_calls
        at = lines.calls.index(start)
        assert lines.competitor[at] >= lines.with_build[at] - 1e-6
        assert lines.competitor[at - 1] < lines.with_build[at - 1]


def test_a_latency_case_is_charted_on_the_serving_fast_enough(prices, assumptions):
    d = decided(example("voice-agent-latency"), prices, assumptions)
    assert d.verdict is Verdict.fine_tune
    chart = breakeven_chart(d, prices, assumptions)
    assert "Fine-tuned 8B on 1× L4 (Modal, $0.80/h)" in chart.alt_text
    assert "from 14M calls a month (today 4M)" in chart.alt_text


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        ("need_info, no math", example("first-message")),
        ("need_info, with math", {**FACTS, "baseline_measured": None}),
        ("rag", example("knowledge-base")),
        ("brand voice", example("brand-voice")),
        ("no case holds", {**FACTS, "monthly_calls": 1_000_000}),
        (
            "no quality gap",
            {
                **FACTS,
                "task_type": "generation",
                "request": "output_format",
                "strict_format": True,
                "target_quality": 0.9,
            },
        ),
        ("on device", {**FACTS, "on_device": True}),
    ],
)
def test_no_chart_without_math_to_chart(prices, assumptions, name, facts):
    d = decided(facts, prices, assumptions)
    assert breakeven_chart(d, prices, assumptions) is None, name


def test_need_info_has_no_chart_even_with_the_math_done(prices, assumptions):
    d = decided({**FACTS, "baseline_measured": None}, prices, assumptions)
    assert d.verdict is Verdict.need_info
    assert d.breakeven is not None and d.thresholds is not None
    assert breakeven_chart(d, prices, assumptions) is None


def test_no_chart_that_contradicts_the_decision(prices, assumptions):
    """Charted with other assumptions than it was decided with, the lines wouldn't be the
    verdict's: no chart rather than a wrong one."""
    d = decided(FACTS, prices, assumptions)
    other = assumptions.model_copy(update={"min_replicas_realtime": 3})
    assert breakeven_chart(d, prices, other) is None


def test_charts_draw_in_threads_alike(prices, assumptions):
    d = decided({**FACTS, "monthly_calls": 150_000_000}, prices, assumptions)
    alone = breakeven_chart(d, prices, assumptions)
    drawn: list[Chart | None] = [None] * 4

    def draw(index: int) -> None:
        drawn[index] = breakeven_chart(d, prices, assumptions)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(chart == alone for chart in drawn)


def test_matplotlib_is_imported_only_to_draw():
    code = (
        "import sys, bot.chart, bot.verdict, bot.cli\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at start-up'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_log_axes_when_the_volumes_are_far_apart(prices, assumptions):
    d = decided(example("payments-fraud-tagging"), prices, assumptions)
    start, today = d.thresholds.min_monthly_calls, d.breakeven.monthly_calls
    assert today / start > 20  # 200M against 5.7M
    lines = curves(d, prices, assumptions)
    assert lines.log_scale and all(calls > 0 for calls in lines.calls)
    # both marks inside, with room either side
    assert lines.calls[0] < start < today < lines.calls[-1]
    assert math.isclose(lines.calls[-1] / lines.calls[0], today * 3 / (start / 3), rel_tol=0.01)
    assert linear_for_acme(prices, assumptions)


def linear_for_acme(prices, assumptions) -> bool:
    d = decided(FACTS, prices, assumptions)  # 15M against 6.4M: a plain scale reads best
    lines = curves(d, prices, assumptions)
    return not lines.log_scale and lines.calls[0] == 0
