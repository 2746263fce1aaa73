"""``frontdesk staff closures CLINIC``: the booked visits a closure now falls over (wired
into :mod:`app.cli`; also printed by ``frontdesk seed``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli_context import cli_context
from app.errors import UserError


def print_closure_conflicts(ctx: Any, clinic_id: str, *, as_json: bool = False) -> int:
    """Print ``clinic_id``'s upcoming visits inside a closure, soonest first.

    Returns:
        How many there are.

    Raises:
        UserError: no such clinic.
    """
    from booking.closure_conflicts import closure_conflicts

    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        raise UserError(f"no clinic {clinic_id!r} (seed it first)")
    with ctx.db.session() as session:
        rows = closure_conflicts(
            session, ctx.clinic_terms(clinic), clinic.clinic.closure_reasons, ctx.clock.now()
        )
    if as_json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return len(rows)
    if rows:
        print(
            f"{len(rows)} booked visit(s) fall on days the clinic is now closed; call or text them:"
        )
    for r in rows:
        why = f" ({r.reason})" if r.reason else ""
        print(
            f"  #{r.appointment_id}  {r.when}{why}  {r.patient_phone}  {r.service} with {r.provider}"
        )
    return len(rows)


def cmd_staff_closures(args: argparse.Namespace) -> int:
    """``frontdesk staff closures CLINIC [--json]``."""
    count = print_closure_conflicts(cli_context(), args.clinic, as_json=args.json)
    if not count and not args.json:
        print("no booked visits fall on a closed day")
    return 0
