"""The agent tools' arguments: one pydantic model per tool, whose docstring and field
descriptions are what the model reads (the GPT backend sees them as JSON schema; see
:mod:`agent.models.toolspec`), and which validate the arguments before a tool runs."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SearchKnowledgeArgs(BaseModel):
    """Search the clinic's documents and FAQs."""

    query: str = Field(description="The patient's question in a few words.")


class FindSlotsArgs(BaseModel):
    """Find real openings for a service."""

    service_id: str = Field(description="The service's id from the menu.")
    date_from: dt.date | None = Field(None, description="Earliest local date, YYYY-MM-DD.")
    date_to: dt.date | None = Field(None, description="Latest local date, inclusive.")
    weekdays: list[Weekday] = Field(default_factory=list, description="Allowed weekdays.")
    after: str | None = Field(None, description="Earliest local start time, HH:MM 24h.")
    before: str | None = Field(None, description="Latest local start time (exclusive), HH:MM.")
    provider_id: str | None = Field(None, description="Only this provider's openings.")
    exact: bool = Field(False, description="No nearest openings instead when none match.")


class HoldSlotArgs(BaseModel):
    """Hold one of the openings last offered, by its option number."""

    option: int = Field(ge=1, description="The option number the patient chose.")


class SendDepositLinkArgs(BaseModel):
    """Send the deposit link for the slot being held (or book it if no deposit applies)."""


class MyAppointmentsArgs(BaseModel):
    """List the patient's upcoming appointments (to answer "when is my appointment")."""


class CancelAppointmentArgs(BaseModel):
    """Cancel one of the patient's upcoming appointments (the clinic's notice policy applies:
    a paid deposit is refunded only with enough notice)."""

    appointment_id: int = Field(description="The id from my_appointments.")


class RescheduleAppointmentArgs(BaseModel):
    """Move an upcoming appointment to one of the openings last offered by find_slots."""

    appointment_id: int = Field(description="The id from my_appointments.")
    option: int = Field(ge=1, description="The option number the patient chose.")


class HandoffArgs(BaseModel):
    """Alert staff; the assistant pauses for them, except for medical or arrival (late/here)."""

    reason: Literal["patient_request", "medical", "emergency", "complaint", "arrival", "other"]
    summary: str = Field(description="One or two sentences for staff; no medical details.")
