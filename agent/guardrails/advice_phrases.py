"""The phrases of medical advice, as regular expressions over one lowercased clause or sentence.

Four kinds (DESIGN.md §2, "a model reply that gives medical advice is replaced"), each told
apart by what the words *do*, not by one fixed wording:

- ``medication``: an instruction to take, apply, stop or dose a drug or remedy ("take 400mg
  ibuprofen", "you can take Tylenol", "apply hydrocortisone", "ice it", "stop your blood
  thinners"), or aftercare orders for the patient's body ("avoid the sun", "don't touch it").
- ``reassurance``: a judgement of the patient's body or risk ("that's normal", "nothing to
  worry about", "it's completely safe for you", "it will go away on its own").
- ``diagnosis``: naming what the patient has ("sounds like an allergic reaction", "you
  probably have an infection", "that's a Tyndall effect", "it's likely a bruise").
- ``treatment``: a medical treatment recommended for a symptom ("massage the lump", "come in
  for hyaluronidase", "we can dissolve it").

Instructions count only when addressed to the patient: at the start of a clause (an
imperative, after fillers such as "just" or "gently") or after a framing such as "you can",
"I'd recommend", "try", "make sure to", "it's fine to". "We use numbing cream for filler" is
the clinic describing itself and does not match. :mod:`agent.guardrails.advice` applies these
and decides what to forgive (hedges, refusals, the clinic's own record text).
"""

from __future__ import annotations

import re


def _any(*words: str) -> str:
    """A non-capturing alternation of ``words`` (each itself a regex)."""
    return "(?:" + "|".join(words) + ")"


def _alt(words: str) -> str:
    """A non-capturing group of ``words``, an alternation written ``a|b|c``, ending at a word
    boundary ("sun" is not "Sunday")."""
    return rf"(?:{words})\b"


# --- vocabularies -----------------------------------------------------------------------------

#: Drugs, supplements and medicine in general.
MEDS = _alt(
    r"ibuprofen|advil|motrin|aleve|naproxen|aspirin|baby aspirin|tylenol|acetaminophen|"
    r"paracetamol|benadryl|diphenhydramine|antihistamines?|zyrtec|claritin|allegra|"
    r"cetirizine|loratadine|hydrocortisone|cortisone|steroids?|prednisone|medrol|"
    r"antibiotics?|amoxicillin|keflex|neosporin|bacitracin|polysporin|valtrex|"
    r"valacyclovir|acyclovir|antivirals?|arnica|bromelain|pain ?killers?|pain relievers?|"
    r"pain med(?:ication)?s?|blood thinners?|warfarin|coumadin|eliquis|xarelto|plavix|"
    r"fish oil|vitamin [a-e]\b|retinol|retin-?a|tretinoin|epipen|epinephrine|eye ?drops|"
    r"iopidine|apraclonidine|meds|medications?|medicines?|pills?|tablets?|capsules?|"
    r"(?:otc|over[- ]the[- ]counter) \w+"
)

#: Drugs by name (not "meds" or "pills", nor skincare such as retinol): a front desk names one
#: only when quoting the clinic's records.
DRUGS = _alt(
    r"ibuprofen|advil|motrin|aleve|naproxen|aspirin|tylenol|acetaminophen|paracetamol|"
    r"benadryl|diphenhydramine|antihistamines?|zyrtec|claritin|allegra|cetirizine|loratadine|"
    r"hydrocortisone|cortisone|steroids?|prednisone|medrol|antibiotics?|amoxicillin|keflex|"
    r"neosporin|bacitracin|polysporin|valtrex|valacyclovir|acyclovir|antivirals?|arnica|"
    r"bromelain|blood thinners?|warfarin|coumadin|eliquis|xarelto|plavix|epipen|epinephrine|"
    r"iopidine|apraclonidine"
)

#: Things put on the body: cold, heat, creams and dressings (numbing cream is the clinic's).
REMEDIES = _alt(
    r"ice(?: packs?)?\b|(?:cold|warm|hot) compress(?:es)?|heat\b|heating pads?|"
    r"(?<!numbing )creams?\b|ointments?|gels?\b|lotions?|balms?|aloe(?: vera)?|vaseline|"
    r"aquaphor|petroleum jelly|moisturi[sz]er|sunscreen|spf\b|witch hazel|calamine|"
    r"tea tree|coconut oil|pressure\b|(?:a )?bandages?|band-?aids?|frozen peas"
)

#: Parts of the body and what is on them, as an object of "ice", "massage", "keep".
BODY = _alt(
    r"lips?|skin|forehead|(?:eye)?brows?|eyelids?|cheeks?|chin|jaw(?:line)?|face|nose|"
    r"neck|under-?eyes?|eyes?|temples?|area|spots?|(?:injection )?sites?|lumps?|bumps?|"
    r"knots?|nodules?|swelling|bruises?|scabs?|blisters?|head"
)

#: What a patient may describe feeling or seeing after a treatment.
SYMPTOMS = _alt(
    r"swell\w*|swollen|bruis\w*|lump\w*|bump\w*|knots?|nodules?|redness|rash\w*|itch\w*|"
    r"hives|pain\w*|ache\w*|sore\w*|tender\w*|heav\w+|droop\w*|numb\w*|tingl\w*|peeling|"
    r"flak\w+|tight\w*|breakouts?|blisters?|asymmetr\w+|uneven\w*|headaches?|burning|"
    r"sting\w*|discolou?r\w*|scabs?|irritat\w+|puffy|puffiness"
)

#: What a diagnosis names.
CONDITIONS = _alt(
    r"(?:an? )?allergic reaction|"
    r"(?:an? )?(?:mild |minor |small |skin |local |delayed |normal |common |typical )?reaction|"
    r"(?:an? )?infection|infected|(?:an? |just )?bruis(?:e|es|ing|ed)|swelling|swollen|"
    r"(?:an? )?hematoma|(?:the |a )?tyndall(?: effect)?|(?:an? )?granulomas?|"
    r"(?:an? )?nodules?|(?:an? )?cold sores?|herpes|(?:an? )?ptosis|"
    r"(?:an? )?(?:eye)?lid droop|(?:an? )?brow droop|(?:filler )?migration|migrated|"
    r"(?:an? )?(?:vascular )?occlusion|necrosis|cellulitis|(?:contact )?dermatitis|"
    r"(?:an? )?rash|hives|irritat(?:ion|ed)|inflam(?:mation|ed)|o?edema|"
    r"(?:an? )?(?:sun)?burn|hyperpigmentation|purging|(?:an? )?breakout|(?:an? )?biofilm|"
    r"(?:an? )?abscess|(?:toxin|botox) spread|(?:the )?(?:toxin|botox|product) spreading|"
    r"nerve (?:irritation|damage)|(?:a )?side effect|(?:normal )?healing|scar tissue|"
    r"(?:an? )?(?:filler )?lump|(?:an? )?(?:cyst|pimple|zit|bug bite|st[iy]e)|"
    r"water retention|(?:your )?(?:body|skin|muscles?) (?:adjusting|healing|reacting)|"
    r"(?:the )?(?:product|botox|tox|filler) (?:settling|kicking in|migrat\w+)"
)

#: Medical treatments a front desk never recommends for a symptom.
TREATMENTS = _alt(
    r"hyaluronidase|hylenex|dissolv\w+|antibiotics?|"
    r"(?:steroid|cortisone|kenalog) (?:shot|injection)s?|kenalog|antivirals?|valtrex|"
    r"prednisone|epinephrine|epipen|nitro(?:glycerin)?(?: paste)?|"
    r"(?:a |an )?(?:incision|drain(?:age|ed|ing)?)|(?:a |an |some )?(?:extra|more) units"
)

#: Outdoor, heat, exertion and skin habits aftercare orders are about.
ACTIVITIES = _alt(
    r"(?:the |direct )sun|sun(?:light| exposure|bathing)|heat|saunas?|hot tubs?|steam(?: rooms?)?|"
    r"hot yoga|hot showers?|exercise|exercising|working out|(?:hard |intense )?workouts?|"
    r"strenuous \w+|the gym|heavy lifting|alcohol|drinking|caffeine|makeup|"
    r"lying (?:down|flat)|bending over|sleeping on your \w+|picking|touching|rubbing|"
    r"scratching|retinoids?|retinol|exfoliat\w+|scrubs?|acids?|swimming|pools?|tanning|"
    r"flying|salty foods?"
)

# --- framing: when an instruction is addressed to the patient -----------------------------------

#: Words that may precede an imperative at the start of a clause.
FILL = _alt(
    r"just|also|please|simply|gently|definitely|maybe|first|then|now|tonight|today|so|and|"
    r"but|ok(?:ay)?|yes|yeah|totally|for now|in the meantime|meanwhile|for the \w+|"
    r"if (?:it|that|you) \w+(?: \w+)?"
)

#: Phrases that address what follows to the patient.
FRAME = _any(
    r"you(?:'ll| will| may| might| could)? (?:can|could|should|may|might|must|need to|have to|"
    r"want to|shouldn't|should not|can't|cannot|must not|mustn't|don't want to|"
    r"don't need to|do not need to|don't have to)",
    r"you(?:'ll| will| may| might| could) (?:want|need) to",
    r"you(?:'ll| will| should|'re| are)(?: be)? able to",
    r"(?:i|we)(?:'d| would)? (?:recommend|suggest|advise)(?: that)?(?: you)?(?: to)?",
    r"try(?: to)?",
    r"(?:have|did) you (?:tried|try)",
    r"make sure (?:to|you)",
    r"be sure to",
    r"(?:it's|it is|that's|that is) (?:\w+ )?(?:fine|ok|okay|safe|best|good|better|important|"
    r"helpful|smart|wise) to",
    r"feel free to",
    r"go ahead and",
    r"remember to",
    r"best to",
    r"no need to",
    r"(?:fine|ok|okay|safe) to",
    r"it helps to",
)

#: Determiners and amounts between an instruction's verb and its object.
LEAD = _alt(
    r"some|a|an|the|your|any|all|those|these|more|extra|little|bit of|regular|plain|"
    r"gentle|taking|using|one|two|\d+ ?(?:mg|milligrams?)(?: of)?|\d+|of"
)


def directed(body: str) -> re.Pattern[str]:
    """A pattern for ``body`` said *to* the patient: at a clause's start after fillers, or
    after a framing phrase ("you can", "I'd recommend", "try")."""
    return re.compile(rf"(?:^(?:{FILL} )*|\b{FRAME} (?:{FILL} )*){body}")


#: Up to three words between an instruction's verb and the drug or remedy ("apply a thin
#: layer of Aquaphor").
_OBJ = r"(?:[\w'-]+ ){0,3}"

#: (kind, pattern) over one clause, for instructions addressed to the patient.
INSTRUCTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "medication",
        directed(
            rf"(?:take|taking|pop|popping|grab|try|trying|use|using|apply|applying|put|putting|"
            rf"rub|rubbing|dab|start|starting|continue|keep taking|switch to|stick with|wear|"
            rf"reapply|add) (?:on )?{_OBJ}(?:{MEDS}|{REMEDIES})"
        ),
    ),
    (
        "medication",
        directed(
            rf"(?:stop|stopping|quit|pause|pausing|discontinue|hold off on|hold|skip|skipping|"
            rf"avoid|avoiding|stay off|come off|cut out|lay off|don't take|do not take|no more) "
            rf"{_OBJ}{MEDS}"
        ),
    ),
    (
        "medication",
        directed(rf"(?:ice|icing) (?:it|them|that|this|there|for|every|on|(?:{LEAD} )*{BODY})"),
    ),
    (
        "medication",
        directed(
            rf"(?:avoid|avoiding|skip|skipping|no|stay away from|stay out of|hold off on|limit|"
            rf"cut out|steer clear of) {_OBJ}{ACTIVITIES}|(?:avoid|avoiding|stay out of|limit) sun\b|no sun (?:for|until)\b"
        ),
    ),
    (
        "medication",
        directed(
            r"(?:don't|do not|try not to|never|avoid) (?:pick|peel|touch|rub|massage|scratch|press|"
            r"exfoliate|exercise|work out|lie down|lie flat|sleep on|wear makeup|put (?:on )?"
            r"(?:any )?makeup|"
            r"drink|pop|squeeze|get it wet|go in the sun|tan|shave|wax|swim|fly|bend over|"
            r"lift|sweat)"
        ),
    ),
    (
        "medication",
        directed(
            rf"keep (?:it|them|(?:{LEAD} )*{BODY}) (?:clean|dry|cool|moisturi[sz]ed|hydrated|"
            r"elevated|upright|covered|out of the sun|iced|protected|still)"
        ),
    ),
    (
        "medication",
        directed(
            r"(?:stay (?:upright|out of the sun|hydrated|cool|elevated)|sleep (?:on your back|"
            r"elevated|upright|propped|with your head)|elevate|moisturi[sz]e|drink (?:plenty of |"
            r"lots of |more )?water|(?:wash|cleanse) (?:(?:it|the area|your face) )?(?:gently|with))"
        ),
    ),
    (
        "treatment",
        directed(
            rf"(?:massage|massaging|rub|rubbing|knead|kneading|press on|pressing on|press|squeeze|"
            rf"squeezing|pinch|warm) (?:it|them|that|this|gently|firmly|(?:{LEAD} )*{BODY})"
        ),
    ),
    (
        "treatment",
        directed(
            rf"(?:get|getting|have|having) (?:(?:{LEAD} )*{TREATMENTS}|(?:it|them|that) "
            rf"(?:dissolved|drained))"
        ),
    ),
)

#: How a symptom passes: verbs of "it goes away", "it'll settle", "it wears off".
_PASSES = (
    r"(?:go(?:es)? (?:away|down)|resolves?|settles?(?: down)?|fades?|subsides?|heals?|"
    r"calms? down|disappears?|clears? up|gets? better|evens? out|softens?|improves?|"
    r"pass(?:es)?|wears? off|smooths? out|be gone|goes? back to normal)"
)
_MODAL = r"(?:'ll|will|should|usually|typically|normally|generally|often|tends? to|may|might|can)"
_INTENSE = (
    r"(?:totally|completely|perfectly|very|pretty|super|quite|really|100%|actually|"
    r"probably|likely|most likely|just|all|still|usually|normally|generally|absolutely)"
)

#: (kind, pattern, counts in a question) over one sentence, wherever they stand.
STATEMENTS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    # a dose: "400mg of ibuprofen", "take 2 x 200 mg"
    (
        "medication",
        re.compile(
            rf"\b\d+(?:\.\d+)? ?(?:mg|milligrams?|mcg|ml)\b.*\b{MEDS}|{MEDS}.*\b\d+(?:\.\d+)? ?"
            r"(?:mg|milligrams?|mcg|ml|%)(?!\w)|\b(?:take|taking)\b.*\b\d+(?:\.\d+)? ?"
            r"(?:mg|milligrams?|mcg|ml)\b"
        ),
        True,
    ),
    # a drug named at all ("Tylenol is your best bet"): front desks quote drugs only from records
    ("medication", re.compile(rf"\b{DRUGS}"), False),
    # a remedy that works: "a cold compress will help", "arnica goes a long way"
    (
        "medication",
        re.compile(
            rf"\b(?:{MEDS}|{REMEDIES})(?: or \w+)? (?:will |should |can |may |might |usually |"
            r"often |really |also )?(?:help|helps|work|works|reduce|reduces|ease|eases|soothe|"
            r"soothes|calm|calms|bring it down|brings it down|take care of|takes care of|"
            r"speed up|speeds up|relieve|relieves|fix|fixes|goes a long way)\b"
        ),
        True,
    ),
    # "keep icing", "continue massaging"
    (
        "medication",
        re.compile(r"\b(?:keep|continue|continuing) (?:icing|massaging|applying|using|taking)\b"),
        True,
    ),
    # "wait 24 hours before working out"
    (
        "medication",
        re.compile(
            r"\bwait (?:\S+ ){0,4}(?:before|to|until) (?:\S+ ){0,3}(?:exercis\w+|work(?:ing)? out|"
            r"drink\w*|lie down|lying down|wash\w*|apply\w*|makeup|touch\w*|massag\w+|"
            r"shower\w*|swim\w*|fl(?:y|ying)|facials?|tanning|retinol|sauna)\b"
        ),
        True,
    ),
    # "it's fine to fly after filler"
    (
        "reassurance",
        re.compile(
            rf"\b(?:{_INTENSE} )?(?:fine|ok|okay|safe) to (?:fly|exercise|work out|drink|travel|"
            r"shower|swim|wear makeup|put on makeup|get a facial|lie down|sleep on|go in the sun|"
            r"tan|wash|massage|touch|rub|ice|go back to work)\b"
        ),
        True,
    ),
    # "that's normal", "it's nothing", "what you're describing is expected"
    (
        "reassurance",
        re.compile(
            r"\b(?:that|this|it|which|what you(?:'re| are) (?:feeling|seeing|describing|noticing|"
            rf"experiencing))(?:'s| is| are| sounds| seems| looks| should be| will be)(?: {_INTENSE})* "
            r"(?:normal|expected|to be expected|typical|common|harmless|benign|nothing|"
            r"not (?:a )?(?:concern|serious|dangerous|a big deal|unusual|abnormal|a problem)|"
            r"no (?:cause|reason) for (?:concern|alarm))\b"
            r"(?! (?:business|hours|price|pricing|rates?|schedule|policy|question|request)\b)"
            r"(?! to (?:need|book|want|ask|come|schedule|start|do|have questions?|feel nervous|"
            r"be nervous|wonder)\b)"
            r"(?! for (?:people|patients|most|first|men|women|clients)\b)"
        ),
        False,
    ),
    # "totally normal!", "normal to feel heavy", "common after filler"
    (
        "reassurance",
        re.compile(
            r"\b(?:totally|completely|perfectly|very|super|pretty|quite|100%) "
            r"(?:normal|expected|harmless)\b(?! to (?:have questions?|feel nervous|be nervous|"
            r"ask|wonder)\b)|"
            r"\b(?:normal|common|expected|typical) (?:for (?:\w+ ){1,3})?"
            r"(?:to (?:have|feel|see|get|notice|experience)"
            r"(?! (?:questions?|a question|nervous|anxious|excited|unsure)\b)|"
            r"after (?:a|an|your|the|any|botox|filler|tox|treatment|injections?|a peel))\b"
        ),
        False,
    ),
    # "nothing to worry about", "I wouldn't worry", "not dangerous"
    (
        "reassurance",
        re.compile(
            r"\b(?:nothing|not (?:anything|something)) to (?:worry|be worried|be concerned|"
            r"stress) about\b|\bno need to (?:worry|panic|be (?:worried|concerned|alarmed))\b|"
            r"\bnothing (?:serious|dangerous|to be concerned about)\b|"
            r"(?:\bnot|n't) (?:serious|dangerous|harmful)\b|\bwouldn't (?:worry|be worried)\b|"
            r"\bno (?:cause|reason) for (?:concern|alarm)\b|\bnothing wrong\b|"
            r"\bpart of (?:the )?(?:normal )?(?:healing|recovery|process)\b|\bhang in there\b"
        ),
        False,
    ),
    (
        "reassurance",
        re.compile(
            rf"\bdon'?t (?:worry|panic)\b.*\b{SYMPTOMS}|\b{SYMPTOMS}.*\bdon'?t (?:worry|panic)\b"
        ),
        False,
    ),
    # "it will go away on its own", "the swelling goes down", "it'll be gone by Friday"
    (
        "reassurance",
        re.compile(
            rf"\b(?:it|that|this|they|those|these)(?: {_MODAL}| {_MODAL} \w+|'ll) {_PASSES}\b|"
            rf"\b{SYMPTOMS}(?: \w+){{0,3}}(?: {_MODAL})?(?: \w+)? {_PASSES}\b|"
            rf"\b{_PASSES} (?:on (?:its|their) own|by (?:itself|themselves)|without treatment|"
            r"naturally)\b"
        ),
        False,
    ),
    # "it's completely safe for you", "you'll be fine"
    (
        "reassurance",
        re.compile(
            rf"\b(?:it|that|this)(?:'s| is| should be| will be)(?: {_INTENSE})* safe\b"
            r"(?=\s*(?:[.!,;]|$| for you| to (?:take|use|get|have|do|continue|keep|exercise|"
            r"work out|fly|drink|wear|travel|shower|wash|sleep|lie|go|ignore|mix)\b| while| "
            r"during| after| with| if| since))|"
            r"\bsafe for you\b|\bsafe (?:for you )?to (?:take|use|continue|keep|exercise|work out|"
            r"fly|drink|wear|shower|wash|sleep|lie|ignore|mix)\b|"
            rf"\byou(?:'re| are|'ll be| will be| should be)(?: {_INTENSE})* (?:fine|ok|okay|safe|"
            r"alright|all right)\b(?! (?:to|for|with|on)\b)|"
            r"\bwon't (?:hurt|harm) (?:you|the baby)\b"
        ),
        False,
    ),
    # "the swelling looks fine", "lumps after filler are common"
    (
        "reassurance",
        re.compile(
            rf"\b{SYMPTOMS}(?: \w+){{0,3}} (?:is|are|looks|sounds|seems)(?: {_INTENSE})* "
            r"(?:fine|ok|okay|normal|expected|common|typical|nothing|harmless|not serious)\b"
        ),
        False,
    ),
    # "sounds like an allergic reaction", "you probably have an infection"
    (
        "diagnosis",
        re.compile(
            r"\b(?:sounds? like|looks? like|seems? like|appears? to be|(?:could|might|may|must) "
            r"(?:just |well )?be|(?:it|that|this|these|those|they|your \w+)(?:'s|'re| is| are)|"
            r"you(?:'ve| have)(?: got)?|you(?:'re| are) (?:having|getting|experiencing|dealing "
            r"with)|you (?:probably|likely|might|may|could|must) (?:have|be having|be getting)|"
            r"probably|likely|most likely|definitely|almost certainly|a sign of|signs of|"
            r"symptoms? of|consistent with|caused by)"
            r"(?: (?:just|only|probably|likely|definitely|most likely|simply|some|a bit of|a little|"
            r"mild|minor|normal|typical|not|you(?:'re| are) (?:having|getting)|you have|an?|"
            r"(?:the|your) (?:filler|botox|tox|product)))* " + CONDITIONS
        ),
        False,
    ),
    # "come in for hyaluronidase", "we can dissolve it"
    (
        "treatment",
        re.compile(
            r"\b(?:come in (?:for|to get|to have)|you(?:'ll| will)? (?:need|want)|you should "
            r"(?:get|have)|(?:we|they|a provider|your provider|the nurse|the doctor)(?:'ll| will| "
            r"can| could| would| may| might)? (?:need to )?(?:give you|inject|prescribe|put you "
            r"on|start you on|add)|needs? to be|i'd (?:recommend|suggest)|the (?:fix|"
            rf"treatment|cure) is|best (?:option|treatment) is)(?: \w+){{0,3}} {TREATMENTS}|"
            r"\b(?:we|they|a provider|your provider)(?:'ll| will| can| could)? (?:just )?"
            r"(?:dissolve|drain) (?:it|them|that|the \w+)"
        ),
        True,
    ),
)

#: A sentence telling the patient to get emergency care: never replaced by the handoff reply.
EMERGENCY = re.compile(r"\b911\b|\bemergency room\b|\bnearest er\b|\bthe er\b|\bpoison control\b")

#: A clause that declines to judge ("I can't say whether that's normal").
REFUSAL = re.compile(
    r"\b(?:can't|cannot|can not|unable to|not able to|won't|not allowed to|not qualified to|"
    r"not the right person to|don't want to)(?: \w+){0,2} (?:say|tell|advise|diagnose|recommend|"
    r"give|answer|know|judge|comment|assess|confirm|evaluate|guess)\b"
)

#: Words before a match that turn it into an open question ("a provider will tell you
#: whether that's normal", "our nurse will let you know if you can take ibuprofen"); a bare
#: "if" is a condition, not a hedge ("if it's sore, take Advil" is advice).
HEDGE = re.compile(
    r"(?:\bwhether|\b(?:know|tell|tells|say|sure|check|ask|asking|confirm|see|decide|advise|"
    r"determine|find out|look at|evaluate|assess|wonder|unsure|question|about)(?: \w+){0,2} "
    r"(?:if|why|how))\b(?: \S+){0,4} ?$"
)
