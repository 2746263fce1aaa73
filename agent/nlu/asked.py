"""A treatment the patient asks about by name that the clinic does not offer.

No vocabulary lists every treatment in the world, so this works from the shape of the ask:
"do you (guys) do/offer/have X", "how much is (a) X", "price of X", "can i book/get (a) X".
X is cut at the first word that starts a day, time, provider or second question ("for
friday", "with jo", "and how much"). X is *offered* when its head word (its last distinctive
word) is a word of one of the clinic's service names, aliases or ``treats`` phrases, and
their other distinctive words do not contradict (both have some and share none: "butt lift"
is not "brow lift"), or when X shares two distinctive words with such a phrase ("upper lip
laser" ~ "upper lip hair"). A modifier word alone ("brazilian" in "brazilian butt lift") or a
different head ("eyelash extensions" vs "lash lift") is not a match.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.nlu._asked import unoffered
from agent.nlu._phrase import words
from agent.nlu.services import match_services
from knowledge.clinic_file import Faq, ServiceInfo

__all__ = ["unoffered_treatment"]


def unoffered_treatment(
    text: str, services: Sequence[ServiceInfo], faqs: Sequence[Faq] = ()
) -> str | None:
    """The treatment ``text`` asks about by name when no service of the clinic offers it.

    Args:
        text: the patient's message, raw.
        services: the clinic's services (names, aliases and ``treats`` are read).
        faqs: the clinic's FAQs; a thing an FAQ question names (all its distinctive words)
            is the FAQ's to answer.

    Returns:
        The asked thing as the patient wrote it, normalised ("brazilian butt lift"), or None
        when the text asks about no named thing, about a visit, booking or money word, or
        about something the clinic offers.
    """
    found = unoffered(text, services)
    if found is None:
        return None
    asked, shown = found
    if any(m.via == "name" and m.score >= 0.9 for m in match_services(shown, services)):
        return None  # "b12 shot": a name the clinic uses, whatever the head word
    content = {t for t in asked if len(t) >= 3}
    if any(content <= set(words(f.question)) for f in faqs):
        return None
    return shown
