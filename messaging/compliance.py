"""Opt-out / opt-in / help detection for inbound texts.

Two layers:
- ``classify_keyword``: the carriers' reserved keywords, matched as the *whole* message exactly
  as Twilio and Telnyx do (their default keyword sets, from ``shared/reference/protocols.md``:
  Twilio https://help.twilio.com/articles/223134027 and Telnyx
  https://support.telnyx.com/en/articles/1270091-sms-opt-out-keywords). The carrier acts on these
  too, so we must agree with it.
- ``is_free_text_opt_out``: consent revoked in the patient's own words ("please stop texting
  me"), which the FCC's 2024 TCPA order (FCC 24-24) says must be honoured when expressed by any
  reasonable means. Patterns look for a stop-verb aimed at *messaging* (texting, messages, the
  list, my number), so ordinary clinic talk ("stop by", "stop botox", "cancel my appointment",
  "take me off the waitlist") does not fire.
"""

from __future__ import annotations

import re
from typing import Literal

Keyword = Literal["stop", "start", "help"]

# Union of both carriers' defaults (Twilio: STOP UNSUBSCRIBE END QUIT STOPALL REVOKE OPTOUT
# CANCEL / START YES UNSTOP / HELP INFO; Telnyx: STOP STOPALL "STOP ALL" UNSUBSCRIBE CANCEL END
# QUIT / START UNSTOP / HELP). "OPT OUT"/"OPT-OUT" are spellings of OPTOUT.
STOP_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL"}
)
START_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
#: Opt-in and help words per carrier (the carrier acts on exactly these). Opt-out is always
#: the union above: consent may be revoked by any reasonable means (FCC 24-24).
CARRIER_START_KEYWORDS = {
    "twilio": frozenset({"START", "YES", "UNSTOP"}),
    "telnyx": frozenset({"START", "UNSTOP"}),
}
CARRIER_HELP_KEYWORDS = {
    "twilio": frozenset({"HELP", "INFO"}),
    "telnyx": frozenset({"HELP"}),
}

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})
_TRAILING_PUNCT = re.compile(r"[\s.!?,;:)\"'*~]+$")
_LEADING_PUNCT = re.compile(r"^[\s\"'(*~]+")


def _normalize_keyword(body: str) -> str:
    text = body.translate(_QUOTES).strip()
    text = _TRAILING_PUNCT.sub("", text)
    text = _LEADING_PUNCT.sub("", text)
    text = re.sub(r"\s+", " ", text).upper()
    if text in {"OPT OUT", "OPT-OUT"}:
        return "OPTOUT"
    return text


def classify_keyword(body: str, carrier: str | None = None) -> Keyword | None:
    """Classify a text that is *only* a carrier keyword.

    Matching is case-insensitive on the trimmed message with trailing punctuation ignored
    ("Stop.", " STOP!! ", "stop all"); a keyword inside a sentence does not count (see
    ``is_free_text_opt_out`` for that). Note the carriers' sets include "CANCEL", "END", "YES"
    and "INFO": the carrier blocks/unblocks on them whatever we do, so we must treat them the
    same way. Callers should only act on "start" for a number that is opted out, and let a
    plain "yes" through to the conversation otherwise.

    Args:
        body: the inbound message text.
        carrier: "twilio" or "telnyx" to use that carrier's opt-in and help words (Telnyx
            has no YES or INFO); None (or another name) uses the union of both. Every
            carrier's stop words count for every carrier.

    Returns:
        "stop", "start", "help", or None.
    """
    text = _normalize_keyword(body)
    if text in STOP_KEYWORDS:
        return "stop"
    if text in CARRIER_START_KEYWORDS.get(carrier or "", START_KEYWORDS):
        return "start"
    if text in CARRIER_HELP_KEYWORDS.get(carrier or "", HELP_KEYWORDS):
        return "help"
    return None


# --------------------------------------------------------------------------- free text

_FILLER = r"(?:(?:please|pls|plz|just|all|the|these|those|this|your|ur|with|it|f\w*ing|freaking|damn|all\s+of\s+(?:the|these|your))\s+)"
_STOP_VERB = r"(?:stop|quit|cease|discontinue)"
_GERUND = (
    r"(?:(?:texting|txting|texing|messaging|msging|msg'?ing|contacting|spamming|bothering|"
    r"harass?ing|emailing|calling)"
    # aimed at the patient, or ending the thought: "stop texting me", "stop texting!!",
    # "quit calling and texting"; not "stop texting while driving"
    r"(?=\s*(?:$|[.!?,;]|(?:me|us|this\s+number|my\s+(?:phone|number|cell)|and|or|please|pls|"
    r"plz|now|already|any\s*more|immediately|asap|so\s+much|every|all\s+the\s+time|thanks?)\b))"
    r"|sending\s+(?:me|us|(?:\w+\s+){0,2}?(?:texts?|messages?|msgs?|sms|reminders?|stuff|these|"
    r"this|things|spam|promos?)\b))"
)
_NOUN = r"(?:texts?|txts?|messages?|msgs?|sms(?:es)?|reminders?|notifications?|alerts?|promos?|promotions?|marketing|spam|updates)"
_CONTACT_VERB = r"(?:text|txt|message|msg|sms|contact|email|call)"
_ME = r"(?:me|us|this\s+number|my\s+(?:phone|number|cell))"
_END_OR_MORE = r"(?=\s*(?:$|[.!]|\s*(?:any\s*more|again|ever|please|pls|thanks|thank\s+you|thx)\b))"
_NEGATION = re.compile(
    r"\b(?:don'?t|do\s+not|dont|never|didn'?t|did\s+not|won'?t|will\s+not|not|no\s+need\s+to)\s+"
    r"(?:\w+\s+){0,2}$"
    # the patient talking about their own texting: "I had to stop texting, I was driving"
    r"|\b(?:had\s+to|have\s+to|gotta|got\s+to|i'?ll|i\s+will|i'?m\s+(?:going|gonna)\s+to|let\s+me)\s+$"
)
# "did you stop sending reminders?" asks about the clinic; "can you stop texting me" does not.
_QUESTION_ABOUT_CLINIC = re.compile(
    r"\b(?:did|do|does|have|has|why|when|if)\s+(?:you|u|y'?all|they|the\s+clinic)\s+(?:\w+\s+)?$"
)

_RHETORICAL = re.compile(
    r"\b(?:why\s+)?(?:don'?t|won'?t|can'?t|dont|wont|cant)\s+(?:you|u)\s+(?:just\s+)?$"
)

_LIST_WORD = r"(?:(?<!wait\s)(?<!waiting\s)lists?|texts?|messages?|text\s+messages|sms|system|database|contacts?|records?|marketing)"

_PATTERNS: tuple[tuple[re.Pattern[str], bool], ...] = tuple(
    (re.compile(pattern), guarded)
    for pattern, guarded in (
        # stop texting me / quit messaging / stop sending me these texts
        (rf"\b{_STOP_VERB}\s+{_FILLER}{{0,3}}{_GERUND}", True),
        # stop the texts / stop all these reminders
        (rf"\b{_STOP_VERB}\s+{_FILLER}{{0,3}}(?:\w+\s+)?{_NOUN}\b", True),
        # no more texts / no more messages please
        (rf"\bno\s+more\s+(?:\w+\s+)?(?:{_NOUN}|texting|messaging)\b", True),
        # don't text me anymore / do not contact me again / never message me.
        (
            rf"\b(?:don'?t|do\s+not|dont|never)\s+(?:ever\s+)?{_CONTACT_VERB}\s+{_ME}{_END_OR_MORE}",
            False,
        ),
        # I don't want any more texts / I no longer wish to receive messages
        (
            rf"\b(?:don'?t|do\s+not|dont|no\s+longer)\s+(?:want|wish|like)\s+(?:to\s+(?:receive|get)\s+)?"
            rf"(?:(?:any\s*more|any|these|your|the|more|of\s+your|those)\s+)*(?:\w+\s+)?{_NOUN}\b",
            False,
        ),
        # take me off your list / remove me from the text list / remove my number from your system
        (
            r"\b(?:take|remove|delete|drop|erase|get|scratch)\s+(?:me|my\s+(?:phone\s+|cell\s+|mobile\s+)?(?:number|#|info))\s+"
            r"(?:off|from|out\s+of)\s+(?:of\s+)?(?:(?:your|the|this|ur|all|these|those|my|any)\s+)?(?:\w+\s+)?"
            rf"{_LIST_WORD}\b",
            True,
        ),
        # I'd like to be removed from your list / got taken off the text list
        (
            r"\b(?:be|get)\s+(?:removed|taken\s+off|deleted|dropped)\s+(?:from|off)\s+"
            r"(?:of\s+)?(?:(?:your|the|this|ur|all|these|those|any)\s+)?(?:\w+\s+)?"
            rf"{_LIST_WORD}\b",
            True,
        ),
        # "take me off" / "remove me" ending the message
        (
            r"\b(?:take\s+me\s+off|remove\s+me)\s*(?:please|pls|plz|thanks|thank\s+you|now|asap)?"
            r"\s*[.!]*$",
            True,
        ),
        # remove my number / delete my number / lose my number
        (
            r"\b(?:remove|delete|erase|lose|forget)\s+my\s+(?:phone\s+|cell\s+|mobile\s+)?(?:number|#)\b",
            True,
        ),
        # unsubscribe me / how do I unsubscribe
        (r"\bunsubscribe\b(?!\s+(?:me\s+)?from\s+(?:the\s+|your\s+)?e-?mails?)", True),
        # opt me out / I want to opt out (of these texts)
        (
            rf"\bopt(?:ing)?[\s-]*(?:me\s+)?out\b(?!\s+of\s+(?!(?:(?:this|these|your|the|all|ur|any)\s+)*(?:\w+\s+)?{_NOUN}\b))",
            True,
        ),
        # leave me alone
        (r"\bleave\s+me\s+alone\b", True),
        # "please stop" / "stop it please" / "stop now" as the whole message
        (
            r"^(?:(?:please|pls|plz|ok|okay|just)\s+)*(?:stop|unsubscribe|quit)"
            r"(?:\s+(?:it|now|please|pls|plz|thanks|thank\s+you|already|asap|immediately))*[\s.!]*$",
            True,
        ),
    )
)


def _normalize_free_text(body: str) -> str:
    text = body.translate(_QUOTES).lower()
    text = re.sub(r"[\u00a0\s]+", " ", text)
    return text.strip()


def is_free_text_opt_out(body: str) -> bool:
    """Detect consent revoked in free text, e.g. "please stop texting me".

    Fires on a stop-verb aimed at messaging ("stop/quit texting|messaging|contacting me",
    "stop sending me these texts", "stop the reminders", "no more texts"), a negated contact
    request ending the thought ("don't text me anymore", "do not contact me."), "I don't want
    any more messages", removal requests ("take me off your list", "remove me from the text
    list", "remove/delete/lose my number"), "unsubscribe", "opt (me) out" and "leave me alone".
    It does not fire on clinic talk: "stop by tomorrow?", "can I stop botox before my wedding",
    "what time do you stop taking appointments", "cancel my appointment", "take me off the
    waitlist", "don't text me before 9", nor when the phrase is negated ("please don't stop
    texting me") or a question about the clinic's behaviour ("did you stop sending reminders?").

    Bare carrier keywords ("STOP") are ``classify_keyword``'s job, though a bare "stop" also
    matches here.

    Args:
        body: the inbound message text.

    Returns:
        True when the message should be treated as an opt-out.
    """
    text = _normalize_free_text(body)
    if not text:
        return False
    for pattern, guarded in _PATTERNS:
        for match in pattern.finditer(text):
            if guarded and _is_negated(text, match.start()):
                continue
            return True
    return False


def _is_negated(text: str, start: int) -> bool:
    """True when the words right before ``start`` negate or question the phrase."""
    before = text[:start]
    if _RHETORICAL.search(before):  # "why don't you stop texting me" is a request
        return False
    return bool(_NEGATION.search(before) or _QUESTION_ABOUT_CLINIC.search(before))
