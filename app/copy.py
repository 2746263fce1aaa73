"""Every sentence the app's own flows send to a patient, a caller or staff.

Change the wording here and nowhere else; the packages keep theirs in their own copy modules
(:mod:`agent.copy`, :mod:`booking.copy`, :mod:`messaging.copy`, and the STOP / START / HELP
replies in :mod:`messaging.consent`).
"""

from __future__ import annotations

#: Twilio ``<Say>`` for a call to a number no clinic owns.
NOT_IN_SERVICE = "Sorry, this number is not in service."


def missed_call_greeting(clinic_name: str) -> str:
    """The text-back for a call missed in business hours, when the clinic wrote no greeting."""
    return f"Hi, this is {clinic_name}. Sorry we missed your call! How can we help?"


def after_hours_greeting(clinic_name: str) -> str:
    """The text-back for a call missed after hours, when the clinic wrote no greeting."""
    return f"Hi, this is {clinic_name}. We're closed right now, but text us here and we'll help."


def voice_no_forward(clinic_name: str) -> str:
    """Twilio ``<Say>`` when the clinic has no line to forward calls to (a text-back follows)."""
    return f"Thanks for calling {clinic_name}. We can't take your call right now; we'll text you."


def cancelled_by_clinic(clinic_name: str, service: str, when: str, *, refunded: bool) -> str:
    """The patient's text when staff cancel their appointment."""
    refund = " Your deposit has been refunded in full." if refunded else ""
    return (
        f"We're sorry, {clinic_name} had to cancel your {service} on {when}.{refund}"
        " Reply here and we'll find you a new time."
    )


def handoff_alert(reason: str, patient_phone: str, summary: str) -> str:
    """The staff alert when the AI hands a conversation to staff.

    ``patient_phone`` is the patient's full number: staff call back from it (logs mask it)."""
    title = reason.replace("_", " ").title()
    return f"{title} - {patient_phone}: {summary} Reply from the dashboard or CLI to take over."


def patient_replied_notice(patient_phone: str) -> str:
    """The staff notice when a patient texts a conversation staff have taken over (the full
    number, so staff can call back)."""
    return f"{patient_phone} texted while staff have the conversation."


#: The local checkout page's note on a deposit whose hold expired.
CHECKOUT_HOLD_EXPIRED = (
    "Your hold has expired; if the time is still free paying books it, else you are refunded."
)


#: The one reply a patient gets when their number passes a limit (texts per minute or hour,
#: AI replies per day); the AI then pauses on the conversation until staff resume it.
LIMIT_REACHED = (
    "We've received a lot of messages from you today; a team member will follow up with you "
    "shortly. If this is an emergency, call 911."
)


#: The first sentence of the staff alert for each limit a number can pass (``clinic.limits``).
_LIMIT_PASSED = {
    "texts_per_minute": "This number sent {count} texts within a minute (limit {allowed}).",
    "texts_per_hour": "This number sent {count} texts within an hour (limit {allowed}).",
    "replies_per_day": "This number already got {count} AI replies today (limit {allowed}).",
}


def limit_alert(limit: str, count: int, allowed: int) -> str:
    """The staff alert's summary when a patient's number passed ``limit``.

    Args:
        limit: a key of :data:`_LIMIT_PASSED` (the ``clinic.limits`` field that was passed).
        count: what the number reached; allowed: the clinic's setting.
    """
    head = _LIMIT_PASSED[limit].format(count=count, allowed=allowed)
    return (
        f"{head} The AI is paused on this conversation; the patient was told a team member "
        "will follow up."
    )


def lead_first_text(clinic_name: str, first_name: str | None, service_name: str | None) -> str:
    """The first text to a patient who asked to be texted on the clinic's website form.

    It names the clinic and (when the form named one of its services) the clinic's own name
    for it, offers to find a time, and, being the first text to the number, says how to stop
    (CTIA Messaging Principles and Best Practices: opt-in confirmation).

    Args:
        first_name: a plain first name, or None to greet without one.
        service_name: the clinic's name of the service asked about, or None.
    """
    hello = (
        f"Hi {first_name}, this is {clinic_name}." if first_name else f"Hi, this is {clinic_name}."
    )
    if service_name:
        ask = (
            f"Thanks for asking about {service_name}! Want me to find you a time? "
            "Just reply with a day and time that work for you."
        )
    else:
        ask = "Thanks for reaching out! Which treatment are you interested in, and when works for you?"
    return f"{hello} {ask} Msg & data rates may apply. Reply STOP to opt out."


def lead_staff_notice(patient_phone: str, service_name: str | None) -> str:
    """The staff notice for a website lead from a patient whose conversation staff have
    taken over (no automatic text was sent); ``patient_phone`` in full for a call back."""
    about = f" about {service_name}" if service_name else ""
    return (
        f"Website form: {patient_phone} asked to be texted{about}. Staff have this "
        "conversation, so nothing automatic was sent."
    )


#: The page a browser shows after a plain HTML form posted a lead (no script on the site).
LEAD_THANKS = "Thanks! We'll text you shortly."
