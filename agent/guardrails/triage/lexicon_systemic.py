"""Red flags of the whole body: heart, stroke, seizure, bleeding, IV reactions and self-harm.

Sources are listed in :mod:`agent.guardrails.triage.lexicon`.
"""

from __future__ import annotations

from agent.guardrails.triage.redflag import RedFlag
from agent.guardrails.triage.redflag import rx as _rx

__all__ = ["SYSTEMIC_FLAGS"]

SYSTEMIC_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "chest",
        "cardiac",
        _rx(
            r"\bchest (?:\w+ ){0,2}?(?:pains?|hurts?|hurting|tight\w*|pressure|heavy|heaviness|"
            r"squeez\w*|crush\w*|burn\w*|ache|aching|discomfort|feels? (?:weird|funny|tight|heavy|"
            r"like)|is tight)\b",
            r"\b(?:pain|pressure|tightness|tight band|band|heaviness|squeezing|weight|elephant|"
            r"crushing|ache|sitting|standing|someone|something heavy|heavy|brick|rock|anvil) "
            r"(?:\w+ ){0,6}?chest\b(?! (?:hair|acne|area|laser|tattoo))",
            r"\b(?:clutch\w*|holding|grabbing|gripping) (?:my|her|his|their) chest\b|\bchest "
            r"(?:\w+ )?(?:feels|is|feeling) (?:\w+ )?(?:full|heavy|tight|weird|funny|squeezed)\b|"
            r"\b(?:substernal|retrosternal)\b|\bradiat\w* (?:\w+ ){0,2}?(?:jaw|arm|back|neck)\b|"
            r"\bbetween (?:my|her|his|the) shoulder blades\b|\bdiaphoretic\b|\bcall(?:ing|ed)? "
            r"(?:ems|911|an ambulance)\b",
            r"\bheart attack\b|\b(?:left )?arm and (?:my )?jaw\b|\bjaw and (?:left )?arm\b",
        ),
        idiomatic=True,
        topic="chest pain",
    ),
    RedFlag(
        "referred_pain",
        "cardiac",
        _rx(
            r"\b(?:pain|pressure|ache|aching|tightness|heaviness|squeezing|discomfort) (?:\w+ ){0,4}?"
            r"(?:upper back|back|jaw|neck|left arm|arm|shoulders?|shoulder blades)\b|\b(?:upper "
            r"back|jaw|neck|left arm|shoulder) (?:\w+ ){0,3}?(?:pain|pressure|hurts?|aches?|aching)\b",
        ),
        needs="symptom",
        topic="chest pain",
    ),
    RedFlag(
        "heart_racing",
        "cardiac",
        _rx(
            r"\b(?:heart|pulse|heartbeat|heart rate) (?:\w+ ){0,2}?(?:racing|pounding|beating "
            r"(?:\w+ )?fast|beating out of|fluttering|skipping|irregular|going crazy|wont slow "
            r"down|thumping|through the roof|going (?:a million|crazy|so fast|really fast))\b|"
            r"\bpalpitations?\b|\bheart is racing\b|\bmillion miles an hour\b|\bout of (?:my|her|"
            r"his) chest\b",
        ),
        idiomatic=True,
        needs="symptom",
        topic="a racing heart",
    ),
    RedFlag(
        "stroke",
        "stroke",
        _rx(
            r"\b(?:one side|half|left side|right side|side) of (?:my|her|his|the) (?:face|mouth|"
            r"body|smile|lips?) (?:\w+ ){0,3}?(?:droop\w*|sag\w*|numb\w*|weak\w*|wont move|cant "
            r"move|not moving|fallen|dropp\w*|paraly\w*|frozen|dead|tingl\w*|slumped)\b",
            r"\b(?:face|mouth) (?:\w+ ){0,3}?(?:droop\w*|sagg?\w*|fallen|dropp\w*|paraly\w*|"
            r"slumped|crooked|lopsided)\b",
            r"\b(?:arm|leg|hand|foot|side) (?:\w+ ){0,3}?(?:went|is|feels|has gone|suddenly) "
            r"(?:\w+ )?(?:numb|weak|limp|dead|heavy)\b|\b(?:half|one side) (?:of )?(?:my |her |his |"
            r"the |it )?(?:\w+ ){0,3}?(?:wont|cant|doesnt|isnt) (?:smile|move|moving|work|lift)\b|"
            r"\b(?:hand|arm|leg|fingers) (?:\w+ ){0,2}?"
            r"(?:wont|cant|cannot|doesnt|will not) (?:grip|hold|work|move|grab)\b|"
            r"\b(?:cant|cannot) (?:move|feel|lift) "
            r"(?:my|her|his) (?:left |right )?(?:arm|leg|hand|side)\b",
            r"\b(?:smile|face|mouth) (?:\w+ ){0,3}?(?:crooked|lopsided|uneven|droop\w*|off) (?:\w+ )"
            r"{0,4}?(?:all of a sudden|suddenly|out of nowhere)\b|\bonly one side (?:\w+ )?(?:goes "
            r"up|moves|works|lifts|smiles)\b|\b(?:bumping|walking|running) into (?:\w+ )?(?:walls?|"
            r"things|doors?|the wall)\b|\bfloor (?:is |feels )?(?:tilting|tilted|moving|slanted)\b|"
            r"\b(?:heavy|numb|droopy|weak|dead|tingly) on (?:one side|the (?:left|right)(?: side)?|my "
            r"(?:left|right)(?: side)?)\b|\bone side (?:of (?:my|her|his) "
            r"(?:face|body) )?(?:feels|is|went) (?:\w+ )?(?:heavy|numb|weak|dead)\b",
            r"\bheadache (?:\w+ ){0,6}?(?:like (?:someone|a|being) (?:\w+ )?(?:hit|bat|hammer|"
            r"thunder\w*|explosion|exploding|lightning)|never had one like)|\bnever had (?:a |one )?"
            r"(?:headache )?like (?:this|that) in (?:my|her|his) life\b",
            r"\b(?:worst|sudden|severe|excruciating|unbearable|extreme|blinding|splitting|"
            r"thunderclap|crazy|insane|horrible|terrible) headache\b|\bheadache (?:\w+ ){0,2}?"
            r"(?:of (?:my|her|his) life|ever|unbearable|so bad|worst)\b",
            r"\b(?:lost|losing|loss of|no) (?:my |her |his )?balance\b|\bcant (?:walk|stand) "
            r"straight\b|\b(?:room|everything) (?:is )?spinning\b",
        ),
        topic="stroke signs",
        lasts=True,
    ),
    RedFlag(
        "confusion",
        "stroke",
        _rx(
            r"\b(?:is|am|seems?|acting|gotten|getting|got|really|very|so|totally) (?:\w+ )?"
            r"(?:confused|disoriented|out of it|delirious|incoherent)\b(?! (?:about|by|with|"
            r"over|on|as to|why|what|which|how|if|whether|abt|re))",
            r"\b(?:doesnt|does not|dont|didnt) (?:\w+ )?(?:know|recogni[sz]e) (?:where|who|what "
            r"day)\b|\b(?:isnt|not|wont|stopped) answering\b|"
            r"\bnot making (?:any )?sense\b|\b(?:feel|feels|feeling) (?:so |really |very )?"
            r"(?:confused|disoriented|out of it)\b(?! (?:about|by|with|over|on|as to|why|what|which|"
            r"how|if|whether|abt|re))|\bkeep (?:losing|forgetting) what\b|\basking the same "
            r"(?:question|thing)\b",
        ),
        needs="symptom",
        topic="confusion",
    ),
    RedFlag(
        "seizure",
        "other",
        _rx(
            r"\b(?:staring at nothing|zoned out|blank stare|staring blankly|(?:arm|leg|face|body|hand) "
            r"(?:is |keeps |started |kept )?(?:twitching|jerking))\b",
            r"\b(?:seiz\w*|convuls\w*|having a fit|had a fit|jerking|shaking uncontrollably|"
            r"shaking all over|trembling all over|"
            r"uncontrollabl\w* "
            r"shak\w*|eyes? rolled back|jerking all over|twitching all over)\b",
        ),
        idiomatic=True,
        topic="a seizure",
    ),
    RedFlag(
        "bleeding",
        "other",
        _rx(
            r"\b(?:bleeding|bleed\w*|blood|nosebleed|nose bleed) (?:\w+ ){0,3}?(?:wont stop|will not stop|doesnt stop|"
            r"does not stop|isnt stopping|not stopping|keeps? coming|everywhere|heavily|so much|"
            r"gushing|pouring|spurting|squirting|soak\w*|through)\b",
            r"\bbleed\w* (?:\w+ ){0,10}?(?:cant|cannot|can not) (?:get it to |make it )?stop\b",
            r"\b(?:wont|cant|will not|cannot|doesnt|isnt|not) stop\w* (?:the )?bleed\w*\b|"
            r"\b(?:gushing|pouring|spurting|squirting) blood\b|\b(?:gushing|spurting)\b",
        ),
        topic="bleeding that won't stop",
    ),
    RedFlag(
        "iv_site",
        "iv_reaction",
        _rx(
            r"\b(?:iv|drip|infusion|cannula|needle) (?:site|spot|area|arm|hand)? ?(?:\w+ ){0,6}?"
            r"(?:swollen|swelling|hard|cold|ice cold|numb|white|blue|purple|gr[ae]y|burning|puffy|"
            r"balloon\w*)\b",
            r"\b(?:fore)?arm (?:\w+ ){0,3}?(?:rock hard|hard as a rock|cold to (?:the )?touch|puffy like|"
            r"like a balloon|swelling up)\b",
            r"\b(?:arm|hand) (?:\w+ ){0,3}?(?:swell\w* up|ballooned|huge|ice cold|turning (?:blue|"
            r"white|purple|gr[ae]y)|hard as a rock|cold and)\b",
        ),
        needs="treatment",
        topic="a reaction at the IV site",
    ),
    RedFlag(
        "self_harm",
        "self_harm",
        _rx(
            r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|end|ending|off|offing|"
            r"shoot|shooting|hang|hanging) (?:my ?self|myself|herself|himself|themselves)\b|\bkms\b|"
            r"\bsuicid\w*\b",
            r"\b(?:said|saying|say) (?:my )?goodbyes?\b|\b(?:no one|nobody|noone) (?:will|would|is "
            r"going to|gonna) (?:even )?(?:miss|notice|care)\b|\bpills (?:\w+ )?(?:lined up|ready|"
            r"counted|saved)\b|\bno point (?:in )?(?:living|going on|being here)\b|\bpoint (?:of|in) "
            r"waking up\b|\b(?:easier|better) (?:\w+ ){0,3}?(?:if i (?:was|were|wasnt|werent) "
            r"(?:gone|here|around|dead)|without me)\b|\bdisappear (?:for good|forever)\b|\b(?:drive|"
            r"crash) (?:\w+ )?into a (?:wall|tree|pole)\b|\b(?:jump|jumping) off\b|\btired of "
            r"(?:fighting|living|being alive)\b|\bwant (?:it|everything) (?:all )?to (?:be over|end|"
            r"stop)\b|\bsleeping pills\b|\b(?:wont|will not|not going to|not gonna) be alive\b|"
            r"\bmade up my mind\b|\b(?:given|giving|gave) (?:\w+ )?(?:stuff|things|belongings|"
            r"possessions|clothes) away\b|\blocked (?:her|him|my|them)sel\w* in\b",
            r"\b(?:end|ending|take|taking) (?:my|her|his) (?:own )?life\b|\bend (?:it|things|"
            r"everything) (?:all|now|tonight|for good)\b|\bunaliv\w*\b|\boverdos\w*\b"
            r"(?! on (?:your|the|those|these|tiktok|instagram|reels|coffee|caffeine|sugar|"
            r"chocolate|content|videos))",
            r"\b(?:want|wants|wanting|wanna|wanted|ready|wish|wishes|wishing|hope|hoping|going|gonna|"
            r"plan|planning) "
            r"(?:\w+ )?(?:to )?(?:die|be dead|not wake up|disappear forever|not exist|stop "
            r"existing)\b",
            r"\bwish (?:i|i was|i were|i could|i had) (?:\w+ )?(?:dead|die|never been born|"
            r"disappear)\b|\b(?:better off|be better) (?:dead|without me)\b",
            r"\b(?:dont|do not|no longer|not) (?:\w+ )?want to (?:be alive|live|be here|exist|"
            r"wake up|go on|keep going)\b|\bno (?:reason|point) (?:to|in) (?:live|living|go on|"
            r"going on|being alive)\b",
            r"\b(?:took|take|swallowed|taking) (?:a bunch of|all (?:my|the|of my|of the)|too many|"
            r"a whole bottle of) (?:\w+ )?(?:pills|meds|tablets|sleeping pills)\b",
            r"\b(?:cant|cannot) (?:go on|do this anymore|take (?:it|this) anymore|keep going)\b|"
            r"\bburden to everyone\b|\bnot worth living\b|\b(?:thinking|thought|think) about "
            r"ending (?:it|things|everything)\b|\bnotice if i (?:was|were) gone\b|\b(?:not|wont)"
            r" (?:be|going to be|gonna be) (?:around|here) (?:much )?(?:longer|anymore|for (?:them|it|"
            r"that|it all|much longer|my appointments?))\b",
            r"\b(?:been cutting|cutting again|self harm\w*|goodbye (?:letters?|notes?|texts?)|"
            r"suicide note|ways to (?:die|kill|end)|how to (?:die|kill myself|end it)|(?:saved|"
            r"saving|stockpil\w*) (?:up )?(?:\w+ ){0,2}?(?:pills|meds)|pills saved)\b",
            r"\b(?:cant|cannot|dont want to) (?:live|go on|keep living) (?:like this|looking like|"
            r"with (?:this|my))\b|\bpoint (?:in|of) (?:living|life|going on|being alive)\b",
        ),
        idiomatic=True,
        topic="thoughts of hurting yourself",
    ),
)
