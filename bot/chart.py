"""The breakeven chart posted in the thread with a verdict that has math.

Monthly cost against monthly calls: prompting the competitor, the cheapest fine-tune (its
serving plus ops; dedicated GPUs step up a replica at a time), and the build spread over the
payback horizon as a band on top. Where the competitor's line crosses the top of the band the
fine-tune pays back within the horizon: that volume and today's are marked.

Every figure comes from the engine (`breakeven()` at each sampled volume, `thresholds` for
the break-even volume) and every number is worded by bot/verdict.py's helpers, so the chart
and its alt text say what the verdict says. matplotlib is imported only when a chart is drawn:
`ftscope decide` and the other commands start without it.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.verdict import Words, about, calls_today, money, title, volume
from knowledge.assumptions import Assumptions
from knowledge.billing import Mode, Workload
from knowledge.breakeven import (
    SECONDS_PER_MONTH,
    Breakeven,
    Serving,
    breakeven,
    gpu_seconds_per_call,
)
from knowledge.decision import Case, Decision, Verdict
from knowledge.prices import DedicatedGpuServing, PriceSheet
from knowledge.rules import plan_workload, priced_serving

log = logging.getLogger(__name__)

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100  # 800 × 450 px: readable in a Slack thread, small
GRID_POINTS = 60  # between the replica steps, where every line is straight
MAX_STEPS = 150  # replica steps drawn per option; more would be finer than a pixel apart
LOG_SCALE_RATIO = 20  # marked volumes further apart than this are drawn on log axes
# colours a reader tells apart in print and with the common colour-vision deficiencies
COMPETITOR_COLOUR, FINE_TUNE_COLOUR, ZONE_COLOUR = "#d55e00", "#0072b2", "#cc79a7"


@dataclass(frozen=True)
class Chart:
    """A PNG to post in the thread with the verdict: 800 × 450 px, some 50 KB."""

    png: bytes
    alt_text: str  # the chart's numbers in words, for screen readers and notifications
    title: str
    filename: str


@dataclass(frozen=True)
class Curves:
    """Monthly costs at each sampled volume, ascending; ops and the build are in the totals."""

    calls: list[int]
    competitor: list[float]
    fine_tune: list[float]  # cheapest serving at that volume + monthly ops
    with_build: list[float]  # fine_tune + build cost ÷ payback horizon
    log_scale: bool
    steps: bool  # dedicated GPUs step up within the range


def _shows_math(decision: Decision) -> bool:
    """A chart goes with exactly the verdicts that say what volume would make the fine-tune
    pay back: not need_info (facts still moving), an anti-pattern or no case (the request
    decides, not the volume), no quality gap to buy, or on device (nothing to compare)."""
    return (
        decision.verdict is not Verdict.need_info
        and decision.breakeven is not None
        and decision.competitor is not None
        and decision.thresholds is not None
        and Words(decision).threshold is not None
    )


def _serving(decision: Decision, prices: PriceSheet, assumptions: Assumptions) -> Serving:
    """The serving the decision priced (the engine keeps it out of the Decision): the same
    rule, knowledge/rules.py `priced_serving`; `curves` checks the result against the
    decision's own figures."""
    latency_case = Case.C3 in decision.cases
    return priced_serving(decision.facts, prices, assumptions, latency_case)[0]


def _range(decision: Decision) -> tuple[float, float, bool]:
    """(lowest, highest volume drawn, log scale): today's volume and the break-even with room
    around them, and the dead zones when they are near enough to be seen."""
    b, t = decision.breakeven, decision.thresholds
    assert b is not None and t is not None
    marks = [v for v in (b.monthly_calls, t.min_monthly_calls) if v]
    if not marks:
        marks = [1_000_000]  # nothing today and no break-even: a scale a buyer recognises
    top = max(marks)
    always = t.always_pays_above_calls
    if always is not None and always <= 5 * top:
        top = max(top, always)
    low = min(marks)
    if top / low > LOG_SCALE_RATIO:
        return low / 3, top * 3, True
    return 0.0, top * 1.5, False


def _step_volumes(
    serving: Serving, workload: Workload, low: float, high: float
) -> tuple[list[int], bool]:
    """Volumes either side of each point where a dedicated GPU option needs one more replica,
    so the drawn line steps there instead of sloping between grid points."""
    points: list[int] = []
    any_steps = False
    for option in serving.options:
        if not isinstance(option, DedicatedGpuServing) or serving.scales_to_zero(option):
            continue
        seconds = gpu_seconds_per_call(option, workload)
        if seconds <= 0:
            continue
        per_replica = SECONDS_PER_MONTH * option.max_utilization / seconds
        first = max(option.min_replicas, serving.floor(option))
        replicas = range(max(first, math.ceil(low / per_replica)), int(high / per_replica) + 1)
        if not replicas:
            continue
        any_steps = True
        if len(replicas) > MAX_STEPS:
            continue  # a step a few pixels wide: the grid shows the sawtooth well enough
        for k in replicas:
            top = math.floor(k * per_replica)
            points += [top, top + 1]
    return points, any_steps


def _grid(low: float, high: float, log_scale: bool) -> list[int]:
    if log_scale:
        ratio = (high / low) ** (1 / (GRID_POINTS - 1))
        return [round(low * ratio**i) for i in range(GRID_POINTS)]
    return [round(low + (high - low) * i / (GRID_POINTS - 1)) for i in range(GRID_POINTS)]


def curves(decision: Decision, prices: PriceSheet, assumptions: Assumptions) -> Curves | None:
    """The chart's lines, each point the engine's breakeven at that volume; None when the
    verdict has no math to chart, or when the serving can't be rebuilt as it was priced."""
    if not _shows_math(decision):
        return None
    b, competitor = decision.breakeven, decision.competitor
    assert b is not None and competitor is not None
    workload = plan_workload(decision.facts, assumptions).workload
    if workload is None or workload.monthly_calls != b.monthly_calls:
        return None
    serving = _serving(decision, prices, assumptions)

    def at(calls: int) -> Breakeven:
        return breakeven(
            competitor, serving, workload.with_calls(calls), b.build_cost, b.monthly_ops
        )

    today = at(b.monthly_calls)
    if (
        today.serving.option.id != b.serving.option.id
        or not math.isclose(today.serving.monthly, b.serving.monthly)
        or not math.isclose(today.frontier_monthly, b.frontier_monthly)
    ):
        # other prices or assumptions than the decision's: a chart would contradict it
        log.warning("breakeven chart skipped: the serving doesn't price as the decision did")
        return None
    low, high, log_scale = _range(decision)
    steps, stepped = _step_volumes(serving, workload, low, high)
    t = decision.thresholds
    assert t is not None
    marked = [b.monthly_calls, t.min_monthly_calls or 0]
    marked += [v for zone in t.dead_zones for v in (zone[0] - 1, *zone)]
    calls = sorted(
        v
        for v in {*_grid(low, high, log_scale), *steps, *marked}
        if low <= v <= high and (v > 0 or not log_scale)
    )
    spread = b.build_cost / decision.horizon_months
    points = [at(v) for v in calls]
    fine_tune = [p.serving.monthly + p.monthly_ops for p in points]
    return Curves(
        calls=calls,
        competitor=[p.frontier_monthly for p in points],
        fine_tune=fine_tune,
        with_build=[cost + spread for cost in fine_tune],
        log_scale=log_scale,
        steps=stepped,
    )


def _alt_text(decision: Decision, steps: bool) -> str:
    b, t = decision.breakeven, decision.thresholds
    assert b is not None and t is not None
    words = Words(decision)
    horizon = f"{decision.horizon_months:g} months"
    serving = b.serving
    if serving.replicas:
        how = f", {serving.replicas:,} GPU{'s' if serving.replicas != 1 else ''}"
    else:
        how = ", busy GPU time only" if serving.busy_only else ", per token"
    spread = b.build_cost / decision.horizon_months
    sentences = [
        f"Cost a month against calls a month: prompting {title(b.frontier_model)}{words.mode} "
        f"and the fine-tune, with its {money(b.build_cost)} build spread over {horizon}.",
        f"At today's {calls_today(b.monthly_calls)} calls a month, prompting costs "
        f"{money(b.frontier_monthly)} a month; the fine-tuned model costs "
        f"{money(serving.monthly)} to serve ({serving.option.title}{how}) plus "
        f"{money(b.monthly_ops)} of ops, and {money(spread)} a month of build: "
        f"{money(serving.monthly + b.monthly_ops + spread)} in all.",
    ]
    threshold = words.threshold
    assert threshold is not None  # _shows_math
    sentences.append(threshold[1])
    if steps:
        sentences.append("Each step in the fine-tune's line is one more GPU.")
    if t.dead_zones:
        zones = [f"{volume(a, 'nearest', 2)}–{volume(z, 'nearest', 2)}" for a, z in t.dead_zones]
        sentences.append(
            f"Shaded: where one more GPU eats the savings ({', '.join(zones)} calls a month)."
        )
    return " ".join(sentences)


def breakeven_chart(
    decision: Decision, prices: PriceSheet, assumptions: Assumptions
) -> Chart | None:
    """The breakeven chart for `decision`, decided with `prices` and `assumptions`; None when
    the verdict has no math to chart (need_info, an anti-pattern, no case, on device)."""
    found = curves(decision, prices, assumptions)
    if found is None:
        return None
    b, t = decision.breakeven, decision.thresholds
    assert b is not None and t is not None
    mode = Words(decision).mode
    heading = f"Fine-tune vs prompting {title(b.frontier_model)}{mode}: cost a month"
    today = b.monthly_calls
    marks = [(today, f"today {calls_today(today)}")]
    if t.min_monthly_calls is not None:
        # rounded as the verdict's "from 6.4M calls a month" rounds it (its own helper, so the
        # two can't disagree), never to read as today's volume
        marks.append(
            (t.min_monthly_calls, f"break-even {Words._bound(t.min_monthly_calls, today)}")
        )
    labels = (
        f"Prompting {title(b.frontier_model)}{mode}",
        f"Fine-tune: serving + {money(b.monthly_ops)} ops",
        f"+ {money(b.build_cost)} build over {decision.horizon_months:g} months",
    )
    png = _render(found, heading, labels, marks, t.dead_zones)
    slug = b.frontier_model + ("-batch" if b.frontier_mode is Mode.batch else "")
    return Chart(png, _alt_text(decision, found.steps), heading, f"breakeven-{slug}.png")


def _render(
    c: Curves,
    heading: str,
    labels: tuple[str, str, str],
    marks: Sequence[tuple[int, str]],
    dead_zones: Sequence[tuple[int, int]],
) -> bytes:
    # The object API on an Agg canvas: no pyplot, no global figure or backend state, so
    # threads can draw at once. Imported here so commands that draw nothing don't pay for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import (  # noqa: PLC0415
        FuncFormatter,
        LogLocator,
        MaxNLocator,
        NullLocator,
    )
    from PIL import Image  # noqa: PLC0415  (a dependency of matplotlib's)

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.2)  # no tight_layout: slow
    ax = figure.add_subplot()
    ax.plot(c.calls, c.competitor, color=COMPETITOR_COLOUR, linewidth=2, label=labels[0])
    ax.plot(c.calls, c.fine_tune, color=FINE_TUNE_COLOUR, linewidth=2, label=labels[1])
    ax.fill_between(
        c.calls,
        c.fine_tune,
        c.with_build,
        color=FINE_TUNE_COLOUR,
        alpha=0.18,
        linewidth=0,
        label=labels[2],
    )
    ax.plot(c.calls, c.with_build, color=FINE_TUNE_COLOUR, linewidth=1, linestyle="--")
    for index, (start, end) in enumerate(dead_zones):
        ax.axvspan(
            start,
            end,
            color=ZONE_COLOUR,
            alpha=0.2,
            linewidth=0,
            label="one more GPU eats the savings" if index == 0 else None,
        )
    if c.log_scale:
        ax.set_xscale("log")
        ax.set_yscale("log")
        positive = [v for v in (*c.competitor, *c.fine_tune) if v > 0]
        ax.set_ylim(min(positive) / 2, max(*positive, *c.with_build) * 4)
    else:
        ax.set_ylim(0, max(*c.competitor, *c.with_build) * 1.18)  # room for the marks' labels
    ax.set_xlim(c.calls[0], c.calls[-1])
    # the leftmost mark is labelled on its left, the other on its right, so close ones don't
    # overlap
    ordered = sorted(marks)
    if len(ordered) == 1:  # no break-even: the chart says so where a reader looks first
        ax.text(
            0.02,
            0.97,
            "no break-even volume",
            transform=ax.transAxes,
            fontsize=9,
            ha="left",
            va="top",
            color="#222222",
        )
    for index, (calls, text) in enumerate(ordered):
        left = index == 0 and len(ordered) > 1
        ax.axvline(calls, color="#444444", linewidth=1, linestyle=":")
        ax.text(
            calls,
            0.97,
            f" {text} ",
            transform=ax.get_xaxis_transform(),
            fontsize=9,
            ha="right" if left else "left",
            va="top",
            color="#222222",
        )
    # Round numbers as people say them (1, 2, 5 of each power of ten on log axes), and few of
    # them: each tick label is a text to lay out, the bulk of the render time
    if c.log_scale:
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0), numticks=9))
        low, high = ax.get_ylim()
        wide = math.log10(high / low) > 3  # every 1-2-5 would crowd the axis
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0,) if wide else (1.0, 2.0, 5.0)))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    # minor ticks on log axes are dozens of artists, and a third of the render time
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: calls_today(round(v))))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: about(v)))
    ax.set_xlabel("calls a month")
    ax.set_ylabel("cost a month (USD)")
    ax.set_title(heading, fontsize=11, y=1.02)  # placed, not measured against the ticks
    ax.grid(True, color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    # one row of three, or two rows of two with the dead zones' entry
    figure.legend(
        loc="lower center",
        ncols=2 if dead_zones else 3,
        fontsize=8,
        frameon=False,
        borderaxespad=0.2,
    )
    canvas.draw()
    # Encoded here rather than by savefig: the figure is opaque, so RGB loses nothing, and
    # RGB at zlib level 3 takes half the time of savefig's RGBA at level 6, in a smaller file
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    out = io.BytesIO()
    image.convert("RGB").save(out, format="png", compress_level=3)
    return out.getvalue()
