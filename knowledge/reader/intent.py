"""What a message asks of the bot, read without a language model: keywords, and the fact reader.

`read_intent` tells facts (or a correction) from a question about the verdict, a what-if, a
command and chatter. Facts are found by the same reader that extracts them (`read_message`), so
"they do 30M a month, why fine-tune?" is facts: what a message states must be stored, whatever
else it asks. A hypothetical is a what-if even when it names figures ("what if 30M a month?"):
those are not the workload's. `read_what_if` reads the facts a what-if supposes, absolute ("at
3M", "if they could batch it") through the fact reader, relative ("volume doubles", "+50%", "if
the input triples") applied to the facts known.

Pure: no Slack, no Claude, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from knowledge.facts import Facts, Kind, about
from knowledge.intents import Command, Intent, MessageIntent, Topic
from knowledge.provenance import Update, check_updates
from knowledge.reader.flags import UNSURE
from knowledge.reader.model import mentions
from knowledge.reader.reading import read_message
from knowledge.reader.text import any_of, any_word, clause_span_at, has
from knowledge.reader.unknowns import FACT_WORDS

__all__ = ["read_intent", "read_what_if", "workload_described"]

CHATTER = MessageIntent(Intent.chatter)
FACTS = MessageIntent(Intent.facts)
WHAT_IF = MessageIntent(Intent.what_if)

# --- the words of a message ---------------------------------------------------------------------

# Another person named in the message (the caller has taken out the bot's own mention): Slack's
# "<@U123>", "<!here>", or a typed "@dana".
_MENTION = re.compile(r"<[@!][^>]*>|(?<![\w.])@[a-z][\w.-]*", re.IGNORECASE)
_LINK = re.compile(r"<(?:https?|mailto):[^>|]*(?:\|(?P<label>[^>]*))?>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+'-]+:", re.IGNORECASE)
_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]+")


def _plain(text: str) -> str:
    """The words: links as their label, no mentions, no emoji, lower case, spaces collapsed."""
    text = _LINK.sub(lambda m: m.group("label") or " ", text)
    text = _MENTION.sub(" ", text)
    text = _EMOJI.sub(" ", _EMOJI_CODE.sub(" ", text))
    return " ".join(text.replace("’", "'").lower().split())


# --- commands -----------------------------------------------------------------------------------

# Politeness and lead-ins before a command: "ok can you", "pls", "hey bot, let's".
_LEAD_IN = (
    r"^(?:(?:ok(?:ay)?|so|hey|hi|yo|um|alright|right|pls|please|plz|now|and|then|just|bot)\W+)*"
    r"(?:(?:can|could|would|will) (?:you|u|we)(?: please| pls)? |let'?s |lets |i want to |"
    r"i'?d like to |(?:we )?need to |i need )?"
)
# What may follow a command: "pls", "thx", "?", "for me", "here".
_TAIL_WORDS = r"(?:pls|please|plz|thx|thanks|ty|for me|here|now|again|then|quick(?:ly)?)"
_TAIL = rf"(?:\W+{_TAIL_WORDS})*\W*$"
# "write me", "give us", "can you draft": the asking, before a summary for the client.
_SUMMARY_VERB = (
    r"(?:(?:give|get|send|make|draft|write|prep|put together|do|need|want)(?: me| us)? )?"
)
# A command is the whole message, bar lead-ins and a short tail; a longer message that mentions
# starting over ("they want to start over with a new vendor") is not one.
_COMMANDS: tuple[tuple[Command, str], ...] = (
    (
        Command.start_over,
        any_of(
            r"start (?:over|again|from scratch|fresh)(?: (?:on|with) (?:this|it|the thread))?",
            r"reset(?: (?:this|it|the thread|everything|the facts))?",
            r"restart(?: (?:this|it|the thread))?",
            r"(?:clear|wipe|forget) (?:it all|everything|all (?:the |of )?(?:it|facts|that)|"
            r"the (?:facts|thread)|this)(?: and (?:start over|restart|start again))?",
            r"scrap (?:it|this|all that|everything)",
            r"from scratch",
        ),
    ),
    (
        Command.show_facts,
        any_of(
            r"(?:show|list|give|post|share) (?:me )?(?:the |all the |your |all )?"
            r"(?:facts|what you (?:have|know|got))(?: (?:so far|you have|you've got))?",
            r"what (?:facts )?(?:do you|did you|have you) (?:have|know|got|captured|recorded)"
            r"(?: (?:so far|about (?:this|it|them)|on (?:this|it|them)))*",
            r"what do we have(?: so far)?",
            r"(?:current )?facts\??",
            r"recap(?: the facts)?",
            r"where are we(?: at)?",
        ),
    ),
    (
        Command.undo,
        any_of(
            r"undo(?: (?:that|this|it|the last (?:one|change|edit|message)|last))?",
            r"revert(?: (?:that|this|it|the last (?:one|change|edit)))?",
            r"(?:take|roll) (?:that|it) back",
            r"ignore (?:my|that|the) last (?:message|msg|one|change)",
            r"scratch (?:that|the last (?:one|message|msg|change))",
        ),
    ),
    (
        Command.new_workload,
        any_of(
            r"(?:(?:start|open|do|scope|begin) )?(?:a |an )?(?:new|another|different|second|"
            r"next|separate) (?:workload|use ?case)(?: (?:for (?:them|this client|the same "
            r"client)|please))?(?:\s*[:\-–—\n][\s\S]*|\s*[.,](?![\s\S]*\?\W*$)[\s\S]*)?",
        ),
    ),
    (
        Command.client_summary,
        any_of(
            _SUMMARY_VERB
            + r"(?:a |the )?(?:summary|summari[sz]e|write-?up|one-?pager|recap|brief) "
            r"(?:(?:it|this|that|everything) )?(?:for|to send (?:to)?|i can send(?: to)?) "
            r"(?:the |my |our |their )?(?:client|customer|buyer|prospect|them|exec\w*|champion|"
            r"vp|cto|ceo|cfo|sponsor|leadership|stakeholders?)s?(?: (?:sponsor|team|lead))?",
            r"(?:write|sum|wrap) (?:this|it|that|everything) up for (?:the |my )?"
            r"(?:client|customer|buyer|prospect|them)s?",
            _SUMMARY_VERB + r"(?:a )?(?:client|customer)[- ](?:ready|facing|friendly) "
            r"(?:summary|write-?up|version|recap|one-?pager)",
            _SUMMARY_VERB + r"(?:a |the )?(?:client|customer) summary",
        ),
    ),
    (
        Command.help,
        any_of(
            r"help\??",
            r"help me(?: out)?",
            r"what (?:can|do) you do",
            r"what are (?:the |your )?commands",
            r"commands\??",
            r"how do(?:es)? (?:i use )?(?:you|this|this bot|this thing|it) work",
            r"how do i use (?:you|this|this bot|this thing|it)",
        ),
    ),
)
# "new workload: Globex wants…", "another use case for them - invoices", "new workload" and
# the description on the next line, or after a full stop or a comma: what follows is the new
# workload's first description.
_WORKLOAD_THEN = re.compile(
    r"\b(?:workload|use ?case)\b[^:\n–—.,-]{0,40}?\s*(?:[:\n–—.,]|\s-)\s*(?P<rest>\S.*)",
    re.IGNORECASE | re.DOTALL,
)


_POLITE_ONLY = re.compile(rf"\W*(?:{_TAIL_WORDS}\b\W*)*", re.IGNORECASE)


def workload_described(text: str) -> str:
    """What a message asking for a new workload says of it ("" when it says nothing, or only
    "please")."""
    m = _WORKLOAD_THEN.search(text)
    rest = m.group("rest").strip() if m else ""
    return "" if _POLITE_ONLY.fullmatch(rest) else rest


_COMMAND_RULES = tuple(
    (command, re.compile(_LEAD_IN + pattern + _TAIL, re.IGNORECASE))
    for command, pattern in _COMMANDS
)


def _workload_first_line(text: str) -> Command | None:
    """ "new workload" alone on the first line, the workload described on the lines below."""
    first, _, rest = text.strip().partition("\n")
    if not rest.strip() or _command(_plain(first)) is not Command.new_workload:
        return None
    return Command.new_workload


def _command(words: str) -> Command | None:
    for command, pattern in _COMMAND_RULES:
        if pattern.match(words):
            return command
    return None


# --- facts --------------------------------------------------------------------------------------

# Facts a keyword reads in passing: in a question ("why not fine-tune?", "what's the cost per call
# on haiku?") they are the question's words, not news about the workload.
_PASSING = frozenset({"request", "task_type", "domain", "frontier_model"})
# Answers with no figure: "we don't know the volume", "not sure if they measured", "no clue on
# labels", "it's not a knowledge base, it's classification".
_FACT_NOUNS = any_word(
    r"volume|traffic|calls|requests|tickets|labels?|label(?:l)?ed|examples|data|dataset|baseline",
    r"latency|ttft|first token|format|schema|json|device|batch|tokens?|prompt|output|input",
    r"accuracy|quality|target|bar|domain|model|eval|measured|tested|cost|budget|sla|p9\d",
)
_NOT_KNOWN = any_of(
    r"\b(?:don'?t|do not|doesn'?t|does not|didn'?t) (?:\w+ )?(?:know|have)\b",
    r"\b(?:unknown|tbd|tba|unclear|unsure|not sure|no idea|no clue|dunno|idk|n/a)\b",
)
_IS_NOT_BUT = (
    r"\b(?:it'?s|its|is|this is|they'?re)? ?not (?:a |an )?[\w -]{2,30}, (?:it'?s|its|but)\b"
)
# A short answer to the bot's last question: "not yet", "nope", "yes", "none".
_SHORT_ANSWER = re.compile(
    r"^(?:no|nope|nah|not yet|not really|none|zero|nothing yet|yes|yep|yeah|yup|correct|"
    r"right|both|neither|all of (?:it|them))(?: (?:yet|so far|at all|tbh|sadly|unfortunately))*"
    r"\W*$"
)


def _states_facts(text: str, words: str, asks: bool) -> bool:
    """The message states something about the workload (a figure, a yes/no, a correction)."""
    fields = {u.field for u in read_message(text).updates}
    if asks:
        fields -= _PASSING  # a question's words name things; its figures and flags are news
    if fields:
        return True
    if _SHORT_ANSWER.match(words):
        return True
    if has(_IS_NOT_BUT, words):
        return True
    return bool(has(_NOT_KNOWN, words) and has(_FACT_NOUNS, words)) or bool(
        UNSURE.search(words) and has(_FACT_NOUNS, words)
    )


# --- what-ifs -----------------------------------------------------------------------------------

_HYPOTHETICAL = re.compile(
    any_of(
        r"\b(?:what|wat|wht|whta) ?(?:if|abt if|about if|happens if|would happen if)\b",
        r"\b(?:what|how) about (?:at|with|if|batch\w*|caching|haiku|sonnet|opus|[~$]?\d)",
        r"\binstead\W*$",
        r"^(?:and |but |ok |so |ok so )?(?:if|at|with)\b(?! (?:it|that|this) (?:helps|matters))"
        r"(?! (?:you|u) (?:need|want|can))(?! needed\b)(?! relevant\b)",
        r"\b(?:suppose|supposing|assume|assuming|hypothetically|imagine|in theory)\b",
        r"\b(?:let'?s |lets )?say (?:they|we|the|it|volume|that)\b",
        r"\bwould (?:it|that|the verdict|the answer|anything|things|this) "
        r"(?:change|flip|be different|still hold|look different)\b",
        r"\b(?:verdict|answer|result|math|it|that|this) (?:be |look like |change )?(?:at|with) "
        r"[~$]?\d",
        r"\b(?:at|with) [~$]?\d[\d.,]*\s*(?:[kmb]|x|million|billion|%)?\b[^.]{0,25}\?",
        r"\b(?:doubles?|doubled|triples?|tripled|halves|halved|10x|\d+x)\b[^.]{0,30}\?",
        r"\bwere to\b",
        r"\bif (?:they|we|it|the|volume|traffic|input|output|haiku|sonnet|opus)\b[^.]{0,60}"
        r"\b(?:could|would|were|was|did|had|went|grew|grows|doubled|doubles|halved|dropped|got|"
        r"hit|cut|moved|switched|used)\b",
    ),
    re.IGNORECASE,
)


def _hypothetical(words: str) -> re.Match[str] | None:
    return _HYPOTHETICAL.search(words)


# --- questions ----------------------------------------------------------------------------------

_ASKS = re.compile(
    any_of(
        r"\?",
        r"(?:^|[,.;:!]\s)(?:(?:ok|okay|so|wait|hm+|and|but|also|lol|haha|ugh|um|uh|hey|sorry|q|"
        r"quick q|question)\W+)*(?:why|how|what|whats|which|where|when|who|can|could|would|"
        r"should|is|are|do|does|did|wdyt)\b",
        r"\b(?:explain|show (?:me|us)|walk (?:me|us) through|break (?:it |this |that )?down|"
        r"tell me|help me understand|give me)\b",
    ),
    re.IGNORECASE,
)
_TOPICS: tuple[tuple[Topic, str], ...] = (
    (
        Topic.flip,
        any_of(
            r"\bflip\w*",
            r"\bchange (?:your mind|the (?:verdict|answer|outcome|call|recommendation))",
            r"\bwhat would it take\b",
            r"\bwhat (?:would )?(?:needs?|has|have) to (?:be true|change|happen)\b",
            r"\b(?:when|what) (?:would|does|do|will|could) (?:a )?fine-?tun\w* (?:start to )?"
            r"(?:win|make sense|be worth|pay off|work)",
            r"\bget (?:it |this |us )?to (?:a )?(?:fine-?tune|yes|go)\b",
            r"\bturn (?:it|this|that) (?:into|around)\b",
            r"\b(?:for|to get) (?:a )?fine-?tun\w* (?:to )?(?:win|verdict|recommendation)\b",
            r"\bwhat would (?:make|get) (?:it|this|you|fine-?tun\w*)\b",
        ),
    ),
    (
        Topic.talking_points,
        any_of(
            r"\btell (?:them|the (?:client|customer|buyer|prospect|cto|team)|their \w+|him|her)\b",
            r"\bsay to (?:them|the (?:client|customer|buyer))\b",
            r"\bwhat (?:do|should|can|would) i (?:say|tell|send|reply|answer)\b",
            r"\btalking ?points?\b",
            r"\b(?:pitch|position|frame|sell|present|message|explain) (?:this|it|that|the \w+)"
            r"(?: \w+){0,3} (?:to|for) (?:them|the|their|a|our|my)\b",
            r"\bhow (?:do|should|can) i (?:pitch|position|frame|sell|present|message|explain|"
            r"handle|break|put)\b",
            r"\bpush(?:es|ing)? ?back\b",
            r"\bobjections?\b",
            r"\bmessaging\b",
            r"\bhow (?:do|should) i (?:respond|reply|answer)\b",
        ),
    ),
    (
        Topic.math,
        any_of(
            r"\bmath\b",
            r"\bhow (?:did|do|'?d) (?:you|u) (?:get|got|come up with|arrive at|calculate|figure)\b",
            r"\bhow'?d (?:you|u) get\b",
            r"\bwhere (?:does|do|did) (?:the |that |this )?[^?]{0,40}\bcome from\b",
            r"\bnumbers?\b",
            r"\bbreak ?(?:it |this |that |the \w+ )?down\b",
            r"\bbreakdown\b",
            r"\bcalc\w*",
            r"\bshow (?:me |us )?(?:your|the) work(?:ing)?\b",
            r"\$\s?\d",
            r"\bper call\b",
            r"\bsavings?\b|\bsave\b",
            r"\bpayback\b|\bbreak[- ]?even\b|\broi\b",
            r"\bhow much\b",
            r"\bcosts?\b",
            r"\bthe figures?\b",
        ),
    ),
)


def _topic(words: str) -> Topic:
    for topic, pattern in _TOPICS:
        if has(pattern, words):
            return topic
    return Topic.why  # "why?", "how come", "which gate failed", "explain the verdict"


# --- chatter ------------------------------------------------------------------------------------

_CHATTER = re.compile(
    any_of(
        r"^(?:thanks?|thx|ty|tysm|thank (?:you|u)|cheers|appreciate (?:it|that|you)|merci|danke|"
        r"np|no problem|no worries|yw|you'?re welcome)\b",
        r"^(?:lol|lmao|haha\w*|heh|rofl|nice|cool|great|awesome|perfect|sweet|neat|wow|oh|ah)\b",
        r"^(?:hm+\W+)?(?:ok|okay|k|kk|got it|gotcha|makes sense|sounds good|will do|roger|noted|"
        r"fair|true|same|agreed|\+1|yay|woo\w*|brb|sure)\W*(?:thanks?|thx|ty|cool|great|then|lol)?"
        r"\W*$",
        r"\b(?:i'?ll|i will|let me|lemme|gonna|going to) (?:ask|check|ping|follow up|circle back|"
        r"confirm|find out|loop|get back|chase|dig)\b",
        r"\b(?:call|meeting|demo|sync|lunch|coffee|offsite|standup) (?:went|is|was|got|moved)\b",
        r"\b(?:they'?ll|they will|gonna) sign\b",
        r"\b(?:good|great|nice) (?:call|job|catch|work|one)\b",
        r"\b(?:happy|merry) (?:friday|monday|holidays)\b",
    ),
    re.IGNORECASE,
)


def _chatter(words: str) -> bool:
    return not words or _CHATTER.search(words) is not None


# --- the intent ---------------------------------------------------------------------------------


def read_intent(text: str, *, addressed: bool = True) -> MessageIntent:
    """What `text` asks of the bot.

    `text` is the message with the bot's own mention taken out (any other mention is someone
    else being spoken to). `addressed`: the message is meant for the bot (it was mentioned, a DM,
    a thread it is scoping). A message not meant for it is only read for facts: its questions,
    what-ifs and commands are people talking to each other.
    """
    words = _plain(text)
    if not words:
        return CHATTER
    if addressed and (command := _command(words) or _workload_first_line(text)) is not None:
        return MessageIntent(Intent.command, command=command)
    asks = _ASKS.search(words) is not None
    hypothetical = _hypothetical(words)
    if hypothetical is not None:
        # "they do 30M a month, what if it doubles?": what comes before the what-if is news
        before = words[: hypothetical.start()]
        if before.strip() and _states_facts(before, before, asks=False):
            return FACTS
        return WHAT_IF if addressed else CHATTER
    if _states_facts(text, words, asks=asks):
        return FACTS
    if _MENTION.search(text) is not None or not addressed:
        return CHATTER  # "<@U3> can you confirm with the client?"
    if asks:  # "thanks, and what should i tell their VP?", "lol why did it say rag"
        return MessageIntent(Intent.question, topic=_topic(words))
    if _chatter(words):
        return CHATTER
    return FACTS  # something about the workload in words no rule reads: the extractor's to read


# --- what-ifs: the facts they suppose -----------------------------------------------------------

_MULTIPLES = {
    "double": 2.0,
    "doubles": 2.0,
    "doubled": 2.0,
    "doubling": 2.0,
    "twice": 2.0,
    "triple": 3.0,
    "triples": 3.0,
    "tripled": 3.0,
    "tripling": 3.0,
    "quadruple": 4.0,
    "quadruples": 4.0,
    "quadrupled": 4.0,
    "tenfold": 10.0,
    "half": 0.5,
    "halves": 0.5,
    "halved": 0.5,
    "halving": 0.5,
}
_UP = r"(?:more|higher|bigger|larger|up|increase[sd]?|grows?|grew|rises?|rose|goes up|went up)"
_DOWN = r"(?:less|fewer|lower|smaller|down|decrease[sd]?|drops?|dropped|falls?|fell|shrinks?|cut)"
_CHANGE = re.compile(
    any_of(
        r"\b(?P<word>double[sd]?|doubling|twice|triple[sd]?|tripling|quadruple[sd]?|tenfold|"
        r"halve[sd]?|halving)\b",
        r"\b(?:cut|cuts|cutting|drops?|shrinks?) (?:\w+ ){0,3}?in half\b",
        r"\bhalf (?:the|as much|as many)\b",
        r"(?<![\w.])(?:x ?(?P<times_after>\d+(?:\.\d+)?)"
        r"|(?P<times>\d+(?:\.\d+)?) ?(?:x|times|-?fold))(?![\w%])",
        r"(?P<sign>[+-]) ?(?P<signed>\d+(?:\.\d+)?) ?%",
        rf"\b(?:{_UP}|{_DOWN})\W+(?:by )?(?P<after>\d+(?:\.\d+)?) ?%",
        rf"(?P<before>\d+(?:\.\d+)?) ?% (?:(?P<up>{_UP})|{_DOWN})\b",
    ),
    re.IGNORECASE,
)
_UP_WORD = re.compile(rf"\b{_UP}\b", re.IGNORECASE)

# Which count a change is of, by the words in its clause; volume when none is named.
_CHANGED_FIELDS = tuple(
    (field, words)
    for field, words in FACT_WORDS
    if about(field).kind in (Kind.count, Kind.rate, Kind.examples)
)
# What a what-if can suppose: figures, flags and models. The task, domain and request are the
# workload's own, and their keywords turn up in passing ("whats the verdict at 3M?" names no
# classification task, "does fine-tuning win then?" no request for one).
_CHOICES = ("request", "task_type", "domain")
# A fact the reader infers from another's words, not stated: "if they could batch it" supposes
# batch_ok; that a batch job runs on a server (on_device false) is no change anyone asked about.
_INFERRED_FROM = {"on_device": "batch_ok"}


@dataclass(frozen=True)
class _Change:
    field: str
    factor: float
    start: int
    end: int


def read_what_if(text: str, known: Facts) -> dict[str, object]:
    """The fact updates a what-if supposes, as values of `Facts` fields.

    Absolute figures are read as facts are ("at 3M" is 3,000,000 calls a month, a bare figure
    being a volume; "if they could batch it" is batch_ok true); changes ("volume doubles",
    "halves", "10x", "+50%", "if the input triples") scale the known fact they name (volume when
    none is named), and are left out when that fact is not known. A model named alone ("what
    about sonnet 5.5 instead?") is the frontier model supposed. The task, domain and request
    are not supposed. `other_baselines` comes back as the known map with the supposed scores
    laid over it.
    """
    changes = list(_changes(text))
    masked = text
    for change in changes:  # the change's figures are no absolute figure ("+50%" is no score)
        masked = masked[: change.start] + " " * (change.end - change.start) + masked[change.end :]
    known_values = known.known()
    # Choices count as known, so the reader only reads them where the words correct them, and a
    # bare figure is free to be the volume ("at 3M").
    settled = {name: known_values.get(name) for name in (*known_values, *_CHOICES)}
    updates = read_message(masked, asked=["monthly_calls"], known=settled).updates
    quotes = {u.field: u.quote for u in updates}
    updates = [
        u
        for u in updates
        if u.field not in _CHOICES
        and not (u.field in _INFERRED_FROM and quotes.get(_INFERRED_FROM[u.field]) == u.quote)
    ]
    supposed: dict[str, object] = {}
    model = _model_supposed(masked, updates, known)
    if model is not None:
        supposed["frontier_model"] = model
    for accepted in check_updates(updates, masked, masked).accepted:
        if accepted.field == "other_baselines":
            baselines = supposed.get("other_baselines", known_values.get("other_baselines", {}))
            assert isinstance(baselines, dict)
            supposed["other_baselines"] = {**baselines, **accepted.value}
        else:
            supposed[accepted.field] = accepted.value
    for change in changes:
        value = known_values.get(change.field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            supposed[change.field] = round(value * change.factor)
    _keep_the_prompt_whole(supposed, known_values)
    return _that_fit(known_values, supposed)


def _keep_the_prompt_whole(supposed: dict[str, object], known: dict[str, object]) -> None:
    """The cached prefix is part of the input: "if the system prompt doubles" grows the input by
    as much, and an input cut below its cached part takes that part down with it."""
    cached, total = known.get("cached_prefix_tokens"), known.get("input_tokens")
    new_cached, new_total = supposed.get("cached_prefix_tokens"), supposed.get("input_tokens")
    if (
        isinstance(new_cached, int)
        and isinstance(cached, int)
        and isinstance(total, int)
        and new_total is None
    ):
        supposed["input_tokens"] = total + new_cached - cached
    elif (
        isinstance(new_total, int)
        and isinstance(cached, int)
        and new_cached is None
        and cached > new_total
    ):
        supposed["cached_prefix_tokens"] = new_total


def _that_fit(known: dict[str, object], supposed: dict[str, object]) -> dict[str, object]:
    """The supposed values the facts can hold together ("1000000x the input" is past any
    prompt's size): a value the facts refuse is left out."""
    kept = dict(supposed)
    while kept:
        try:
            Facts.model_validate({**known, **kept})
        except ValidationError as exc:
            named = {str(e["loc"][0]) for e in exc.errors() if e["loc"]} & kept.keys()
            # a rule across fields (the cached part within the input) names none of them
            for field in named or {f for f in _PROMPT_SIZES if f in kept} or set(kept):
                del kept[field]
        else:
            break
    return kept


_PROMPT_SIZES = ("cached_prefix_tokens", "input_tokens")


def _model_supposed(text: str, updates: list[Update], known: Facts) -> str | None:
    """ "what about sonnet 5.5 instead?", "if they moved to opus": the one model a what-if names,
    unscored, is the model it supposes they prompt."""
    if any(u.field in ("frontier_model", "other_baselines", "baseline_quality") for u in updates):
        return None  # the reader placed the model already, or it comes with a score
    named = {m.resolved(known.frontier_model) for m in mentions(text)}
    if len(named) != 1 or named == {known.frontier_model}:
        return None
    return named.pop()


def _changes(text: str) -> Iterator[_Change]:
    for m in _CHANGE.finditer(text):
        factor = _factor(m)
        if factor is None or factor <= 0:
            continue
        yield _Change(_changed_field(text, m), factor, m.start(), m.end())


def _factor(m: re.Match[str]) -> float | None:
    groups = m.groupdict()
    if groups["word"]:
        return _MULTIPLES[groups["word"].lower()]
    if groups["times"] or groups["times_after"]:
        return float(groups["times"] or groups["times_after"])
    if groups["signed"]:
        share = float(groups["signed"]) / 100
        return 1 + share if groups["sign"] == "+" else 1 - share
    if groups["after"]:
        share = float(groups["after"]) / 100
        return 1 + share if _UP_WORD.match(m.group(0)) else 1 - share
    if groups["before"]:
        share = float(groups["before"]) / 100
        return 1 + share if groups["up"] else 1 - share
    return 0.5  # "cut in half", "half the volume"


# How far around a change its field's words are looked for ("if the input doubles").
_FIELD_REACH = 40


def _changed_field(text: str, m: re.Match[str]) -> str:
    span = clause_span_at(text, m.start(), m.end())
    near = text[max(span.start, m.start() - _FIELD_REACH) : min(span.end, m.end() + _FIELD_REACH)]
    for field, words in _CHANGED_FIELDS:
        if has(rf"\b(?:{words})", near):
            return field
    return "monthly_calls"
