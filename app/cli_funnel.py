"""``frontdesk report funnel`` and ``frontdesk staff no-show``: the funnel's numbers for an
owner, and the no-show a staff member marks (wired into :mod:`app.cli`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from app.cli_context import cli_context
from app.errors import UserError
from payments.money import format_money


def cmd_report_funnel(args: argparse.Namespace) -> int:
    """Print the funnel of the ``--days`` clinic-local days ending today or ``--ending`` (the
    owner dashboard's period, :func:`booking.funnel_report.last_days`)."""
    from booking.funnel_report import funnel_report, last_days, local_today

    if args.days < 1:
        raise UserError("--days must be at least 1")
    ctx = cli_context()
    zone = "UTC"
    if args.clinic:
        clinic = ctx.clinic(args.clinic)
        if clinic is None:
            raise UserError(f"no clinic {args.clinic!r} (seed it first)")
        zone = clinic.clinic.timezone
    last = _ending(args.ending) or local_today(ctx.clock.now(), zone)
    since, until = last_days(last, args.days, zone)
    with ctx.db.sessions() as session:
        report = funnel_report(session, since, until, zone, args.clinic)
    data = report.to_dict()
    print(json.dumps(data, indent=2) if args.json else format_funnel(data))
    return 0


def _ending(value: str | None) -> dt.date | None:
    """``--ending`` as a date (None when not given)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--ending {value!r} is not a date like 2026-11-30") from None


def format_funnel(data: dict[str, Any]) -> str:
    """The report of :meth:`booking.funnel_report.FunnelReport.to_dict` as a text table:
    totals per step, then one column per ISO week, then deposits and response times."""
    weeks = [w["week"] for w in data["by_week"]]
    counts = {w["week"]: w["counts"] for w in data["by_week"]}
    who = data["clinic_id"] or "all clinics"
    lines = [f"funnel of {who}, {data['since'][:10]} to {data['until'][:10]} ({data['timezone']})"]
    lines.append(f"{'step':<24}{'total':>7}" + "".join(f"{w:>10}" for w in weeks))
    for step in data["steps"]:
        row = "".join(f"{counts[w].get(step, 0):>10}" for w in weeks)
        lines.append(f"{step:<24}{data['totals'][step]:>7}{row}")
    revenue = "".join(f"{format_money(w['deposit_revenue_cents']):>10}" for w in data["by_week"])
    lines.append(f"{'deposit revenue':<24}{'':>7}{revenue}")
    lines.append(f"deposits paid: {format_money(data['deposit_revenue_cents'])}")
    rt = data["response_time"]
    if rt["conversations"]:
        lines.append(
            f"first answer: median {rt['median_seconds']:.1f} s, p90 {rt['p90_seconds']:.1f} s"
            f" over {rt['conversations']} conversation{'' if rt['conversations'] == 1 else 's'}"
        )
    else:
        lines.append("first answer: no conversations in this period")
    return "\n".join(lines)


def cmd_staff_no_show(args: argparse.Namespace) -> int:
    """Mark a patient's missed visit a no-show (by appointment id or by phone)."""
    from app.flows.no_show import no_show_by_clinic, no_show_by_phone
    from booking.no_show import NoShowRefused
    from messaging.phones import mask, to_e164

    ctx = cli_context()
    try:
        if args.appointment is not None:
            marked = no_show_by_clinic(ctx, args.clinic, args.appointment)
        else:
            try:
                phone = to_e164(args.phone)
            except ValueError:
                raise UserError(f"{args.phone!r} is not a phone number") from None
            marked = no_show_by_phone(ctx, args.clinic, phone)
    except (LookupError, NoShowRefused) as exc:
        raise UserError(str(exc)) from None
    print(
        f"appointment {marked.appointment_id} ({marked.service_name}, {marked.when}) of "
        f"{mask(marked.patient_phone)} marked no-show; deposit kept: "
        f"{format_money(marked.deposit_kept_cents)}; one rebook offer queued"
    )
    return 0


def add_report_commands(sub: Any) -> None:
    """``frontdesk report funnel [--clinic ID] [--days N] [--json]``."""
    p = sub.add_parser("report", help="reports for clinic owners")
    reports = p.add_subparsers(dest="report_command", required=True)
    k = reports.add_parser("funnel", help="each step of the funnel, by week, with deposits")
    k.add_argument("--clinic", help="one clinic (its time zone); default every clinic, UTC")
    k.add_argument(
        "--days", type=int, default=30, help="how many local days up to --ending (default 30)"
    )
    k.add_argument("--ending", help="the period's last local day, YYYY-MM-DD (default today)")
    k.add_argument("--json", action="store_true", help="print the report as JSON")
    k.set_defaults(func=cmd_report_funnel)


def add_no_show_command(staff: Any) -> None:
    """``frontdesk staff no-show CLINIC (--appointment ID | --phone E164)``."""
    k = staff.add_parser("no-show", help="mark a missed visit (the patient gets a rebook offer)")
    k.add_argument("clinic")
    which = k.add_mutually_exclusive_group(required=True)
    which.add_argument("--appointment", type=int, help="our appointment id")
    which.add_argument("--phone", help="the patient's number: their latest past booking")
    k.set_defaults(func=cmd_staff_no_show)
