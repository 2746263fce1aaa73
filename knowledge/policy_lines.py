"""Quote one sentence of a clinic's own written policy (a document line or an FAQ answer).

Used where a text must state a policy in the clinic's words rather than ours (a no-show's
rebook offer quotes the no-show rule): the first sentence whose words match is returned,
with list markers and heading marks taken off and a full stop added when it has none.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import KnowledgeChunk

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKERS = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)]|#+)\s*")
#: A sentence about missed visits: "no-show", "no show", "noshow", "didn't show up".
NO_SHOW_RULE = re.compile(r"\bno[- ]?shows?\b|\b(?:do not|don't|didn't|did not) show\b", re.I)


def policy_sentence(
    session: Session, clinic_id: str, rule: re.Pattern[str], limit: int = 240
) -> str | None:
    """The first sentence of the clinic's seeded documents (then FAQ answers) matching
    ``rule``, read from its knowledge chunks in document order.

    Args:
        session: an open session (read only).
        clinic_id: whose records.
        rule: what the sentence must mention (e.g. :data:`NO_SHOW_RULE`).
        limit: longest sentence quoted, in characters (a longer one is skipped).

    Returns:
        The sentence as written, cleaned of list markers, ending in punctuation; or None.
    """
    texts = session.scalars(
        select(KnowledgeChunk.content)
        .where(KnowledgeChunk.clinic_id == clinic_id)
        .order_by(KnowledgeChunk.source_kind, KnowledgeChunk.position, KnowledgeChunk.id)
    )
    for text in texts:
        for line in text.splitlines():
            line = _MARKERS.sub("", line).strip()
            for sentence in _SENTENCE_END.split(line):
                sentence = sentence.strip()
                if sentence and rule.search(sentence) and len(sentence) <= limit:
                    return sentence if sentence[-1] in ".!?" else sentence + "."
    return None
