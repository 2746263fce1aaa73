"""The ``frontdesk`` command line (DESIGN.md §4.3).

Every command reads the same settings (DESIGN.md §4.4). A user mistake (bad file, bad
setting) prints one clear message to stderr and exits 2, with no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from app.demo import DEMO_CLINIC, DEMO_SCENARIO
from app.errors import UserError
from app.settings import SettingsError, load_settings


def _context():  # type: ignore[no-untyped-def]
    from app.cli_context import cli_context

    return cli_context()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply every Alembic migration to the configured database."""
    from app.migrate import upgrade

    settings = load_settings()
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    print(f"database is up to date ({settings.effective_database_url.split('@')[-1]})")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    """Validate and upsert a clinic file; ``--docs DIR`` replaces the uploaded documents."""
    from app.cli_closures import print_closure_conflicts
    from app.flows.waitlist_reopened import offer_lifted_closures
    from knowledge.clinic_file import load_clinic_file
    from knowledge.seed import load_docs_dir
    from knowledge.updates import replace_documents, seed_with_uploads

    clinic = load_clinic_file(args.file)
    docs = load_docs_dir(args.docs) if args.docs else None
    ctx = _context()
    embedder = ctx.embedder
    before = ctx.clinic(clinic.clinic.id)
    report = seed_with_uploads(ctx.db, clinic, embedder=embedder)
    print(f"seeded {clinic.clinic.id}: {report.summary()}")
    print_closure_conflicts(ctx, clinic.clinic.id)  # closures over booked visits, for staff
    if opened := offer_lifted_closures(ctx, before, clinic):
        print(f"waitlist: {opened} opening(s) on reopened days offered to waiting patients")
    if docs is not None:
        print(replace_documents(ctx.db, clinic.clinic.id, docs, embedder=embedder).summary())
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    """Create, list or revoke a clinic's knowledge API keys; print its lead-form token."""
    from knowledge.apikeys import create_key, list_keys, revoke_key

    ctx = _context()
    if args.key_command == "create":
        key = create_key(ctx.db, args.clinic, args.label)
        print(
            f"API key for {args.clinic}, shown once (frontdesk keeps only its hash):",
            file=sys.stderr,
        )
        print(key)
    elif args.key_command == "list":
        with ctx.db.sessions() as session:
            keys = list_keys(session, args.clinic)
        for k in keys:
            state = "active" if k.active else f"revoked {k.revoked_at:%Y-%m-%d}"
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
            print(
                f"{k.key_id}  {state:<18} created {k.created_at:%Y-%m-%d}  used {used}  {k.label}"
            )
        if not keys:
            print(f"no API keys for clinic {args.clinic}")
    elif args.key_command == "form-token":
        from knowledge.form_tokens import form_token

        print(form_token(ctx.db, args.clinic, rotate=args.rotate))
    else:
        if not revoke_key(ctx.db, args.clinic, args.key_id):
            raise UserError(f"no active API key {args.key_id!r} for clinic {args.clinic!r}")
        print(f"revoked API key {args.key_id} of clinic {args.clinic}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Run scenario files; print a pass/fail table (and pass^k, and JSON on request)."""
    from app.eval.suite import run_eval

    return run_eval(
        args.paths, trials=args.trials, as_json=args.json, transcript=args.transcript, tags=args.tag
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """One whole conversation on the embedded default, printed; non-zero if nothing booked."""
    from app.eval.runner import run_scenario
    from app.eval.spec import load_scenario
    from app.eval.suite import print_transcript

    scenario = load_scenario(args.scenario or DEMO_SCENARIO)
    print(
        f"frontdesk demo: {scenario.name} (clinic file {scenario.clinic}, clock frozen at "
        f"{scenario.now.isoformat()})\n"
    )
    result = run_scenario(scenario)
    print_transcript(result)
    booked = [a for a in result.appointments if a["status"] == "booked"]
    print()
    for a in booked:
        print(
            f"BOOKED: {a['service_name']} with {a['provider_name']} on {a['when']} "
            f"(appointment #{a['id']}, status {a['status']})"
        )
    if not result.passed:
        print("\ndemo FAILED:\n  " + "\n  ".join(result.failures), file=sys.stderr)
        return 1
    if not booked:
        print("\ndemo FAILED: no appointment was booked", file=sys.stderr)
        return 1
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Play the patient in the terminal against a clinic file, with either backend."""
    from app.chat import chat_loop

    return chat_loop(clinic_file=args.clinic, phone=args.phone)


def cmd_staff(args: argparse.Namespace) -> int:
    """Staff take over: list and show conversations, reply from the clinic number, resume."""
    from sqlalchemy import select

    from app.flows.staff import resume_ai, staff_send
    from messaging.models import Conversation, Message

    ctx = _context()
    try:
        if args.staff_command == "list":
            with ctx.db.session() as s:
                rows = (
                    s.execute(
                        select(Conversation)
                        .where(Conversation.clinic_id == args.clinic)
                        .order_by(Conversation.id.desc())
                    )
                    .scalars()
                    .all()
                )
            for c in rows:
                state = "STAFF" if c.ai_paused else "ai"
                print(f"{c.id:>6}  {c.patient_phone}  {state:<5}  last text {c.last_inbound_at}")
        elif args.staff_command == "show":
            with ctx.db.session() as s:
                msgs = (
                    s.execute(
                        select(Message)
                        .where(Message.conversation_id == args.id)
                        .order_by(Message.id)
                    )
                    .scalars()
                    .all()
                )
            if not msgs:
                raise UserError(f"no conversation {args.id} (or it has no messages)")
            for m in msgs:
                arrow = ">" if m.direction == "in" else "<"
                print(f"{m.created_at:%Y-%m-%d %H:%M} {arrow} [{m.kind}] {m.body}")
        elif args.staff_command == "unconfirmed":
            _print_unconfirmed(ctx, args.clinic, args.hours)
        elif args.staff_command == "waitlist":
            _print_waitlist(ctx, args)
        elif args.staff_command == "reply":
            staff_send(ctx, args.id, " ".join(args.text))
            print(f"sent; the AI is paused on conversation {args.id} until `staff resume`")
        else:
            resume_ai(ctx, args.id)
            print(f"the AI answers conversation {args.id} again")
    except LookupError as exc:
        raise UserError(str(exc)) from None
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    """Add, remove or list a clinic's web accounts (``/app`` logins).

    ``add`` reads the password from stdin with ``--password-stdin`` (one line), else asks for
    it twice without echo.
    """
    from app.accounts import Role, add_account, list_accounts, remove_account

    ctx = _context()
    if args.user_command == "add":
        password = _read_password(args.password_stdin)
        role = Role.OWNER if args.role == "owner" else Role.STAFF
        account = add_account(ctx.db, args.clinic, args.email, password, role)
        print(f"added {account.email} ({account.role}) to {account.clinic_id}")
    elif args.user_command == "remove":
        remove_account(ctx.db, args.clinic, args.email)
        print(f"removed {args.email} from {args.clinic}; it can no longer sign in")
    else:
        for account, disabled in list_accounts(ctx.db, args.clinic):
            print(f"{account.email}  {account.role}{'  (removed)' if disabled else ''}")
    return 0


def _read_password(from_stdin: bool) -> str:
    """One password from stdin (``--password-stdin``) or asked twice at the terminal."""
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the two passwords differ")
    return first


def _print_unconfirmed(ctx: Any, clinic_id: str, hours: int) -> None:
    """Print the clinic's booked visits in the next ``hours`` the patient has not confirmed."""
    from booking.reminders import describe_unconfirmed, unconfirmed

    if not 1 <= hours <= 720:
        raise UserError("--hours must be from 1 to 720")
    with ctx.db.session() as s:
        rows = [describe_unconfirmed(a) for a in unconfirmed(s, clinic_id, ctx.clock.now(), hours)]
    if not rows:
        print(f"no unconfirmed appointments in the next {hours} hours")
    for r in rows:
        print(
            f"{r['start']}  {r['patient_phone']}  {r['service']} with {r['provider']}"
            f"  (conversation {r['conversation_id']})"
        )


def _print_waitlist(ctx: Any, args: argparse.Namespace) -> None:
    """``frontdesk staff waitlist CLINIC [--all] [--json]``: the clinic's waitlist."""
    from booking.waitlist_staff import waitlist_rows

    clinic = ctx.clinic(args.clinic)
    if clinic is None:
        raise UserError(f"no clinic {args.clinic!r}; seed it first")
    with ctx.db.session() as s:
        rows = waitlist_rows(s, args.clinic, clinic.clinic.zone, everyone=args.all)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        print("nobody is on the waitlist")
    for r in rows:
        offer = f"  offer {r['offer']['status']}" if r["offer"] else ""
        print(
            f"{r['id']:>5}  {r['patient_phone']}  {r['service_id']:<18} {r['window']:<28} "
            f"{r['status']:<8} joined {r['joined_at'][:16]}{offer}"
        )


def cmd_eval_knowledge(args: argparse.Namespace) -> int:
    """Retrieval quality over a questions file: recall@1, recall@3, MRR."""
    from knowledge.eval import format_report, run_knowledge_eval

    result = run_knowledge_eval(args.file, env=os.environ)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


def cmd_eval_safety(args: argparse.Namespace) -> int:
    """Triage alone over a labelled safety set (DESIGN.md §4.6).

    Args:
        args: ``file``, the YAML list of ``{text, label, source?}``.

    Returns:
        0 at 100% emergency recall, else 1 (the report's last line says why).
    """
    from app.eval.safety import format_report, load_safety_set, run_safety_eval

    report = run_safety_eval(load_safety_set(args.file))
    print(format_report(report, source=args.file))
    return 0 if report.failure() is None else 1


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web app with gunicorn; refuse a half-configured production first.

    Raises:
        UserError: a production setting is half-set (see :mod:`app.preflight`).
    """
    from app.preflight import require_production_ready
    from app.server import serve

    settings = load_settings()
    require_production_ready(settings)
    serve(host=args.host, port=args.port, workers=args.workers, log_format=settings.log_format)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Say what is configured, what production still lacks, and what is half-set.

    Returns:
        0 when no production setting is half-set, else 1.
    """
    from app.preflight import check_settings, format_report

    report = check_settings(load_settings())
    print(format_report(report))
    return 1 if report.problems else 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run an RQ worker (needs ``REDIS_URL``), with the periodic sweeper."""
    from app.worker import run_worker

    return run_worker()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``frontdesk``."""
    parser = argparse.ArgumentParser(prog="frontdesk", description="SMS front desk for medspas")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run one whole conversation on the embedded default")
    p.add_argument("--scenario", help="scenario file to run instead of the built-in demo")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("chat", help="be the patient in the terminal")
    p.add_argument("--clinic", default=str(DEMO_CLINIC))
    p.add_argument("--phone", default="+15125550142", help="your (fake) patient number")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("seed", help="validate and load a clinic file")
    p.add_argument("file")
    p.add_argument("--docs", help="folder of .md/.txt documents to index too")
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("serve", help="run the web app (gunicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("check", help="say what is configured and what production lacks")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("worker", help="run a job worker (RQ on REDIS_URL)")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("db", help="database commands")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    up.set_defaults(func=cmd_db_upgrade)
    p = sub.add_parser("eval", help="run conversation scenarios")
    p.add_argument("paths", nargs="+")
    p.add_argument("--trials", type=int, default=1, help="runs per scenario (pass^k)")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument("--transcript", action="store_true", help="print each conversation")
    p.add_argument("--tag", action="append", help="only scenarios with this tag")
    p.set_defaults(func=cmd_eval)
    _add_staff_commands(sub)
    from app.cli_funnel import add_report_commands

    add_report_commands(sub)
    p = sub.add_parser("eval-knowledge", help="measure retrieval on a questions file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_knowledge)
    p = sub.add_parser("eval-safety", help="measure safety triage on a labelled texts file")
    p.add_argument("file")
    p.set_defaults(func=cmd_eval_safety)
    return parser


def _add_staff_commands(sub: Any) -> None:
    """``frontdesk api-key ...`` and ``frontdesk staff ...``: what owners and staff run."""
    from app.cli_closures import cmd_staff_closures
    from app.cli_funnel import add_no_show_command

    p = sub.add_parser("api-key", help="manage a clinic's knowledge API keys")
    keys = p.add_subparsers(dest="key_command", required=True)
    k = keys.add_parser("create", help="create a key (printed once)")
    k.add_argument("clinic")
    k.add_argument("--label", default="", help="a note, e.g. 'owner laptop'")
    k.set_defaults(func=cmd_api_key)
    k = keys.add_parser("list", help="list a clinic's keys (ids only)")
    k.add_argument("clinic")
    k.set_defaults(func=cmd_api_key)
    k = keys.add_parser("revoke", help="revoke a key by its id (or the whole key)")
    k.add_argument("clinic")
    k.add_argument("key_id")
    k.set_defaults(func=cmd_api_key)
    k = keys.add_parser("form-token", help="print the public token of the website lead form")
    k.add_argument("clinic")
    k.add_argument("--rotate", action="store_true", help="retire the old token, make a new one")
    k.set_defaults(func=cmd_api_key)
    p = sub.add_parser("staff", help="see conversations, take over, reply, resume the AI")
    staff = p.add_subparsers(dest="staff_command", required=True)
    add_no_show_command(staff)
    k = staff.add_parser("list", help="a clinic's conversations")
    k.add_argument("clinic")
    k.set_defaults(func=cmd_staff)
    k = staff.add_parser("show", help="one conversation's messages")
    k.add_argument("id", type=int)
    k.set_defaults(func=cmd_staff)
    k = staff.add_parser("waitlist", help="a clinic's waitlist in join order")
    k.add_argument("clinic")
    k.add_argument("--all", action="store_true", help="include booked and removed entries")
    k.add_argument("--json", action="store_true", help="print JSON")
    k.set_defaults(func=cmd_staff)
    k = staff.add_parser("reply", help="text the patient as staff (pauses the AI)")
    k.add_argument("id", type=int)
    k.add_argument("text", nargs="+")
    k.set_defaults(func=cmd_staff)
    k = staff.add_parser("unconfirmed", help="upcoming visits the patient has not confirmed")
    k.add_argument("clinic")
    k.add_argument("--hours", type=int, default=48, help="look this many hours ahead (48)")
    k.set_defaults(func=cmd_staff)
    k = staff.add_parser("closures", help="booked visits on days the clinic is now closed")
    k.add_argument("clinic")
    k.add_argument("--json", action="store_true", help="print JSON")
    k.set_defaults(func=cmd_staff_closures)
    k = staff.add_parser("resume", help="hand the conversation back to the AI")
    k.add_argument("id", type=int)
    k.set_defaults(func=cmd_staff)
    p = sub.add_parser("user", help="a clinic's web accounts (staff inbox, owner dashboard)")
    users = p.add_subparsers(dest="user_command", required=True)
    k = users.add_parser("add", help="add an account (asks for its password)")
    k.add_argument("clinic")
    k.add_argument("email")
    k.add_argument("--role", choices=("staff", "owner"), default="staff")
    k.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    k.set_defaults(func=cmd_user)
    k = users.add_parser("remove", help="disable an account")
    k.add_argument("clinic")
    k.add_argument("email")
    k.set_defaults(func=cmd_user)
    k = users.add_parser("list", help="a clinic's accounts")
    k.add_argument("clinic")
    k.set_defaults(func=cmd_user)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``frontdesk`` console script."""
    from app.accounts import AccountError
    from app.eval.spec import ScenarioError
    from knowledge.apikeys import ApiKeyError
    from knowledge.clinic_file import ClinicFileError
    from knowledge.seed import SeedError
    from knowledge.updates import DocumentsError

    args = build_parser().parse_args(argv)
    from app.logging import configure_logging

    # Conversations print their own transcript; logs go to stderr, warnings and up.
    quiet = args.command in ("demo", "eval", "eval-knowledge", "eval-safety", "chat")
    fmt = "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "console"
    configure_logging("WARNING" if quiet else load_settings({}).log_level, fmt)
    try:
        return int(args.func(args))
    except (
        UserError,
        SettingsError,
        ClinicFileError,
        ScenarioError,
        SeedError,
        DocumentsError,
        ApiKeyError,
        AccountError,
    ) as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"frontdesk: no such file: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
