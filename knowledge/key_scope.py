"""What a clinic's API key may change in its clinic file, and what only the operator may.

A clinic re-seeds its own file over ``POST /knowledge/<clinic_id>`` (:mod:`app.web.knowledge_api`)
with its API key; the operator seeds with ``frontdesk seed`` on the server. Two kinds of field
are the operator's alone, because a leaked or careless key could otherwise cost money or
corrupt another system:

* **phone numbers the operator pays to reach**: ``clinic.forward_calls_to`` (every unanswered
  patient call is bridged there) and ``clinic.staff_alert_phone`` (staff alerts are texted
  there). A key may set them only to numbers in the countries the operator allows
  (``ALLOWED_PHONE_COUNTRIES``, phonenumbers region codes): pointing them at premium-rate or
  far-away numbers is toll fraud (https://www.twilio.com/docs/glossary/what-is-toll-fraud).
* **EMR ids**: the ``clinic.emr`` section, each provider's ``emr_id`` and each service's
  ``emr`` ids. They tie frontdesk's bookings to records in the clinic's EMR; a wrong id books
  patients with the wrong practitioner or appointment type, so only the operator changes them.

A value the key sends unchanged is always accepted, even when the operator set it outside
those rules.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import phonenumbers

from knowledge.clinic_file import ClinicFile

__all__ = ["KeyScopeError", "check_key_scope", "phone_country"]

_OPERATOR = "only the operator changes it (frontdesk seed)"


class KeyScopeError(ValueError):
    """The clinic file changes what an API key may not; ``problems`` names each field path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("not allowed with a clinic API key:\n  " + "\n  ".join(problems))
        self.problems = problems


def phone_country(e164: str) -> str | None:
    """The phonenumbers region code (ISO 3166-1 alpha-2, e.g. ``"US"``) of an E.164 number.

    Within a shared calling code (+1: US, CA, JM, ...) the area code decides, as in
    ``phonenumbers.region_code_for_number``.

    Returns:
        The region code, or None when the number is unparsable or belongs to no region.
    """
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def _phone_problems(
    current: ClinicFile | None, new: ClinicFile, allowed: Collection[str]
) -> list[str]:
    problems = []
    for name in ("forward_calls_to", "staff_alert_phone"):
        value = getattr(new.clinic, name)
        if value is None or (current is not None and getattr(current.clinic, name) == value):
            continue
        country = phone_country(value)
        if country not in allowed:
            where = f"a number in {country}" if country else "a number of no known country"
            problems.append(
                f"clinic.{name}: {where}; a clinic API key may use numbers in "
                f"{', '.join(allowed)} only (ALLOWED_PHONE_COUNTRIES); ask the operator"
            )
    return problems


def _keep(path: str, current: Any) -> str:
    want = "leave it unset" if current in (None, {}) else f"keep {current!r}"
    return f"{path}: EMR ids are not changed with an API key; {_OPERATOR}; {want}"


def _emr_problems(current: ClinicFile | None, new: ClinicFile) -> list[str]:
    problems = []
    now_emr = current.clinic.emr.model_dump() if current else {"kind": "local"}
    if new.clinic.emr.model_dump() != now_emr:
        problems.append(_keep("clinic.emr", now_emr))
    providers = {p.id: p.emr_id for p in current.providers} if current else {}
    for i, p in enumerate(new.providers):
        if p.emr_id != providers.get(p.id):
            problems.append(_keep(f"providers[{i}].emr_id", providers.get(p.id)))
    services = {s.id: s.emr for s in current.services} if current else {}
    for i, s in enumerate(new.services):
        if s.emr != services.get(s.id, {}):
            problems.append(_keep(f"services[{i}].emr", services.get(s.id)))
    return problems


def check_key_scope(
    current: ClinicFile | None, new: ClinicFile, allowed_countries: Collection[str]
) -> None:
    """Refuse the changes from ``current`` to ``new`` that a clinic API key may not make.

    Args:
        current: the clinic as seeded now (:func:`knowledge.store.load_clinic`), or None.
        new: the validated clinic file the key sent.
        allowed_countries: region codes a key may point phone numbers at (``US``, ``CA``...).

    Raises:
        KeyScopeError: one line per refused field, naming its path and what to do.
    """
    problems = _phone_problems(current, new, allowed_countries) + _emr_problems(current, new)
    if problems:
        raise KeyScopeError(problems)
