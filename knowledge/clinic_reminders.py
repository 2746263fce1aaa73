"""The clinic file's ``clinic.reminders`` section (DESIGN.md §4.1): confirmation at booking,
reminders before the visit, aftercare and a review request after it.

Validated like the rest of the clinic file: an unknown key, a reminder hour out of range,
a duplicate hour or a review link that is not an https address is an error naming its path.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Two weeks: a reminder earlier than that reminds nobody of anything.
MAX_HOURS_BEFORE = 14 * 24


class Reminders(BaseModel):
    """``clinic.reminders``: which texts a booked visit gets.

    Attributes:
        confirm: text a confirmation when a visit is booked (default true).
        hours_before: reminder times, in hours before the start (default ``[24, 2]``; each
            1..336, no repeats, at most 4). ``[]`` sends no reminders.
        review_url: a link to the clinic's review page; set, the patient is asked for a
            review the day after a visit, at most once per ``review_every_days``.
        no_show_followup: offer a patient marked no-show one rebooking text.
        aftercare_hours: a service's ``aftercare`` text goes this many hours after the visit
            ends (default 2; 0..72).
        review_hour: the clinic-local hour of the day after the visit the review ask is due
            (default 10; 8..20, inside the hours texts may be sent).
        review_every_days: at most one review ask per patient in this many days (default 90).
    """

    model_config = ConfigDict(extra="forbid")

    confirm: bool = True
    hours_before: list[int] = Field(default_factory=lambda: [24, 2], max_length=4)
    review_url: str | None = Field(default=None, max_length=300)
    no_show_followup: bool = True
    aftercare_hours: int = Field(default=2, ge=0, le=72)
    review_hour: int = Field(default=10, ge=8, le=20)
    review_every_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("hours_before")
    @classmethod
    def _hours(cls, value: list[int]) -> list[int]:
        for hours in value:
            if not 1 <= hours <= MAX_HOURS_BEFORE:
                raise ValueError(
                    f"{hours} is not between 1 and {MAX_HOURS_BEFORE} hours before the visit"
                )
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists an hour twice")
        return sorted(value, reverse=True)

    @field_validator("review_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith("https://") or " " in value:
            raise ValueError(f"{value!r} is not an https:// link")
        return value
