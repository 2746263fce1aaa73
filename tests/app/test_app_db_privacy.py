"""A failed SQL statement never carries the patient's number or words into an error or a log
(SQLAlchemy ``hide_parameters``): a failed insert used to log both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.context import AppContext

PHONE = "+15125550187"
WORDS = "my lip looks gray since friday"


def test_a_failed_insert_does_not_show_the_patients_number_or_text(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    with pytest.raises(IntegrityError) as caught, ctx.db.session() as s:
        s.execute(
            text(
                "INSERT INTO messages (clinic_id, direction, kind, carrier, from_number, "
                "to_number, body, media, segments, status, attempts, created_at) VALUES "
                "('c1', 'in', 'patient', 'telnyx', :phone, '+15125550100', :body, '[]', 1, "
                "'no-such-status', 0, :now)"
            ),
            {"phone": PHONE, "body": WORDS, "now": dt.datetime.now(dt.UTC)},
        )
    shown = str(caught.value)
    assert PHONE not in shown and WORDS not in shown
    assert "hidden due to hide_parameters" in shown
