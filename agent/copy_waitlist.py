"""Every sentence the assistant says about the waitlist: the invitation to join when nothing
fits, and the replies to joining, claiming, passing and a late yes.

The offer of an opening itself is the booking package's text
(:func:`booking.copy_waitlist.opening_offer`).
"""

from __future__ import annotations

#: Added to an offer that does not fit what the patient asked for (or says there is none).
JOIN_HINT = "Or reply WAITLIST and I'll text you if something opens."

#: The patient asked to join but no service is known yet.
WHICH_SERVICE = (
    "Happy to put you on the waitlist! Which treatment should I watch for, and what days "
    "and times work for you?"
)


def joined(service_name: str, window_text: str, claim_minutes: int) -> str:
    """The patient is on the waitlist for ``service_name`` in ``window_text`` ("" = any)."""
    when = f" {window_text}" if window_text else ""
    return (
        f"You're on the waitlist for {service_name}{when}. If a spot opens I'll text you "
        f"right away, and it's yours to claim for {claim_minutes} min."
    )


#: Ends the reply that asks for other days, so the patient's next text joins with them.
ASK_OTHER_DAYS = "Which other days and times work for you? I'll put you on the waitlist for those."

_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def closed_days(weekdays: list[int]) -> str:
    """A waitlist asked only for days the clinic is never open (0 = Monday)."""
    names = " or ".join(_DAY_NAMES[d] for d in weekdays)
    return f"We're closed on {names}, so nothing will open up then. {ASK_OTHER_DAYS}"


def not_bookable(service_name: str) -> str:
    """A waitlist asked for a service that is not booked by text."""
    return (
        f"{service_name} isn't booked by text, so I can't add you to a waitlist for it. "
        "The team can help if you call us."
    )


#: A question about the waitlist ("is there a waitlist?").
HOW_IT_WORKS = (
    "Yes! Tell me the treatment and the days and times that work, and reply WAITLIST: when a "
    "spot opens I'll text you first, and it's yours to claim for a few minutes."
)

#: The patient asked to come off the waitlist.
LEFT = "Done, you're off the waitlist. If you'd like to book later, just text us here."
#: The patient asked to come off a waitlist they are not on.
NOT_ON_LIST = "You're not on our waitlist right now. Anything else I can help with?"

#: The patient passed on the opening offered; they stay on the list.
PASSED = "No problem, I'll pass that one along. You're still on the waitlist and I'll text you if another spot opens."

#: A yes that came after the claim window, or for an opening taken meanwhile.
GONE = (
    "Sorry, that opening has already gone to someone else. You're still on the waitlist "
    "and I'll text you the next time one comes up."
)
