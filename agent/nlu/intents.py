"""What is the patient trying to do? Yes/no answers, intents, safety flags and names.

All rules are regular expressions over :func:`agent.nlu.text.normalize` output with
apostrophes removed (``"can't"`` and ``"cant"`` read alike); emoji are read from the raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.nlu._lexicon import COMMON_WORDS, MONTH_NAMES, _w, squeeze, weekday_of
from agent.nlu.relative import mentions_shift
from agent.nlu.text import normalize

__all__ = ["Intents", "detect_intents", "extract_name", "puts_off", "yes_no"]


def _clean(text: str) -> str:
    words = normalize(text).replace("'", "").split()
    return " ".join(squeeze(w) for w in words)


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?:{p})" for p in parts))


_NO_START = _rx(
    r"^(?:no+|nope|nah+|naw|nay|negative|no thanks?|no thank you|no ty)\b(?! (?:problem|worries|prob)\b)",
    r"^(?:not really|not interested|not now|not today|not yet|i dont think so|dont think so|"
    r"nvm|never ?mind|pass|im good|im ok|im okay|i(?:m| am) all set)\b",
)
#: Not now: a refusal that puts the offer off ("not right now thanks", "maybe later").
_PUT_OFF = re.compile(
    r"\bnot (?:right |just )?now\b|\bnot (?:at the moment|at this time|this time|just yet)\b|"
    r"\bmaybe (?:later|another time|some other time|next time)\b|\b(?:not|no) for now\b|"
    r"\bthanks? but no\b|\bhold off\b"
)
_NO_ANY = _rx(
    r"\bno (?:thanks?|thank you|thank u|ty|thx|way|more)\b|\b(?:absolutely|definitely|def|"
    r"hell|heck|certainly|totally) (?:not|no)\b|\bnot (?:interested|for me|a chance)\b|"
    r"\b(?:ill|i will|i(?:ll|d)? have to|gonna) pass\b|\bi dont want (?:it|that|any|to)\b",
    r"\bnone of (?:those|these|them|that)\b",
    _PUT_OFF.pattern,
    r"\bneither\b",
    r"\b(?:doesnt|does not|dont|do not|wont|will not|cant|cannot|can not) (?:work|do|make)\b",
    r"\bnot (?:good|great|ok|okay|right|correct|gonna work|going to work)\b",
    r"\bno(?:ne)? (?:work|good)\b",
)
_YES_START = _rx(
    r"^(?:y|ye|yes+|yess|yea|yeah|yah|ya|yep|yup|yuh|ye[sp]?|sure|ok|okay|okey|k|kk|oki|okie|"
    r"alright|alrighty|aight|absolutely|definitely|def|certainly|of course|ofc|for sure|"
    r"perfect|great|awesome|sweet|cool|bet|correct|right|exactly|yas+|please|pls|plz|"
    r"sounds (?:good|great|perfect|fine)|that works|works|that\w* (?:fine|good|perfect|great)|"
    r"go ahead|do it|book it|lets do it|lets do that|lets go|say less|why not|i think so|"
    r"i guess|confirm(?:ed)?|affirmative|fine|good|yes please|thats right|thats correct|"
    r"that is correct|sounds like a plan|works for me|that would work|would be great)\b",
)
_YES_EMOJI = re.compile("[\U0001f44d\U0001f44c\u2705\u2714\U0001f64c\U0001f918\U0001f4af]")
_NO_EMOJI = re.compile("[\U0001f44e\u274c\u2716\U0001f6ab]")
#: A question after an affirmation ("ok, what about friday", "sure but how much is it").
_ASKS_MORE = re.compile(
    r"\b(?:do (?:you|u|yall)|does|did|what|whats|when|where|how|which|who|why|is there|are "
    r"there|any)\b"
)
_MODAL = re.compile(r"\b(?:can|could|would) (?:we|you|u|i)\b")
# Words that only lead into what follows an acknowledgement ("ok so", "cool cool", "k and").
_FILLER = re.compile(
    r"^\s*(?:(?:but|so|and|also|lol|lmao|haha+|cool|ok|okay|k|kk|great|perfect|awesome|"
    r"sweet|then|um+|hmm+|well|oh|quick question|one more thing)\s+)*"
)
# A clause that opens as a question ("hows the parking", "do i need to shave", "is there
# parking"); an imperative that shares a word ("do it", "will do") does not.
_LEAD_QUESTION = re.compile(
    r"^(?:who|what|whats|when|where|wheres|why|which|how|hows|does|did|any|"
    r"do (?:you|u|yall|ya|i|we|they|guys)|is (?:there|it|that|this|he|she)|"
    r"are (?:there|you|u|yall|they|we)|r (?:u|you|yall)|"
    r"(?:will|would|should|could|can|may) (?:it|i|he|she|they))\b"
)


def _after_ack(s: str) -> str | None:
    """What follows a leading acknowledgement in cleaned text ``s`` ("ok so how long is
    it" -> "how long is it"), or None when ``s`` does not open with one."""
    yes = _YES_START.search(s)
    if yes is None:
        return None
    rest = _FILLER.sub("", s[yes.end() :], count=1)
    again = _YES_START.search(rest)  # "yea sounds good, whats the address"
    return _FILLER.sub("", rest[again.end() :], count=1) if again else rest


_HEDGE = re.compile(r"\b(?:not sure|unsure|maybe|idk|i dont know|dunno|not certain)\b")


def yes_no(text: str) -> bool | None:
    """Read a yes/no answer. True, False, or None when the message is not one.

    The answer must open the message (``"yes but can we do 3"`` is True, ``"is that a yes"``
    is None) or be a whole-message phrase such as ``"none of those work"`` or ``"doesn't
    work"``. Repeated letters are squeezed (``"yesss"``, ``"noooo"``). Refusals are checked
    first, so ``"no that doesn't work"`` is False and ``"not sure"`` is None (a hedge).
    ``"no problem"`` / ``"no worries"`` are not refusals; a refusal anywhere beats an
    affirmation (``"perfect, no thanks"``, ``"absolutely not"``), and an affirmation followed
    by a question (``"ok, do you have any specials?"``) is None: the question is the message.
    A thumbs-up (and ✅ 👌) alone is
    True; a thumbs-down or ❌ alone is False.
    """
    s = _clean(text)
    if not s:
        if _YES_EMOJI.search(text):
            return True
        if _NO_EMOJI.search(text):
            return False
        return None
    if _HEDGE.search(s) and not _NO_ANY.search(s):
        return None
    if _NO_START.search(s) or _NO_ANY.search(s):
        return False
    yes = _YES_START.search(s)
    if yes:
        # "ok cool, do you have any specials?": the question, not the "ok", is the message
        # ("yes but can we do 3" asks to change the offer and stays a yes, as before)
        rest = s[yes.end() :]
        asks = _ASKS_MORE.search(rest) or ("?" in text and not _MODAL.search(rest))
        return None if asks or _LEAD_QUESTION.search(_after_ack(s) or "") else True
    if len(s.split()) <= 3 and _YES_EMOJI.search(text):
        return True
    return None


def puts_off(text: str) -> bool:
    """True when ``text`` declines for now rather than for good ("not right now thanks",
    "ok maybe later", "let's hold off"): :func:`yes_no` reads it as False, and the answer
    to it is "no rush", not other times."""
    return bool(_PUT_OFF.search(_clean(text)))


@dataclass(frozen=True)
class Intents:
    """Everything :func:`detect_intents` recognised in one message (several may be set).

    Judgement calls: "24 hours notice" is not a question about hours; "openings" means
    availability (booking) while "are you open" means hours; cancelling or rescheduling an
    existing visit does not set ``wants_booking`` unless the patient also says "book";
    "cancellation policy" is not a cancel, and neither is a question about the change policy
    ("do you need 24 hours notice to cancel?", "what happens if I reschedule") unless it also
    asks for the change ("pls cancel, do I get my deposit back?"). ``asks_my_appointment``
    marks "when is my appt?" / "do I have an appointment"; ``names_change`` marks a change
    that names itself ("cancel", "reschedule", "rebook", "my appointment"), as opposed to
    "another day" or "instead", which while slots are on offer ask for other times.
    ``keeps_as_is`` marks dropping a change ("never mind", "keep it", "I'll still make it").
    ``defers`` marks putting the decision off ("let me check with my husband", "I'll get back
    to you").
    ``medical_concern`` excludes the plain comfort
    question "does botox hurt". ``emergency`` needs a danger sign (vision change, skin
    turning white/gray/dusky/blue, breathing trouble, severe pain/swelling, chest pain,
    fainting); a hypothetical question with no first-person words ("can filler cause
    blurry vision?") is a ``medical_concern``, not an emergency. ``health_policy`` marks a
    medical question about a condition only (pregnant, nursing, medications, "is it safe")
    with no symptom: clinics answer those with a written policy.
    """

    wants_booking: bool = False
    asks_price: bool = False
    asks_hours: bool = False
    asks_location: bool = False
    wants_cancel: bool = False
    wants_reschedule: bool = False
    asks_my_appointment: bool = False
    names_change: bool = False
    keeps_as_is: bool = False
    wants_human: bool = False
    greeting: bool = False
    thanks: bool = False
    asks_services: bool = False
    is_question: bool = False
    medical_concern: bool = False
    health_policy: bool = False
    emergency: bool = False
    defers: bool = False


_BOOK = _rx(
    r"\b(?:book|booking|schedule|scheduling|appointment|appt|apt|reserve|reservation)\b",
    r"\b(?:availability|available|openings?|open slots?|slots?|spots? open|any ?thing open)\b",
    r"\b(?:get in|come in|come by|stop by|squeeze me in|fit me in|sign me up|sign up)\b",
    r"\bdo you (?:guys )?have (?:any ?thing|any ?time|room|space)\b",
    r"\b(?:id|i would|i wanna|i want to|want to|looking to|trying to|like to) (?:get|do|try|come)\b",
    r"\bset (?:me )?up\b|\bmake an? (?:appt|appointment)\b|\binterested in\b",
)
_PRICE = _rx(
    r"\bhow much\b(?! (?:time|longer|notice|advance|does it hurt|will it hurt|pain|downtime|swelling))",
    r"\b(?:price|prices|pricing|priced|cost|costs|costing|fee|fees|rate|rates|charge|charges|"
    r"quote|expensive|cheap|afford|deal|deals|specials?|promo|promos|discount|financing)\b",
    r"\$|\bper unit\b|\bwhat do (?:you|u) (?:guys )?charge\b",
)
_HOURS = _rx(
    r"\b(?:business hours|office hours|opening hours|your hours|ur hours|hours of operation|"
    r"what are (?:the|your|ur) hours|what hours)\b",
    r"\b(?:are|r) (?:you|u|yall|you guys) (?:open|closed)\b",
    r"\b(?:when|what time) (?:do|does|are|r) (?:you|u|yall|you guys|the (?:office|clinic|spa)) "
    r"(?:open|close|closed)\b",
    r"\b(?:open|close|closed) (?:on|today|tomorrow|tonight|this|sundays?|saturdays?|weekends?|"
    r"late|early|till|until)\b",
    r"\bopen on\b|\b(?:what time|when) (?:do )?(?:you|u) (?:open|close)\b|\bclosing time\b",
    r"^hours\b",
)
_LOCATION = _rx(
    r"\bwhere (?:are|r|is|s) (?:you|u|yall|ur|your|the (?:office|clinic|spa|place))\b",
    r"\bwheres (?:the|ur|your)\b|\bwhere (?:are you|r u) located\b|\bwhere (?:do|should) i (?:go|park)\b",
    r"\b(?:address|addy|addr|located|location|parking|park|directions|get there|find you|cross streets?|"
    r"which building|what building|what suite|which suite|what floor)\b",
    # finding the way in once there ("which door do i use", "where do i go in")
    r"\b(?:which|what) (?:door|entrance|floor|way in|elevator)\b|\bwhere do (?:i|we) (?:go|enter|"
    r"go in|come in|check in)\b|\bhow do (?:i|we) get (?:in|up|there)\b",
)
_CANCEL = _rx(
    r"\bcancel(?!lation)\w*\b(?! policy)",
    r"\b(?:cant|cannot|can not|wont be able to|not going to|not gonna|unable to|wont) "
    r"(?:make it|come|make my|be able to (?:make it|come))\b",
    r"\bcall (?:it )?off\b",
)
_RESCHEDULE = _rx(
    r"\bre ?sched\w*\b|\bre ?book\w*\b",
    r"\b(?:move|change|switch|push|bump|shift) (?:my|the|our|it|that|me)\b",
    r"\b(?:different|another|new|other) (?:day|time|date)\b",
    r"\bpush (?:it )?back\b",
    r"\binstead\b(?! of)",
)
# Words that can only mean changing a visit ("cancel", "reschedule", "my appt"), as opposed to
# "another day" or "instead", which while slots are on offer mean "show me other times".
_NAMED_CHANGE = _rx(
    r"\bcancel(?!lation)\w*\b(?! policy)|\bre ?sched\w*\b|\bre ?book\w*\b",
    r"\b(?:my|our) (?:\w+ )?(?:appt|apt|appointment|booking|visit|reservation|session)\b",
)
_MY_APPOINTMENT = _rx(
    r"\b(?:when|what time|what day|which day|what date)(?: is| s|s| was)? (?:my|our) "
    r"(?:\w+ )?(?:appt|apt|appointment|booking|visit|reservation|session)\b",
    r"\b(?:when|what time|what day) (?:am i|are we) (?:booked|scheduled|coming( in)?|seeing)\b",
    r"\bdo i (?:still )?have (?:an?|my|any) (?:\w+ )?(?:appt|apt|appointments?|booking|visit)\b",
    r"\b(?:is|was|are) my (?:\w+ )?(?:appt|apt|appointments?|booking|visit|reservation) "
    r"(?:still |all |really )?(?:on|confirmed|booked|set|scheduled|good|happening)\b",
    r"\b(?:did|has|have) my (?:\w+ )?(?:appt|apt|appointment|booking) (?:go through|been)\b",
    r"\b(?:confirm|check|remind me (?:of|about)|look up) my (?:\w+ )?"
    r"(?:appt|apt|appointments?|booking|visit|reservation)\b",
    r"\bmy (?:upcoming|next|current) (?:appt|apt|appointments?|booking|visit)s?\b",
    r"\bdo i have (?:any ?thing|some ?thing|any ?one) (?:booked|scheduled|coming up|on the books)\b",
    r"\b(?:am i|are we) (?:still )?(?:booked|scheduled|on the books)\b",
    r"\b(?:when|what time|what day)(?: is| s|s| was) (?:it|that|mine)(?: at)? again\b",
)
# "never mind", "keep it": the patient drops the change being discussed.
_KEEP = _rx(
    r"\b(?:nvm|never ?mind|forget (?:it|that|about it)|scratch that)\b",
    r"\b(?:keep|leave) (?:it|my|the|that)\b(?! (?:on|for) )|\bdont (?:cancel|move|change)\b",
    r"\b(?:ill|i will|ill just|i(?:ll| will)? still) (?:keep|make it|come|be there)\b",
    r"\b(?:can|will) make it after all\b|\bas is\b",
)
# "do you need 24 hours notice to cancel?", "what happens if i cancel": a question about the
# policy, answered from the clinic's records, not a request to cancel.
_CHANGE_POLICY = _rx(
    r"\bwhat happens\b|\bnotice\b|\bpolic(?:y|ies)\b|\bfees?\b|\bpenalty\b|\bcharged?\b",
    r"\bhow (?:late|far (?:in advance|ahead|out)|early|long before|soon)\b",
)
_CONDITIONAL = re.compile(r"\b(?:if|what if|in case|incase) (?:i|we|you|u|someone|my)\b")
_CHANGE_REQUEST = re.compile(
    r"\b(?:pls|please|plz|go ahead)\b|\b(?:cant|cannot|wont|not able to) make\b"
    r"|\b(?:i|we|ill|id|im) (?:really |just |actually )?(?:need|want|wanna|gotta|have|would like|"
    r"like|am going|going|gonna|have to)\b|\b(?:can|could|would) (?:you|u) (?:pls |please )?"
    r"(?:cancel|re ?sched|move|change)"
)


# Booking words that name the visit without asking for one: its length ("how long is the
# appt") or a condition of another question ("if i book an appt is there parking", "once i
# schedule do i pay upfront"): the question is asked, no slot is wanted yet.
_NOT_A_WISH = re.compile(
    r"\bhow long (?:is|are|does|will|would) (?:the|my|an?|this|that|each|one) "
    r"(?:appt|apt|appointment|session|visit)\b|"
    r"\b(?:if|once|when|after) (?:i|we) (?:book|schedule|make|get|reserve)\b[^,?]*?"
    r"(?=,|\?|$|\b(?:is|are|do|does|can|could|will|would|should|how|what|where|whats)\b)"
)


def without_conditions(text: str) -> str:
    """``text`` without a leading condition that only sets the scene of its question ("if i
    book an appt is there parking" -> "is there parking"); ``text`` itself when it has none.
    """
    core = _LEADING_CONDITION.sub("", _clean(text), count=1).strip(" ,")
    return core if core and core != _clean(text) else text


_LEADING_CONDITION = re.compile(
    r"^(?:if|once|when|after) (?:i|we) (?:book|schedule|make|get|reserve)\b[^,?]*?"
    r"(?=,|\b(?:is|are|do|does|can|could|will|would|should|how|what|where|whats)\b)"
)


# "let me check with my husband", "I'll get back to you", "let me think about it": not now.
_DEFER = _rx(
    r"\b(?:let me|lemme|i(?:ll| will)|i (?:have|need|want) to|i gotta|gotta|need to|have to) "
    r"(?:\w+ )?(?:check|ask|talk (?:to|with)|see (?:with|what)|think|look at|confirm with|run it "
    r"by|figure out|sort out|see (?:if|whether))\b",
    r"\b(?:get|getting) back to (?:you|u|ya|yall)\b|\bthink (?:about it|it over)\b|\bsleep on "
    r"it\b|\bnot sure yet\b|\b(?:ill|i will) (?:let you know|reach out)\b",
    # a promise to write again later ("ill text u tmrw", "will msg you back tonight", "brb")
    r"\b(?:ill|i will|will|gonna|going to) (?:text|txt|message|msg|hit|call) (?:you|u|ya|yall)"
    r"(?: (?:guys|up))? (?:back|later|tomorrow|tmrw|tmr|tonight|soon|in a bit|after|when)\b",
    r"\bbrb\b|\bbe right back\b",
)
_HUMAN = _rx(
    r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |the |some |your )?(?:real |live |actual )?"
    r"(?:person|human|someone|somebody|staff|receptionist|manager|owner|nurse|doctor|people|"
    r"front desk|rep|representative)\b",
    r"\b(?:real|live|actual) (?:person|human)\b|\bhuman\b|\brepresentative\b|\boperator\b",
    r"\b(?:call me|give me a call|call me back|can (?:someone|somebody|you) call|have someone call|"
    r"please call)\b",
    r"\b(?:is this|are you|r u) (?:a )?(?:bot|robot|ai|automated|real)\b",
)
_GREETING = re.compile(
    r"^(?:hi+|hello+|hey+|heya|hiya|howdy|yo|sup|hola|greetings|good (?:morning|afternoon|evening)|"
    r"whats up|wassup|hai)\b"
)
_THANKS = re.compile(
    r"\b(?:thanks|thank you|thank u|thx|thnx|thnks|ty|tysm|tyvm|much appreciated|appreciate (?:it|you|u))\b"
)
_THANKS_EMOJI = re.compile("\U0001f64f")
_SERVICES = _rx(
    r"\b(?:services|service menu|menu|treatments do you|offerings)\b",
    r"\bwhat (?:do|can) (?:you|u|yall) (?:guys )?(?:offer|do|have|provide)\b",
    r"\bwhat (?:kind|kinds|type|types|sort|sorts)(?: of)? (?:services|treatments|things|stuff|procedures)\b",
    r"\bwhat (?:kinda|sorta|types?|kinds?) (?:of )?(?:services|treatments|things|stuff|procedures)\b",
    r"\bwhat (?:services|treatments|procedures)\b|\bdo you (?:guys )?(?:offer|do|provide)\b",
)
_QUESTION_START = re.compile(
    r"^(?:who|what|whats|when|where|wheres|why|which|how|hows|can|could|do|does|did|is|are|"
    r"will|would|should|may|r|any|is there|are there)\b"
)
_MEDICAL = _rx(
    r"\b(?:pain|painful|hurting|hurts a lot|sore|soreness|swelling|swollen|bruis\w*|allerg\w*|"
    r"reaction|infect\w*|bleed\w*|lumps?|bumps?|rash|itch\w*|hives|fever|pus|oozing|"
    r"numb|numbness|droop\w*|asymmetr\w*|headaches?|blister\w*|burn(?:ed|t|ing)? (?:skin|face|mark))\b",
)
# Health conditions that clinics answer with a written policy ("can I get filler while
# pregnant?"): looked up in the clinic's records first, handed to staff when not covered.
_CONDITION = _rx(
    r"\b(?:pregnan\w*|breast ?feeding|nursing|trying to conceive|ttc|blood thinners?|"
    r"medications?|meds|prescriptions?|antibiotics?|accutane)\b",
    r"\bis (?:it|this|that|botox|filler) safe\b|\bsafe (?:to|for|while|during|if)\b",
)
_PAIN_FAQ = re.compile(
    r"^(?:does|do|will|would|is) (?:it|botox|filler|this|that|the \w+|\w+) (?:hurt|painful)\b"
    r"|\bhow (?:much|bad) does (?:it|\w+) hurt\b|\bhow painful\b"
)
_EMERGENCY = _rx(
    r"\b(?:vision (?:changes?|loss|problems?|is blurry|went)|blurr?y vision|blurred vision|"
    r"double vision|lost (?:my )?vision|cant see|cannot see|losing (?:my )?(?:vision|sight)|"
    r"seeing spots)\b",
    r"\b(?:turn(?:ed|ing|s)?|going|gone|looks?|is|are) (?:very |really |kind of |kinda )?"
    r"(?:white|gr[ae]y|dusky|blue|bluish|purple|pale|mottled|blotchy)\b",
    r"\b(?:blanch\w*|mottled|dusky)\b",
    r"\b(?:trouble|difficulty|hard|hard time|problems?) (?:breathing|to breathe|swallowing)\b",
    r"\b(?:cant|cannot|can not) (?:breathe|breath|swallow)\b|\bshort(?:ness)? of breath\b",
    r"\b(?:throat|tongue) (?:is )?(?:closing|swelling|swollen|tight)\b|\banaphyla\w*\b",
    r"\b(?:severe|extreme|excruciating|unbearable|intense|really bad|terrible|worst) "
    r"(?:pain|swelling|headache|reaction)\b",
    r"\bchest (?:pain|tightness|hurts)\b|\bfaint\w*\b|\bpass(?:ed|ing)? out\b|\bunconscious\b",
    r"\bslurred speech\b|\bface (?:is )?drooping\b",
)
_FIRST_PERSON = re.compile(r"\b(?:i|im|ive|my|me|mine|her|his|she|he|shes|hes)\b")
_HYPOTHETICAL = re.compile(
    r"^(?:can|could|does|do|will|would|is it possible|what if|how (?:common|likely|often)|"
    r"is there a risk|are there)\b|\b(?:risk|risks|chance|possible|side effects?)\b"
)


def detect_intents(text: str) -> Intents:
    """Detect every intent in ``text``; returns an :class:`Intents` of booleans (the
    judgement calls are listed there)."""
    s = _clean(text)
    raw_stripped = text.strip()
    cancel = bool(_CANCEL.search(s))
    # "an hour later if possible", "same slot the following week": a shift of a visit
    reschedule = bool(_RESCHEDULE.search(s)) or mentions_shift(text)
    mine = bool(_MY_APPOINTMENT.search(s))
    booking = bool(_BOOK.search(_NOT_A_WISH.sub(" ", s)))
    about_change = cancel or reschedule
    asks_policy = _CONDITIONAL.search(s) or (
        _CHANGE_POLICY.search(s) and not _CHANGE_REQUEST.search(s)
    )
    if about_change and asks_policy:
        cancel = reschedule = False
    if (about_change or mine) and not re.search(
        r"\b(?:book|new appointment|another appointment)\b", s
    ):
        booking = False
    hours = bool(_HOURS.search(s)) and not re.search(r"\b\d+ ?(?:hours?|hrs?)\b", s)
    emergency_sign = bool(_EMERGENCY.search(s))
    hypothetical = bool(_HYPOTHETICAL.search(s)) and not _FIRST_PERSON.search(s)
    emergency = emergency_sign and not hypothetical
    symptom = bool(_MEDICAL.search(s)) and not _PAIN_FAQ.search(s)
    condition = bool(_CONDITION.search(s))
    medical = emergency_sign or symptom or condition
    return Intents(
        wants_booking=booking,
        asks_price=bool(_PRICE.search(s)) or "$" in text,
        asks_hours=hours,
        asks_location=bool(_LOCATION.search(s)),
        wants_cancel=cancel,
        wants_reschedule=reschedule,
        asks_my_appointment=mine,
        names_change=(cancel or reschedule) and bool(_NAMED_CHANGE.search(s)),
        keeps_as_is=bool(_KEEP.search(s)),
        wants_human=bool(_HUMAN.search(s)),
        greeting=bool(_GREETING.search(s)),
        thanks=bool(_THANKS.search(s)) or bool(_THANKS_EMOJI.search(text)),
        asks_services=bool(_SERVICES.search(s)),
        is_question=raw_stripped.rstrip(" \t.!)").endswith("?")
        or bool(_QUESTION_START.search(s))
        or bool(_LEAD_QUESTION.search(_after_ack(s) or "")),  # "ok so how long is it"
        medical_concern=medical,
        health_policy=condition and not (symptom or emergency_sign),
        emergency=emergency,
        defers=bool(_DEFER.search(s)),
    )


_NAME_INTRO = re.compile(
    r"^(?:(?:hi|hey|hello|yes|yeah|sure|ok|okay)\s+)*(?:(?P<strong>its|it is|this is|my name is|"
    r"my names|names|name is|name|call me|the name is|first name is|full name is)|"
    r"(?P<weak>im|i am))\s+"
)
_NAME_TAIL = re.compile(r"\s+(?:here|thanks|thank you|thx|ty|please|pls)$")
_NOT_NAME = frozenset(
    _w(
        "yes no yeah yep nope ok okay sure thanks hi hey hello tomorrow today morning afternoon "
        "evening interested good fine great looking wondering asking new patient not available free "
        "busy here back calling texting sorry confused done ready a an the to for and or of in on "
        "at so just very really that this it is my your me you going about with trying hoping"
    )
)


def extract_name(text: str) -> str | None:
    """Return the patient's name from a reply such as ``"it's Jane Smith"``, ``"jane"``,
    ``"my name is jane doe"``, ``"Jane here"``; None unless the message looks like a name.

    After an optional greeting and intro, one to three alphabetic words must remain (hyphens
    and apostrophes allowed). After a clear intro ("it's", "this is", "my name is", "call
    me") only obvious non-names are refused ("this is great"); after "i'm" or with no intro
    every word must also avoid frequent English words and weekday names ("im good", "friday"
    are not names), and a name without intro has at most two words. Returns the words
    title-cased unless the patient used capitals themselves ("McKenzie" stays).
    """
    raw = re.sub(r"[^\w\s'\-\u2019]", " ", text).replace("\u2019", "'")
    raw = re.sub(r"\s+", " ", raw).strip()
    raw = re.sub(r"\b(it|name|i)'(s|m)\b", r"\1\2", raw, flags=re.IGNORECASE)
    m = _NAME_INTRO.match(raw.lower())
    strong = bool(m and m.group("strong"))
    rest = raw[m.end() :] if m else raw
    tail = _NAME_TAIL.search(rest.lower())
    if tail:
        rest = rest[: tail.start()]
    words = rest.split()
    if not 1 <= len(words) <= 3 or (not m and len(words) > 2):
        return None
    for w in words:
        lw = w.lower()
        if not re.fullmatch(r"[a-z][a-z'\-]*[a-z]", lw) or lw in _NOT_NAME:
            return None
        if not strong and (lw in COMMON_WORDS or weekday_of(lw) is not None):
            return None
        if not strong and lw in MONTH_NAMES:
            return None
    if any(c.isupper() for c in rest):
        return " ".join(w[0].upper() + w[1:] for w in words)
    return " ".join(w.capitalize() for w in words)
