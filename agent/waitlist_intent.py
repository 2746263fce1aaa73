"""The patient's own words about the waitlist, answered before the model runs (after the
safety guardrails): joining ("put me on the waitlist", "yes add me", "can you let me know if
anything opens up thursday afternoon"), and the answer to an opening offered to them (a yes
or "I'll take it" claims it: a normal hold and deposit link; a no passes it on; a yes after
the claim window is told it is gone).

:func:`waitlist_reply` returns the reply, or None when the text is not about the waitlist
(the model then answers it as usual).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent import copy, copy_waitlist
from agent.dialog import Wish
from agent.models.base import ChatMessage
from agent.nlu.intents import yes_no
from agent.nlu.services import match_services
from agent.nlu.text import normalize
from agent.nlu.when import TimePreference, parse_when
from agent.tool_args import HoldSlotArgs, SendDepositLinkArgs
from agent.tool_base import AgentDeps, service_terms
from agent.tools import hold_slot, send_deposit_link
from booking.waitlist import AlreadyWaiting, Window, join, leave
from booking.waitlist_offers import (
    claim,
    decline,
    late_answer,
    offer_claimed,
    pending_offer,
    settle_claim,
)
from knowledge.clinic_file import WEEKDAYS

_LIST = re.compile(r"\bwait ?(?:ing )?list\b")
_TELL_ME = re.compile(
    r"\b(?:let me know|text me|tell me|notify me|message me|ping me|reach out|keep me posted)\b"
    r".*\b(?:opens? up|opens|opening|openings|opened|frees? up|cancel\w*|comes? up|"
    r"becomes? available|availability|spot|spots)\b"
)
_ADD_ME = re.compile(r"\b(?:add me|put me (?:on|down|in)|sign me up|count me in)\b")
_CLAIM = re.compile(
    r"^\s*1\s*[.!]*\s*$|\b(?:ill take it|i will take it|take it|i want it|ill grab it|grab it|"
    r"book it|book me|mine|claim)\b"
)
_ASKS_ABOUT = re.compile(r"^(?:is there|do you (?:have|do|keep)|how (?:does|do|long)|whats)\b")
_LEAVE = re.compile(
    r"\b(?:(?:take|remove|drop|get) me off|remove me from|(?:cancel|stop) (?:my |the )?wait ?list|"
    r"(?:dont|do not|no longer) need (?:the |to be on the )?wait ?list|leave the wait ?list)\b"
)
_PASS = re.compile(r"\b(?:pass|cant make it|can not make it|skip)\b")


def _clean(text: str) -> str:
    return normalize(text).replace("'", "").replace("\u2019", "")


def wants_to_join(text: str, last_reply: str) -> bool:
    """True when ``text`` asks to join the waitlist (``last_reply``: the assistant's last
    text, so "yes add me" after the invitation counts)."""
    s = _clean(text)
    if yes_no(text) is False or re.search(r"\b(?:dont|do not|no)\b.*\b(?:wait ?list|add)\b", s):
        return False
    if _LIST.search(s) or _TELL_ME.search(s):
        return True
    invited = copy_waitlist.JOIN_HINT.split(" and ")[0].lower() in last_reply.lower()
    return invited and (bool(_ADD_ME.search(s)) or yes_no(text) is True)


def answer_to_offer(text: str) -> bool | None:
    """The patient's answer to an opening offered: True (claim), False (pass), None."""
    s = _clean(text)
    said = yes_no(text)
    if said is False or _PASS.search(s):
        return False
    if said is True or _CLAIM.search(s):
        return True
    return None


def waitlist_reply(deps: AgentDeps, text: str, history: Sequence[ChatMessage] = ()) -> str | None:
    """The reply to a waitlist text, or None when ``text`` is not one.

    Args:
        deps: the turn's dependencies.
        text: the patient's text.
        history: the conversation so far (its last assistant text tells whether the patient
            was just invited to join).
    """
    said = (m.content for m in reversed(history) if m.role == "assistant" and m.content)
    last_reply = next(said, "")
    leaving, answer = bool(_LEAVE.search(_clean(text))), answer_to_offer(text)
    offer_id = None
    if leaving or answer is not None:  # only then can a pending offer matter (no read else)
        with deps.db.session() as session:
            offer = pending_offer(session, deps.terms.clinic_id, deps.patient_phone)
            offer_id = offer.id if offer is not None else None
    if leaving:
        return _leave(deps, offer_id)
    if offer_id is not None and answer is not None:
        return _claim(deps, offer_id) if answer else _pass(deps, offer_id)
    joining = wants_to_join(text, last_reply)
    if answer is True and not joining:
        with deps.db.session() as session:
            if late_answer(session, deps.terms.clinic_id, deps.patient_phone, deps.now):
                return copy_waitlist.GONE
    asked_days = copy_waitlist.ASK_OTHER_DAYS in last_reply
    if asked_days and parse_when(text, deps.now.astimezone(deps.terms.zone)) is not None:
        return _join(deps, text)  # the days asked for after "we're closed then"
    if not joining:
        return None
    if _ASKS_ABOUT.search(_clean(text)) and "?" in text:
        named = match_services(text, deps.clinic.services)
        if named:  # kept, so a WAITLIST that follows joins for it
            deps.state.service_id = named[0].service_id
        return copy_waitlist.HOW_IT_WORKS  # a question about it, not a request yet
    return _join(deps, text)


def _leave(deps: AgentDeps, offer_id: int | None) -> str:
    """Take the patient off the list; an opening offered to them passes on at once."""
    with deps.db.session() as session:
        if offer_id is not None:
            decline(session, offer_id, deps.now)
        left = leave(session, deps.terms.clinic_id, deps.patient_phone, deps.now)
    return copy_waitlist.LEFT if left else copy_waitlist.NOT_ON_LIST


def _pass(deps: AgentDeps, offer_id: int) -> str:
    with deps.db.session() as session:
        decline(session, offer_id, deps.now)
    return copy_waitlist.PASSED


def _claim(deps: AgentDeps, offer_id: int) -> str:
    """Claim the offer; on a win hold the slot through the normal hold and send the deposit
    link (or book it when no deposit applies)."""
    with deps.db.session() as session:
        won = claim(session, offer_id, deps.now)
    if won is None:
        return copy_waitlist.GONE
    service = deps.clinic.service(won.service_id)
    with deps.db.session() as session:
        offer_claimed(
            session,
            won,
            conversation_id=deps.conversation_id,
            clinic=deps.terms,
            service=service_terms(deps.clinic, service),
            now=deps.now,
        )
    held = hold_slot(deps, HoldSlotArgs(option=1))
    with deps.db.session() as session:
        settle_claim(session, won, held=bool(held.get("held")), now=deps.now)
    if not held.get("held"):
        return copy.taken(held) if "alternatives" in held else copy_waitlist.GONE
    link = send_deposit_link(deps, SendDepositLinkArgs())
    if "error" in link:
        return copy_waitlist.GONE
    return copy.deposit(link, deps.clinic.clinic.name)


def _window(deps: AgentDeps, text: str) -> Window:
    """The window the patient named in ``text``, else their current wish, else any time."""
    local = deps.now.astimezone(deps.terms.zone)
    when: TimePreference | Wish | None = parse_when(text, local) or deps.state.wish
    if when is None:
        return Window()
    return Window(
        weekdays=frozenset(when.weekdays),
        after=when.after,
        before=when.before,
        date_from=when.date_from,
        date_to=when.date_to,
        text=when.text,
    )


def _join(deps: AgentDeps, text: str) -> str:
    """Put the patient on the waitlist for the service named (or being discussed)."""
    matches = match_services(text, deps.clinic.services)
    service_id = matches[0].service_id if matches else deps.state.service_id
    if service_id is None:
        return copy_waitlist.WHICH_SERVICE
    service = deps.clinic.service(service_id)
    if not service.bookable:
        return copy_waitlist.not_bookable(service.name)
    window = _window(deps, text)
    hours = deps.clinic.clinic.hours
    if window.weekdays and not any(hours.get(WEEKDAYS[d]) for d in window.weekdays):
        return copy_waitlist.closed_days(sorted(window.weekdays))
    try:
        with deps.db.session() as session:
            join(
                session,
                clinic_id=deps.terms.clinic_id,
                patient_phone=deps.patient_phone,
                service_id=service.id,
                window=window,
                now=deps.now,
                conversation_id=deps.conversation_id,
            )
    except AlreadyWaiting:
        pass  # joined twice at once: one entry stands, the reply is the same
    deps.state.service_id = service.id
    minutes = deps.clinic.clinic.waitlist.claim_minutes
    return copy_waitlist.joined(service.name, window.text, minutes)
