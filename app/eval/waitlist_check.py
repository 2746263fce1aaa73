"""The scenario runner's waitlist parts (DESIGN.md §4.2): ``given.waitlist`` entries and the
``waitlist`` outcome check (the spec's :class:`~app.eval.spec.GivenWaitlistEntry` and
:class:`~app.eval.spec.ExpectedWaitlistEntry`); ``advance`` reaches the waitlist's due
instants through :mod:`app.flows.due`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.context import AppContext
from app.eval.spec import ExpectedWaitlistEntry, GivenWaitlistEntry
from booking.waitlist import Window, join
from booking.waitlist_models import WaitlistEntry
from knowledge.clinic_file import WEEKDAYS

#: The outcome's ``expired`` is an entry no longer on the list without a booking.
_STATUS_NAMES = {"removed": "expired"}


def seed_waitlist(
    ctx: AppContext, clinic_id: str, phones: dict[str, str], entries: list[GivenWaitlistEntry]
) -> None:
    """Put ``entries`` on the clinic's waitlist, in order, joined one second apart before
    the frozen clock's now (so list order is join order)."""
    now = ctx.clock.now()
    for i, given in enumerate(entries):
        window = Window(
            weekdays=frozenset(WEEKDAYS.index(d) for d in given.days),
            after=dt.time.fromisoformat(given.after) if given.after else None,
            before=dt.time.fromisoformat(given.before) if given.before else None,
        )
        with ctx.db.session() as session:
            join(
                session,
                clinic_id=clinic_id,
                patient_phone=phones[given.patient],
                service_id=given.service,
                window=window,
                now=now - dt.timedelta(seconds=len(entries) - i),
            )


def check_waitlist(
    ctx: AppContext, phones: dict[str, str], expected: list[ExpectedWaitlistEntry]
) -> list[str]:
    """Failures of the ``waitlist`` outcome: each listed entry must exist with its status."""
    with ctx.db.session() as session:
        rows = session.execute(
            select(WaitlistEntry.patient_phone, WaitlistEntry.service_id, WaitlistEntry.status)
        ).all()
    actual = {(p, s, _STATUS_NAMES.get(str(st), str(st))) for p, s, st in rows}
    failures = []
    for want in expected:
        if (phones[want.patient], want.service, want.status) not in actual:
            found = sorted(
                f"{s}:{_STATUS_NAMES.get(str(st), str(st))}"
                for p, s, st in rows
                if p == phones[want.patient]
            )
            failures.append(
                f"outcome: waitlist has no {want.status} {want.service} entry for "
                f"{want.patient} (has {found or 'none'})"
            )
    return failures
