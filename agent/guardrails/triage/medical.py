"""Medical concerns that are not emergencies: what a provider, not the front desk, answers.

Expected after-effects of injectables, peels, lasers and infusions (bruising, swelling,
redness, tenderness, lumps, itching, headache, a heavy brow or droopy lid; ASPS and AAD
patient pages; the Botox, Dysport and Xeomin labels' common adverse reactions),
medicines and supplements that change bleeding or healing (NSAIDs, aspirin, fish oil,
anticoagulants, isotretinoin, retinoids), pregnancy and nursing, chronic conditions,
allergies, aftercare and comfort. Each :class:`Concern` carries the short phrase the reply
uses to name what the patient asked about, and whether it is a *symptom* (something the
patient feels or sees) as opposed to a question about a medicine, a condition or a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CONCERNS", "SKIN_ALLERGY", "SYSTEMIC", "Concern"]


@dataclass(frozen=True)
class Concern:
    """One kind of medical concern.

    Attributes:
        topic: how the reply names it ("bruising", "medications").
        pattern: alternatives over a prepared sentence (:mod:`agent.guardrails.triage.text`).
        symptom: True for something the patient feels or sees.
    """

    topic: str
    pattern: re.Pattern[str]
    symptom: bool = True


# "facial tuesday after 2", "before noon", "after work": a bound on when to book, not the
# time after a treatment. A number with a unit ("after 2 days", "2 weeks post") stays.
_NOT_A_CLOCK = (
    r"(?!\s+(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a|p)?\b(?!\s*(?:days?|d|weeks?|wks?|"
    r"hours?|hrs?|months?|mos?|years?|yrs?|units?|syringes?|sessions?|treatments?|tx|x)\b)|"
    r"noon|lunch|midday|work|school|dinner|breakfast))"
)


def _c(topic: str, pattern: str, *, symptom: bool = True) -> Concern:
    return Concern(topic, re.compile(pattern), symptom)


CONCERNS: tuple[Concern, ...] = (
    _c("bruising", r"\bbruis\w*\b"),
    _c("swelling", r"\b(?:swell\w*|swollen|puffy|puffiness|inflam\w*)\b"),
    _c(
        "pain",
        r"\b(?:pain|painful|hurts?|hurting|sore|soreness|tender\w*|ache|aching|achy|throbbing|"
        r"stings?|stinging|burn|burns|burning)\b(?! (?:in the (?:butt|neck|ass)|to "
        r"ask))",
    ),
    _c(
        "redness",
        r"\bredness\b|\b(?:is|are|looks?|looking|still|so|very|really|bright|super|turned|"
        r"getting|gone) red\b|\bred (?:and|spots?|bumps?|marks?|patch\w*|streaks?|rash|face|"
        r"skin|lines?|dots?)\b|\bflush\w*\b",
    ),
    _c(
        "a lump or unevenness",
        r"\b(?:lumps?|lumpy|bumps?|bumpy|knots?|nodules?|hard spots?|bead\w*|ridges?|"
        r"migrat\w*|tyndall|bluish tint|granuloma\w*|uneven|asymmetr\w*|lopsided|crooked|"
        r"(?:higher|lower) than (?:the )?(?:other|left|right)|"
        r"overfilled|duck lips?)\b",
    ),
    _c("itching", r"\b(?:itch\w*|rash\w*|hives|welts?)\b"),
    _c("a headache", r"\b(?:headaches?|migraines?|head hurts)\b"),
    _c(
        "drooping",
        r"\b(?:droop\w*|heavy (?:brow|brows|forehead|eyelids?|lids?)|(?:brow|brows|forehead|"
        r"eyelids?|lids?) (?:\w+ ){0,3}?(?:heavy|low|dropp\w*|sagg\w*)|ptosis|spock|frozen|"
        r"cant (?:raise|move|lift) (?:my )?(?:eyebrows?|brows?|forehead))\b",
    ),
    _c("numbness", r"\b(?:numb(?:ness|ed|ing|ish)?|tingl(?:e|es|ed|ing|y)|pins and needles)\b"),
    _c(
        "your skin after treatment",
        r"\b(?:peeling|peel\w* (?:a lot|so much|off)|flaking|flaky|scab\w*|blisters?|blistering|crust\w*|"
        r"oozing|pus|weeping|breakouts?|breaking out|broke out|pimples?|acne flare|purging|"
        r"dry(?:ness)? (?:skin|patches)|dark spots? (?:after|from|since)|burn marks?|"
        r"white spots? (?:after|from|since))\b|\b(?:tight|tightness|dry|dryness|darker|lighter|"
        r"discolou?r\w*|tired|exhausted|wiped out|drained|(?:hasnt|didnt|isnt|not) (?:kicked "
        r"in|working|work)|wore off|wearing off)\b(?=.*\b(?:after|since|post|from (?:my|the))\b)",
    ),
    _c(
        "feeling unwell",
        r"\b(?:dizzy|dizziness|lightheaded|light headed|nause\w*|queasy|vomit\w*|throw\w* "
        r"up|threw up|puk\w*|fever\w*|chills|feverish|shaky|sweaty|clammy|fatigue\w*|"
        r"exhausted|weak|weakness|cramp\w*|sick to (?:my|her|his) stomach|feel (?:sick|off|"
        r"weird|funny|unwell|awful|terrible|bad)|not feeling well|flu like)\b",
    ),
    _c(
        "an infection",
        r"\b(?:infect\w*|abscess\w*|cellulitis|hot to the touch|warm to the touch)\b",
    ),
    _c("a cold sore", r"\b(?:cold sores?|fever blisters?|herpes|hsv|valtrex|outbreaks?)\b"),
    _c(
        "an allergy",
        r"\b(?:allerg\w*|reactions?|sensitivit\w*|anaphyla\w*|epi ?pens?)\b",
        symptom=False,
    ),
    _c(
        "medications",
        r"\b(?:ibuprofen|advil|motrin|aleve|naproxen|nsaids?|tylenol|acetaminophen|aspirin|"
        r"fish oil|omega 3|vitamin e|blood thinners?|eliquis|warfarin|coumadin|xarelto|plavix|"
        r"antibiotics?|accutane|isotretinoin|retinol|retin a|tretinoin|retinoids?|arnica|"
        r"benadryl|zyrtec|claritin|allegra|prednisone|steroids?|medications?|meds|medicine|"
        r"prescriptions?|birth control|ozempic|semaglutide|tirzepatide|mounjaro|wegovy|"
        r"zepbound|metformin|insulin|antivirals?|hydrocortisone|supplements?|turmeric|"
        r"ginkgo|garlic pills|pills|antidepressants?|ssris?|lexapro|zoloft|adderall|"
        r"spironolactone|doxycycline|minocycline|hormones?|hrt|testosterone|thyroid meds?|"
        r"sertraline|fluoxetine|escitalopram|prozac|wellbutrin|interactions?|anxiety meds?|"
        r"something for (?:anxiety|the pain|nerves)|valium|xanax|sedat\w*|calm me "
        r"down|panic attacks?)\b",
        symptom=False,
    ),
    _c(
        "pregnancy or nursing",
        r"\b(?:pregnan\w*|expecting a baby|breast ?feeding|breast ?fed|nursing(?! (?:home|"
        r"school|student|degree|job|shift))|ttc|trying to (?:conceive|get pregnant)|postpartum|"
        r"post partum|ivf|fertility|pumping)\b",
        symptom=False,
    ),
    _c(
        "a health condition",
        r"\b(?:diabet\w*|autoimmune|lupus|rheumatoid|arthritis|thyroid|hashimotos?|graves|"
        r"psoriasis|eczema|rosacea|keloids?|melasma|vitiligo|blood pressure|hypertension|heart "
        r"condition|heart disease|pacemaker|epilep\w*|cancer|chemo\w*|radiation|myasthenia|"
        r"als|bells palsy|glaucoma|dermatitis|immunocompromised|immune system|hiv|hepatitis|"
        r"bleeding disorder|hemophilia|anemi\w*|kidney|liver disease|ms|multiple sclerosis|"
        r"asthma|copd|stroke before|surgery|implants?|(?:skin|medical|health|heart|blood) "
        r"(?:condition|disorder|problem|issue)s?|(?:i have|have a|with a) (?:\w+ )?condition|"
        r"sunburn\w*|sunburned|(?:had|have|got|caught) (?:covid|the flu|a cold|strep|"
        r"shingles)|(?:been|am|im|feeling) sick|murmur|afib|arrhythmia|stents?|bypass|heart "
        r"surgery)\b",
        symptom=False,
    ),
    _c(
        "whether it is safe for you",
        r"\b(?:is (?:it|this|that|botox|filler|(?!\d)\w+) (?:safe|ok|okay|bad|dangerous|normal)|"
        r"safe (?:to|for|while|during|if|with)|safety|risks?|risky|side effects?|"
        r"complications?|contraindicat\w*|dangerous|blindness|go blind|necrosis|occlusion|"
        r"vascular|stroke|toxin spread|(?:botox|toxin|tox|filler) (?:\w+ )?spread\w*|spread\w* of (?:the )?toxin|normal (?:to|after|for)|"
        r"is (?:this|that|it) normal|should i (?:be )?worr\w*|something wrong|is that bad|"
        r"(?:blood )?vessels?|\ber\b|emergency|urgent care|warning signs?)\b",
        symptom=False,
    ),
    _c(
        "aftercare",
        r"\baftercare\b|\bafter care\b|\b(?:work ?out|workout|exercise|gym|alcohol|drink|tan|spray tan|"
        r"drinking|wine|lay down|lie down|lying down|laying down|sleep|makeup|make up|shower|"
        r"sauna|hot tub|steam room|swim\w*|sun|tanning|fly|flying|massage|rub|ice|icing|"
        r"cold compress|wash (?:my|her) face|moisturi\w*|sunscreen|skincare|skin care|retinol|"
        r"heal(?:ing|ed|s)?|upright|bend\w* over|kiss\w*|shav\w*|wax\w*|facials?|glasses|hats?)\b(?=.*\b(?:after|before|post|following|since|until|when can|how long)\b"
        + _NOT_A_CLOCK
        + r")|"
        r"\b(?:after|before|post|following|since|until|when can|how long)\b"
        + _NOT_A_CLOCK
        + r".*\b(?:work ?out|"
        r"workout|exercise|gym|alcohol|drink|drinking|wine|lay down|lie down|lying down|"
        r"laying down|sleep|makeup|make up|shower|sauna|hot tub|swim\w*|sun|tanning|fly|"
        r"flying|massage|rub|ice|icing|wash (?:my|her) face|skincare|skin care|heal(?:ing|ed|s)?|"
        r"upright|bend\w* over|kiss\w*|shav\w*|wax\w*|facials?)\b|\b(?:massag\w*|rub\w*|"
        r"press\w*|touch\w*) (?:the|my|her|his) (?:\w+ )?(?:area|lips?|filler|botox|lumps?|"
        r"bumps?|injection|forehead|face)\b",
        symptom=False,
    ),
    _c(
        "comfort during treatment",
        r"\b(?:numbing|numb cream|lidocaine|anesthe\w*|does (?:it|\w+) hurt|will (?:it|\w+) "
        r"hurt|how much (?:does it|will it) hurt|how painful|pain level|painless)\b",
        symptom=False,
    ),
    _c(
        "a health question",
        r"\b(?:dissolv\w*|hyaluronidase|hylenex|age limit|how old do you have to be|minors?|"
        r"under 18|im (?:1[0-7]) |teenager|medical history|doctor said|my doctor|"
        r"dermatologist|side effect|allergic)\b",
        symptom=False,
    ),
)

#: Skin and mucosal signs of an allergic reaction (NIAID/FAAN criterion 2, first organ system).
SKIN_ALLERGY = re.compile(
    r"\b(?:hives|welts?|urticaria|rash\w*|itch\w* all over|itchy all over|flush\w*|red all over|"
    r"(?:itchy|raised|red) (?:\w+ )?(?:bumps|blotches|spots) (?:\w+ )?all over|"
    r"blotch\w*|lips? (?:\w+ )?(?:swell\w*|swollen|tingl\w*))\b"
)
#: Other organ systems of the same criterion: breathing, circulation, gut.
SYSTEMIC = re.compile(
    r"\b(?:dizzy|dizziness|lightheaded|light headed|vomit\w*|throw\w* up|threw up|puk\w*|"
    r"nause\w*|cramp\w*|stomach (?:pain|hurts|cramps)|heart (?:\w+ )?(?:racing|pounding)|"
    r"faint\w*|cough\w*|wheez\w*|sweaty|clammy|pale|confused|weak|presyncop\w*|syncop\w*|"
    r"hypotension|blood pressure (?:dropping|low|tanking))\b"
)
