"""Every sentence the waitlist sends on its own: the offer of an opening to a waiting patient.

The replies to a patient's waitlist texts (joining, claiming, passing, a late yes) are the
agent's wording (:mod:`agent.copy_waitlist`). Times arrive as
:func:`booking.terms.format_when` words (``"Thu Nov 26 at 4:00 PM CST"``).
"""

from __future__ import annotations


def opening_offer(
    clinic_name: str, service_name: str, when: str, provider_name: str, claim_minutes: int
) -> str:
    """The exclusive offer of a freed slot to one waiting patient."""
    who = f" with {provider_name}" if provider_name else ""
    return (
        f"Good news from {clinic_name}: a {service_name} opening just came up on {when}{who}. "
        f"It's yours if you reply YES in the next {claim_minutes} min (reply NO to pass)."
    )
