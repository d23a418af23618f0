"""Token and character counts: which size of a call a count is (input, output, cached prefix)."""

from __future__ import annotations

import re

from knowledge.reader.money import is_money
from knowledge.reader.stated import StatedNumber
from knowledge.reader.text import any_word, has

__all__ = [
    "CHARS_PER_TOKEN",
    "cached_part",
    "characters_field",
    "counts_things",
    "in_or_out_field",
    "says_characters",
    "says_in_or_out",
    "says_tokens",
    "tokens_field",
]

# English text runs about 4 characters a token (Anthropic and OpenAI tokenizer guidance; the
# extractor's prompt teaches Claude the same conversion).
CHARS_PER_TOKEN = 4

_TOKEN_WORD = r"(?:tokens?|toks?|tkns?)\b"
_CHAR_WORD = r"(?:characters?|chars?)\b"
# A number's unit text starts with its multiplier ("2k tokens" reads "k  tokens"): the size words
# come after it.
_MULTIPLIER = r"(?:[kmb](?![a-z])\s*)?"
_TOKENS_AFTER = rf"^[\s-]*{_MULTIPLIER}(?:\w+\s)?{_TOKEN_WORD}"  # "600 tokens", "2k input tokens"
_TOKENS_BEFORE = rf"{_TOKEN_WORD}[^\d]{{0,12}}$"  # "tokens: ~600"
# "8,000 characters", "8k chars", "the 2,000 was characters"
_CHARACTERS_AFTER = rf"^(?:[kmb](?![a-z])\s*)?(?:(?:was|were|is|are)\s+)?{_CHAR_WORD}"
# "600 in, 10 out" is a size only in a sentence about tokens (not "3 in 10 tickets")
_IN_OR_OUT_AFTER = rf"^{_MULTIPLIER}\W{{0,3}}(?:in|out)\b"
_IN_AFTER_ALONE = rf"^{_MULTIPLIER}\W{{0,3}}in\b"
_ABOUT_TOKENS = r"\b(?:tok|tokens?|in\b.*\bout\b)"

_INPUT_WORD = any_word(
    "in|input|inputs|prompt|prompts|context|request|requests|incoming|read|reads",
    "document|doc|docs|email|emails|ticket|tickets|text|transcript|transcripts",
    "each call|per call|going in|sent|send",
)
_OUTPUT_WORD = any_word(
    "out|output|outputs|completion|completions|response|responses|answer|answers",
    "reply|replies|generated|generates|generate|back|label|labels|produce|produces",
    "returns?",
)
_CACHED_WORD = any_word(
    r"instruc\w*",
    "policy prompt|policy|system prompt|sys prompt|few-?shots?|examples",
    "static|fixed|boilerplate|preamble|prefix|cached|cacheable|template|rubric|guidelines",
    "policy text",
)

_SIZE_UNIT = rf"^\W*{_MULTIPLIER}(?:\w+\s)?(?:tokens?|toks?|characters?|chars?)?\s*(?:of\s+)?"
_IN_AFTER = (
    _SIZE_UNIT + r"(?:input|in|prompt|total|all[- ]in|overall|in total|per call|per request|each)\b"
)
_OUT_AFTER = _SIZE_UNIT + r"(?:output|out|back|completion|response|answer|reply)\b"
_IN_BEFORE = r"\b(?:input|prompt|in)\b\W*$"
# "output is a short tag list, ~20 tokens": the size's own clause says nothing, the one before does
_OUT_BEFORE = (
    r"\b(?:output|out|completion|response|answer|reply|replies|returns?|generates?)\b[^\d]{0,40}$"
)

_CACHED_BEFORE_UNIT = r"tok|char|^\s*$|of"
# Things a number may count that are no size of a call: "40-page PDFs", "3k policy PDFs", "500
# examples of approved copy", "20 few-shot examples", "a 1,100-page claims manual". Pages and
# files vary too much to be read as tokens, and examples are a count of examples.
_THINGS = any_word(
    "pages?|pp|pdfs?|docs?|documents?|files?|manuals?|memos?|handbooks?|policies|contracts?",
    "slides?|decks?|spreadsheets?|sheets?|images?|photos?|scans?|screenshots?|forms?",
    "examples?|samples?|shots?|emails?|articles?|reports?|transcripts?|recordings?|videos?",
    "words?|sentences?|paragraphs?|lines?|rows?|records?|questions?|answers?|faqs?|sops?",
)
# The thing right after the number, past its multiplier, a hyphen and up to two describing words
# ("40-page", "3k policy PDFs", "20 few-shot examples"); not "450 of it is the examples".
_COUNTS_THINGS = rf"^{_MULTIPLIER}[\s-]*(?!of\b)(?:[a-z][\w'-]*\s+){{0,2}}?{_THINGS}"
# "450 of it is the instructions", "the system prompt is 450 tokens"; not the "policy" of "3k
# policy PDFs", which names documents, not a part of the prompt.
_A_CACHED_PART = rf"{_CACHED_WORD}(?!\s+{_THINGS})"
_CACHED_AFTER = rf"^[^\d]{{0,45}}?{_A_CACHED_PART}"
_CACHED_BEFORE = rf"{_A_CACHED_PART}[^\d]{{0,25}}$"
_INCLUDING = r"\b(?:incl\w*|including|with|w/|plus)\W+(?:the\s+|its\s+)?\w*$"
_LABELED = r"\b(?:labeled|labelled|gold|annotated)\b"


def says_characters(n: StatedNumber) -> bool:
    return has(_CHARACTERS_AFTER, n.unit_text) is not None


def characters_field(n: StatedNumber) -> tuple[str, float]:
    """A character count, as the tokens it makes; a whole prompt unless it says otherwise."""
    return token_field(n) or "input_tokens", round(n.low / CHARS_PER_TOKEN)


def says_tokens(n: StatedNumber) -> bool:
    return bool(
        has(_TOKENS_AFTER, n.unit_text)
        or (has(_TOKENS_BEFORE, n.before.lower()) and not is_money(n) and not counts_things(n))
    )


def counts_things(n: StatedNumber) -> bool:
    """The number counts pages, files or examples it names ("they send 40-page PDFs"): no size
    of a call, however near the words about prompts are."""
    return has(_COUNTS_THINGS, n.unit_text) is not None


def tokens_field(n: StatedNumber) -> tuple[str, float] | None:
    field = token_field(n)
    if field is None:
        return None
    return field, n.low


def says_in_or_out(n: StatedNumber) -> bool:
    return has(_IN_OR_OUT_AFTER, n.unit_text) is not None


def in_or_out_field(n: StatedNumber) -> tuple[str, float] | None:
    field = "input_tokens" if has(_IN_AFTER_ALONE, n.unit_text) else "output_tokens"
    if has(_ABOUT_TOKENS, n.sentence):
        return field, n.low
    return None


def token_field(n: StatedNumber) -> str | None:
    """Which size a token (or character) count is: the words right after it decide first
    ("600 in", "10 out"), then the words before it ("output is ~60 tokens")."""
    after = n.unit_text[:45]
    before = n.before.lower()[-45:]
    if not n.before.strip():  # "…, say 20 tokens": the clause before it says what it sizes
        start = n.sentence.find(n.clause)
        before = n.sentence[max(0, start - 45) : max(0, start)].lower()
    if cached_part(n):
        return "cached_prefix_tokens"
    if has(_IN_AFTER, after):
        return "input_tokens"
    if has(_OUT_AFTER, after):
        return "output_tokens"
    if has(_IN_BEFORE, before):
        return "input_tokens"
    if has(_OUT_BEFORE, before):
        return "output_tokens"
    if has(_OUTPUT_WORD, after) and not has(_INPUT_WORD, after.split(",")[0][:15]):
        return "output_tokens"
    if has(_INPUT_WORD, after + " " + before):
        return "input_tokens"
    return None


def cached_part(n: StatedNumber) -> bool:
    """ "450 of it is the instructions", "the system prompt is 450 tokens"."""
    after = n.unit_text[:60]
    before = n.before.lower()[-50:]
    cached_after = re.search(_CACHED_AFTER, after, re.IGNORECASE)
    if cached_after is not None:
        up_to_the_word = cached_after.end() - len(cached_after.group(0).split()[-1])
        # "~1,600 chars incl the instructions" is the whole prompt
        including = has(_INCLUDING, after[:up_to_the_word].rstrip() + " ")
        if not including and not has(_LABELED, after[:30]):
            return True
    return bool(has(_CACHED_BEFORE, before) and has(_CACHED_BEFORE_UNIT, after[:12]))
