"""Every sentence a patient can receive from the agent package, in one place.

The turn loop's fallbacks, the safety triage's replies and everything the offline model says
are defined here as constants or small format functions over clinic records and tool results,
so a reader finds each sentence once and a clinic could later reword them. Facts (prices,
times, links) are never written here: they come from the clinic's records or a tool result.

Any sentence may be reworded freely: no model reads its own replies back. What a reply asks
(which service? shall I search? cancel this one?) is stored as dialog state where the reply is
chosen (:mod:`agent.dialog`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agent.copy_waitlist import JOIN_HINT
from booking.ports import format_money
from knowledge.clinic_file import WEEKDAYS, ClinicFile, ServiceInfo

#: A row of ``my_appointments`` (``appointment_id, service_id, service, provider, when,
#: status, deposit_paid, inside_notice_window, moved_late``).
Appt = dict[str, Any]

WEEKDAYS_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# --- the turn loop and its guardrails ---------------------------------------------------------

#: Sent when the model failed, looped or ran out of time (staff are alerted too).
FALLBACK = "Thanks for your message! A team member will text you back shortly."
#: Sent instead of a reply that states facts no record or tool result contains.
UNGROUNDED = (
    "Sorry, I want to get that exactly right, so let me check with the team and get back to you."
)
#: The emergency reply: the 911/ER instruction is its first sentence (DESIGN.md §2).
EMERGENCY = (
    "Please call 911 or go to the nearest ER now. What you describe can be serious after a "
    "treatment and needs care right away. I've alerted our team too."
)
#: The reply to talk of self-harm: 911 and the 988 Suicide & Crisis Lifeline first
#: (https://988lifeline.org).
SELF_HARM = (
    "Please call 911 now if you might act on these thoughts, or call or text 988 (Suicide & "
    "Crisis Lifeline) to talk with someone right away, any time. You matter, and I've let our "
    "team know you reached out."
)
#: A medical question with no topic or clinic at hand (a model's own handoff).
MEDICAL = (
    "That's a question for one of our providers. I've passed it to the team "
    "and someone will text you shortly. If it's urgent, call 911."
)
HANDED_OFF = "I've let our team know, and someone will text you back shortly."
#: Sent instead of a model's reply when the clinic's daily AI budget is spent (staff are
#: alerted and take the conversation; :mod:`agent.limits`).
OVER_BUDGET = (
    "Thanks for your message! A team member will text you back shortly. If this is an "
    "emergency, call 911."
)


def emergency(category: str | None) -> str:
    """The reply to an emergency of ``category`` (a triage category; ``self_harm`` gets
    :data:`SELF_HARM`, every other one :data:`EMERGENCY`)."""
    return SELF_HARM if category == "self_harm" else EMERGENCY


def medical(
    topic: str | None, clinic: ClinicFile, now: dt.datetime, *, reported: bool = False
) -> str:
    """The reply to a medical question: no advice, what the patient asked about, and when a
    provider will answer (:func:`provider_reply_time`).

    Args:
        topic: what the patient described (``"bruising"``), or None.
        clinic: the clinic's records (its hours and zone).
        now: the turn's instant (aware).
        reported: the patient described a symptom (as opposed to asking a question).
    """
    about = f"about {topic}" if topic else "about this"
    opening = f"Thanks for letting us know {about}." if reported else f"Thanks for asking {about}."
    # A symptom can get worse before the provider answers; a question cannot.
    urgent = " If it gets worse or you feel very unwell, call 911." if reported else ""
    return (
        f"{opening} I can't give medical advice by text, so I've passed your "
        f"message to our providers and one will text you back {provider_reply_time(clinic, now)}."
        f"{urgent} I'm still here for booking or other questions."
    )


def provider_reply_time(clinic: ClinicFile, now: dt.datetime) -> str:
    """When staff will answer, from the clinic's weekly hours (clinic-local).

    Returns:
        ``"today before we close at 6 PM"`` while open, ``"when we open tomorrow at 9 AM"``
        or ``"when we open Monday at 9 AM"`` when closed, ``"as soon as we can"`` when the
        clinic has no hours on file.
    """
    local = now.astimezone(clinic.clinic.zone)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        for start, end in clinic.clinic.hours.get(WEEKDAYS[day.weekday()], []):
            opens = dt.datetime.combine(day, dt.time.fromisoformat(start), local.tzinfo)
            closes = dt.datetime.combine(day, dt.time.fromisoformat(end), local.tzinfo)
            if offset == 0 and opens <= local < closes:
                return f"today before we close at {_clock(closes)}"
            if opens > local:
                return f"when we open {_day_name(offset, day)} at {_clock(opens)}"
    return "as soon as we can"


def _clock(moment: dt.datetime) -> str:
    """``9 AM``, ``5:30 PM``."""
    hour = moment.strftime("%I").lstrip("0")
    minutes = "" if moment.minute == 0 else f":{moment.minute:02d}"
    return f"{hour}{minutes} {moment.strftime('%p')}"


def _day_name(offset: int, day: dt.date) -> str:
    """``later today``, ``tomorrow`` or the weekday name."""
    if offset == 0:
        return "later today"
    return "tomorrow" if offset == 1 else WEEKDAYS_FULL[day.weekday()]


def handoff(reason: str) -> str:
    """What the patient is told when staff take over for ``reason`` (a handoff reason such
    as ``emergency``, ``medical``, ``patient_request``)."""
    if reason == "emergency":
        return EMERGENCY
    if reason == "medical":
        return MEDICAL
    return HANDED_OFF


# --- manners ----------------------------------------------------------------------------------

THANKS = "You're welcome! Text anytime if you need anything else."
FALLBACK_UNDERSTOOD = (
    "Sorry, I didn't quite catch that. I can answer questions about our services "
    "or book an appointment. What would you like to do?"
)
#: The reply to "let me check with my husband and get back to you".
NO_RUSH = "No rush! Text us here whenever you're ready and I'll check what's open then."
OTHER_TIMES = "No problem! What day or time works better for you?"
CHECK_WITH_TEAM = (
    "Good question! I don't want to guess, so I'll check with the team and "
    "get back to you. Anything else I can help with, like booking?"
)


def location(clinic: ClinicFile) -> str:
    """Where the clinic is: its address from the clinic file."""
    return f"We're at {clinic.clinic.address}."


def off_topic(clinic_name: str) -> str:
    """The reply to a question that is not about the clinic (the weather, the news)."""
    return (
        f"Sorry, I can only help with {clinic_name}: our services, prices, hours and booking. "
        "What can I help you with?"
    )


WHICH_OPTION = "Sorry, which option number would you like?"
TOOL_FAILED = (
    "Sorry, I couldn't complete that just now. A team member will follow up with you shortly."
)


def greeting(clinic_name: str) -> str:
    """Hello, with what the assistant can do."""
    return (
        f"Hi! Thanks for texting {clinic_name}. I can answer questions "
        "or book you in. What are you interested in?"
    )


def empty(clinic_name: str) -> str:
    """The reply to a blank message."""
    return f"Hi! This is {clinic_name}. How can I help you today?"


def tool_error(error: str) -> str:
    """A safe reply when a tool returned ``error``."""
    return WHICH_OPTION if "no option" in error else TOOL_FAILED


# --- services ---------------------------------------------------------------------------------


def price(service: ServiceInfo, deposit_cents: int) -> str:
    """The service's price in the clinic's own words, plus the deposit, then an offer."""
    words = service.price or "Pricing depends on your treatment plan"
    dep = f" A {format_money(deposit_cents)} deposit holds your spot." if deposit_cents else ""
    return f"{service.name}: {words}.{dep} Want me to check openings for you?"


def service_info(service: ServiceInfo) -> str:
    """A short description of the service with duration and price."""
    parts = [f"{service.name} takes about {service.duration_minutes} min"]
    if service.price:
        parts.append(f"pricing: {service.price}")
    desc = f" {service.description.strip()}" if service.description else ""
    return f"{'; '.join(parts)}.{desc} Want me to check openings for you?"


def which_of(names: list[str]) -> str:
    """Ask which of several similar services the patient means."""
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return f"Happy to help! Did you mean {listed}?"


def ask_service(clinic: ClinicFile) -> str:
    """Ask which service to book, naming a few from the menu."""
    names = [s.name for s in clinic.services if s.bookable][:6]
    return f"Which service would you like to book? We offer {', '.join(names)} and more."


def menu(clinic: ClinicFile) -> str:
    """The bookable menu by name."""
    names = [s.name for s in clinic.services if s.bookable]
    return f"We offer {', '.join(names)}. Want me to check openings for any of these?"


def clock(hhmm: str) -> str:
    """``"16:00"`` -> ``"4 PM"``, ``"09:30"`` -> ``"9:30 AM"``."""
    time = dt.time.fromisoformat(hhmm)
    suffix = "AM" if time.hour < 12 else "PM"
    hour = time.hour % 12 or 12
    return f"{hour}:{time.minute:02d} {suffix}" if time.minute else f"{hour} {suffix}"


def hours(clinic: ClinicFile, days: set[int] | None = None) -> str:
    """The clinic's opening hours from its records (only ``days``, 0=Monday, if given)."""
    parts, closed = [], []
    for i, day in enumerate(WEEKDAYS):
        if days and i not in days:
            continue
        spans = clinic.clinic.hours.get(day)
        if spans:
            span = ", ".join(f"{clock(a)}-{clock(b)}" for a, b in spans)
            parts.append(f"{WEEKDAYS_FULL[i][:3]} {span}")
        else:
            closed.append(WEEKDAYS_FULL[i])
    if days and closed:
        shut = f"We're closed on {' and '.join(closed)}."
        return f"{shut} We're open {'; '.join(parts)}." if parts else f"{shut} {hours(clinic)}"
    if not parts:
        return "Please call us for our hours."
    return f"We're open {'; '.join(parts)}."


# --- booking ----------------------------------------------------------------------------------


def describe(args: dict[str, Any]) -> str:
    """The day/time filters of ``find_slots`` arguments in words ("Friday after 2 PM")."""
    bits = []
    days = args.get("weekdays") or []
    if days:
        bits.append(" or ".join(WEEKDAYS_FULL[WEEKDAYS.index(d)] for d in days))
    if args.get("date_from") and args.get("date_to") and not days:
        start = dt.date.fromisoformat(args["date_from"])
        end = dt.date.fromisoformat(args["date_to"])
        bits.append(
            start.strftime("%a %b ") + str(start.day)
            if start == end
            else f"{start.strftime('%b')} {start.day}-{end.strftime('%b')} {end.day}"
        )
    if args.get("after") and args.get("before"):
        bits.append(f"between {clock(args['after'])} and {clock(args['before'])}")
    elif args.get("after"):
        bits.append(f"after {clock(args['after'])}")
    elif args.get("before"):
        bits.append(f"before {clock(args['before'])}")
    return " ".join(bits)


def _numbered(slots: list[dict[str, Any]]) -> str:
    return "\n".join(f"{s['option']}) {s['when']} with {s['provider']}" for s in slots)


def slots(
    result: dict[str, Any], args: dict[str, Any], clinic: ClinicFile, *, with_price: bool
) -> str:
    """Numbered openings from a ``find_slots`` result (or that there are none)."""
    name = result.get("service", "that")
    wanted = describe(args)
    found = result.get("slots") or []
    prefix = ""
    if with_price:
        service = clinic.service(result["service_id"])
        if service.price:
            prefix = f"{service.name}: {service.price}. "
    if not found:
        return (
            f"{prefix}I'm sorry, I don't see any openings for {name} in the next "
            f"{clinic.clinic.booking.max_days_ahead} days. {JOIN_HINT}"
        )
    if result.get("matched_preferences", True):
        head = f"Here are openings for {name}" + (f" {wanted}" if wanted else "") + ":"
    else:
        head = f"I don't have {name} openings {wanted or 'then'}, but the nearest are:"
    deposit = result.get("deposit")
    tail = "Reply with the number that works"
    tail += f" (a {deposit} deposit holds it)." if deposit else "."
    if not result.get("matched_preferences", True):
        tail += f" {JOIN_HINT}"
    return f"{prefix}{head}\n{_numbered(found)}\n{tail}"


def taken(result: dict[str, Any]) -> str:
    """That the chosen time was just taken, with the alternatives offered instead."""
    alts = result.get("alternatives") or []
    if not alts:
        return (
            "Sorry, that time was just taken and I don't see other openings soon. "
            "Want me to have the team reach out?"
        )
    return (
        "Sorry, that time was just taken by someone else. Here are the closest "
        f"openings:\n{_numbered(alts)}\nReply with the number that works."
    )


def deposit(result: dict[str, Any], clinic_name: str) -> str:
    """The deposit link from ``send_deposit_link`` (or the booking, when none is needed)."""
    who = f" with {result['provider']}" if result.get("provider") else ""
    if result.get("booked"):
        return f"You're booked: {result['service']}{who} on {result['when']}. See you then! - {clinic_name}"
    return (
        f"I'm holding {result['service']}{who} on {result['when']} for "
        f"{result['hold_minutes']} min. To confirm, pay the {result['amount']} deposit "
        f"here: {result['link']}"
    )


# --- existing appointments --------------------------------------------------------------------

_PENDING = ("held", "awaiting_deposit")


def appointment(appt: Appt) -> str:
    """``Botox with Dr. Ana Ruiz on Thu Nov 26 at 4:00 PM CST``."""
    who = f" with {appt['provider']}" if appt.get("provider") else ""
    return f"{appt['service']}{who} on {appt['when']}"


def _status(appt: Appt) -> str:
    if appt.get("status") in _PENDING:
        return " (held, waiting on the deposit)"
    if appt.get("deposit_paid"):
        return f" (confirmed, {appt['deposit_paid']} deposit paid)"
    return " (confirmed)"


def no_appointments(action: str) -> str:
    """The patient has no upcoming appointment (``action``: cancel | move | query)."""
    head = "I don't see any upcoming appointments for this number"
    if action == "cancel":
        return f"{head}, so there's nothing to cancel. Anything else I can help with?"
    return f"{head}. Want me to check openings for you?"


def listing(appts: list[Appt]) -> str:
    """Answer "when is my appointment?"."""
    if len(appts) == 1:
        return f"You're scheduled for {appointment(appts[0])}{_status(appts[0])}. See you then!"
    lines = [f"- {appointment(a)}{_status(a)}" for a in appts]
    return "Your upcoming appointments:\n" + "\n".join(lines)


def which_appointment(appts: list[Appt], action: str) -> str:
    """Ask which of several appointments to cancel or move."""
    lines = [f"{i}) {appointment(a)}" for i, a in enumerate(appts, 1)]
    verb = "cancel" if action == "cancel" else "move"
    return (
        f"You have {len(appts)} upcoming appointments:\n"
        + "\n".join(lines)
        + f"\nWhich one would you like to {verb}?"
    )


def confirm_cancel(appt: Appt, notice_hours: int) -> str:
    """Ask before cancelling, saying what happens to the deposit under the notice policy."""
    paid = appt.get("deposit_paid")
    if paid and appt.get("inside_notice_window"):
        why = (
            f"It was moved with less than {notice_hours} hours' notice"
            if appt.get("moved_late")
            else f"It's less than {notice_hours} hours away"
        )
        outcome = (
            f" {why}, so under our cancellation policy your {paid} deposit would be kept, "
            "not refunded."
        )
    elif paid:
        outcome = f" Your {paid} deposit will be refunded in full."
    elif appt.get("status") in _PENDING:
        outcome = " No deposit has been paid, so nothing is charged."
    else:
        outcome = ""
    return f"Cancel your {appointment(appt)}?{outcome} Reply YES to cancel."


def kept(appt: Appt | None, *, moving: bool = False) -> str:
    """The patient dropped the cancel or move: nothing changed."""
    done = "moved" if moving else "cancelled"
    if appt is None:
        return f"No problem, I haven't {done} anything. Your appointments are still on."
    return f"No problem, I haven't {done} anything. Your {appointment(appt)} is still on."


def cancelled(result: dict[str, Any], notice_hours: int) -> str:
    """What ``cancel_appointment`` did, deposit outcome included."""
    head = f"Done: your {result['service']} on {result['when']} is cancelled."
    amount = result.get("amount")
    outcome = result.get("deposit")
    within = result.get("cancellation_notice_hours", notice_hours)
    if outcome == "refunded":
        tail = f" Your {amount} deposit is being refunded in full."
    elif outcome == "kept":
        moved = "it was moved with" if result.get("moved_late") else "it was"
        tail = (
            f" Because {moved} less than {within} hours' notice, your {amount} deposit is "
            "kept under our cancellation policy."
        )
    elif outcome == "refund_failed":
        tail = (
            f" The refund of your {amount} deposit didn't go through automatically, so "
            "our team will refund it by hand."
        )
    else:
        tail = ""
    return f"{head}{tail} Text us anytime to book again."


def ask_when(appt: Appt) -> str:
    """Ask for the new day and time of a move."""
    return (
        f"Sure! What day and time would you like to move your {appt['service']} "
        f"on {appt['when']} to?"
    )


def move_offers(appt: Appt, result: dict[str, Any], wanted: str) -> str:
    """Numbered openings for a move (same service)."""
    found = result.get("slots") or []
    head = f"To move your {appt['service']} on {appt['when']}"
    if not found:
        return (
            f"{head}, I'm sorry, I don't see any other openings soon. Want me to have "
            "the team reach out?"
        )
    if result.get("matched_preferences", True):
        intro = f"{head}, here are openings" + (f" {wanted}" if wanted else "") + ":"
    else:
        intro = f"{head}: I don't have openings {wanted or 'then'}, but the nearest are:"
    return f"{intro}\n{_numbered(found)}\nReply with the number that works."


def move_other_times(appt: Appt) -> str:
    """The patient turned the move offers down."""
    return (
        f"No problem! What other day or time would you like to move your "
        f"{appt['service']} on {appt['when']} to?"
    )


def moved(result: dict[str, Any], appt: Appt | None, clinic_name: str) -> str:
    """What ``reschedule_appointment`` did (``appt``: the appointment being moved)."""
    if not result.get("rescheduled"):
        if appt is None:
            return "Sorry, that time was just taken. What other day or time works?"
        return (
            f"Sorry, that time was just taken. What other day or time would you like to "
            f"move your {appt['service']} on {appt['when']} to?"
        )
    who = f" with {result['provider']}" if result.get("provider") else ""
    head = f"Done! Your {result['service']} is moved to {result['when']}{who}"
    if result.get("status") == "booked":
        paid = appt.get("deposit_paid") if appt else None
        carried = f" Your {paid} deposit carries over." if paid else ""
        if paid and result.get("late_change"):
            hours = result.get("cancellation_notice_hours")
            carried += (
                f" Because the booking was changed with less than {hours} hours' notice, the "
                "deposit can't be refunded if you cancel."
            )
        return f"{head}, and you're confirmed.{carried} See you then! - {clinic_name}"
    return f"{head}. To confirm it, pay the deposit with the link I sent earlier."
