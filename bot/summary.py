"""The client summary: a verdict as a short plain-text paragraph a salesperson pastes into an
e-mail to the buyer, its headline number first.

Every number comes from the decision (its math, its market, its facts) and is worded by
bot/verdict.py's helpers, so the summary says what the verdict says. It speaks to the buyer
("you", "we recommend"): no playbook codes (C1, Q3), no field names, no Slack markup.
"""

from __future__ import annotations

import math

from bot.verdict import Words, about, calls_today, months, share, short, title
from knowledge.billing import Mode, Priced
from knowledge.decision import Decision, Gate, GateName, Verdict
from knowledge.facts import Request


def client_summary(decision: Decision) -> str:
    """The verdict for the client: a few sentences, plain text, ready to paste."""
    w = Words(decision)
    match decision.verdict:
        case Verdict.fine_tune:
            sentences = _fine_tune(w)
        case Verdict.measure_baseline:
            sentences = _measure(w)
        case Verdict.prompt:
            sentences = _prompt(w)
        case Verdict.rag:
            sentences = _rag(w)
        case Verdict.build_dataset:
            sentences = _dataset(w)
        case _:
            return _need_info(decision)
    sentences.append(f"Figures use list prices as of {decision.price_sheet_as_of}.")
    return " ".join(sentences)


def _mode(priced: Priced | None) -> str:
    return " in batch" if priced is not None and priced.mode is Mode.batch else ""


def _prompting_cost(w: Words, priced: Priced | None) -> str:
    """ "prompting Claude Haiku 4.5 costs about $9,750 a month at 15M calls" """
    if priced is None:
        return ""
    calls = w.f.monthly_calls
    at = f" at {calls_today(calls)} calls" if calls else ""
    return (
        f"prompting {title(priced.model)}{_mode(priced)} costs about "
        f"{about(priced.monthly_cost)} a month{at}"
    )


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _fine_tune(w: Words) -> list[str]:
    d, b = w.d, w.b
    recommend = (
        "We recommend the fine-tune: first we would set aside part of your labeled data as a "
        "held-out evaluation set and build the evaluation suite, then train and serve the model."
    )
    if d.on_device_build_cost is not None:
        return [
            "Only a small fine-tuned model can run on the device itself, so there is no API bill "
            f"to compare with: the cost is the build, about {about(d.on_device_build_cost)} "
            "including the on-device work.",
            recommend,
        ]
    if w.latency:
        sentences = [
            f"Only a fine-tuned model can return the first token {w.within_budget}: frontier "
            "model APIs can't answer that fast."
        ]
        if b is not None and b.payback_months <= d.horizon_months:
            sentences.append(
                f"It also pays for itself: it saves about {about(b.monthly_net_savings)} a month "
                f"against prompting {title(b.frontier_model)}{w.mode} and pays back its "
                f"{about(b.build_cost)} build in {months(b.payback_months)}."
            )
        elif b is not None:
            never = (
                "never pays back"
                if not math.isfinite(b.payback_months)
                else f"takes {months(b.payback_months)} to pay back"
            )
            sentences.append(
                f"On cost alone it {never}, so the {about(b.build_cost)} build is the price of "
                "the speed."
            )
        return [*sentences, recommend]
    assert b is not None
    sentences = [
        f"A fine-tuned model would save about {about(b.monthly_net_savings)} a month after "
        f"operating costs, against prompting {title(b.frontier_model)}{w.mode}, and pay back its "
        f"{about(b.build_cost)} build in {months(b.payback_months)}.",
        f"At {calls_today(b.monthly_calls)} calls a month, prompting costs about "
        f"{about(b.frontier_monthly)} a month; the fine-tuned model costs about "
        f"{about(b.serving.monthly)} to serve plus {about(b.monthly_ops)} of operations.",
    ]
    cheaper = d.cheaper_frontier
    if cheaper is not None and cheaper.quality is None:
        payback = w.payback_against(cheaper)
        if payback <= d.horizon_months:
            sentences.append(
                f"Even if {title(cheaper.model)}, which costs less and hasn't been measured yet, "
                f"proves as good, the fine-tune pays back in {months(payback)} against it."
            )
    return [*sentences, recommend]


def _measure(w: Words) -> list[str]:
    d, b, f = w.d, w.b, w.f
    first = w.first_measure
    if d.measure_models and b is not None and first is not None:
        names = " and ".join(title(m) for m in d.measure_models)
        baseline = short(w.measured_model) if w.measured_model else "your current model"
        scored = f" ({share(f.baseline_quality)})" if f.baseline_quality is not None else ""
        payback = w.payback_against(first)
        outcome = (
            "would never pay back"
            if not math.isfinite(payback)
            else f"would take {months(payback)} to pay back"
        )
        return [
            f"A fine-tune would save about {about(b.monthly_net_savings)} a month against "
            f"prompting {title(b.frontier_model)}{w.mode}, but {title(first.model)}, which hasn't "
            f"been measured on this workload yet, would run it for about "
            f"{about(first.monthly_cost)} a month{_mode(first)}.",
            f"If {short(first.model)} does as well as {baseline} did{scored}, prompting it is the "
            f"cheaper path and the fine-tune {outcome}; if it falls short, the fine-tune pays "
            f"back in {months(b.payback_months)}.",
            f"We recommend measuring {names} on the same evaluation set before deciding.",
        ]
    cost = _prompting_cost(w, d.baseline)
    if f.request is Request.improve_quality and not d.cases:
        lead = f"{_capital(cost)}, and better" if cost else "Better"
        return [
            f"{lead} output quality is most often won with a better prompt and a clear "
            "evaluation than with a fine-tune: we recommend writing down what good output looks "
            "like, building a small evaluation set and measuring a well-prompted model on it."
        ]
    lead = f"{_capital(cost)}. " if cost else ""
    return [
        f"{lead}Before investing in a fine-tune, we recommend measuring how close a "
        "well-prompted model comes to your quality target: that gap is what a fine-tune would "
        "buy, and nobody has measured it on this workload yet."
    ]


def _prompt(w: Words) -> list[str]:
    d, b, f = w.d, w.b, w.f
    recommend = (
        "We recommend prompting with caching and an evaluation suite, and revisiting if your "
        "volume or the prices change."
    )
    if d.gates[GateName.q3_volume] is Gate.failed and b is not None:
        prompting = (
            f"Prompting {title(b.frontier_model)}{w.mode} costs about {about(b.frontier_monthly)} "
            f"a month at {calls_today(b.monthly_calls)} calls"
        )
        if b.savings_per_call <= 0:
            why = "a fine-tuned model would cost more per call than that"
        elif not math.isfinite(b.payback_months):
            why = "a fine-tuned model would save less than it costs to operate"
        else:
            why = (
                f"a fine-tuned model would take {months(b.payback_months)} to pay back its "
                f"{about(b.build_cost)} build, longer than the {w.horizon} we accept"
            )
        return [f"{prompting}; {why}.", recommend]
    cost = _prompting_cost(w, d.competitor or d.baseline)
    if f.request is Request.brand_voice and not d.cases:
        tail = f" ({cost})" if cost else ""
        return [
            "A brand voice is best set with a system prompt and a few example outputs"
            f"{tail}: fine-tuning for it would tie you to one base model.",
            recommend,
        ]
    if d.gates[GateName.q1_baseline] is Gate.failed:
        model = title(w.baseline_model) if w.baseline_model else "The prompted model"
        scored = ""
        if f.baseline_quality is not None and f.target_quality is not None:
            scored = f" ({share(f.baseline_quality)} against {share(f.target_quality)})"
        costs = f", and {cost}" if cost else ""
        return [
            f"{model} already meets your quality target{scored}{costs}: there is no gap for a "
            "fine-tune to close.",
            recommend,
        ]
    tail = f": {cost}" if cost else ""
    if f.request is Request.output_format and f.format_schema:
        return [
            "Your output format can be written as a JSON schema, so Claude's structured "
            "outputs hold every answer to it without a fine-tune, and a well-prompted model "
            f"with caching is the right tool{tail}.",
            recommend,
        ]
    return [
        "None of the situations where fine-tuning pays off applies here (very high volume, "
        "specialised vocabulary, a latency budget no API meets, a strict output format), so a "
        f"well-prompted model with caching is the right tool{tail}.",
        recommend,
    ]


def _rag(w: Words) -> list[str]:
    cost = _prompting_cost(w, w.d.competitor)
    why = (
        "retrieval over your documents, not fine-tuning, is the right approach: fine-tuning on "
        "documents doesn't make a model know them, while a model given the right passages "
        "answers from them."
    )
    return [
        *([f"With retrieval, {cost}."] if cost else []),
        _capital(why),
        "We recommend building retrieval (or long context with caching) and an evaluation suite "
        "for the answers.",
    ]


def _dataset(w: Words) -> list[str]:
    b, lab = w.b, w.labelling
    if lab is None:
        return ["A fine-tune needs more labeled examples than exist today."]
    sentences = [
        f"Labelling the {lab.needed:,} more examples a fine-tune needs would cost about "
        f"{lab.cost} (at {lab.each} each): there are {lab.have:,} today, and it needs at least "
        f"{lab.at_least:,}."
    ]
    if w.frontier_labels is not None:
        sentences.append(f"{w.frontier_labels}, with a sample checked by hand.")
    if b is not None and math.isfinite(b.payback_months):
        sentences.append(
            f"Once the data exists, the fine-tune would pay back in {months(b.payback_months)} "
            f"against prompting {title(b.frontier_model)}{w.mode}."
        )
    sentences.append("We recommend building the labeled set first, then revisiting the fine-tune.")
    return sentences


def _need_info(decision: Decision) -> str:
    asks = " ".join(q.ask for q in Words(decision).questions)
    return f"There is no recommendation yet; these are still open: {asks}".strip()
