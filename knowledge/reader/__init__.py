"""Facts read from a salesperson's message without a language model: patterns and keywords.

The offline reader is what ftscope uses when Claude is out of reach (no key, an outage) and the
check on the numbers Claude reports. It is deliberately plain: numbers with units and rates come
from `knowledge.quantities`, and each is given to a fact by the words right around it ("~600
tokens in", "40k labeled", "under 80ms"); task type, domain, request, latency and format come from
keyword rules. Every update carries the user's own words, so provenance checks it like Claude's.

It reads one message at a time (the conversation merges them) and knows the facts the bot still
needs, so a short answer like "not yet" to "has anyone measured…?" is understood.
"""

from knowledge.reader.reading import Reading, read_message
from knowledge.reader.sizes import CHARS_PER_TOKEN

__all__ = ["CHARS_PER_TOKEN", "Reading", "read_message"]
