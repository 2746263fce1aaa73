"""Every sentence a patient receives after a no-show (the one rebook offer)."""

from __future__ import annotations

from payments.money import format_money


def rebook_offer(
    clinic_name: str, service: str, when: str, policy: str | None, kept_cents: int
) -> str:
    """The one text after a missed visit: we missed you, what the no-show policy did, and an
    offer to find a new time.

    Args:
        clinic_name, service, when: as the patient was told them.
        policy: the clinic's own no-show policy sentence, quoted, or None when it has none.
        kept_cents: the deposit kept under that policy, in cents (0: no deposit was paid).
    """
    parts = [f"We missed you at your {service} appointment at {clinic_name} on {when}."]
    quoted = f' ("{policy.rstrip(".")}")' if policy else ""
    if kept_cents:
        parts.append(
            f"Your {format_money(kept_cents)} deposit is kept under our no-show policy{quoted}."
        )
    elif policy:
        parts.append(f'Our no-show policy: "{policy}"')
    parts.append("Want me to find you a new time? Just reply yes.")
    return " ".join(parts)
