"""Reminders at scale on Postgres with RQ workers: on time, once, never to an opted-out number.

Usage: ``.venv/bin/python bench/reminders.py [--appointments 10000] [--clinics 50]
[--workers 3] [--spread 180]``

Recreates a scratch database (``BENCH_REMINDERS_DATABASE_URL``, default ``.../h_rem_bench``)
migrated by ``frontdesk db upgrade``, seeds ``--clinics`` clinics (copies of
``testdata/reminder-clinic.json``) in six US time zones, and books ``--appointments`` visits
whose 24-hour reminders fall due over the next ``--spread`` seconds of real time; every 50th
patient has opted out. The rows are made by the real code (:func:`booking.reminders.
schedule_texts`). Then ``--workers`` ``frontdesk worker`` processes (RQ on
``BENCH_REMINDERS_REDIS_URL``, default db 1) run as in production: their sweeper every 30 s,
the reminder jobs, the sends through the recording carrier.

Prints, read from the database once every reminder is settled: reminders sent within 60 s of
their due time among those due outside quiet hours, deferred by quiet hours (and whether each
waits for 8 AM recipient-local), duplicates (a patient with two reminder texts), texts to
opted-out numbers, and p50/p99 lateness (sent_at - due_at). Exits non-zero on a duplicate or
a text to an opted-out number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

from app.db import Database  # noqa: E402
from bench.webhook_stack import FRONTDESK, pct, stop_all  # noqa: E402
from booking.models import Appointment, AppointmentStatus  # noqa: E402
from booking.reminders import schedule_texts  # noqa: E402
from booking.terms import ReminderPlan  # noqa: E402
from knowledge.clinic_file import parse_clinic_file  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402
from messaging.outbound import record_opt_out  # noqa: E402
from messaging.quiet_hours import START_HOUR, recipient_zone  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get(
    "BENCH_REMINDERS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/h_rem_bench"
)
REDIS_URL = os.environ.get("BENCH_REMINDERS_REDIS_URL", "redis://127.0.0.1:6379/1")
#: (IANA zone, an area code of that zone): patients' numbers map to their clinic's zone.
ZONES = (
    ("America/New_York", "212"),
    ("America/Chicago", "312"),
    ("America/Denver", "303"),
    ("America/Los_Angeles", "213"),
    ("America/Phoenix", "602"),
    ("Pacific/Honolulu", "808"),
)
PLAN = ReminderPlan(hours_before=(24,))
#: The first reminder falls due this long after booking starts: booking 10,000 visits on a
#: busy machine takes up to half a minute, and the workers start after it.
LEAD_SECONDS = 60


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else ""),
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "SMS_CARRIER": "recording",
        "LOG_LEVEL": "ERROR",
    }
    for name in ("OPENAI_API_KEY", "TELNYX_API_KEY", "TWILIO_ACCOUNT_SID", "SQUARE_ACCESS_TOKEN"):
        env.pop(name, None)
    return env


def prepare() -> Database:
    """Recreate the scratch database and migrate it with ``frontdesk db upgrade``."""
    url = make_url(DB_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    subprocess.run([*FRONTDESK, "db", "upgrade"], env=_env(), cwd=ROOT, check=True, timeout=300)
    Redis.from_url(REDIS_URL).flushdb()
    return Database(DB_URL)


def seed(db: Database, clinics: int) -> list[tuple[str, str, str]]:
    """Seed ``clinics`` copies of the reminder clinic; (id, zone, area code) of each."""
    template = json.loads((ROOT / "testdata" / "reminder-clinic.json").read_text())
    out = []
    for i in range(clinics):
        zone, area = ZONES[i % len(ZONES)]
        data = json.loads(json.dumps(template))
        info = data["clinic"]
        info.update(id=f"bench-{i:02d}", timezone=zone, phone_numbers=[f"+1{area}55501{i:02d}"])
        info["reminders"] = {"hours_before": [24]}
        info.pop("staff_alert_phone", None)
        seed_clinic(db, parse_clinic_file(data))
        out.append((info["id"], zone, area))
    return out


def book(db: Database, clinics: list[tuple[str, str, str]], n: int, spread: float) -> float:
    """Book ``n`` visits whose 24-hour reminders fall due over ``spread`` s; opt out every
    50th patient. Returns the epoch second the first reminder is due."""
    now = dt.datetime.now(dt.UTC)
    first = now + dt.timedelta(seconds=LEAD_SECONDS)
    for start in range(0, n, 1000):
        with db.session() as s:
            rows = []
            for i in range(start, min(n, start + 1000)):
                clinic_id, zone, area = clinics[i % len(clinics)]
                due = first + dt.timedelta(seconds=spread * i / n)
                visit = due + dt.timedelta(hours=24)
                phone = f"+1{area}{2000000 + i}"
                rows.append(
                    Appointment(
                        clinic_id=clinic_id,
                        patient_phone=phone,
                        service_id="skin-consult",
                        provider_id="dr-patel",
                        service_name="Complimentary Skin Consult",
                        provider_name="Dr. Anika Patel",
                        timezone=zone,
                        start_at=visit,
                        end_at=visit + dt.timedelta(minutes=30),
                        status=AppointmentStatus.BOOKED,
                        deposit_cents=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
                if i % 50 == 0:
                    record_opt_out(s, clinic_id, phone, "keyword", now)
            # Visits of one provider overlap here (the bench is about texts, not calendars):
            # a distinct provider id per visit keeps the overlap constraint out of the way.
            for j, row in enumerate(rows):
                row.provider_id = f"p-{start + j}"
            s.add_all(rows)
            s.flush()
            for row in rows:
                schedule_texts(s, row, PLAN, now)
    return first.timestamp()


def settled(db: Database) -> tuple[int, int]:
    """(reminder rows still pending, reminder texts queued and due now)."""
    with db.engine.connect() as conn:
        pending = conn.execute(
            text("SELECT count(*) FROM scheduled_texts WHERE status = 'pending'")
        ).scalar_one()
        queued = conn.execute(
            text(
                "SELECT count(*) FROM messages WHERE kind = 'reminder' AND status = 'queued' "
                "AND (send_after IS NULL OR send_after <= now())"
            )
        ).scalar_one()
    return int(pending), int(queued)


def report(db: Database, n: int) -> int:
    """Print the figures; the exit status (1 on a duplicate or an opted-out send)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT st.status, st.due_at, m.status, m.sent_at, m.send_after, m.to_number "
                "FROM scheduled_texts st LEFT JOIN messages m ON m.id = st.message_id"
            )
        ).all()
        duplicates = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT to_number FROM messages WHERE kind = 'reminder' "
                "GROUP BY to_number HAVING count(*) > 1) d"
            )
        ).scalar_one()
        to_opted_out = conn.execute(
            text(
                "SELECT count(*) FROM messages m JOIN opt_outs o ON o.phone = m.to_number "
                "WHERE m.kind = 'reminder' AND m.status NOT IN ('blocked', 'queued')"
            )
        ).scalar_one()
    late: list[float] = []
    deferred = deferred_ok = skipped = 0
    for st_status, due, m_status, sent_at, send_after, phone in rows:
        if st_status == "skipped":
            skipped += 1
        elif m_status == "queued" and send_after is not None:
            deferred += 1
            local = send_after.astimezone(recipient_zone(phone, None))
            deferred_ok += local.hour == START_HOUR and local.minute == 0
        elif sent_at is not None:
            late.append((sent_at - due).total_seconds())
    on_time = sum(1 for v in late if v <= 60)
    print(f"reminders scheduled: {len(rows)} for {n} appointments")
    print(
        f"sent outside quiet hours: {len(late)}; within 60 s of due: {on_time} "
        f"({100 * on_time / max(1, len(late)):.2f}%)"
    )
    if late:
        print(
            f"lateness (sent_at - due_at): p50 {pct(late, 50):.1f} s, "
            f"p99 {pct(late, 99):.1f} s, max {max(late):.1f} s"
        )
    print(f"deferred by quiet hours: {deferred} ({deferred_ok} wait for 8 AM recipient-local)")
    print(f"skipped (opted out): {skipped}")
    print(f"duplicates: {duplicates}")
    print(f"texts to opted-out numbers: {to_opted_out}")
    return 1 if duplicates or to_opted_out else 0


def main() -> int:
    """Prepare, book, run the workers until every reminder settles, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=10_000)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--spread", type=float, default=180.0)
    args = parser.parse_args()
    db = prepare()
    t0 = time.perf_counter()
    clinics = seed(db, args.clinics)
    first_due = book(db, clinics, args.appointments, args.spread)
    print(f"seeded {args.clinics} clinics and {args.appointments} appointments in "
          f"{time.perf_counter() - t0:.1f} s; zones: {', '.join(z for z, _ in ZONES)}")  # fmt: skip
    workers = [
        subprocess.Popen(
            [*FRONTDESK, "worker"],
            env=_env(),
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(args.workers)
    ]
    try:
        deadline = first_due + args.spread + 180
        while time.time() < deadline:
            time.sleep(2)
            pending, queued = settled(db)
            if time.time() > first_due + args.spread and pending == 0 and queued == 0:
                break
    finally:
        stop_all(workers)
    now_local = ", ".join(
        f"{z.split('/')[-1]} {dt.datetime.now(ZoneInfo(z)):%H:%M}" for z, _ in ZONES
    )
    print(f"local times at the run: {now_local}")
    status = report(db, args.appointments)
    db.dispose()
    return status


if __name__ == "__main__":
    sys.exit(main())
