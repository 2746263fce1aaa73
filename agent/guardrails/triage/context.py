"""What surrounds a sign: negated, hypothetical, past, resolved or figurative?

The same words mean different things in different frames. "trouble breathing" is an
emergency in "my daughter has trouble breathing since her drip", a medical question in "can
botox cause trouble breathing?" or "if I get trouble breathing what do I do", history in "I
had trouble breathing at the dentist years ago", resolved in "it was hard to swallow for a
second but it's fine now", and nothing at all in "i cant breathe this deal is insane 😂".

Scopes follow NegEx (Chapman et al., "A simple algorithm for identifying negated findings and
diseases in discharge summaries", J Biomed Inform 2001;34:301-10): a trigger reaches a few
words forward and stops at a clause boundary ("but", "and", "now", "because", a comma
before a new subject, the end of the sentence). Each function takes the sentence and the
token span of the sign.
"""

from __future__ import annotations

import re

from agent.guardrails.triage.text import Sentence, words

__all__ = [
    "TREATMENT",
    "figurative",
    "figurative_self_harm",
    "trivial_cause",
    "historical",
    "hypothetical",
    "negated",
    "resolved",
]

#: Words that end a trigger's reach (NegEx "termination terms").
_STOP = words("""but however though although except yet now still just only because bc cuz since so then
    which also plus actually until unless and anyway tho whereas while when after""")
#: A clause after a comma that starts a new subject is out of reach of what came before.
_SUBJECT = words("i im my she shes her he hes his it its they theyre their we our the")

_NEGATION = words("""no not never without none nothing neither nor dont doesnt didnt isnt arent wasnt werent
    havent hasnt hadnt denies deny zero nope""")
#: "not sure if...", "no idea" and friends hedge; they negate nothing.
_NOT_NEGATION = re.compile(
    r"\b(?:not (?:sure|certain|to|trying|gonna lie|only|like|that|exactly|even sure|urgent|"
    r"an emergency|serious|a big deal|positive|really sure)|no idea|"
    r"no clue|dont know|dont think|didnt know|not positive|doesnt matter|dont mean|dont want "
    r"to (?:bother|be|overreact|worry|alarm|panic))\b"
)


def _reach_back(sentence: Sentence, start: int, limit: int = 7) -> list[str]:
    """The tokens before token ``start`` that a trigger there could reach from, nearest
    first: at most ``limit``, stopping at a clause boundary."""
    out: list[str] = []
    since_comma = 0
    for i in range(start - 1, -1, -1):
        tok = sentence.tokens[i]
        if tok in _STOP:
            break
        if tok == ",":
            if since_comma > 3 or any(t in _SUBJECT for t in out[-since_comma:] if since_comma):
                break
            since_comma = 0
            continue
        out.append(tok)
        since_comma += 1
        if len(out) >= limit:
            break
    return out


def _reach_forward(sentence: Sentence, end: int, limit: int = 7) -> list[str]:
    """The tokens after token ``end`` up to ``limit`` or a clause boundary."""
    out: list[str] = []
    for tok in sentence.tokens[end:]:
        if tok in _STOP or tok == ",":
            break
        out.append(tok)
        if len(out) >= limit:
            break
    return out


def negated(sentence: Sentence, start: int, end: int | None = None) -> bool:
    """True when a negation trigger reaches the sign at tokens ``start:end`` ("no trouble
    breathing", "I don't have any swelling or trouble swallowing") or sits inside it after
    its subject ("my throat is not tight", "my lip isn't white")."""
    window = " ".join(reversed(_reach_back(sentence, start)))
    if any(t in _NEGATION for t in _NOT_NEGATION.sub(" ", window).split()):
        return True
    inside = " ".join(sentence.tokens[start + 1 : end]) if end else ""
    return bool(_INNER_NEGATION.search(inside))


#: A negation after the sign's subject; "can not breathe", "won't stop bleeding" and "not
#: able to" are signs, not negations.
_INNER_NEGATION = re.compile(
    r"(?<!can )(?<!could )\b(?:not|isnt|arent|wasnt|werent|never|no longer|doesnt feel|dont "
    r"feel|doesnt look|dont look)\b(?! (?:able|stop|stopping|responding|breathing|moving|"
    r"working|going down|coming out|making sense|waking|wake|answer\w*))"
)


_CONDITIONAL = re.compile(
    r"(?<!sure )(?<!know )(?<!wondering )(?<!wonder )(?<!idk )(?<!dunno )(?<!asking )"
    r"(?<!ask )(?<!check )(?<!see )(?<!tell )(?<!unsure )(?<!certain )(?<!curious )"
    r"(?<!bad )(?<!normal )(?<!ok )(?<!okay )(?<!fine )(?<!concerning )(?<!serious )"
    r"(?<!weird )(?<!common )(?<!problem )(?<!dangerous )(?<!worried )(?<!matter )"
    r"(?<!matters )(?<!emergency )(?<!urgent )(?<!as )(?<!even )\b(?:if|in case|incase|"
    r"suppose|supposing|whenever|what if|should i get|say i get)\b"
)
#: A question about the future: "will my lips turn blue?", "could I go blind from filler?"
_FUTURE_QUESTION = re.compile(
    r"^(?:\w+ )?(?:(?:will|would|could|might|can|does|do) (?:i|you|u|it|my|she|he|they|we|"
    r"botox|filler|fillers|this|that|the|tox|someone|people|a|an|anyone)|is it going to|is it "
    r"gonna|am i going to|am i gonna|are they going to|is there)\b"
)
_GENERIC = re.compile(
    r"\b(?:risks?|chances?|possible|possibility|side effects?|complications?|signs of|"
    r"symptoms of|how (?:common|likely|often|rare|do you|would you|can you)|is it common|do "
    r"people|does anyone|has anyone|anyone ever|ever (?:get|have|happen|had)|heard|read|online|"
    r"tiktok|google|worried about|scared of|afraid of|nervous about|fears?|concerned about|"
    r"warning|what happens|how do i know|how would i know|how can i tell|what do i do|what "
    r"should i do|should i expect|expect|before (?:my|i|booking|getting|the|we|you)|cause|"
    r"causes|causing|lead to|leads to|result in|make you|give you|prevent|avoid|watch out|look "
    r"out|aware|protocol|in the event|case of|rare|common|happen to|happens to|"
    r"can you get|can someone|is it true|true that|^(?:is|are|does|do) (?!my|her|his|it normal|"
    r"this normal|that normal|it ok|it okay|it bad|it fine|this|that)|isnt something|is not "
    r"something|not something|does that happen|happens? with|asking for|asking before|"
    r"(?:can|could|does|do|will|would) "
    r"(?:botox|filler|fillers|it|tox|this|that|the \w+|\w+) (?:spread|make|cause|lead|give|"
    r"affect|go))\b"
)
#: Words of someone describing what is happening to them (or to a person they text about).
_PRESENT = re.compile(
    r"\b(?:my|her|his|their|im|i am|i feel|i felt|she is|shes|he is|hes|i cant|she cant|he "
    r"cant|i can barely|i can hardly|ive been|i keep|right now|rn|currently|this morning|"
    r"yesterday|last night|ago|just now|started|"
    r"starting|keeps|is getting|are getting|since)\b"
)


_PRESENT_TENSE = re.compile(r"\b(?:is|are|am|im|has been|have been|keeps|started|feels)\b")


def hypothetical(sentence: Sentence, start: int, end: int) -> bool:
    """True when the sign at tokens ``start:end`` is asked about, not reported: a conditional
    ("if my lip turns white..."), a question about the future ("will I bruise?") or a
    generic question ("can filler cause blindness?") without words of a present experience."""
    before = " ".join(reversed(_reach_back(sentence, start, limit=9)))
    clause = f"{before} {' '.join(sentence.tokens[start:end])}".strip()
    if _CONDITIONAL.search(before + " "):
        return True
    if _FUTURE_QUESTION.match(clause) and start <= 6 and not _PRESENT_TENSE.search(clause):
        return True
    after = " ".join(_reach_forward(sentence, end))
    leading = " ".join(sentence.tokens[:start])
    if _GENERIC.search(leading) or _GENERIC.search(after):
        return not _PRESENT.search(clause + " " + after)
    return False


_HISTORY = re.compile(
    r"\b(?:years? ago|yrs ago|months ago|last (?:year|time|month|summer|spring|fall|winter|"
    r"christmas)|as a (?:kid|child|teen|teenager)|when i was|in the past|history of|used to|"
    r"once had|previous\w*|prior|growing up|childhood|at the dentist|prone to|i (?:always|"
    r"usually|often|tend to|sometimes)|allergic to|anaphylactic to|"
    r"in (?:19|20)\d\d|(?:have|has|ive) had (?:\w+ ){0,3}?(?:before|in the past|previously)|had (?:a|an) \w+ (?:before|once)|long time ago|"
    r"once(?! (?:i|you|we|she|he|it|the|my))|my last (?:\w+ )?(?:botox|filler|treatment|"
    r"appointment|appt|visit|session|time|drip|iv|peel)|back in (?:19|20|the day|high school|"
    r"college|\d|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|spring|summer|fall|winter)|for (?:\d+|many|several|a few) (?:years|yrs)|"
    r"\w+ free for)\b"
)


def historical(sentence: Sentence, start: int, end: int) -> bool:
    """True when the sign is part of the patient's history ("I had anaphylaxis to a bee
    sting years ago", "I always faint at blood draws", "last time I got filler...")."""
    lo, hi = max(0, start - 9), min(len(sentence.tokens), end + 12)
    for i in range(start - 1, lo - 1, -1):
        if sentence.tokens[i] in _TURN:
            lo = i + 1
            break
    for i in range(end, hi):
        if sentence.tokens[i] in _TURN:
            hi = i
            break
    return bool(_HISTORY.search(" ".join(sentence.tokens[lo:hi])))


#: Words that turn from the past to the present ("...years ago, but now...").
_TURN = words("but now still however though yet currently today")


_RESOLVED = re.compile(
    r"^(?:\w+ ){0,4}?(?:went away|gone away|is gone|are gone|has gone|resolved|cleared up|"
    r"went down|is better|got better|back to normal|(?:has |have |had )?stopped|subsided|"
    r"disappeared|only lasted|lasted (?:a|only|like|about)? ?(?:few )?(?:seconds?|minutes?|secs?|"
    r"mins?)|for a (?:second|sec|minute|moment|split second)|fine now|ok now|okay now|normal now|"
    r"better now|passed|is fine|are fine|is normal|are normal|went back)\b"
)


def resolved(sentence: Sentence, end: int) -> bool:
    """True when the words after the sign say it is over ("... but it went away",
    "... for a second", "... fine now")."""
    after = []
    for tok in sentence.tokens[end : end + 10]:
        if tok in ("now", "but", "still", "though", "yet"):
            break
        after.append(tok)
    return bool(_RESOLVED.search(" ".join(after)))


#: Causes nobody calls 911 about: money, excitement, looks, jokes, waiting.
_TRIVIAL = re.compile(
    r"\b(?:price|prices|pricing|priced|cost|costs|bill|bills|total|quote|invoice|receipt|deal|"
    r"deals|sale|promo|promos|discount|special|specials|dollars|bucks|wallet|bank|afford|"
    r"expensive|cheap|credit card|membership|excit\w*|cant wait|so cute|gorgeous|beautiful|"
    r"stunning|obsessed|in love|how good|how great|how amazing|looks? (?:so )?(?:good|great|"
    r"amazing|perfect)|laugh\w*|hilarious|so funny|too funny|thats funny|joke|jokes|joking|embarrass\w*|cringe|"
    r"the wait|wait time|waitlist|waiting list|traffic|before and afters?|reviews?|pics|photos|"
    r"instagram|insta|tiktok|reels?|calendar|boss|homework|exam|staring at|booking site|website|"
    r"screen|computer|laptop|spreadsheet|two (?:\w+ )?(?:texts|reminders|"
    r"messages|emails|confirmations)|"
    r"weather|heat|sight of|thought of|idea of|have to wait|wait (?:a|another|until|till) "
    r"(?:\w+ )?(?:months?|weeks?|years?|days?)|"
    r"so good|amazing|incredible|insane deal|how much|glow|results? (?:are|look|looked)|"
    r"\d+ ?(?:dollars|bucks|k)|\$)\b"
)
#: Set phrases that are always figurative.
_IDIOM = re.compile(
    r"\b(?:pain in the (?:butt|neck|ass|rear|behind)|took (?:my|her|his) breath away|"
    r"breathtaking|killing it|to die for|dying to|dying for|almost died laughing|choke on "
    r"(?:my|the) (?:words|coffee|drink)|choking on (?:my|the) (?:coffee|drink|water|tea)|heart "
    r"attack (?:when|at|over|looking|seeing)|(?:almost|nearly|gonna|going to|about to|could) "
    r"(?:have|had|give \w+|gave \w+) an? (?:heart attack|stroke|aneurysm|seizure|coronary|"
    r"breakdown|meltdown)|(?:gave|giving|give|gives) me an? (?:heart attack|stroke|aneurysm|"
    r"seizure)|(?:faint\w*|passed out|pass out|heart attack|died|dying|stroke|seizure|blind) "
    r"(?:\w+ ){0,2}?when (?:i|she|he|we) (?:saw|see|seen|looked|read|got|opened)|in a good way|"
    r"jaw (?:hit|dropped to|on) the floor|popped out of (?:my|her|his) head|swollen (?:ego|head)|rather die|blind without "
    r"(?:my )?(?:glasses|contacts)|blind as a bat|(?:about|nearly|almost) had an? (?:heart attack|"
    r"stroke|seizure|aneurysm)|near heart "
    r"attack|(?:in|is in) critical condition)\b"
)
_ALMOST = re.compile(r"\b(?:almost|nearly|practically)\b")
#: A treatment tied to the sign in time ("after my filler", "since the drip").
_LINKED = re.compile(r"\b(?:after|since|during|from|post|following|started)\b")

#: A treatment, an infusion, an injection or a recent visit: the sign follows care.
TREATMENT = re.compile(
    r"\b(?:filler|fillers|botox|dysport|xeomin|jeuveau|daxxify|letybo|tox|neurotox\w*|inject\w*|"
    r"shots?|needles?|syringe|kybella|sculptra|radiesse|juvederm|restylane|rha|versa|lip flip|"
    r"drip|iv|infusion|b12|vitamin|peel|laser|microneedl\w*|treatment|procedure|appointment|appt|"
    r"apt|session|visit|semaglutide|ozempic|wegovy|tirzepatide|mounjaro|numbing|lidocaine|"
    r"dissolv\w*|hyaluronidase|hylenex|did my|done|smile lines|yesterday|today|this morning|tonight|last night|hours? "
    r"ago|an hour|earlier|since|after|afterwards|post|lips?|nose|cheeks?|chin|forehead|tear "
    r"troughs?|under eyes?|temples?|jawline|injector|nurse|dr|doctor|kybella|ipl|facial)\b"
)


#: Low stakes that make "I want to die" hyperbole: money, waiting, chores.
_SMALL_STAKES = re.compile(
    r"\b(?:price|prices|pricing|cost|costs|bill|bills|total|quote|deal|deals|sale|dollars|"
    r"bucks|wallet|bank|afford|expensive|wait|waiting|line|traffic|calendar|homework|exam|"
    r"instagram|insta|reels?|tiktok|promo|promos|units?|shopping|netflix|episodes?|"
    r"boss|gym|workout|stairs|mondays?|meetings?|laugh\w*|hilarious|so funny|too funny|thats funny|joke|joking|"
    r"embarrass\w*|cringe|\$)\b"
)


def figurative_self_harm(sentence: Sentence) -> bool:
    """True when talk of dying is hyperbole about money, waiting or a joke ("this bill makes
    me want to die lol"); a bad result, a face or nothing named is taken at its word."""
    return bool(_IDIOM.search(sentence.text) or _SMALL_STAKES.search(sentence.text))


def trivial_cause(sentence: Sentence) -> bool:
    """True when the sentence names a cause nobody calls a doctor about (money, waiting,
    excitement, a joke) and no treatment: "I'm in pain looking at my calendar"."""
    return bool(_TRIVIAL.search(sentence.text)) and not TREATMENT.search(sentence.text)


def figurative(
    sentence: Sentence, start: int, end: int, *, idiomatic: bool, symptomatic: bool = False
) -> bool:
    """True when an idiomatic sign is said figuratively: a set phrase ("to die for", "pain in
    the neck", "heart attack when I saw the total"), a trivial cause in the sentence ("this
    price is killing me", "nearly passed out at the bill"), or laughter or "almost" with no
    treatment named ("can't breathe 😂", "I almost fainted walking in")."""
    if _IDIOM.search(sentence.text):
        return True
    if not idiomatic:
        return False
    near = " ".join(sentence.tokens[max(0, start - 9) : end + 9])
    if _TRIVIAL.search(near):
        return True
    if symptomatic:  # "lol but my lips are huge and it's hard to breathe": a real symptom too
        return False
    treated = bool(TREATMENT.search(sentence.text))
    before = " ".join(sentence.tokens[max(0, start - 4) : start])
    if sentence.laughing:
        return not (treated and _LINKED.search(sentence.text))
    return not treated and bool(_ALMOST.search(before))
