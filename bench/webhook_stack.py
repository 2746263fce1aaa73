"""The processes, traffic and database reads behind ``bench/webhooks.py``.

The bench reaches frontdesk only from outside: gunicorn serving the web app, the ``frontdesk``
console script (``db upgrade``, ``seed``, ``worker``) run from this tree, signed HTTP webhooks,
and SQL on the tables it writes. Every name it depends on is in the block just below. The one
exception is the durability run's workers, ``bench/fault_worker.py``, which wrap steps of a turn
inside the worker process to kill it there; the names they reach are in that module's block.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from nacl.signing import SigningKey
from redis import Redis
from sqlalchemy import Engine, create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent

# --- How the bench reaches the application: the only coupling, update here when it moves. ---
#: gunicorn app specs: frontdesk's web app, and the bare floor (``bench/bare_wsgi.py``).
WEB_APP = "app.web:create_app()"
BARE_APP = "bench.bare_wsgi:app"
#: The ``frontdesk`` console script is run as pyproject.toml declares it (``module:function``),
#: imported from this tree (PYTHONPATH), not from whatever the venv's editable install points at.
_MODULE, _, _FUNC = (
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["frontdesk"]
).partition(":")
FRONTDESK = [sys.executable, "-c", f"import sys; from {_MODULE} import {_FUNC} as m; "
             "sys.exit(m(sys.argv[1:]))"]  # fmt: skip
#: The same console script under ``bench/fault_worker.py`` (the kill run's workers).
FAULT_WORKER = [sys.executable, "-m", "bench.fault_worker", f"{_MODULE}:{_FUNC}"]
WEBHOOK_PATH = "/webhooks/telnyx"
HEALTH_PATH = "/healthz"
CLINIC_FILE = ROOT / "testdata" / "demo-clinic.json"
CLINIC = "+15125550100"  # the demo clinic's number
#: Telnyx signs with Ed25519 over ``f"{timestamp}|{body}"``; the bench signs with the RFC 8032
#: section 7.1 test-1 key and gives the app its public key (``TELNYX_PUBLIC_KEY``).
TEST_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
# Tables read: messages (direction, status, kind, conversation_id, from_number, to_number,
# carrier_event_id, created_at, processed_at, sent_at), conversations (id, patient_phone),
# clinics (profile->burst_window_seconds).
# -------------------------------------------------------------------------------------------

_SIGNER = SigningKey(TEST_SEED)
TEST_PUBLIC_KEY = base64.b64encode(bytes(_SIGNER.verify_key)).decode("ascii")


def telnyx_headers(body: bytes, timestamp: int) -> dict[str, str]:
    """The two signature headers Telnyx would send with ``body`` at ``timestamp``."""
    signed = _SIGNER.sign(str(timestamp).encode("ascii") + b"|" + body)
    return {
        "telnyx-signature-ed25519": base64.b64encode(signed.signature).decode("ascii"),
        "telnyx-timestamp": str(timestamp),
    }


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values`` (nearest rank), NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def message_body(event_id: str, sender: str, text_body: str) -> bytes:
    """A Telnyx ``message.received`` body."""
    return json.dumps(
        {
            "data": {
                "event_type": "message.received",
                "id": event_id,
                "occurred_at": "2026-01-01T00:00:00Z",
                "payload": {
                    "id": event_id,
                    "type": "SMS",
                    "text": text_body,
                    "from": {"phone_number": sender},
                    "to": [{"phone_number": CLINIC}],
                },
            },
            "meta": {"attempt": 1},
        }
    ).encode()


def call_body(event_type: str, session: str, caller: str, event_id: str) -> bytes:
    """A Telnyx Call Control event body."""
    inner: dict[str, Any] = {
        "call_session_id": session,
        "call_control_id": session,
        "from": caller,
        "to": CLINIC,
        "direction": "incoming",
    }
    if event_type == "call.hangup":
        inner["hangup_cause"] = "originator_cancel"
    return json.dumps(
        {"data": {"event_type": event_type, "id": event_id, "payload": inner}}
    ).encode()


class Stack:
    """The processes under test, on 127.0.0.1, against a scratch Postgres and Redis database."""

    def __init__(self, args: Any) -> None:
        self.args = args
        self.db_url = os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/frontdesk_bench"
        )
        self.redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
        self.base = f"http://127.0.0.1:{args.port}"
        path = os.environ.get("PYTHONPATH")
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else ""),
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.redis_url,
            "TELNYX_PUBLIC_KEY": TEST_PUBLIC_KEY,
            "SMS_CARRIER": "recording",
            "PUBLIC_BASE_URL": "https://bench.frontdesk.test",
            "LOG_LEVEL": "ERROR",
        }
        for name in (
            "OPENAI_API_KEY",
            "TELNYX_API_KEY",
            "TWILIO_ACCOUNT_SID",
            "SQUARE_ACCESS_TOKEN",
        ):
            self.env.pop(name, None)
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        (ROOT / "instance").mkdir(exist_ok=True)
        self.logs = open(ROOT / "instance" / "bench-webhooks.log", "ab")  # noqa: SIM115

    def frontdesk(self, *argv: str) -> None:
        """Run a ``frontdesk`` command to completion (output to the log); raise on failure."""
        done = subprocess.run(
            [*FRONTDESK, *argv], env=self.env, cwd=ROOT, stdout=self.logs, stderr=self.logs,
            timeout=600, check=False,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"frontdesk {' '.join(argv)} failed; see instance/bench-webhooks.log")

    def prepare(self, burst: float) -> Engine:
        """Recreate the scratch database, migrate, seed the demo clinic, flush Redis."""
        url = make_url(self.db_url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        self.frontdesk("db", "upgrade")
        engine = create_engine(self.db_url, pool_size=4)
        self.seed(engine, burst)
        Redis.from_url(self.redis_url).flushdb()
        return engine

    def seed(self, engine: Engine, burst: float) -> None:
        """(Re)seed the demo clinic with ``burst_window_seconds = burst`` through the CLI."""
        data = json.loads(CLINIC_FILE.read_text())
        data["clinic"]["burst_window_seconds"] = burst
        path = ROOT / "instance" / "bench-clinic.json"
        path.write_text(json.dumps(data))
        self.frontdesk("seed", str(path))
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT profile->>'burst_window_seconds' FROM clinics")
            ).scalar()
        if stored is None or float(stored) != burst:
            raise SystemExit(f"seeded burst window is {stored!r}, wanted {burst}")

    def gunicorn(self, spec: str, port: int) -> subprocess.Popen[bytes]:
        """gunicorn serving ``spec`` with the bench's one configuration; returns when it answers."""
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(self.args.web_workers),
                "--worker-class", "gthread",
                "--threads", str(self.args.threads),
                "--log-level", "warning",
                spec,
            ],
            env=self.env, cwd=ROOT, stdout=self.logs, stderr=self.logs, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120  # a loaded 2-core box can take a while to import
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        stop_all([proc])
        raise SystemExit(f"gunicorn {spec} did not come up; see instance/bench-webhooks.log")

    def start(self) -> None:
        self.web = self.gunicorn(WEB_APP, self.args.port)
        self.start_workers()

    def restart_web(self) -> None:
        """A fresh web tier (its per-process caches of clinic settings start empty)."""
        if self.web is not None:
            stop_all([self.web])
        self.web = self.gunicorn(WEB_APP, self.args.port)

    def start_workers(self) -> None:
        while len(self.workers) < self.args.workers:
            self.workers.append(self.start_worker())

    def start_worker(self, fault: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``frontdesk worker`` in a process group of its own (its pid is the group's).

        With ``fault`` (``BENCH_KILL_*`` variables), the worker runs under
        ``bench/fault_worker.py`` with those added to its environment.
        """
        # Workers run at lower CPU priority (as a deployment gives the web tier its own cores
        # or precedence): on a 2-core box otherwise agent turns starve the acknowledgements.
        nice = ["nice", "-n", str(self.args.worker_nice)] if self.args.worker_nice else []
        entry = FRONTDESK if fault is None else FAULT_WORKER
        return subprocess.Popen(
            [*nice, *entry, "worker"], env={**self.env, **(fault or {})}, cwd=ROOT,
            stdout=self.logs, stderr=self.logs, start_new_session=True,
        )  # fmt: skip

    def kill_worker(self, index: int) -> None:
        """SIGKILL a worker's whole process group (the worker and its scheduler)."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait()

    def stop_workers(self) -> None:
        stop_all(self.workers)
        self.workers = []

    def stop(self) -> None:
        stop_all([*self.workers, *([self.web] if self.web else [])])
        self.workers, self.web = [], None
        self.logs.close()


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group we started, then SIGKILL whatever is still up after 10 s."""
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Firer:
    """Open-loop sender of signed webhooks on a pool of keep-alive clients: each request starts
    at its scheduled instant whether or not earlier ones have been answered."""

    def __init__(self, base: str, threads: int) -> None:
        self.base = base
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=threads)

    def _client(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.base, timeout=10)
            self.local.client = client
        return client

    def _post(self, body: bytes) -> tuple[int, float, float]:
        headers = {**telnyx_headers(body, int(time.time())), "content-type": "application/json"}
        started = time.time()
        try:
            status = self._client().post(WEBHOOK_PATH, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = 0
        return status, started, time.time() - started

    def fire(
        self, bodies: list[bytes], rate: float, on_half: Callable[[], None] | None = None
    ) -> list[tuple[int, float, float]]:
        """POST ``bodies`` at ``rate`` per second; (status, start epoch, seconds) per body."""
        return self.fire_at([(i / rate, body) for i, body in enumerate(bodies)], on_half)

    def fire_at(
        self, plan: list[tuple[float, bytes]], on_half: Callable[[], None] | None = None
    ) -> list[tuple[int, float, float]]:
        """POST each body ``offset`` seconds after the start (plan sorted by offset)."""
        t0 = time.monotonic()
        futures = []
        for i, (offset, body) in enumerate(plan):
            delay = t0 + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if on_half is not None and i == len(plan) // 2:
                on_half()
            futures.append(self.pool.submit(self._post, body))
        return [f.result() for f in futures]

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def acks_ms(results: list[tuple[int, float, float]]) -> tuple[list[float], int]:
    """Acknowledgement latencies (ms) of the 200s, and how many were not 200."""
    return [lat * 1000 for status, _, lat in results if status == 200], sum(
        1 for status, _, _ in results if status != 200
    )


def unanswered(engine: Engine) -> int:
    """Inbound texts not yet taken by a turn, or taken by one whose reply is not out yet."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM messages m WHERE m.direction='in' AND "
                    "(m.status='received' OR (m.status='processed' AND NOT EXISTS (SELECT 1 "
                    "FROM messages o WHERE o.conversation_id=m.conversation_id AND "
                    "o.direction='out' AND o.status IN ('sent','recorded','failed','blocked'))))"
                )
            ).scalar()
            or 0
        )


def wait_answered(engine: Engine, deadline: float, poll: float = 1.0) -> bool:
    """Until every stored text is processed and its reply sent, or ``deadline`` (monotonic)."""
    while time.monotonic() < deadline:
        if unanswered(engine) == 0:
            return True
        time.sleep(poll)
    return unanswered(engine) == 0
