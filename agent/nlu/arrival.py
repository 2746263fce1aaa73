"""Arrival and lateness notes: "stuck in traffic be there in 10", "im outside", "running late
sorry", "here!", "parking now".

A patient on the way, late, or at the door states where they are; they ask nothing and book
nothing. Such a note is told to staff (who may be with another patient) and acknowledged with
the clinic's late policy. It is kept apart from booking talk ("can I come in at 5", "be there
at 3 tomorrow?") and from questions about getting there ("where do I park?"): a question mark
or a question word about the clinic makes it a question, never a note.
"""

from __future__ import annotations

import re

from agent.nlu.text import normalize

__all__ = ["is_arrival"]

_NOTE = re.compile(
    "|".join(
        (
            # lateness
            r"\b(?:running|runnin|gonna be|going to be|will be|ill be|im|i am|a (?:bit|little)|"
            r"be a (?:bit|little|few min\w*))\s+(?:a (?:bit|little|few min\w*) |\w+ min\w* )?"
            r"(?:late|behind)\b",
            r"\b(?:stuck|caught|sitting) in (?:traffic|a jam)\b|\btraffic is (?:bad|awful|crazy|"
            r"insane|terrible)\b",
            # on the way, with a few minutes to go
            r"\b(?:be|am|im|ill be) (?:there|here|up|in|over) (?:in|within) (?:\d+|a few|five|"
            r"ten|fifteen|\w+ min)",
            r"\b(?:\d+|five|ten|fifteen|a few|couple) min(?:ute)?s? (?:away|out|late|behind)\b",
            r"\b(?:on my way|omw|otw|almost there|nearly there|headed (?:there|over|your way)|"
            r"heading (?:over|there|your way)|eta \d+)\b",
            # at the door
            r"^(?:hi |hey |ok |okay )?(?:im |i am |just )?(?:here|outside|downstairs|in the "
            r"(?:lobby|garage|parking lot|lot)|arrived|just arrived|pulling (?:in|up)|"
            r"parking(?: now)?|(?:im |i am )?parking now|just parked|parked)\b",
            r"\b(?:im|i am|i just|just) (?:here|outside|downstairs|arrived|parked|pulling (?:in|up)|"
            r"parking now|in the (?:lobby|garage|parking lot|lot|waiting room)|at the (?:door|front "
            r"desk|building|entrance))\b",
        )
    )
)
#: A question opening a clause ("can i come in at 5", "ok, where do i park") or asked inside
#: one ("im late on my period is that ok"), and booking or price talk anywhere ("book me",
#: "im here to ask about prices"): then the text is not a note. A mere "is" is not a
#: question ("traffic on the 10 is insane").
_NOT_A_NOTE = re.compile(
    r"(?:^|[,.!;:]\s*)(?:can|could|would|should|do|does|is|are|where|wheres|how|what|whats|"
    r"when|which|any)\b|"
    r"\b(?:is|are|do|does|can|could|will|would|should) (?:it|that|this|there|you|u|yall|i|we)\b|"
    r"\b(?:book|booking|schedule|reschedule|cancel|appointment for|available|availability|"
    r"openings?|ask|asking|wondering|questions?|price|prices|cost|how much)\b"
)


def is_arrival(text: str) -> bool:
    """True when ``text`` tells the clinic the patient is late, on the way or has arrived,
    and asks nothing else.

    Args:
        text: the patient's text (one text or a burst), any case and spelling.

    Returns:
        False for questions ("is there parking?"), booking talk ("can I come in at 5") and
        anything that does not state the patient's arrival.
    """
    lowered = normalize(text).replace("'", "")
    if "?" in text or not _NOTE.search(lowered):
        return False
    clauses = text.lower().replace("'", "")
    return not (_NOT_A_NOTE.search(lowered) or _NOT_A_NOTE.search(clauses))
