"""Retrieval latency: p50/p99 of ``knowledge.retrieval.search`` for 50, 500 and 5,000 chunks.

Synthetic but realistic: documents are assembled from medspa-style sentences (treatments,
aftercare, policies) with varied numbers and names, plus FAQs; queries are texting-style with
typos. The first query per size (index build) is reported separately. Bounded: at most
``--queries`` queries per size (default 200) and a few seconds each.

    .venv/bin/python bench/retrieval.py [--queries N] [--sizes 50,500,5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database  # noqa: E402
from app.migrations.registry import create_all  # noqa: E402
from knowledge.clinic_file import ClinicFile, parse_clinic_file  # noqa: E402
from knowledge.retrieval import clear_cache, search  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402

TREATMENTS = [
    "Botox",
    "Dysport",
    "lip filler",
    "cheek filler",
    "HydraFacial",
    "chemical peel",
    "microneedling",
    "laser hair removal",
    "IPL photofacial",
    "Kybella",
    "PRP",
    "Morpheus8",
    "CoolSculpting",
    "dermaplaning",
    "LED therapy",
    "sculptra",
]
SENTENCES = [
    "Avoid strenuous exercise for {n} hours after your {t} appointment.",
    "Most patients see results from {t} within {n} days, with full results at two weeks.",
    "Please arrive {n} minutes early so we can review your health history before {t}.",
    "Mild swelling and redness after {t} usually settle within {n} days.",
    "We require {n} hours notice to cancel or reschedule a {t} visit.",
    "Financing through Cherry is available for {t} purchases over ${n}00.",
    "Do not use retinol for {n} days before {t}; it can make your skin sensitive.",
    "Our {t} packages are valid for {n} months and can be shared with family.",
    "Parking is validated for up to {n} hours in the garage on level {n}.",
    "Gift cards for {t} never expire and can be used at any location.",
    "Members save {n}% on {t} and every other treatment on the menu.",
    "Ice the area for {n} minutes at a time if you notice bruising after {t}.",
]
QUERIES = [
    "can i workout after botx",
    "how long does lip filer last",
    "do u validate parkng",
    "cancelation policy",
    "swelling after microneedlin",
    "do yall take cherry",
    "retinol before peel",
    "gift cards",
    "member discount on tox",
    "bruising after filler",
    "whats the weather tomorrow",
    "how early should i arrive",
]


def make_clinic(n_chunks: int, rng: random.Random) -> ClinicFile:
    """A clinic whose documents chunk to about ``n_chunks`` passages (sections of ~500 chars)."""
    faqs = [
        {
            "question": f"How long does {t} last?",
            "answer": f"{t} lasts {rng.randint(3, 18)} months for most patients.",
        }
        for t in TREATMENTS
    ]
    sections_per_doc = 8
    docs = []
    for d in range(max(1, (n_chunks - len(faqs)) // sections_per_doc)):
        parts = [f"# Guide {d}"]
        for s in range(sections_per_doc):
            parts.append(f"## {rng.choice(TREATMENTS)} notes {s}")
            parts.append(
                " ".join(
                    rng.choice(SENTENCES).format(t=rng.choice(TREATMENTS), n=rng.randint(2, 48))
                    for _ in range(5)
                )
            )
        docs.append({"title": f"Guide {d}", "content": "\n\n".join(parts)})
    return parse_clinic_file(
        {
            "clinic": {
                "id": "bench",
                "name": "Bench",
                "timezone": "America/Chicago",
                "phone_numbers": ["+15125550150"],
            },
            "providers": [{"id": "p", "name": "P", "hours": {"mon": [["09:00", "17:00"]]}}],
            "services": [
                {
                    "id": t.lower().replace(" ", "-"),
                    "name": t,
                    "aliases": [t.lower()],
                    "duration_minutes": 30,
                    "provider_ids": ["p"],
                }
                for t in TREATMENTS
            ],
            "documents": docs,
            "faqs": faqs,
        }
    )


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run(sizes: list[int], queries: int, budget_s: float = 5.0) -> None:
    """Seed each size into a temporary SQLite database and time ``queries`` searches."""
    rng = random.Random(7)
    print(f"{'chunks':>7} {'build ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db")
            create_all(db)
            report = seed_clinic(db, make_clinic(size, rng))
            clear_cache()
            with db.session() as session:
                t0 = time.perf_counter()
                search(session, "bench", QUERIES[0])
                build_ms = (time.perf_counter() - t0) * 1000
                times: list[float] = []
                deadline = time.perf_counter() + budget_s
                for i in range(queries):
                    t = time.perf_counter()
                    search(session, "bench", QUERIES[i % len(QUERIES)])
                    times.append((time.perf_counter() - t) * 1000)
                    if time.perf_counter() > deadline:
                        break
            db.dispose()
        print(
            f"{report.chunks:>7} {build_ms:>9.1f} {statistics.median(times):>8.2f} "
            f"{percentile(times, 99):>8.2f} {len(times):>8}"
        )


def main() -> None:
    """Parse arguments and print the latency table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sizes", default="50,500,5000")
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], args.queries)


if __name__ == "__main__":
    main()
