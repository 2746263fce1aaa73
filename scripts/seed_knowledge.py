"""Update a clinic's knowledge from its clinic file: locally, or on a running server.

Usage::

    python scripts/seed_knowledge.py FILE [--docs DIR]
    python scripts/seed_knowledge.py FILE [--docs DIR] --url https://HOST [--clinic ID] [--key KEY]

The clinic file is validated here first; every bad field is printed with its path and the
command exits 2 without touching anything. Without ``--url`` it seeds the database of the
local settings (``DATABASE_URL``, else the embedded SQLite file; same as ``frontdesk seed``),
with embeddings when ``OPENAI_API_KEY`` is set. With ``--url`` it POSTs the file to the
server's knowledge API (``POST /knowledge/<clinic id>``) with the clinic's API key, taken
from ``--key`` or, better (it stays out of your shell history), ``FRONTDESK_API_KEY``.

``--docs DIR`` reads every ``.md``/``.txt`` file of DIR as a document and makes them the
clinic's *uploaded documents*, replacing the previous set; they are kept across later
re-seeds of the clinic file (see docs/owners.md).

Exit status: 0 done; 2 a mistake to fix (invalid file or documents, missing or rejected
key: the server answered 4xx), nothing changed; 1 the server could not be reached or failed
(5xx).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import httpx

from knowledge.clinic_file import ClinicFile, ClinicFileError, Document, load_clinic_file
from knowledge.seed import SeedError, load_docs_dir

ENV_KEY = "FRONTDESK_API_KEY"


class Failure(Exception):
    """A failure to print (without traceback) and exit with ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    p = argparse.ArgumentParser(
        prog="seed_knowledge.py",
        description="Validate a clinic file and load it locally or into a running frontdesk.",
    )
    p.add_argument("file", help="the clinic file (.json, .yaml or .yml)")
    p.add_argument("--docs", metavar="DIR", help="folder of .md/.txt documents to upload too")
    p.add_argument("--url", help="base URL of a running frontdesk, e.g. https://desk.example.com")
    p.add_argument("--clinic", help="clinic id (default: the file's clinic.id)")
    p.add_argument("--key", help=f"the clinic's API key (default: ${ENV_KEY})")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the server")
    return p


def _seed_local(clinic: ClinicFile, docs: list[Document] | None) -> list[str]:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.db import Database
    from app.settings import load_settings
    from knowledge.embedder_choice import EmbedderChoiceError, choose_embedder
    from knowledge.updates import replace_documents, seed_with_uploads

    settings = load_settings()
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    try:  # EMBEDDINGS as in the app: OpenAI with a key, else the local model if installed
        embedder = choose_embedder(
            settings.embeddings,
            openai_api_key=settings.openai_api_key,
            openai_model=settings.openai_embedding_model,
            openai_base_url=settings.openai_base_url,
        )
    except EmbedderChoiceError as exc:
        raise Failure(str(exc)) from None
    db = Database(settings.effective_database_url)
    try:
        out = [seed_with_uploads(db, clinic, embedder=embedder).summary()]
        if docs is not None:
            out.append(replace_documents(db, clinic.clinic.id, docs, embedder=embedder).summary())
        return out
    except (OperationalError, ProgrammingError) as exc:
        raise Failure(
            f"database error ({type(exc.orig).__name__}): run `frontdesk db upgrade` first"
        ) from None
    finally:
        db.dispose()


def _post(client: httpx.Client, url: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = client.post(url, json=body, headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        raise Failure(f"cannot reach {url}: {type(exc).__name__}: {exc}", status=1) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if response.status_code == 200:
        return answer
    message = answer.get("error") or response.reason_phrase or "error"
    problems = answer.get("problems") or []
    lines = [f"{url}: HTTP {response.status_code}: {message}", *(f"  {p}" for p in problems)]
    if response.status_code == 401:
        lines.append("  check the key: it must be an active key of this clinic")
    raise Failure("\n".join(lines), status=2 if 400 <= response.status_code < 500 else 1)


def _seed_remote(
    clinic: ClinicFile,
    docs: list[Document] | None,
    base_url: str,
    clinic_id: str,
    key: str,
    timeout: float,
) -> list[str]:
    if not base_url.startswith(("http://", "https://")):
        raise Failure(
            f"--url: must start with https:// (or http:// for a local server): {base_url}"
        )
    url = f"{base_url.rstrip('/')}/knowledge/{clinic_id}"
    with httpx.Client(timeout=timeout) as client:
        out = [_post(client, url, key, clinic.model_dump(mode="json")).get("summary", "seeded")]
        if docs is not None:
            body = {"documents": [d.model_dump() for d in docs]}
            out.append(_post(client, url, key, body).get("summary", "documents uploaded"))
    return out


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (messages go to stdout/stderr)."""
    args = build_parser().parse_args(argv)
    try:
        try:
            clinic = load_clinic_file(args.file)
            docs = load_docs_dir(args.docs) if args.docs else None
        except ClinicFileError as exc:
            raise Failure(f"{args.file}: {exc}") from None
        except SeedError as exc:
            raise Failure(f"--docs: {exc}") from None
        if args.url:
            key = args.key or os.environ.get(ENV_KEY, "")
            if not key:
                raise Failure(f"--url needs the clinic's API key: set {ENV_KEY} or pass --key")
            clinic_id = args.clinic or clinic.clinic.id
            if clinic_id != clinic.clinic.id:
                raise Failure(
                    f"--clinic {clinic_id!r} does not match clinic.id {clinic.clinic.id!r} "
                    f"of {args.file}"
                )
            summaries = _seed_remote(clinic, docs, args.url, clinic_id, key, args.timeout)
        else:
            summaries = _seed_local(clinic, docs)
    except Failure as exc:
        print(f"seed_knowledge: {exc}", file=sys.stderr)
        return exc.status
    except Exception as exc:  # noqa: BLE001 - user-facing command: one line, no traceback
        from app.settings import SettingsError
        from knowledge.updates import DocumentsError

        if isinstance(exc, (SettingsError, SeedError, ClinicFileError, DocumentsError)):
            print(f"seed_knowledge: {exc}", file=sys.stderr)
            return 2
        raise
    for summary in summaries:
        print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(run())
