"""The booking package's sentences, pinned: scenarios match them by pattern, clinics read them."""

from __future__ import annotations

from booking import copy
from messaging import copy as messaging_copy

WHEN = "Thu Nov 26 at 4:00 PM CST"


def test_the_confirmation_names_the_visit_and_the_deposit() -> None:
    assert copy.booked("Botox", "Dr. Maya Lee", WHEN, "Glow Med Spa", paid="$50.00") == (
        "You're booked: Botox with Dr. Maya Lee on Thu Nov 26 at 4:00 PM CST. Your $50.00 "
        "deposit is received. Need to change it? Just text us here. - Glow Med Spa"
    )
    assert copy.booked("Facial", "", WHEN, "Glow Med Spa", paid=None) == (
        "You're booked: Facial on Thu Nov 26 at 4:00 PM CST. "
        "Need to change it? Just text us here. - Glow Med Spa"
    )


def test_a_late_payment_refund_says_why() -> None:
    taken = copy.late_payment_refunded("$50.00", WHEN, cancelled=False)
    cancelled = copy.late_payment_refunded("$50.00", WHEN, cancelled=True)
    assert "after your hold expired and the Thu Nov 26 at 4:00 PM CST time was taken" in taken
    assert "after the Thu Nov 26 at 4:00 PM CST appointment was cancelled" in cancelled
    assert all(t.endswith("Reply if you'd like to find another time.") for t in (taken, cancelled))


def test_staff_wording() -> None:
    assert copy.staff_cancelled("Botox", WHEN, "kept", "$50.00") == (
        "Cancelled by patient: Botox, Thu Nov 26 at 4:00 PM CST "
        "(late cancellation, deposit $50.00 kept)."
    )
    assert messaging_copy.staff_text("New booking: Botox") == "[frontdesk] New booking: Botox"
    subject = messaging_copy.email_subject("alert", "medical", "x", handoff=True)
    assert subject == "[frontdesk] ACTION NEEDED: handoff (medical)"
