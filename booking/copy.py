"""Every sentence the booking package sends: to the patient by SMS, to staff (alert rows, which
also go out by SMS and email), and to the payment provider's checkout and refund records.

Change the wording here and nowhere else. Amounts arrive formatted (``"$50.00"``), times as
:func:`booking.terms.format_when` words (``"Thu Nov 26 at 4:00 PM CST"``).
"""

from __future__ import annotations

# --------------------------------------------------------------------------- payment provider


def deposit_link_title(service_name: str, clinic_name: str) -> str:
    """The checkout's line item: ``Botox deposit - Bloom Aesthetics``."""
    return f"{service_name} deposit - {clinic_name}"


def deposit_link_note(service_name: str, when: str) -> str:
    """The checkout's note: ``Deposit for Botox on Thu Nov 26 at 4:00 PM CST``."""
    return f"Deposit for {service_name} on {when}"


#: Refund reasons recorded with the payment provider (the patient may see them on a receipt).
REFUND_REASON_CANCELLED_BEFORE_PAYMENT = "Paid after the appointment was cancelled"
REFUND_REASON_HOLD_TAKEN = "Paid after the hold expired; the time was taken"
REFUND_REASON_CANCELLED_WITH_NOTICE = "Cancelled with enough notice"

# --------------------------------------------------------------------------- patient


def booked(
    service_name: str, provider_name: str, when: str, clinic_name: str, *, paid: str | None
) -> str:
    """The booking confirmation; ``paid`` is the deposit received (None: no deposit)."""
    received = f" Your {paid} deposit is received." if paid else ""
    return (
        f"You're booked: {service_name}{_with(provider_name)} on {when}.{received} "
        f"Need to change it? Just text us here. - {clinic_name}"
    )


def hold_expired(service_name: str, when: str) -> str:
    """An unpaid hold lapsed and its time was released."""
    return (
        f"The hold on {service_name} {when} has lapsed because the deposit wasn't paid, so the "
        "time has been released. Reply anytime and we'll find you another opening."
    )


def late_payment_refunded(amount: str, when: str, *, cancelled: bool) -> str:
    """A deposit paid too late to book was refunded in full.

    Args:
        cancelled: True when the appointment had been cancelled; False when the hold had
            expired and its time was taken.
    """
    if cancelled:
        why = f"Your {amount} deposit arrived after the {when} appointment was cancelled, "
    else:
        why = (
            f"Your {amount} deposit arrived after your hold expired and the {when} time was taken, "
        )
    return why + "so we've refunded it in full. Reply if you'd like to find another time."


# --------------------------------------------------------------------------- staff


def staff_booked(service_name: str, provider_name: str, when: str, *, paid: str | None) -> str:
    """Notice of a new booking; ``paid`` is the deposit received (None: no deposit)."""
    deposit = f", deposit {paid} paid" if paid else ""
    return f"New booking: {service_name}{_with(provider_name)}, {when}{deposit}"


def staff_late_refund_failed(amount: str, service_name: str) -> str:
    """Alert: a late deposit could not be refunded automatically."""
    return (
        f"Late deposit of {amount} could not be refunded automatically ({service_name}); "
        "please refund it by hand."
    )


def staff_late_refunded(service_name: str, when: str, amount: str, *, cancelled: bool) -> str:
    """Alert: a late deposit was refunded (see :func:`late_payment_refunded`)."""
    why = "had been cancelled" if cancelled else "was taken after the hold expired"
    return f"Late deposit refunded: {service_name} {when} {why}; {amount} refunded."


def payment_mismatch(*, paid_by: str, paid: str, expected_by: str, expected: str) -> str:
    """How a payment differs from its deposit: ``square paid $1.00 USD; the deposit is $50.00
    USD by square`` (``paid_by``/``expected_by``: provider names; amounts formatted)."""
    return f"{paid_by} paid {paid}; the deposit is {expected} by {expected_by}"


def staff_payment_mismatch(service_name: str, when: str, problem: str) -> str:
    """Alert: a payment arrived for a deposit but is not that deposit, so nothing was booked."""
    return (
        f"Payment NOT booked, please review: {service_name} {when}: {problem}. Check the "
        "payment with the provider, then book or refund it by hand."
    )


def staff_cancelled(service_name: str, when: str, deposit: str, amount: str) -> str:
    """Notice (or alert when the refund failed) of a cancellation by the patient.

    Args:
        deposit: what happened to the deposit: refunded | kept | refund_failed | none.
        amount: the deposit, formatted.
    """
    policy = {
        "refunded": f"deposit {amount} refunded",
        "kept": f"late cancellation, deposit {amount} kept",
        "refund_failed": f"REFUND FAILED for {amount}, please refund by hand",
        "none": "no deposit",
    }[deposit]
    return f"Cancelled by patient: {service_name}, {when} ({policy})."


def staff_rescheduled(
    service_name: str, old_when: str, new_when: str, provider_name: str, *, late: bool = False
) -> str:
    """Notice of a reschedule by the patient; ``late``: moved inside the notice window, so the
    deposit is kept if the new time is cancelled."""
    policy = " Late change: the deposit is kept if it is cancelled." if late else ""
    return (
        f"Rescheduled by patient: {service_name} moved from {old_when} to {new_when} "
        f"with {provider_name}.{policy}"
    )


def _with(provider_name: str) -> str:
    return f" with {provider_name}" if provider_name else ""
