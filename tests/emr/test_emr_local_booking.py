"""``LocalEMR`` patients and the appointment lifecycle: book, confirm, cancel, read."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from app.clock import FrozenClock
from app.db import Database
from emr.base import (
    DuplicatePatient,
    EMRError,
    NotCancellable,
    Slot,
    SlotQuery,
    SlotUnavailable,
)
from emr.local import LocalCalendar, LocalEMR

TZ = ZoneInfo("America/Chicago")
PHONE = "+15125550123"


def tuesday_slots(emr: LocalEMR, minutes: int = 30, provider: str = "dr-lee") -> list[Slot]:
    """Openings on Tuesday 2026-03-03 (Chicago) for one provider."""
    start = dt.datetime(2026, 3, 3, tzinfo=TZ)
    query = SlotQuery("botox", minutes, (provider,), start, start + dt.timedelta(days=1))
    return emr.find_slots(query)


def at(slots: list[Slot], hhmm: str) -> Slot:
    """The slot starting at local ``hhmm``."""
    return next(s for s in slots if s.start.astimezone(TZ).strftime("%H:%M") == hhmm)


def test_create_and_find_patients(emr: LocalEMR) -> None:
    assert emr.find_patients(PHONE) == []
    jane = emr.create_patient(PHONE, "Jane", "Doe", "jane@example.com")
    assert jane.id.isdigit() and (jane.phone, jane.given_name) == (PHONE, "Jane")
    assert emr.find_patients(PHONE) == [jane]
    assert emr.find_patients("+15125550999") == []


def test_duplicate_patient(emr: LocalEMR, make_emr: Callable[..., LocalEMR]) -> None:
    emr.create_patient(PHONE)
    with pytest.raises(DuplicatePatient):
        emr.create_patient(PHONE, "Someone", "Else")
    other = make_emr(clinic_id="other-clinic")
    assert other.find_patients(PHONE) == []
    other.create_patient(PHONE)  # the same phone at another clinic is another patient
    assert len(emr.find_patients(PHONE)) == 1


def test_book_proposes_and_slot_disappears(emr: LocalEMR) -> None:
    patient = emr.create_patient(PHONE)
    slot = at(tuesday_slots(emr), "10:00")
    appt = emr.book(slot, patient.id)
    assert appt.status == "proposed" and appt.id.isdigit()
    assert (appt.provider_id, appt.start, appt.end) == (slot.provider_id, slot.start, slot.end)
    assert appt.start.utcoffset() == dt.timedelta(0)
    assert emr.get_appointment(appt.id) == appt
    left = [s.start.astimezone(TZ).strftime("%H:%M") for s in tuesday_slots(emr)]
    assert "10:00" not in left and "09:45" not in left and "10:15" not in left
    assert "09:30" in left and "10:30" in left
    assert "10:00" in [
        s.start.astimezone(TZ).strftime("%H:%M") for s in tuesday_slots(emr, 30, "nurse-kim")
    ]


def test_booking_a_taken_slot_fails(emr: LocalEMR) -> None:
    patient = emr.create_patient(PHONE)
    slots = tuesday_slots(emr)
    emr.book(at(slots, "10:00"), patient.id)
    with pytest.raises(SlotUnavailable):
        emr.book(at(slots, "10:00"), patient.id)
    with pytest.raises(SlotUnavailable):
        emr.book(at(slots, "10:15"), patient.id)  # overlaps the first
    emr.book(at(slots, "10:30"), patient.id)  # adjacent is fine


def test_cancelled_slot_can_be_booked_again(emr: LocalEMR) -> None:
    patient = emr.create_patient(PHONE)
    slot = at(tuesday_slots(emr), "11:00")
    first = emr.book(slot, patient.id)
    emr.cancel(first.id)
    second = emr.book(slot, patient.id)
    assert second.id != first.id and second.status == "proposed"


def test_bad_tokens_are_unavailable(emr: LocalEMR, make_emr: Callable[..., LocalEMR]) -> None:
    patient = emr.create_patient(PHONE)
    slot = at(tuesday_slots(emr), "10:00")
    for token in ("", "not-a-token!", "e30", base64.urlsafe_b64encode(b"[1,2,3]").decode()):
        with pytest.raises(SlotUnavailable):
            emr.book(dataclasses.replace(slot, token=token), patient.id)
    with pytest.raises(SlotUnavailable):  # the slot was edited after it was offered
        emr.book(dataclasses.replace(slot, start=slot.start - dt.timedelta(hours=1)), patient.id)
    foreign = at(tuesday_slots(make_emr(clinic_id="other-clinic")), "10:00")
    with pytest.raises(SlotUnavailable):
        emr.book(foreign, patient.id)
    raw = json.loads(base64.urlsafe_b64decode(slot.token + "=="))
    raw[3] = "dr-gone"
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()
    with pytest.raises(SlotUnavailable):
        emr.book(dataclasses.replace(slot, provider_id="dr-gone", token=forged), patient.id)


def test_book_past_slot_or_unknown_patient(emr: LocalEMR, clock: FrozenClock) -> None:
    patient = emr.create_patient(PHONE)
    slot = at(tuesday_slots(emr), "10:00")
    for bad_id in ("999", "abc", ""):
        with pytest.raises(EMRError):
            emr.book(slot, bad_id)
    clock.set(slot.start)
    with pytest.raises(SlotUnavailable):
        emr.book(slot, patient.id)


def test_confirm_and_cancel(emr: LocalEMR) -> None:
    patient = emr.create_patient(PHONE)
    appt = emr.book(at(tuesday_slots(emr), "10:00"), patient.id)
    booked = emr.confirm(appt.id)
    assert booked.status == "booked" and emr.get_appointment(appt.id).status == "booked"
    assert emr.confirm(appt.id).status == "booked"  # idempotent
    assert "10:00" not in [s.start.astimezone(TZ).strftime("%H:%M") for s in tuesday_slots(emr)]
    cancelled = emr.cancel(appt.id)
    assert cancelled.status == "cancelled" == emr.get_appointment(appt.id).status
    assert "10:00" in [s.start.astimezone(TZ).strftime("%H:%M") for s in tuesday_slots(emr)]
    with pytest.raises(NotCancellable):
        emr.cancel(appt.id)
    with pytest.raises(SlotUnavailable):
        emr.confirm(appt.id)


def test_unknown_appointments(emr: LocalEMR, make_emr: Callable[..., LocalEMR]) -> None:
    for bad in ("12345", "abc", "-1", ""):
        with pytest.raises(NotCancellable):
            emr.cancel(bad)
        with pytest.raises(EMRError):
            emr.get_appointment(bad)
        with pytest.raises(EMRError):
            emr.confirm(bad)
    patient = emr.create_patient(PHONE)
    appt = emr.book(at(tuesday_slots(emr), "10:00"), patient.id)
    other = make_emr(clinic_id="other-clinic")
    with pytest.raises(EMRError):
        other.get_appointment(appt.id)
    with pytest.raises(NotCancellable):
        other.cancel(appt.id)


def test_started_booked_appointment_not_cancellable(emr: LocalEMR, clock: FrozenClock) -> None:
    patient = emr.create_patient(PHONE)
    slots = tuesday_slots(emr)
    booked = emr.confirm(emr.book(at(slots, "10:00"), patient.id).id)
    held = emr.book(at(slots, "11:00"), patient.id)
    clock.set(dt.datetime(2026, 3, 3, 12, 0, tzinfo=TZ))
    with pytest.raises(NotCancellable):
        emr.cancel(booked.id)
    assert emr.cancel(held.id).status == "cancelled"  # a hold can always be released


def test_concurrent_bookings_of_one_slot(emr: LocalEMR) -> None:
    patient = emr.create_patient(PHONE)
    slot = at(tuesday_slots(emr), "10:00")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            emr.book(slot, patient.id)
            outcomes.append("ok")
        except SlotUnavailable:
            outcomes.append("taken")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "taken", "taken", "taken"]


def test_reschedule_books_the_new_slot_then_cancels_the_old(
    db: Database, clock: FrozenClock
) -> None:
    """The patient keeps an appointment throughout: new first, then the old one released."""
    emr = LocalEMR(
        db,
        LocalCalendar(
            clinic_id="c1",
            timezone="America/Chicago",
            provider_hours={"p1": {"tue": [("09:00", "12:00")]}},
        ),
        clock,
    )
    slots = emr.find_slots(
        SlotQuery("s", 30, ("p1",), clock.now(), clock.now() + dt.timedelta(days=7))
    )
    patient = emr.create_patient("+15125550123")
    old = emr.confirm(emr.book(slots[0], patient.id).id)
    new = emr.reschedule(old.id, slots[4])
    assert new.status == "booked" and new.start == slots[4].start
    assert emr.get_appointment(old.id).status == "cancelled"
    with pytest.raises(SlotUnavailable):
        emr.reschedule(new.id, slots[4])  # its own time is taken (by itself)
    assert emr.get_appointment(new.id).status == "booked"
