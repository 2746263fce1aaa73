"""Which EMR chart an appointment is for.

A phone number is not a person: a family often shares one, and Nextech keeps a chart per
person. Guessing between charts would put one patient's visit (and deposit) on another's
chart, so with several charts on one number the patient's name decides, and when it cannot
(no name, or it matches none or several) the appointment goes to a new patient (a Nextech
*prospect*, see :mod:`emr.nextech`) that staff merge into the right chart.
"""

from __future__ import annotations

import structlog

from emr.base import EMRClient, EMRPatient

log = structlog.get_logger(__name__)

__all__ = ["patient_for", "split_name"]


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """``"Jane Q Smith"`` -> ``("Jane", "Smith")``; one word -> ``(word, None)``; None -> both None."""
    words = (name or "").split()
    if not words:
        return None, None
    return words[0], (words[-1] if len(words) > 1 else None)


def patient_for(emr: EMRClient, phone: str, name: str | None = None) -> EMRPatient:
    """The EMR patient to book for ``phone`` (E.164), given the name the patient gave, if any.

    Returns:
        The chart on that number whose given (and family, when both are known) name matches
        ``name`` (the only chart when no name is known); otherwise a new patient created with
        the number and name (for Nextech a prospect, merged by staff): a daughter texting
        from her mother's phone is not booked on her mother's chart.

    Raises:
        EMRError: from the EMR's search or create.
    """
    found = emr.find_patients(phone)
    given, family = split_name(name)
    if len(found) == 1 and (given is None or not found[0].given_name):
        return found[0]
    if found:
        matches = [p for p in found if _same_person(p, given, family)]
        if len(matches) == 1:
            return matches[0]
        log.warning("emr_patient_ambiguous", charts=len(found), named=given is not None)
    return emr.create_patient(phone, given, family)


def _same_person(patient: EMRPatient, given: str | None, family: str | None) -> bool:
    """The chart's names match the ones the patient gave (case-insensitive; a family name is
    compared only when both sides have one)."""
    if given is None or (patient.given_name or "").casefold() != given.casefold():
        return False
    if family and patient.family_name:
        return patient.family_name.casefold() == family.casefold()
    return True
