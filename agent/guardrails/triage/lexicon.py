"""The red-flag lexicon: the signs that make a text an emergency, from published sources.

Each :class:`RedFlag` is a family of regular expressions over a prepared sentence
(:mod:`agent.guardrails.triage.text`: lowercase, no apostrophes, typos mended). Sources:

- **Anaphylaxis**: Sampson HA et al., "Second symposium on the definition and management of
  anaphylaxis", NIAID/FAAN, J Allergy Clin Immunol 2006;117:391-7: acute skin or mucosal
  signs (hives, itch, flushing, swollen lips/tongue/uvula) with breathing trouble (dyspnea,
  wheeze, stridor) or low blood pressure (collapse, fainting), or two or more of skin, breathing,
  low blood pressure and persistent gut symptoms (cramps, vomiting) after a likely allergen.
- **Dermal filler in a blood vessel**: FDA Safety Communication, "Unintentional Injection of
  Soft Tissue Filler into Blood Vessels in the Face" (May 2015): vision abnormalities or
  blindness, stroke, skin damage; signs are unusual pain during or soon after injection and
  skin blanching (whitening), dusky or mottled (lacy) discoloration, coldness, scabs.
- **Botulinum toxin distant spread**: the boxed warning of Botox, Dysport, Xeomin, Jeuveau
  and Daxxify labels: generalized muscle weakness, double or blurred vision, drooping
  eyelids, trouble swallowing, trouble speaking (dysphonia, dysarthria), loss of bladder
  control and breathing difficulties, hours to weeks after injection; swallowing and
  breathing difficulties can be life threatening.
- **Stroke**: CDC and American Stroke Association "BE FAST": balance loss, eyes (sudden
  vision loss), face drooping, arm or leg weakness on one side, speech slurred or confused,
  time to call 911; also a sudden severe headache and sudden confusion.
- **Heart attack**: American Heart Association warning signs: chest pain, pressure,
  squeezing or fullness; pain in one or both arms, the back, neck or jaw; shortness of breath;
  cold sweat, nausea or lightheadedness.
- **IV therapy reactions**: the same anaphylaxis and cardiac signs during or after an
  infusion, and infiltration/extravasation (a swollen, cold, blanched or very painful arm).
- **Self-harm**: 988 Suicide & Crisis Lifeline and NIMH warning signs: talking about wanting
  to die or to kill oneself, feeling a burden or having no reason to live.
- Seizure, unresponsiveness and bleeding that will not stop (911 in any first-aid guide).

A flag may be *idiomatic* (patients also say it figuratively: "can't breathe", "passed out",
"heart attack", "kill myself") and may *need support* before it counts as an emergency:
``"treatment"`` (a treatment, injection, infusion or recent visit is mentioned, or a face
area is named), ``"symptom"`` (another sign or symptom is mentioned too). Unsupported, it is a
medical concern.
"""

from __future__ import annotations

from agent.guardrails.triage.lexicon_systemic import SYSTEMIC_FLAGS
from agent.guardrails.triage.redflag import (
    _BREATH,
    _CANT,
    _CHANGE,
    _COLOR,
    _POSS,
    _W,
    FACE,
    RedFlag,
)
from agent.guardrails.triage.redflag import rx as _rx

__all__ = ["RED_FLAGS"]

_LOCAL_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "breathing",
        "anaphylaxis",
        _rx(
            rf"\b{_CANT} {_W}{{0,2}}?{_BREATH}\b",
            r"\b(?:short(?:ness)? of breath|out of breath|breathless|wheez\w*|gasping|gasp for air|"
            r"struggling for air|air hunger|not breathing|stopped breathing|isnt breathing|"
            r"stridor|cant get air|no air|dyspn\w*|stopping to breathe|without (?:stopping|"
            r"pausing) (?:to|for) (?:a )?breath\w*|(?:cant|can not|cannot) (?:finish|complete|get "
            r"through) (?:a |my )?sentences?|breathing through a (?:\w+ )?(?:straw|stirrer|pillow|"
            r"tube|pinhole)|(?:noise|noises|sound|sounds|whistle|squeak\w*|wheeze|rattle) (?:\w+ )"
            r"{0,4}?(?:breath\w*)|breath\w* (?:\w+ ){0,3}?(?:sounds?|is) (?:\w+ )?(?:whistl\w*|squeak\w*|"
            r"rattl\w*|high pitched|noisy|raspy|wheezy|like a \w+)|whistl\w* (?:\w+ ){0,3}?breath\w*|"
            r"breath\w* (?:\w+ ){0,3}?whistl\w*|get a (?:full|deep|proper|good|real) breath)\b",
            r"\bbreathing (?:is |feels |seems |got |getting |has been |sounds )?(?:\w+ )?(?:hard|"
            r"harder|difficult|labou?red|heavy|shallow|weird|funny|strange|off|fast|rapid|noisy|"
            r"raspy|tight|restricted|wheezy|scary|bad)\b",
        ),
        idiomatic=True,
        topic="trouble breathing",
    ),
    RedFlag(
        "airway",
        "anaphylaxis",
        _rx(
            r"\b(?:throat|airway|windpipe|tongue|uvula)s? (?:\w+ ){0,4}?(?:clos\w*|tight\w*|"
            r"swell\w*|swollen|thick\w*|constrict\w*|narrow\w*|blocked|puff\w*|huge|big|fat|"
            r"feels? (?:weird|funny|strange|full))\b",
            r"\b(?:tight|tightening|closing|swollen|swelling|thick|puffy|fat) (?:\w+ )?"
            r"(?:throat|tongue|airway)\b",
            r"\b(?:itchy|scratchy|tingly) throat\b|\bthroat (?:is |feels )?(?:itchy|tingly)\b|"
            r"\bangio ?edema\b",
        ),
        topic="throat or tongue swelling",
    ),
    RedFlag(
        "swallowing",
        "toxin_spread",
        _rx(
            rf"\b{_CANT} {_W}{{0,2}}?swallow\w*\b",
            r"\bswallow\w* (?:is |feels |seems |has been |got |getting )?(?:\w+ )?(?:hard|harder|"
            r"difficult|weird|funny|strange|off|impossible|a struggle)\b",
            r"\b(?:water|drinks?|liquids?|food|coffee|soup) (?:\w+ ){0,3}?(?:runs?|running|dribbl\w*|"
            r"leak\w*|spill\w*|falls?|pours?|comes?) out\b|\bmouth (?:\w+ )?(?:wont|cant|doesnt|will "
            r"not) (?:close|shut|stay closed)\b|\b(?:like a |feels like a )?(?:golf ball|lump|rock) "
            r"(?:\w+ ){0,2}?(?:stuck )?in (?:my|her|his) throat\b",
            r"\b(?:food|water|drinks?|liquids?|pills?|spit|saliva|sips?|stuff|things|everything|"
            r"it) (?:\w+ ){0,3}?(?:stuck|(?:going|goes|went|go) down (?:the )?wrong|come out "
            + _POSS
            + r" nose|comes? back up|wont go down|"
            r"not going down|dribbl\w*|spill\w* out)\b",
            r"\bchok\w*\b|\bdrooling\b|\bgagg?ing\b|\bgag when\b|\bdysphagia\b",
        ),
        idiomatic=True,
        topic="trouble swallowing",
    ),
    RedFlag(
        "speech",
        "toxin_spread",
        _rx(
            r"\bslurr\w*\b|\bsounds? (?:\w+ )?drunk\b|\bdys(?:arthria|phonia)\b|\bspeech (?:\w+ ){0,3}?(?:slurred|weird|"
            r"funny|strange|off|garbled|jumbled|wrong|not right|thick|slow|mushy)\b",
            rf"\b{_CANT} {_W}{{0,2}}?(?:speak\w*|talk\w*|get {_POSS} words out|form words|"
            r"find (?:my |the )?words|pronounc\w*|say words|make words|get words out)"
            r"(?: (?:right|properly|normally|clearly|straight|well|correctly|anymore|at all))?\b",
            r"\b(?:words?|talking|speaking|speech) (?:\w+ ){0,4}?(?:mushy|mumbly|thick|funny|weird) ?\b|"
            r"\bhabla raro\b|\b(?:words?|talking|speaking) (?:\w+ ){0,3}?(?:slurred|garbled|jumbled|coming out "
            r"wrong|come out wrong|not coming out|mumbl\w*|nonsense|gibberish)\b",
            r"\b(?:talking|speaking|speech|chewing) (?:is|feels|got|has been|getting) (?:\w+ )?"
            r"(?:hard|harder|difficult|slow|weird|a struggle)\b|\btongue (?:\w+ ){0,2}?(?:slow|"
            r"heavy|clumsy|thick|not working|wont work|lazy)\b",
        ),
        topic="trouble speaking",
    ),
    RedFlag(
        "voice",
        "toxin_spread",
        _rx(
            r"\bvoice (?:\w+ ){0,3}?(?:hoarse|raspy|changed|changing|muffled|weak|different|gone|"
            r"weird|funny|strange|nasal|breathy)\b|\b(?:lost|losing) (?:my|her|his) voice\b|"
            r"\bhoarse\b",
        ),
        needs="treatment",
        topic="voice changes",
    ),
    RedFlag(
        "weakness",
        "toxin_spread",
        _rx(
            r"\b(?:whole body|all over|entire body|my body|her body|his body|muscles?|arms and "
            r"legs|legs and arms|limbs|everything) (?:\w+ ){0,3}?(?:weak\w*|limp|floppy|giving out|"
            r"gave out|like jelly|wont work|not working)\b",
            r"\b(?:weak|weakness|floppy) (?:all over|everywhere|in " + _POSS + r" (?:whole body|"
            r"arms|legs|body|neck|muscles))\b|\bgenerali[sz]ed (?:muscle )?weakness\b",
            rf"\b{_CANT} (?:\w+ )?(?:lift|hold up|raise|keep up|keep open|hold) (?:my|her|his) "
            r"(?:head|arms?|legs?|neck|eyelids?|eyes? open)\b",
            r"\b(?:too|so|very|really) weak (?:to|i|she|he)\b|\bcan (?:barely|hardly) "
            r"(?:walk|stand|move|hold)\b|\b(?:cant|cannot) (?:walk|stand) (?:up|straight)\b",
            r"\b(?:lost|losing|no) (?:control of|bladder control)\b|\bpee\w* (?:my|her|him)sel\w*\b|"
            r"\bwet (?:my|her|him)self\b|\bbladder\b",
            r"\b(?:legs?|arms?|neck|body|muscles?) (?:\w+ ){0,3}?(?:feel|feels|are|is|"
            r"went|getting|so|really) (?:\w+ )?(?:weak|floppy|limp|like jelly|like noodles)\b",
        ),
        topic="weakness",
    ),
    RedFlag(
        "vision",
        "vascular",
        _rx(
            r"\b(?:blurr?y|blurred|blurriness|foggy|hazy|cloudy|fuzzy|dim|dark|double|spotty|"
            r"patchy|wavy|gr[ae]y|black|weird|funny|bad|impaired) (?:\w+ )?(?:vision|sight|"
            r"eyesight)\b",
            r"\b(?:vision|sight|eyesight) (?:\w+ ){0,5}?(?:blurr?y|blurred|blurring|foggy|hazy|"
            r"cloudy|fuzzy|dim|dimming|dark|darker|darkening|double|spotty|patchy|weird|off|funny|"
            r"strange|wavy|gone|going|went|black|gr[ae]y|changed|changing|problems?|issues?|"
            r"loss|lost|worse|bad|not right|blacked out|cut out|shadow)\b",
            r"\b(?:lost|losing|loss of|lose) (?:\w+ )?(?:vision|sight|eyesight)\b",
            rf"\b{_CANT} (?:\w+ )?see (?:out of|from|with|through|anything|properly|clearly|well|"
            r"straight|right|normally|in (?:my|her|his)|the (?:left|right)|on (?:my|her|his|the))",
            r"\bseeing (?:spots|stars|flashes|sparkles|black|dark|two of|floaters|"
            r"flashing)\b|\b(?:curtain|shadow|black|dark|gr[ae]y) (?:spot|patch|"
            r"area|shade|blob|cloud|smudge|shadow) (?:\w+ ){0,8}?(?:vision|eye|sight)\b|\b(?:dark|black|"
            r"gr[ae]y|blind) spot "
            r"(?:in|on) (?:the )?(?:middle|center|centre|corner|side)\b|\b(?:curtain|veil|shade|"
            r"film) (?:\w+ ){0,8}?(?:eye|eyes|vision|sight)\b",
            r"\b(?:see|seeing|sees) two of (?:everything|things|you)\b|\bdiplopia\b|\b(?:everything|"
            r"everythings|things|its all|all) (?:\w+ ){0,2}?doubled?\b",
            r"\b(?:foggy|blurr?y|cloudy|hazy|dark|dim|fuzzy|blurred|smudged|milky) (?:\w+ ){0,3}?"
            r"(?:out of|in|from|with) (?:my|her|his) (?:left |right )?eyes?\b|\bwhat (?:i|she|he) "
            r"(?:see|sees|can see)\b|\b(?:see|sees|seeing) (?:only )?half\b|\bonly (?:see|sees) "
            r"half\b|\bhalf of (?:things|everything|what)\b|\blooking through (?:a |some )?(?:\w+ )?"
            r"(?:dirty|foggy|wax|frosted|smudged|steamy|greasy|fog|haze|veil)\b|\b(?:left|right) "
            r"side of everything\b",
            r"\beverything (?:\w+ ){0,2}?(?:blurr?y|blurred|foggy|hazy|double|dim|fuzzy|wavy|"
            r"cloudy|dark)\b|\bblurr?y\b(?! photo| pic| picture| video| image)",
            r"\beyes? (?:\w+ ){0,3}?(?:pain|hurts?|hurting|aching|throbbing|painful|blurr?y|"
            r"foggy|cloudy|went dark|going dark|wont open|cant open|swollen shut)\b|\beye pain\b",
        ),
        topic="vision changes",
        lasts=True,
    ),
    RedFlag(
        "blind",
        "vascular",
        _rx(
            r"\bseeing double\b|\bblind(?:ness|ed)?\b(?! (?:date|dates|side|taste|trust|spot (?:in|of|on) "
            r"(?:my|the|your) (?:schedule|calendar)))",
        ),
        idiomatic=True,
        topic="vision changes",
        lasts=True,
    ),
    RedFlag(
        "skin_color",
        "vascular",
        _rx(
            r"\b" + FACE + r" (?:\S+ ){0,8}?" + _COLOR + r"\b",
            r"\b"
            + _COLOR
            + r" (?:\w+ ){0,3}?(?:on|around|across|near|under|by|over|along) (?:my|her|"
            r"his|the|their) (?:\w+ )?" + FACE + r"\b",
            r"\b(?:fishnet|fish net|net|lace|lacy|web|marble|marbled|map|spider ?web|lattice|mesh|"
            r"honeycomb|checker\w*|leopard) (?:\w+ )?(?:pattern|looking|like|print)\b|\blike a "
            r"(?:fishnet|net|map|web|spider ?web|marble|bruise but|shadow|stain)\b|\blooks? "
            r"(?:\w+ )?(?:dirty|dusky|bruised|blotchy)\b|\bwont wash off\b",
            r"\b(?:dark|gr[ae]y|bluish|purple|purplish) shadow\b|\b(?:white|pale|gr[ae]y) (?:spots?|"
            r"patches|dots) (?:\w+ ){0,3}?(?:burn|burns|burning|hurt|hurts|pain|painful)\b",
            r"\b(?:cyano\w*|capillary refill (?:is )?(?:slow|delayed|sluggish|prolonged))\b",
            r"\bskin (?:\w+ ){0,5}?" + _CHANGE + r" (?:\w+ )?" + _COLOR + r"\b",
            r"\b(?:is|its|looks?|turned|turning|gone|went|getting|kind of|kinda) (?:\w+ ){0,2}?"
            r"(?:gr[ae]y|gr[ae]yish|white|whitish|blanched|mottled|dusky|bluish|chalky|ashen)\b",
            r"\b(?:web|net|lace|spider ?web|vein|veiny|veins|lattice)\w* (?:like|looking|pattern|"
            r"shaped)\b|\b(?:bluish|purplish|purple|blue|red|dark) (?:\w+ )?(?:web|net|lace|"
            r"veins?|lines?|streaks?)\b",
            r"\b"
            + _COLOR
            + r" (?:\w+ ){0,2}?(?:patch|patches|area|mark|marks|discolou?ration|part|"
            r"bit|section|ring|circle|"
            r"pattern|streaks?|tinge|tint|colou?r|lips?|nose|fingers?|blotch\w*|web)\b",
            r"\b(?:blanch\w*|mottl\w*|dusky|livedo\w*|necros\w*|lace like|net like|netlike|"
            r"web like|cobweb|reticular|marbl\w*)\b|\bskin (?:\w+ ){0,2}?dying\b",
            r"\b(?:scab\w*|blisters?|sores?) (?:\w+ ){0,8}?(?:spread\w*|getting bigger|growing|"
            r"turning black|black|dark)\b",
        ),
        needs="treatment",
        topic="skin color changes",
    ),
    RedFlag(
        "severe_pain",
        "vascular",
        _rx(
            r"\b(?:severe|extreme|excruciating|unbearable|intense|insane|crazy|horrible|horrific|"
            r"terrible|awful|agonizing|agonising|worst|really bad|super bad|so much|throbbing|"
            r"sharp|shooting|stabbing|searing|killer|immense|incredible|unreal|serious|"
            r"major) (?:\w+ )?(?:pain|pains|ache|aching|burning|throbbing)\b",
            r"\b(?:hurts?|hurting|painful|throbbing|aching|burning|burns|stings?) (?:\w+ )?(?:so "
            r"bad|so badly|really bad|so much|like hell|like crazy|like fire|like nothing|more "
            r"and more|worse and worse|worse|unbearabl\w*|terribl\w*|horribl\w*|insanely|a ton|"
            r"like a \w+|too much)\b",
            r"\b(?:really|so|very|extremely|super|insanely|incredibly|excruciatingly) painful\b|"
            r"\bache\w* deep\b|\bdeep (?:\w+ )?(?:ache|aching|pain)\b",
            r"\b(?:pain|painful|hurting|hurts|burning|throbbing|sore) (?:\w+ ){0,8}?(?:getting worse|is worse|"
            r"worsening|unbearable|spreading|increasing|keeps? getting|wont stop|not stopping|"
            r"10 ?/ ?10|10 out of 10|ten out of ten|9 ?/ ?10|off the charts|worse and worse)\b",
            r"\bin (?:so much|a lot of|severe|terrible|agonizing|excruciating|extreme|real) pain\b",
            r"\b(?:screaming|crying|sobbing|tears) (?:\w+ )?(?:in|from|with|bc of|because of) "
            r"(?:the )?pain\b",
        ),
        needs="treatment",
        topic="severe pain",
    ),
    RedFlag(
        "killing_me",
        "vascular",
        _rx(r"\b" + FACE + r" (?:is |are )?killing (?:me|her|him)\b"),
        idiomatic=True,
        needs="treatment",
        topic="severe pain",
    ),
    RedFlag(
        "severe_swelling",
        "anaphylaxis",
        _rx(
            r"\b(?:face|eyes?|eyelids?|tongue|throat|whole face|entire face|neck|head|lips and "
            r"(?:tongue|face|eyes)) (?:\w+ ){0,3}?(?:swell\w* up|blow\w* up|blew up|puff\w* up|"
            r"balloon\w*|huge|enormous|massive|swollen shut|swelling shut|wont open|cant open|"
            r"swelling fast|getting bigger)\b",
            r"\b(?:swelling|swollen|puffy|puffing) (?:\w+ ){0,3}?(?:fast|quickly|rapidly|spread\w*|"
            r"getting worse|worse and worse|wont stop|keeps? getting|by the minute|like crazy|"
            r"out of control|to " + _POSS + r" (?:eyes?|neck|throat)|shut)\b",
            r"\b(?:severe|massive|huge|extreme|rapid|sudden|major|crazy|insane|scary) swelling\b",
        ),
        topic="fast swelling",
    ),
    RedFlag(
        "allergic_reaction",
        "anaphylaxis",
        _rx(
            r"\b(?:anaphyla\w*|anaphala\w*|anafala\w*|anaphylactic shock)\b(?! to)",
            r"\b(?:used|use|using|needed|need|gave|give|giving|grab\w*|jabbed|stabbed|injected) "
            r"(?:\w+ ){0,2}?(?:epi ?pens?|epinephrine|auvi ?q|epi)\b|\b(?:epi ?pens?|epinephrine"
            r"|auvi ?q) (?:\w+ )?(?:used|given|in|injected|twice|didnt help|not helping)\b",
            r"\b(?:having|going into|in|think (?:im|i am|she is|shes|he is|hes|its)|some kind of|"
            r"bad|severe|major|serious|scary) (?:an? )?(?:\w+ )?allergic reaction\b",
            r"\bgoing into shock\b|\bin shock\b(?! (?:at|over|by|from|when|about))",
        ),
        topic="an allergic reaction",
    ),
    RedFlag(
        "fainting",
        "anaphylaxis",
        _rx(
            r"\b(?:passed out|pass out|passing out|fainted|faint|fainting|blacked out|black out|"
            r"blacking out|collaps\w*|lost consciousness|losing consciousness|unconscious|"
            r"unresponsive|(?:not|isnt|stopped|wont) responding|wont wake up|slumped over|"
            r"cant wake (?:\w+ ){0,2}?up|wont open (?:her|his|my|their) eyes|"
            r"(?:isnt|not|stopped) breathing|cant wake (?:her|him|them|me) up|keeled "
            r"over|went limp|hit the floor|going to faint|gonna faint|about to faint|"
            r"feel faint|presyncop\w*|syncop\w*|nodding off|cant stay awake|cant keep (?:my |her |"
            r"his )?eyes open|out cold|went stiff|stiff and (?:started )?shaking)\b(?! (?:bruise|line|mark|scar|smell|colou?r|outline|trace|hint|pink|"
            r"red|spot|shadow|memory|idea|glow|sheen|redness))",
        ),
        idiomatic=True,
        topic="fainting",
    ),
    RedFlag(
        "doom",
        "anaphylaxis",
        _rx(
            r"\b(?:feel|feels|felt|feeling) like (?:im|i am|she is|shes|hes|he is|i m|i\'m) "
            r"(?:dying|going to die|gonna die|about to die)\b|\b(?:sense of|feeling of) "
            r"(?:impending )?doom\b|\bi think (?:im|i am) dying\b",
        ),
        idiomatic=True,
        topic="feeling very unwell",
    ),
)

#: Every red flag, local signs (skin, airway, vision) first.
RED_FLAGS: tuple[RedFlag, ...] = _LOCAL_FLAGS + SYSTEMIC_FLAGS
