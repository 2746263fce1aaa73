"""A concern the clinic exists to treat is a request for treatment, not a symptom report.

"redness on my cheeks, pretty sure its rosacea. can u get me in thursday?" and "my daughter
has bad breakouts, can she come in?" read as skin symptoms to the clinic-agnostic triage, yet
they ask for what the clinic's services list under ``treats``. :func:`cosmetic_request` tells
them apart from a reaction to a treatment or an acute problem, which stay medical: the text
names a concern one of the clinic's services treats, says nothing that ties it to a
treatment or a recent event ("after my peel", "since yesterday"), and nothing acute (pain,
swelling, fever, spreading). Emergencies never reach this check.
"""

from __future__ import annotations

import re

from agent.nlu.services import match_services
from agent.nlu.text import normalize
from knowledge.clinic_file import ClinicFile

__all__ = ["cosmetic_request"]

# Words that tie what the patient feels to a treatment or an event: then it is a reaction.
_CONTEXT = re.compile(
    r"\b(?:after|since|post|following|from (?:my|the|her|his)|ever since|yesterday|today|"
    r"tonight|this morning|last (?:night|week|time|visit|appointment|treatment)|"
    r"(?:\d+|a|few|couple) (?:of )?(?:days?|weeks?|hours?) ago|got (?:my|her|his)|had (?:my|her|"
    r"his|a)|treated|injected|lasered|peeled|reaction)\b"
)
# Words of an acute problem, never a cosmetic wish.
_ACUTE = re.compile(
    r"\b(?:pain\w*|hurts?|hurting|sore|bleed\w*|blood|pus|ooz\w*|swell\w*|swollen|fever\w*|"
    r"burn\w*|blister\w*|infect\w*|spread\w*|worse|itch\w*|hives|rash\w*|throb\w*|numb\w*|"
    r"hot to the touch|warm to the touch|open wound|scab\w*|crust\w*|weep\w*)\b"
)


def cosmetic_request(text: str, clinic: ClinicFile) -> bool:
    """True when ``text`` describes a concern the clinic treats, as a wish for treatment.

    Args:
        text: the patient's text (a burst may hold several lines).
        clinic: the clinic's records; its services' ``treats`` phrases decide what counts.

    Returns:
        True only when a service is reached through its ``treats`` concerns and the text has
        no treatment or event context and no acute word; False otherwise (stay medical).
    """
    lowered = normalize(text)
    if _CONTEXT.search(lowered) or _ACUTE.search(lowered):
        return False
    matches = match_services(text, clinic.services)
    return any(m.via in ("treats", "similar") for m in matches) and not any(
        m.via == "name" for m in matches
    )
