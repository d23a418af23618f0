"""The work behind clicks, forms, the Home tab and charts (bot/interactive.py), on SQLite and
PostgreSQL, with a recording poster in place of Slack."""

import threading

import pytest

from bot.blocks import validate_blocks, validate_view
from bot.buttons import VerdictRef, fingerprint
from bot.conversation import Conversation
from bot.interactive import SUGGESTED_PROMPTS, ChartUploads, SlackInteractions, WorkPool
from tests.bot.test_render import TODAY, example
from tests.fakes.harness import filled
from tests.fakes.threads import start_thread, workloads

ACME = example("acme-ticket-routing")
PAYMENTS = example("payments-fraud-tagging")


class Poster:
    """Records what the bot would send to Slack."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []
        self._lock = threading.Lock()

    def _record(self, *call):
        with self._lock:
            self.sent.append(call)

    def calls(self, name):
        return [c[1:] for c in self.sent if c[0] == name]

    refuse_views = False

    def open_view(self, trigger_id, view):
        self._record("open_view", trigger_id, validate_view(view))
        return not self.refuse_views

    def reply(self, channel, thread_ts, user, text, blocks):
        self._record("reply", channel, thread_ts, text, validate_blocks(blocks))
        return "2.0"

    def ephemeral(self, channel, thread_ts, user, text, blocks):
        self._record("ephemeral", channel, thread_ts, user, text, validate_blocks(blocks))
        return True

    def tell_user(self, channel, thread_ts, user, text):
        self._record("tell_user", channel, thread_ts, user, text)

    def text(self, channel, thread_ts, text):
        self._record("text", channel, thread_ts, text)
        return True

    def publish_home(self, user, view):
        self._record("publish_home", user, validate_view(view))
        return True

    def permalink(self, channel, ts):
        self._record("permalink", channel, ts)
        return f"https://fake/{channel}/{ts}"

    def upload_png(self, channel, thread_ts, png, *, filename, title, alt_text):
        self._record("upload_png", channel, thread_ts, png, filename, title, alt_text)
        return True


class Charts:
    def __init__(self) -> None:
        self.submitted = []

    def submit(self, channel, thread_ts, decision):
        self.submitted.append((channel, thread_ts, decision.verdict.value))

    def wait_idle(self, timeout=None):
        return True

    def shutdown(self, wait=True):
        pass


@pytest.fixture
def conversation(store, prices, assumptions):
    return Conversation(store, object(), lambda: prices, assumptions, today=TODAY)


@pytest.fixture
def poster():
    return Poster()


@pytest.fixture
def charts():
    return Charts()


@pytest.fixture
def clicks(conversation, poster, assumptions, store, charts):
    interactions = SlackInteractions(conversation, poster, assumptions, store, charts)
    yield interactions
    interactions.shutdown()


@pytest.fixture
def thread(store, conversation):
    """The Acme thread with its verdict: the button value of that verdict."""
    start_thread(store, "T1", "C1", "1.0", "U1")
    outcome = conversation.amend("T1", "C1", "1.0", ACME, said="the test")
    conversation.record_reply(outcome, "1.5", "verdict")
    return VerdictRef("T1", "C1", "1.0", fingerprint(outcome.decision), outcome.thread_id).value


@pytest.fixture
def moved_on(store, conversation, thread):
    """The Acme thread after "new workload": payments fraud tagging is its workload 2. The
    button value of workload 1's verdict."""
    first = store.threads.find("T1", "C1", "1.0")
    store.threads.start_workload(first.id, "3.0", "U1")
    conversation.amend("T1", "C1", "1.0", PAYMENTS, said="the test")
    return thread


def test_adjust_numbers_opens_the_form_for_the_click(clicks, poster, thread):
    clicks.open_adjust("trigger.1", thread, "U1", "1.5")
    assert clicks.wait_idle(10)
    [(trigger, view)] = poster.calls("open_view")
    assert trigger == "trigger.1" and view["callback_id"] == "ftscope_adjust_form"
    assert "out of date" not in str(view["blocks"][0])


def test_a_form_slack_would_not_open_is_explained_to_the_clicker(clicks, poster, thread):
    poster.refuse_views = True  # an expired trigger_id, say
    clicks.open_adjust("trigger.1", thread, "U7", "1.5")
    assert clicks.wait_idle(10)
    [(channel, thread_ts, user, text)] = poster.calls("tell_user")
    assert (channel, thread_ts, user) == ("C1", "1.0", "U7")
    assert "Click *Adjust numbers* again" in text


def test_an_old_verdicts_button_opens_the_form_on_the_thread_as_it_is(
    clicks, poster, thread, conversation
):
    conversation.amend("T1", "C1", "1.0", {"monthly_calls": 30_000_000}, said="later")
    clicks.open_adjust("trigger.1", thread, "U1", "1.5")
    assert clicks.wait_idle(10)
    [(_, view)] = poster.calls("open_view")
    note = view["blocks"][0]["elements"][0]["text"]
    assert note.startswith("⚠️ The verdict you clicked is out of date: the thread was re-decided")


def test_a_button_of_a_thread_that_is_gone_says_so(clicks, poster):
    value = VerdictRef("T1", "C1", "9.9", "x").value
    clicks.open_adjust("trigger.1", value, "U1", "1.5")
    clicks.post_flip(value, "U1", "1.5")
    assert clicks.wait_idle(10)
    [(_, view)] = poster.calls("open_view")
    assert "I no longer have that scoping thread" in view["blocks"][0]["text"]["text"]
    [(_, _, user, text)] = poster.calls("tell_user")
    assert user == "U1" and "no longer have" in text


def test_a_button_naming_another_threads_workload_acts_on_neither(clicks, poster, thread, store):
    other = store.threads.find("T1", "C1", "1.0").id  # a workload of thread 1.0, not of 9.9
    value = VerdictRef("T1", "C1", "9.9", "x", other).value
    clicks.post_summary(value, "U1", "1.5")
    assert clicks.wait_idle(10)
    [(_, _, user, text)] = poster.calls("tell_user")
    assert user == "U1" and "no longer have" in text and poster.calls("ephemeral") == []


def test_a_value_this_bot_did_not_write_is_ignored(clicks, poster):
    clicks.open_adjust("trigger.1", "garbage", "U1", None)
    clicks.post_summary("{}", "U1", None)
    assert clicks.wait_idle(10) and poster.sent == []


def test_what_would_flip_it_is_posted_in_the_thread(clicks, poster, thread):
    clicks.post_flip(thread, "U7", "1.5")
    assert clicks.wait_idle(10)
    [(channel, thread_ts, text, blocks)] = poster.calls("reply")
    assert (channel, thread_ts) == ("C1", "1.0")
    assert text.startswith("What would have to be true")
    assert "(asked by <@U7>)" in blocks[0]["text"]["text"]


def test_the_client_summary_goes_to_the_clicker_only(clicks, poster, thread):
    clicks.post_summary(thread, "U7", "1.5")
    assert clicks.wait_idle(10)
    [(channel, thread_ts, user, text, _)] = poster.calls("ephemeral")
    assert (channel, thread_ts, user) == ("C1", "1.0", "U7")
    assert text.startswith("A fine-tune would save about $7,670 a month")


def open_form(clicks, poster, value):
    clicks.open_adjust("trigger.1", value, "U1", "1.5")
    assert clicks.wait_idle(10)
    return poster.calls("open_view")[-1][1]


def test_a_good_form_re_decides_and_posts_who_changed_what(clicks, poster, charts, thread, store):
    view = open_form(clicks, poster, thread)
    form = {**view, "state": {"values": filled(view, monthly_calls="200000000")}}
    assert clicks.submit_form(form, "U7") == {}
    assert clicks.wait_idle(10)
    [(_, _, _, blocks)] = poster.calls("reply")
    assert blocks[0]["text"]["text"].startswith(
        "Updated by <@U7> in the form: *monthly calls 15,000,000 → 200,000,000*."
    )
    assert blocks[-1]["type"] == "actions"  # the new verdict has its buttons
    assert charts.submitted == [("C1", "1.0", "fine_tune")]
    saved = store.threads.find("T1", "C1", "1.0")
    assert saved.facts["monthly_calls"] == 200_000_000
    assert saved.fact_quotes["monthly_calls"] == "in the form, by <@U7>"  # where, and who
    assert saved.shown_verdict == "fine_tune"


def test_a_bad_form_is_answered_with_inline_errors_and_changes_nothing(
    clicks, poster, thread, store
):
    view = open_form(clicks, poster, thread)
    bad = {**view, "state": {"values": filled(view, cached_prefix_tokens="5000")}}
    assert clicks.submit_form(bad, "U7") == {
        "cached_prefix_tokens": "Must be ≤ input tokens (600), got 5,000"
    }
    nonsense = {**view, "state": {"values": filled(view, monthly_calls="lots")}}
    assert list(clicks.submit_form(nonsense, "U7")) == ["monthly_calls"]
    assert clicks.wait_idle(10)
    assert poster.calls("reply") == []
    assert store.threads.find("T1", "C1", "1.0").facts["cached_prefix_tokens"] == 450


def test_a_form_submitted_unchanged_only_tells_the_user(clicks, poster, thread):
    view = open_form(clicks, poster, thread)
    assert clicks.submit_form({**view, "state": {"values": filled(view)}}, "U7") == {}
    assert clicks.wait_idle(10)
    [(_, _, user, text)] = poster.calls("tell_user")
    assert user == "U7" and "didn't change anything" in text


def test_a_form_whose_facts_moved_meanwhile_applies_only_its_own_changes(
    clicks, poster, thread, conversation, store
):
    view = open_form(clicks, poster, thread)
    conversation.amend("T1", "C1", "1.0", {"labeled_examples": 90_000}, said="a message")
    form = {**view, "state": {"values": filled(view, target_quality="95")}}
    assert clicks.submit_form(form, "U7") == {}
    assert clicks.wait_idle(10)
    facts = store.threads.find("T1", "C1", "1.0").facts
    assert facts["labeled_examples"] == 90_000 and facts["target_quality"] == 0.95
    [(_, _, _, blocks)] = poster.calls("reply")
    assert "only the values you changed were applied" in blocks[0]["text"]["text"]


SET_ASIDE = "Workload 1 of this thread, set aside when the next one began: this is about workload 1"


def test_after_new_workload_the_first_verdicts_buttons_answer_for_the_first(
    clicks, poster, moved_on
):
    clicks.post_summary(moved_on, "U7", "1.5")
    clicks.post_flip(moved_on, "U7", "1.5")
    assert clicks.wait_idle(10)
    [(_, _, _, text, blocks)] = poster.calls("ephemeral")
    assert text.startswith("A fine-tune would save about $7,670 a month")  # Acme's, as clicked
    assert blocks[0]["elements"][0]["text"].startswith(f"⚠️ {SET_ASIDE}")
    assert "out of date" not in blocks[0]["elements"][0]["text"]  # workload 1 hasn't moved
    [(_, thread_ts, _, flip_blocks)] = poster.calls("reply")
    assert thread_ts == "1.0" and SET_ASIDE in flip_blocks[0]["elements"][0]["text"]


def test_after_new_workload_the_first_verdicts_form_changes_the_first_only(
    clicks, poster, moved_on, store
):
    view = open_form(clicks, poster, moved_on)
    assert SET_ASIDE in view["blocks"][0]["elements"][0]["text"]
    form = {**view, "state": {"values": filled(view, monthly_calls="200000000")}}
    assert clicks.submit_form(form, "U7") == {}
    assert clicks.wait_idle(10)
    [(_, _, _, blocks)] = poster.calls("reply")
    assert blocks[0]["text"]["text"].startswith(
        f"_({SET_ASIDE} only; the thread's current workload is as it was.)_ Updated by <@U7> in "
        "the form: *monthly calls 15,000,000 → 200,000,000*."
    )
    first, current = workloads(store, "T1", "C1", "1.0")
    assert first.facts["monthly_calls"] == 200_000_000 and first.status == "closed"
    assert current.facts == PAYMENTS and store.threads.find("T1", "C1", "1.0").id == current.id
    assert VerdictRef.parse(blocks[-1]["elements"][0]["value"]).workload_id == first.id


def test_the_home_tab_is_published_with_a_link_per_thread(clicks, poster, thread):
    clicks.publish_home("T1", "U1")
    clicks.publish_home("T1", "U1")
    assert clicks.wait_idle(10)
    [(user, view), _] = poster.calls("publish_home")
    assert user == "U1" and "https://fake/C1/1.0" in str(view)
    assert len(poster.calls("permalink")) == 1  # a message's link is asked for once


def test_new_scoping_opens_its_modal(clicks, poster):
    clicks.open_new_scoping("trigger.9")
    assert clicks.wait_idle(10)
    [(trigger, view)] = poster.calls("open_view")
    assert trigger == "trigger.9" and view["callback_id"] == "ftscope_new_scoping_form"


def test_an_assistant_thread_is_greeted_with_prompts(clicks):
    said, suggested = [], []
    clicks.greet_assistant(lambda **kw: said.append(kw), lambda **kw: suggested.append(kw))
    assert clicks.wait_idle(10)
    assert "what a client wants fine-tuned" in said[0]["text"]
    assert suggested[0]["prompts"] == SUGGESTED_PROMPTS
    assert [p["title"] for p in SUGGESTED_PROMPTS] == [
        "Scope a fine-tune request",
        "Show the price sheet",
    ]


def test_the_price_sheet_in_a_thread(clicks, poster, prices):
    clicks.post_prices("D1", "1.0")
    assert clicks.wait_idle(10)
    [(_, _, text)] = poster.calls("text")
    assert text.startswith("```") and prices.as_of.isoformat() in text


def test_a_failing_job_is_logged_and_the_pool_goes_on(caplog):
    pool = WorkPool(1, "test")
    done = threading.Event()

    def boom():
        raise RuntimeError("boom")

    pool.submit(boom)
    pool.submit(done.set)
    assert pool.wait_idle(5) and done.is_set()
    assert "boom failed" in caplog.text
    pool.shutdown()
    assert pool.submit(done.set) is False  # after shutdown: refused, not lost silently


def test_the_chart_is_drawn_and_shared_with_its_alt_text(prices, assumptions):
    from tests.bot.test_render import decision_for  # noqa: PLC0415

    poster = Poster()
    charts = ChartUploads(poster, lambda: prices, assumptions)
    charts.submit("C1", "1.0", decision_for("payments-fraud-tagging", prices, assumptions))
    charts.submit("C1", "1.0", decision_for("knowledge-base", prices, assumptions))  # no math
    assert charts.wait_idle(30)
    [(channel, thread_ts, png, filename, title, alt)] = poster.calls("upload_png")
    assert (channel, thread_ts) == ("C1", "1.0") and png.startswith(b"\x89PNG")
    assert filename == "breakeven-claude-haiku-4-5.png" and title.startswith("Fine-tune vs")
    assert "200M calls a month" in alt
    charts.shutdown()
