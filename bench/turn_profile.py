"""Where a turn's time goes: ``take_turn`` (and the reply's ``send_message``) in a loop.

Usage: ``.venv/bin/python bench/turn_profile.py [--turns 200] [--profile cprofile|none]
[--top 30] [--sort cumulative|tottime]``.

Builds a context on a scratch Postgres schema (``BENCH_DATABASE_URL``, default
``.../frontdesk_bench``; schema ``turn_profile``, dropped first), seeds the demo clinic,
stores ``--turns`` texts from distinct patients (the bench's two first texts, alternating)
with jobs recorded instead of run, then runs each conversation's turn and its reply sends in
this process, with the offline model and the recording carrier. Prints turns per second of
one process and, with ``--profile cprofile``, the top functions by ``--sort``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import make_url, text  # noqa: E402

from app.db import Database  # noqa: E402
from app.flows.inbound_text import receive_text  # noqa: E402
from app.flows.sending import send_message  # noqa: E402
from app.flows.turn import take_turn  # noqa: E402
from app.jobs import Job  # noqa: E402
from app.logging import configure_logging  # noqa: E402
from app.migrations.registry import import_all_models  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.wiring import build_context  # noqa: E402
from knowledge.clinic_file import load_clinic_file  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402
from messaging.base import InboundMessage  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ("how much is botox", "do you have anything thursday after 4?")
SCHEMA = "turn_profile"


class RecordedJobs:
    """A job queue that only records what was enqueued (the loop below runs it)."""

    delays = False
    retries = False

    def __init__(self) -> None:
        self.jobs: list[tuple[Job, tuple[Any, ...]]] = []

    def enqueue(self, func: Job, *args: Any) -> None:
        self.jobs.append((func, args))

    def enqueue_in(self, seconds: float, func: Job, *args: Any) -> None:
        self.jobs.append((func, args))

    def enqueue_after_job(self, func: Job, *args: Any) -> None:
        self.jobs.append((func, args))


def scratch_url() -> str:
    base = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/frontdesk_bench"
    )
    admin = make_url(base).set(database="postgres")
    admin_db = Database(admin.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin_db.engine.connect() as conn:
        name = make_url(base).database
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname=:n"), {"n": name}
        ).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin_db.dispose()
    db = Database(base)
    with db.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    db.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    return url.render_as_string(hide_password=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--profile", choices=("cprofile", "none"), default="cprofile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    configure_logging("ERROR")  # as the bench's processes run
    import_all_models()
    settings = load_settings(
        {}, database_url=scratch_url(), sms_carrier="recording", instance_path=ROOT / "instance"
    )
    jobs = RecordedJobs()
    ctx = build_context(settings, jobs=jobs)  # type: ignore[arg-type]
    ctx.db.create_all()
    seed_clinic(ctx.db, load_clinic_file(ROOT / "testdata" / "demo-clinic.json"))
    for i in range(args.turns):
        receive_text(ctx, InboundMessage(
            carrier="telnyx", event_id=f"evt-{i}", carrier_message_id=f"m-{i}",
            from_number=f"+1512830{i:04d}", to_number="+15125550100",
            body=TEXTS[i % 2],
        ))  # fmt: skip
    turns = [args for func, args in jobs.jobs if func is take_turn]
    jobs.jobs.clear()

    def run() -> int:
        sent = 0
        for (conversation_id,) in turns:
            take_turn(ctx, conversation_id)
            while jobs.jobs:
                func, job_args = jobs.jobs.pop(0)
                if func is send_message:
                    sent += 1
                func(ctx, *job_args)
        return sent

    profiler = cProfile.Profile() if args.profile == "cprofile" else None
    started = time.perf_counter()
    sent = profiler.runcall(run) if profiler else run()
    took = time.perf_counter() - started
    print(f"{len(turns)} turns, {sent} replies sent in {took:.2f} s: "
          f"{len(turns) / took:.1f} turns/s in one process ({args.profile})")  # fmt: skip
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    ctx.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
